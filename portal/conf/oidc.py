"""Single sign-on (OpenID Connect, mozilla-django-oidc), configured from the environment; see the README's SSO section.

SSO is on when PORTAL_OIDC_ISSUER is set. Endpoints come from the issuer's discovery document unless all four are
given explicitly. Group claims map to teams, levels and roles through PORTAL_OIDC_GROUP_MAP (sso.groups).
"""

from __future__ import annotations

from portal.env import EnvError, env_bool, env_int, env_secret, env_str
from sso.groups import GroupMapError, parse_group_map

PORTAL_OIDC_ISSUER = env_str("PORTAL_OIDC_ISSUER").rstrip("/")
PORTAL_OIDC_ENABLED = bool(PORTAL_OIDC_ISSUER)
# Explicit endpoints (all four, or none: then discovery at <issuer>/.well-known/openid-configuration, read when
# first needed and kept for PORTAL_OIDC_DISCOVERY_SECONDS, so the portal starts while the provider is down).
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("PORTAL_OIDC_AUTHORIZATION_ENDPOINT") or None
OIDC_OP_TOKEN_ENDPOINT = env_str("PORTAL_OIDC_TOKEN_ENDPOINT") or None
OIDC_OP_USER_ENDPOINT = env_str("PORTAL_OIDC_USERINFO_ENDPOINT") or None
OIDC_OP_JWKS_ENDPOINT = env_str("PORTAL_OIDC_JWKS_URI") or None
_explicit = [OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT]
if any(_explicit) and not all(_explicit):
    raise EnvError(
        "PORTAL_OIDC_AUTHORIZATION_ENDPOINT, PORTAL_OIDC_TOKEN_ENDPOINT, PORTAL_OIDC_USERINFO_ENDPOINT and "
        "PORTAL_OIDC_JWKS_URI go together: set all four, or none to use the issuer's discovery document"
    )
PORTAL_OIDC_DISCOVERY_SECONDS = env_int("PORTAL_OIDC_DISCOVERY_SECONDS", 3600, minimum=0)

OIDC_RP_CLIENT_ID = env_str("PORTAL_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_secret("PORTAL_OIDC_CLIENT_SECRET")
if PORTAL_OIDC_ENABLED and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise EnvError("PORTAL_OIDC_ISSUER is set: PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET are required too")
OIDC_RP_SCOPES = env_str("PORTAL_OIDC_SCOPES", "openid email profile groups")
if PORTAL_OIDC_ENABLED and "openid" not in OIDC_RP_SCOPES.split():
    raise EnvError(f"PORTAL_OIDC_SCOPES must include 'openid', got {OIDC_RP_SCOPES!r}")
# Asymmetric signatures only: a shared-secret (HS*) id_token could be minted by anyone holding the client secret.
OIDC_RP_SIGN_ALGO = env_str("PORTAL_OIDC_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}:
    raise EnvError(f"PORTAL_OIDC_SIGN_ALGO must be an RS, PS or ES algorithm, got {OIDC_RP_SIGN_ALGO!r}")
OIDC_RP_IDP_SIGN_KEY = None
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_VERIFY_SSL = env_bool("PORTAL_OIDC_VERIFY_TLS", True)
OIDC_TIMEOUT = env_int("PORTAL_OIDC_TIMEOUT_SECONDS", 10, minimum=1)
OIDC_CREATE_USER = env_bool("PORTAL_OIDC_CREATE_USERS", True)
# Seconds of clock difference allowed when checking exp, iat and nbf.
PORTAL_OIDC_LEEWAY_SECONDS = env_int("PORTAL_OIDC_LEEWAY_SECONDS", 60, minimum=0)
PORTAL_OIDC_GROUPS_CLAIM = env_str("PORTAL_OIDC_GROUPS_CLAIM", "groups")
PORTAL_OIDC_USERNAME_CLAIM = env_str("PORTAL_OIDC_USERNAME_CLAIM", "preferred_username")
# "group=kind:value" entries, comma-separated; kinds team, level, role (manager, incident_reviewer, staff, admin).
PORTAL_OIDC_GROUP_MAP = env_str("PORTAL_OIDC_GROUP_MAP")
try:
    parse_group_map(PORTAL_OIDC_GROUP_MAP)
except GroupMapError as exc:
    raise EnvError(f"PORTAL_OIDC_GROUP_MAP: {exc}") from None
PORTAL_OIDC_DEFAULT_LEVEL = env_int("PORTAL_OIDC_DEFAULT_LEVEL", 3, minimum=3)
OIDC_AUTHENTICATE_CLASS = "sso.views.SsoStart"
OIDC_CALLBACK_CLASS = "sso.views.SsoCallback"
OIDC_REDIRECT_ALLOWED_HOSTS: list[str] = []

# Password login: with it off the login page offers single sign-on only, and password POSTs are refused.
PORTAL_PASSWORD_LOGIN = env_bool("PORTAL_PASSWORD_LOGIN", True)
if not PORTAL_PASSWORD_LOGIN and not PORTAL_OIDC_ENABLED:
    raise EnvError("PORTAL_PASSWORD_LOGIN=false needs single sign-on: set PORTAL_OIDC_ISSUER and its client")


def authentication_backends() -> list[str]:
    """Axes first (it refuses locked-out logins); the SSO backend when SSO is on; Django's password backend while
    password login is allowed, else the same backend for its permissions only (a service account's "Can add
    incident" still holds); then the object rules (has_perm with an object, portal.access.rules)."""
    backends = ["axes.backends.AxesStandaloneBackend"]
    if PORTAL_OIDC_ENABLED:
        backends.append("sso.backend.SsoBackend")
    if PORTAL_PASSWORD_LOGIN:
        backends.append("django.contrib.auth.backends.ModelBackend")
    else:
        backends.append("portal.access.backends.PermissionsOnlyBackend")
    backends.append("rules.permissions.ObjectPermissionBackend")
    return backends


# The provider throttles its own logins; a refused callback is not a password guess (portal.login_guard).
AXES_WHITELIST_CALLABLE = "portal.login_guard.is_sso_callback"
