"""Single sign-on against a real OpenID provider on loopback: accounts, groups, refusals, forged tokens."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client

from reviews.models import AuditEvent, Engineer
from sso import discovery
from tests.portal.oidc_provider import Person, Provider

pytestmark = pytest.mark.django_db
GROUP_MAP = (
    "eng-payments=team:payments, eng-search=team:search, eng-senior=level:6, eng-staff=level:7, "
    "eng-leads=role:manager, eng-oncall=role:incident_reviewer, portal-admins=role:admin"
)
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "sso.backend.SsoBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    running = Provider().start()
    yield running
    running.stop()


@pytest.fixture
def sso(settings, provider: Provider) -> Provider:
    settings.PORTAL_OIDC_ENABLED = True
    settings.PORTAL_OIDC_ISSUER = provider.url
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = None
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.PORTAL_OIDC_GROUP_MAP = GROUP_MAP
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    discovery.clear()
    provider.forge = None
    provider.user = None
    return provider


def sso_login(client: Client, provider: Provider, person: Person, *, forge: str | None = None):
    """Run the code flow: portal -> provider's authorize -> portal's callback; the callback's response."""
    provider.user, provider.forge = person, forge
    start = client.get("/accounts/sso/start/")
    assert start.status_code == 302, start
    authorize = start["Location"]
    assert authorize.startswith(f"{provider.url}/authorize?")
    query = parse_qs(urlparse(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    answer = requests.get(authorize, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    callback = urlparse(answer.headers["Location"])
    assert callback.path == "/accounts/sso/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def logged_in_as(client: Client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_first_login_creates_the_account_with_team_level_and_roles(sso):
    client = Client()
    ann = Person(
        sub="idp-ann",
        email="ann@example.com",
        name="Ann Lee",
        preferred_username="ann",
        groups=["eng-payments", "eng-senior", "eng-oncall", "everyone"],
    )
    response = sso_login(client, sso, ann)
    assert response.status_code == 302 and response["Location"] == "/"
    user = logged_in_as(client)
    assert user.username == "ann" and user.email == "ann@example.com" and not user.has_usable_password()
    engineer = Engineer.objects.select_related("team").get(user=user)
    assert (engineer.team.slug, engineer.level, engineer.sso_subject) == ("payments", 6, "idp-ann")
    assert engineer.is_incident_reviewer and not engineer.is_manager
    assert not user.is_staff and not user.is_superuser
    assert engineer.display_name == "Ann Lee"
    assert AuditEvent.objects.filter(action="sso.account_created", target_id=str(engineer.pk)).exists()
    assert client.get("/").status_code == 302  # logged in: an incident reviewer lands on the incidents


def test_relogin_syncs_changed_groups(sso):
    person = Person(sub="idp-bo", email="bo@example.com", groups=["eng-search", "eng-leads"])
    sso_login(Client(), sso, person)
    engineer = Engineer.objects.get(sso_subject="idp-bo")
    assert (engineer.team.slug, engineer.level, engineer.is_manager) == ("search", 3, True)
    person.groups = ["eng-payments", "eng-staff", "portal-admins"]
    client = Client()
    sso_login(client, sso, person)
    engineer.refresh_from_db()
    user = engineer.user
    user.refresh_from_db()
    assert (engineer.team.slug, engineer.level, engineer.is_manager) == ("payments", 7, False)
    assert user.is_staff and user.is_superuser
    assert logged_in_as(client) == user
    assert get_user_model().objects.filter(email="bo@example.com").count() == 1
    person.groups = []
    sso_login(Client(), sso, person)
    engineer.refresh_from_db()
    user.refresh_from_db()
    assert (engineer.team_id, engineer.level, user.is_superuser) == (None, 3, False)
    assert AuditEvent.objects.filter(action="sso.account_synced", target_id=str(engineer.pk)).count() == 2


def test_existing_password_account_is_linked_by_verified_email(sso, make_engineer):
    existing = make_engineer(email="cy@example.com", level=5)
    sso_login(Client(), sso, Person(sub="idp-cy", email="CY@example.com", groups=[]))
    existing.refresh_from_db()
    assert existing.sso_subject == "idp-cy" and existing.level == 3
    assert Engineer.objects.filter(email__iexact="cy@example.com").count() == 1


def test_unverified_email_does_not_take_over_an_account(sso, make_engineer):
    make_engineer(email="dee@example.com")
    client = Client()
    response = sso_login(client, sso, Person(sub="idp-mallory", email="dee@example.com", email_verified=False))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert logged_in_as(client) is None


def test_disabled_account_is_refused_and_left_alone(sso):
    person = Person(sub="idp-eve", email="eve@example.com", groups=["eng-payments"])
    sso_login(Client(), sso, person)
    user = get_user_model().objects.get(email="eve@example.com")
    user.is_active = False
    user.save(update_fields=["is_active"])
    person.groups = ["eng-leads", "portal-admins"]
    client = Client()
    response = sso_login(client, sso, person)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert logged_in_as(client) is None
    user.refresh_from_db()
    assert not user.is_superuser and not user.engineer.is_manager
    page = client.get("/accounts/login/")
    assert b"Single sign-on did not log you in" in page.content


@pytest.mark.parametrize(
    "forge",
    [
        "wrong_signature",
        "wrong_issuer",
        "wrong_audience",
        "expired",
        "wrong_nonce",
        "alg_none",
        "unknown_kid",
        "no_exp",
    ],
)
def test_forged_id_token_is_refused(sso, forge, caplog):
    client = Client()
    response = sso_login(client, sso, Person(sub=f"idp-{forge}", email=f"{forge}@example.com"), forge=forge)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert logged_in_as(client) is None
    assert not get_user_model().objects.filter(email=f"{forge}@example.com").exists()
    assert "single sign-on refused" in caplog.text


def test_callback_replay_and_unknown_state_are_refused(sso):
    client = Client()
    person = Person(sub="idp-fay", email="fay@example.com")
    sso.user = person
    start = client.get("/accounts/sso/start/")
    answer = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlparse(answer.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    assert logged_in_as(client) is not None
    other = Client()
    assert other.get(f"{callback.path}?{callback.query}").status_code == 302  # no state in this session
    assert logged_in_as(other) is None
    assert other.get("/accounts/sso/callback/?code=x&state=y").status_code in (302, 400)


def test_explicit_endpoints_without_discovery(sso, settings):
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{sso.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{sso.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{sso.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{sso.url}/jwks"
    settings.PORTAL_OIDC_ISSUER = sso.url
    client = Client()
    sso_login(client, sso, Person(sub="idp-gus", email="gus@example.com"))
    assert logged_in_as(client) is not None


def test_provider_down_sends_back_to_login(sso, settings):
    settings.PORTAL_OIDC_ISSUER = "http://127.0.0.1:9"
    response = Client().get("/accounts/sso/start/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_sso_off_answers_404(settings):
    settings.PORTAL_OIDC_ENABLED = False
    client = Client()
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=a&state=b").status_code == 404
    assert b"Sign in with SSO" not in client.get("/accounts/login/").content


def test_password_login_off_shows_only_sso_and_refuses_password_posts(sso, settings, make_engineer):
    engineer = make_engineer()
    engineer.user.set_password("a-long-password-1")
    engineer.user.save()
    settings.PORTAL_PASSWORD_LOGIN = False
    settings.AUTHENTICATION_BACKENDS = BACKENDS[:2]
    client = Client()
    page = client.get("/accounts/login/")
    assert b"Sign in with SSO" in page.content and b'name="password"' not in page.content
    refused = client.post("/accounts/login/", {"username": engineer.user.username, "password": "a-long-password-1"})
    assert refused.status_code == 403 and logged_in_as(client) is None
    assert b"Password login is turned off" in refused.content
    assert not client.login(username=engineer.user.username, password="a-long-password-1")
    admin_post = client.post("/admin/login/", {"username": engineer.user.username, "password": "a-long-password-1"})
    assert admin_post.status_code == 200 and logged_in_as(client) is None
    sso_login(client, sso, Person(sub="idp-hal", email="hal@example.com"))
    assert logged_in_as(client) is not None


def test_both_logins_offered_by_default(sso):
    content = Client().get("/accounts/login/").content
    assert b"Sign in with SSO" in content and b'name="password"' in content


@pytest.mark.login_lockout
def test_failed_sso_logins_do_not_lock_out_the_next_person(sso, settings):
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        sso_login(Client(), sso, Person(sub=f"idp-x{n}", email=f"x{n}@example.com"), forge="wrong_nonce")
    client = Client()
    sso_login(client, sso, Person(sub="idp-ok", email="ok@example.com"))
    assert logged_in_as(client) is not None
