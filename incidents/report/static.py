"""The base URL the report's PDF is drawn under, and the one kind of URL it may fetch: the portal's static files."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings

# The PDF's documents are given this base URL, so that `{% static %}` links resolve under it.
BASE_URL = "https://countersign.invalid/"


def static_path(url: str) -> str | None:
    """The static file a URL names under BASE_URL and STATIC_URL, or None for any other URL."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(prefix):
        return None
    relative = unquote(parts.path[len(prefix) :])
    if not relative or "\\" in relative or "\0" in relative:
        return None
    normal = posixpath.normpath(relative)
    if normal.startswith(("../", "/")) or normal in ("..", ".") or ".." in relative.split("/"):
        return None
    return normal
