"""An admin edits a rule in the policy editor, previews it on the last 30 days, publishes it with a reason, and reads
the new rule as a sentence in the history."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from reviews.models import AuditEvent, PolicyVersion
from tests.assignment.whatif_history import build

pytestmark = pytest.mark.browser

PASSWORD = "pw-for-tests-only"
SENTENCE = "AI-assisted changes by L3–L4 authors touching app/** need 1 senior sign-off and the author's attestation."


def test_an_admin_edits_previews_and_publishes_a_rule(
    live_server, page: Page, transactional_db, make_engineer, django_user_model
):
    build(make_engineer, end=timezone.now())
    django_user_model.objects.create_user(username="root", password=PASSWORD, is_staff=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/policy/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/policy/")

    page.get_by_role("button", name="Edit the policy (new draft)").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Policy draft \d+$"))).to_be_visible()
    page.get_by_label("Edit rule 1").click()
    page.get_by_label("Author level at most").fill("4")
    page.get_by_label("Paths").fill("app/**x")
    page.get_by_role("button", name="Save in the draft").click()
    expect(page.get_by_role("alert")).to_contain_text("Line 1: May use ** only as a whole segment")
    page.get_by_label("Paths").fill("app/**")
    page.get_by_role("button", name="Save in the draft").click()

    expect(page.locator("#changes")).to_contain_text(SENTENCE)
    page.get_by_role("link", name="Preview on the last 30 days").click()
    row = page.locator("tr", has_text=SENTENCE)
    expect(row).to_contain_text("1")  # June's AI-assisted change to app/cache.py
    expect(page.get_by_text("The 4 changes opened from")).to_be_visible()

    page.get_by_role("link", name="Back to the draft to publish").click()
    page.get_by_role("button", name="Publish as v2").click()  # no reason: the browser asks for one first
    expect(page).to_have_url(re.compile(r"/policy/drafts/\d+/(#changes)?$"))
    page.get_by_label("Why the policy changes").fill("mids review their own AI-assisted app changes")
    page.get_by_role("button", name="Publish as v2").click()

    expect(page).to_have_url(f"{live_server.url}/policy/v2/")
    expect(page.locator("#changes")).to_contain_text(SENTENCE)
    page.get_by_role("link", name="Policy", exact=True).first.click()
    history = page.locator("table.history")
    expect(history).to_contain_text("mids review their own AI-assisted app changes")
    expect(page.locator("ol.rules")).to_contain_text(SENTENCE)
    assert PolicyVersion.objects.get(number=2).created_by.username == "root"
    assert AuditEvent.objects.get(action="policy.published").payload["reason"] == (
        "mids review their own AI-assisted app changes"
    )
