"""Error pages and the development secret key."""

from __future__ import annotations

import secrets
from pathlib import Path

# A refused CSRF token gets the styled page that says what to do (JSON under /api/ and /webhooks/).
CSRF_FAILURE_VIEW = "navigation.errors.csrf_failure"


def development_secret_key(data_dir: Path) -> str:
    """A random key kept in data_dir, made once: restarting the development server keeps everyone's session."""
    path = data_dir / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= 50:
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
