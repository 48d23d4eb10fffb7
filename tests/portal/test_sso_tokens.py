"""id_token checks without a provider: audiences, key rotation, algorithm confusion, missing claims."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from sso.tokens import InvalidIdToken, verify_id_token
from tests.portal.oidc_provider import Provider

ISSUER = "https://id.example"


@pytest.fixture(scope="module")
def idp() -> Provider:
    return Provider()  # its keys only; the server is never started


def claims(**extra) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "sub": "u1", "aud": "cs", "iat": now, "exp": now + 60, "nonce": "n1", **extra}


def sign(idp: Provider, body: dict, **headers) -> str:
    return jwt.encode(body, idp.key, algorithm="RS256", headers={"kid": idp.kid, **headers})


def verify(idp: Provider, token: str, jwks=None) -> dict:
    keys = jwks or (lambda refresh: idp.jwks())
    return verify_id_token(
        token, fetch_jwks=keys, issuer=ISSUER, client_id="cs", algorithm="RS256", nonce="n1", leeway=0
    )


def test_a_good_token_passes(idp):
    assert verify(idp, sign(idp, claims()))["sub"] == "u1"


def test_several_audiences_need_azp_naming_this_client(idp):
    with pytest.raises(InvalidIdToken, match="azp"):
        verify(idp, sign(idp, claims(aud=["cs", "other"])))
    assert verify(idp, sign(idp, claims(aud=["cs", "other"], azp="cs")))["azp"] == "cs"


def test_keys_are_read_again_once_for_an_unknown_kid(idp):
    calls: list[bool] = []

    def rotating(refresh: bool) -> dict:
        calls.append(refresh)
        return idp.jwks() if refresh else {"keys": []}

    assert verify(idp, sign(idp, claims()), jwks=rotating)["sub"] == "u1"
    assert calls == [False, True]


def test_the_public_key_used_as_an_hmac_secret_is_refused(idp):
    public = idp.key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    header = jwt.utils.base64url_encode(b'{"alg":"HS256","kid":"key-1","typ":"JWT"}')
    body = jwt.utils.base64url_encode(json.dumps(claims()).encode())
    signature = jwt.utils.base64url_encode(hmac.new(public, header + b"." + body, hashlib.sha256).digest())
    with pytest.raises(InvalidIdToken, match="HS256"):
        verify(idp, (header + b"." + body + b"." + signature).decode())


@pytest.mark.parametrize("missing", ["iat", "exp", "sub", "nonce", "aud", "iss"])
def test_a_missing_claim_is_refused(idp, missing):
    body = claims()
    del body[missing]
    with pytest.raises(InvalidIdToken):
        verify(idp, sign(idp, body))


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", None])
def test_garbage_is_refused(idp, token):
    with pytest.raises(InvalidIdToken):
        verify(idp, token)
