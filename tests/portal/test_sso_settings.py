"""The SSO settings refuse an unclear configuration at start-up rather than at the first login."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest

from portal.conf import oidc
from portal.env import EnvError

CLIENT = {"PORTAL_OIDC_ISSUER": "https://id.example/", "PORTAL_OIDC_CLIENT_ID": "cs", "PORTAL_OIDC_CLIENT_SECRET": "s"}


def load(monkeypatch, **env: str):
    for name in [*CLIENT, "PORTAL_PASSWORD_LOGIN", "PORTAL_OIDC_GROUP_MAP", "PORTAL_OIDC_SIGN_ALGO"]:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        conf = importlib.reload(oidc)
        return SimpleNamespace(**vars(conf), backends=conf.authentication_backends())
    finally:
        monkeypatch.undo()
        importlib.reload(oidc)


def test_off_by_default_with_password_login(monkeypatch):
    conf = load(monkeypatch)
    assert not conf.PORTAL_OIDC_ENABLED and conf.PORTAL_PASSWORD_LOGIN
    assert conf.backends == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "rules.permissions.ObjectPermissionBackend",
    ]


def test_on_with_an_issuer_and_password_login_off(monkeypatch):
    conf = load(monkeypatch, **CLIENT, PORTAL_PASSWORD_LOGIN="false")
    assert conf.PORTAL_OIDC_ISSUER == "https://id.example"
    # No password backend; Django's model permissions (a service account's "Can add incident") still hold.
    assert conf.backends == [
        "axes.backends.AxesStandaloneBackend",
        "sso.backend.SsoBackend",
        "portal.access.backends.PermissionsOnlyBackend",
        "rules.permissions.ObjectPermissionBackend",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_PASSWORD_LOGIN": "false"}, "needs single sign-on"),
        ({"PORTAL_OIDC_ISSUER": "https://id.example"}, "PORTAL_OIDC_CLIENT_ID"),
        ({**CLIENT, "PORTAL_OIDC_SIGN_ALGO": "HS256"}, "RS, PS or ES"),
        ({**CLIENT, "PORTAL_OIDC_SIGN_ALGO": "none"}, "RS, PS or ES"),
        ({**CLIENT, "PORTAL_OIDC_GROUP_MAP": "admins=role:root"}, "PORTAL_OIDC_GROUP_MAP"),
        ({**CLIENT, "PORTAL_OIDC_TOKEN_ENDPOINT": "https://id.example/token"}, "go together"),
    ],
)
def test_unclear_configuration_is_refused(monkeypatch, env, message):
    with pytest.raises(EnvError, match=message):
        load(monkeypatch, **env)
