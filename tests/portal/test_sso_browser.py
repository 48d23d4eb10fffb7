"""In Chromium: with password login off, the login page offers only SSO, and one click through the provider logs in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from reviews.models import Engineer
from sso import discovery
from tests.portal.oidc_provider import Person, Provider

pytestmark = pytest.mark.browser


def test_sign_in_with_sso_in_the_browser(transactional_db, live_server, settings, page: Page):
    provider = Provider().start()
    try:
        settings.PORTAL_OIDC_ENABLED = True
        settings.PORTAL_OIDC_ISSUER = provider.url
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = None
        settings.OIDC_RP_CLIENT_ID = provider.client_id
        settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
        settings.PORTAL_OIDC_GROUP_MAP = "eng-payments=team:payments, eng-senior=level:6"
        settings.PORTAL_PASSWORD_LOGIN = False
        settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "sso.backend.SsoBackend"]
        discovery.clear()
        provider.user = Person(
            sub="idp-rio", email="rio@example.com", name="Rio Tan", groups=["eng-payments", "eng-senior"]
        )
        page.goto(live_server.url + "/")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
        expect(page.get_by_label("Password")).to_have_count(0)
        page.get_by_role("link", name="Sign in with SSO").click()
        expect(page).to_have_url(live_server.url + "/")
        expect(page.get_by_text("Rio Tan").first).to_be_visible()
        engineer = Engineer.objects.select_related("team").get(sso_subject="idp-rio")
        assert (engineer.team.slug, engineer.level) == ("payments", 6)
    finally:
        provider.stop()
