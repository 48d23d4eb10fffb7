"""GitHub App authentication: a short-lived RS256 JWT exchanged for installation tokens, cached until near expiry."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

import jwt
from django.core.cache import cache

from intake.hostapi.github import GitHubClient
from intake.hostapi.transport import HostApiError

JWT_BACKDATE = 60  # iat a minute in the past: the host's clock may run behind ours
JWT_LIFETIME = 540  # exp nine minutes ahead: GitHub refuses more than ten
TOKEN_MARGIN = 300  # a cached installation token is dropped five minutes before it expires


def app_jwt(app_id: str, private_key: str, *, now: float | None = None) -> str:
    """The App's JWT: iat a minute back, exp nine minutes ahead, iss the app id, signed RS256 with its key."""
    now = time.time() if now is None else now
    claims = {"iat": int(now) - JWT_BACKDATE, "exp": int(now) + JWT_LIFETIME, "iss": str(app_id)}
    try:
        return jwt.encode(claims, private_key, algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise HostApiError(f"the GitHub App private key cannot sign: {type(exc).__name__}") from None


def _key(base_url: str, installation_id: int) -> str:
    return "hostapi:ghinst:" + hashlib.sha256(f"{base_url}|{installation_id}".encode()).hexdigest()[:32]


def installation_token(
    *, base_url: str, app_id: str, private_key: str, installation_id: int, timeout: float = 10.0
) -> str:
    """An installation token from the cache, or a fresh one from the host (cached until shortly before it expires)."""
    key = _key(base_url, installation_id)
    cached = cache.get(key)
    if isinstance(cached, str) and cached:
        return cached
    client = GitHubClient(base_url, app_jwt(app_id, private_key), timeout=timeout)
    token, expires_at = client.installation_token(installation_id)
    try:
        expires = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        expires = time.time() + 3600
    ttl = int(expires - time.time()) - TOKEN_MARGIN
    if ttl > 0:
        cache.set(key, token, timeout=ttl)
    return token


def forget_installation_token(*, base_url: str, installation_id: int) -> None:
    """Drop a cached token the host refused (revoked, or the installation removed)."""
    cache.delete(_key(base_url, installation_id))
