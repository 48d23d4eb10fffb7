"""Strict id_token checks: signature by the provider's key (JWKS, by kid), algorithm, iss, aud, azp, exp, iat, nonce."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import jwt


class InvalidIdToken(ValueError):
    """The id_token is not one the portal accepts; the message says why (logged, never shown to the user)."""


def _signing_key(token: str, header: dict[str, Any], jwks: dict[str, Any], algorithm: str) -> jwt.PyJWK:
    kid = header.get("kid")
    for jwk in jwks.get("keys", []):
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        if kid is not None and jwk.get("kid") != kid:
            continue
        if jwk.get("alg", algorithm) != algorithm:
            continue
        try:
            return jwt.PyJWK(jwk, algorithm=algorithm)
        except jwt.PyJWTError as exc:
            raise InvalidIdToken(f"the provider's key {kid!r} is unusable: {exc}") from None
    raise InvalidIdToken(f"no key with kid {kid!r} for {algorithm} in the provider's JWKS")


def verify_id_token(
    token: str,
    *,
    fetch_jwks: Callable[[bool], dict[str, Any]],
    issuer: str,
    client_id: str,
    algorithm: str,
    nonce: str | None,
    leeway: int,
) -> dict[str, Any]:
    """The id_token's claims once every check passed; `fetch_jwks(refresh)` gives the keys (refreshed once per kid)."""
    if not isinstance(token, str) or not token:
        raise InvalidIdToken("the token response has no id_token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"malformed id_token: {exc}") from None
    if header.get("alg") != algorithm:
        raise InvalidIdToken(f"id_token signed with {header.get('alg')!r}, expected {algorithm}")
    try:
        key = _signing_key(token, header, fetch_jwks(False), algorithm)
    except InvalidIdToken:
        # The provider may have rotated its keys since they were cached: look once more, then give up.
        key = _signing_key(token, header, fetch_jwks(True), algorithm)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"], "verify_signature": True},
        )
    except jwt.PyJWTError as exc:
        raise InvalidIdToken(f"id_token refused: {exc}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise InvalidIdToken("id_token has several audiences and its azp is not this client")
    if nonce is None or not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise InvalidIdToken("id_token nonce does not match the one this login sent")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdToken("id_token has no subject")
    return claims
