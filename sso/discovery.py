"""The provider's endpoints and keys: explicit settings, or its discovery document; both cached for a while."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


class ProviderUnavailable(RuntimeError):
    """The provider's discovery document or keys could not be read."""


@dataclass(frozen=True)
class Endpoints:
    """Where the provider authorises, hands out tokens, describes the user, and publishes its keys."""

    authorization: str
    token: str
    userinfo: str
    jwks: str


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"cannot read {url}: {exc}") from None
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    return body


def _cached(key: str, load, *, refresh: bool = False) -> Any:
    with _lock:
        hit = _cache.get(key)
        if hit and not refresh and time.monotonic() - hit[0] < settings.PORTAL_OIDC_DISCOVERY_SECONDS:
            return hit[1]
    value = load()
    with _lock:
        _cache[key] = (time.monotonic(), value)
    return value


def clear() -> None:
    """Forget the cached discovery document and keys (tests, or a provider reconfigured)."""
    with _lock:
        _cache.clear()


def endpoints() -> Endpoints:
    """The explicit endpoints when set, else those of the issuer's discovery document (whose issuer must match)."""
    if settings.OIDC_OP_AUTHORIZATION_ENDPOINT:
        return Endpoints(
            settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
            settings.OIDC_OP_TOKEN_ENDPOINT,
            settings.OIDC_OP_USER_ENDPOINT,
            settings.OIDC_OP_JWKS_ENDPOINT,
        )
    issuer = settings.PORTAL_OIDC_ISSUER
    document = _cached(f"discovery:{issuer}", lambda: _get_json(f"{issuer}/.well-known/openid-configuration"))
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"the discovery document names issuer {document.get('issuer')!r}, not {issuer!r}")
    try:
        return Endpoints(
            document["authorization_endpoint"],
            document["token_endpoint"],
            document["userinfo_endpoint"],
            document["jwks_uri"],
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"the discovery document lacks {exc}") from None


def jwks(refresh: bool = False) -> dict[str, Any]:
    """The provider's public keys (JWKS), read again when `refresh` (a kid not seen yet)."""
    url = endpoints().jwks
    return _cached(f"jwks:{url}", lambda: _get_json(url), refresh=refresh)
