"""Authentication of webhook deliveries from the git hosts (pure): signature and token checks."""

from __future__ import annotations

import hashlib
import hmac


def verify_github_signature(secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256: 'sha256=' + HMAC-SHA256 hex of the raw body, compared in constant time."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode("ascii", "replace"))


def verify_gitlab_token(secret: str, header: str) -> bool:
    """X-Gitlab-Token: the shared token itself, compared in constant time."""
    if not secret or not header:
        return False
    return hmac.compare_digest(secret.encode(), header.encode("utf-8", "replace"))
