"""A small OpenID provider for tests: discovery, authorize, token, JWKS and userinfo on loopback, RS256 id_tokens.

The test decides who logs in (`provider.user`) and may tamper with the next id_token (`provider.forge`): sign it
with another key, name another issuer or audience, expire it, change its nonce, send alg none, use an unknown kid.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Person:
    """Who the provider says logs in."""

    sub: str
    email: str
    name: str = ""
    preferred_username: str = ""
    groups: list[str] = field(default_factory=list)
    email_verified: bool = True


@dataclass
class Grant:
    """An authorization code waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    person: Person


class Provider:
    """The provider's state; `url` is its issuer."""

    def __init__(self, client_id: str = "countersign", client_secret: str = "s3cret") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = _rsa_key()
        self.kid = "key-1"
        self.user: Person | None = None
        self.forge: str | None = None
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, Person] = {}
        self.token_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": _b64(numbers.e.to_bytes(3, "big")),
                }
            ]
        }

    def id_token(self, grant: Grant) -> str:
        """The id_token for a grant, as honest as `forge` allows."""
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": grant.person.sub,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": grant.person.email,
        }
        key: Any = self.key
        headers = {"kid": self.kid}
        algorithm = "RS256"
        forge = self.forge
        if forge == "wrong_signature":
            key = _rsa_key()
        elif forge == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1/evil"
        elif forge == "wrong_audience":
            claims["aud"] = "another-client"
        elif forge == "expired":
            claims["iat"], claims["exp"] = now - 7200, now - 3600
        elif forge == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif forge == "unknown_kid":
            headers["kid"] = "key-nobody-published"
            key = _rsa_key()
        elif forge == "no_exp":
            del claims["exp"]
        if forge == "alg_none":
            header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": self.kid}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(provider.discovery())
                if url.path == "/jwks":
                    return self._json(provider.jwks())
                if url.path == "/userinfo":
                    person = provider.access_tokens.get(self.headers.get("Authorization", "").removeprefix("Bearer "))
                    if person is None:
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(
                        {
                            "sub": person.sub,
                            "email": person.email,
                            "email_verified": person.email_verified,
                            "name": person.name,
                            "preferred_username": person.preferred_username,
                            "groups": person.groups,
                        }
                    )
                if url.path == "/authorize":
                    return self._authorize(query)
                return self._json({"error": "not_found"}, 404)

            def _authorize(self, query: dict[str, str]) -> None:
                if query.get("client_id") != provider.client_id or provider.user is None:
                    return self._json({"error": "unauthorized_client"}, 400)
                if "openid" not in query.get("scope", "").split() or query.get("response_type") != "code":
                    return self._json({"error": "invalid_request"}, 400)
                code = secrets.token_urlsafe(16)
                provider.grants[code] = Grant(
                    client_id=query["client_id"],
                    redirect_uri=query["redirect_uri"],
                    nonce=query.get("nonce", ""),
                    code_challenge=query.get("code_challenge", ""),
                    person=provider.user,
                )
                target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                if urlparse(self.path).path != "/token":
                    return self._json({"error": "not_found"}, 404)
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests += 1
                grant = provider.grants.pop(form.get("code", ""), None)
                if (
                    grant is None
                    or form.get("client_id") != provider.client_id
                    or form.get("client_secret") != provider.client_secret
                    or form.get("redirect_uri") != grant.redirect_uri
                ):
                    return self._json({"error": "invalid_grant"}, 400)
                import hashlib

                challenge = _b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
                if grant.code_challenge and challenge != grant.code_challenge:
                    return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
                access = secrets.token_urlsafe(16)
                provider.access_tokens[access] = grant.person
                self._json(
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant),
                    }
                )

        return Handler
