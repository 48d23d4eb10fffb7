"""Agent-opened changes and AI review bots, through the webhook: accounts as data, findings never a sign-off."""
# ruff: noqa: F811 - the webhook tests' fixtures are imported and used by name

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from intake.ai_detection import DEFAULT_VOCABULARY
from intake.selectors import ai_vocabulary
from policy.services.evaluation import change_reevaluate
from reviews.models import AiFinding, AiVocabularyEntry, AuditEvent, Change, Delivery, Review
from tests.intake.test_webhooks import (  # noqa: F401 - fixtures used by name
    HEAD1,
    _broker_and_secrets,
    ada,
    grace,
    load,
    opened,
    post_github,
    shop,
)

BOT_SUMMARY = "**Actionable comments posted: 2**\n\n`src/pay.py`: the retry loop never ends when the gateway times out."


def bot_review(
    login: str = "coderabbitai[bot]", *, review_id: int = 900001, state: str = "commented", body=BOT_SUMMARY
):
    payload = load("github/pull_request_review.approved.json")
    payload["review"].update({"id": review_id, "state": state, "body": body})
    payload["review"]["user"]["login"] = login
    return payload


def test_the_seeded_table_is_the_built_in_vocabulary(db):
    # The data migration seeds every default (run again here: a transactional test elsewhere may have flushed it);
    # the selector reads them back as detection's own defaults.
    AiVocabularyEntry.objects.all().delete()
    importlib.import_module("reviews.migrations.0018_seed_ai_vocabulary").seed(django_apps, None)
    importlib.import_module("reviews.migrations.0020_more_ai_addresses").seed(django_apps, None)

    assert AiVocabularyEntry.objects.filter(kind="agent_account", value="copilot-swe-agent[bot]").exists()
    seeded = ai_vocabulary()
    for name in ("domains", "address_globs", "tool_names", "tool_keys", "agent_accounts", "ai_reviewers"):
        assert set(getattr(seeded, name)) == set(getattr(DEFAULT_VOCABULARY, name)), name


def test_an_empty_table_means_the_built_in_vocabulary(db):
    AiVocabularyEntry.objects.all().delete()

    assert ai_vocabulary() == DEFAULT_VOCABULARY


def test_the_admin_adds_and_retires_entries(db):
    # From the seeded defaults (a transactional test elsewhere may have flushed the migration's rows).
    AiVocabularyEntry.objects.all().delete()
    importlib.import_module("reviews.migrations.0018_seed_ai_vocabulary").seed(django_apps, None)
    AiVocabularyEntry.objects.create(kind="ai_reviewer", value="  Acme-Review[bot] ")
    AiVocabularyEntry.objects.filter(kind="agent_account", value="cursor[bot]").update(is_active=False)

    vocabulary = ai_vocabulary()

    assert "acme-review[bot]" in vocabulary.ai_reviewers
    assert "cursor[bot]" not in vocabulary.agent_accounts
    assert "copilot-swe-agent[bot]" in vocabulary.agent_accounts


@pytest.mark.parametrize(
    ("login", "agent"),
    [
        ("copilot-swe-agent[bot]", True),
        ("devin-ai-integration[bot]", True),
        ("Cursor[bot]", True),
        ("ada-lovelace", False),
        ("coderabbitai[bot]", False),  # reviews, never opens
        ("dependabot[bot]", False),
    ],
)
def test_a_pull_request_opened_by_an_agent_account_is_agent_opened(client, shop, login, agent):
    change = opened(client, user={"login": login, "id": 198982749, "type": "Bot"})

    assert change.opener_login == login
    assert change.agent_opened is agent


def test_an_agent_account_added_by_the_admin_is_recognised(client, shop):
    AiVocabularyEntry.objects.create(kind="agent_account", value="acme-agent[bot]")

    assert opened(client, user={"login": "acme-agent[bot]", "id": 5, "type": "Bot"}).agent_opened is True


def test_an_agent_opened_change_needs_two_human_sign_offs_under_the_default_policy(client, shop):
    change = opened(client, user={"login": "copilot-swe-agent[bot]", "id": 198982749, "type": "Bot"})

    change = change_reevaluate(change=change)

    assert change.required_sign_offs == 2
    assert "agent-opened" in change.policy_rules
    assert any("opened by an AI agent's own account needs 2 senior sign-offs" in r for r in change.policy_reasons)


@pytest.mark.parametrize("login", ["coderabbitai[bot]", "copilot-pull-request-reviewer[bot]"])
def test_an_ai_review_bot_approval_is_a_finding_never_a_sign_off(client, shop, ada, grace, login):
    change = opened(client)

    response = post_github(client, "pull_request_review", bot_review(login, state="approved"))

    assert response.status_code == 202
    delivery = Delivery.objects.get(event="pull_request_review")
    assert delivery.status == Delivery.Status.PROCESSED
    assert delivery.error == "AI reviewer: recorded as a finding, never a sign-off"
    assert not Review.objects.exists()
    finding = AiFinding.objects.get()
    assert (finding.change, finding.account, finding.verdict) == (change, login, "approved")
    assert (finding.body, finding.head_sha, finding.is_open) == (BOT_SUMMARY, HEAD1, True)
    assert AuditEvent.objects.filter(action="change.ai_finding").count() == 1


def test_an_ai_review_bot_mapped_to_an_engineer_still_never_signs_off(client, shop, ada, make_engineer):
    make_engineer(8, username="rabbit", github_login="coderabbitai[bot]")
    opened(client)

    post_github(client, "pull_request_review", bot_review(state="approved"))

    assert not Review.objects.exists()
    assert AiFinding.objects.count() == 1


def test_the_same_bot_review_delivered_twice_is_one_finding(client, shop):
    opened(client)

    post_github(client, "pull_request_review", bot_review())
    post_github(client, "pull_request_review", bot_review())

    assert AiFinding.objects.count() == 1


def test_a_dismissal_on_the_host_resolves_the_finding(client, shop):
    opened(client)
    post_github(client, "pull_request_review", bot_review())
    dismissed = bot_review(state="dismissed")
    dismissed["action"] = "dismissed"

    post_github(client, "pull_request_review", dismissed)

    finding = AiFinding.objects.get()
    assert finding.resolved_at is not None
    assert finding.resolution == "dismissed on the git host"


def test_a_finding_shows_on_the_change_page_until_a_person_resolves_it(client, shop, ada, grace):
    change = opened(client)
    post_github(client, "pull_request_review", bot_review())
    page = reverse("reviews:change-detail", args=[change.pk])
    finding = AiFinding.objects.get()
    resolve = reverse("reviews:change-resolve-ai-finding", args=[change.pk, finding.pk])

    client.force_login(grace.user)
    html = client.get(page).content.decode()
    assert "AI reviewer findings" in html and "the retry loop never ends" in html

    response = client.post(resolve, {"note": "fixed in the next push"})

    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.resolved_by, finding.resolution) == (grace, "fixed in the next push")
    html = client.get(page).content.decode()
    assert "the retry loop never ends" not in html
    assert "resolved by" in html
    assert client.post(resolve).status_code == 302  # already resolved: a message, nothing changes
    assert AuditEvent.objects.filter(action="change.ai_finding_resolved").count() == 1


def test_only_a_senior_or_the_author_resolves_a_finding(client, shop, ada, make_engineer):
    change = opened(client)
    post_github(client, "pull_request_review", bot_review())
    finding = AiFinding.objects.get()
    resolve = reverse("reviews:change-resolve-ai-finding", args=[change.pk, finding.pk])
    client.force_login(make_engineer(4, username="mid").user)

    assert client.post(resolve).status_code == 403
    assert client.post(reverse("reviews:change-resolve-ai-finding", args=[change.pk, 999999])).status_code == 404
    client.force_login(make_engineer(6, username="sen").user)  # allowed, but the note is too long
    assert client.post(resolve, {"note": "x" * 501}).status_code == 400
    finding.refresh_from_db()
    assert finding.is_open


def test_an_agent_opened_change_says_so_on_its_page(client, shop, grace):
    change = opened(client, user={"login": "copilot-swe-agent[bot]", "id": 198982749, "type": "Bot"})
    client.force_login(grace.user)

    html = client.get(reverse("reviews:change-detail", args=[change.pk])).content.decode()

    assert "Opened by an AI agent's own account (<code>copilot-swe-agent[bot]</code>)" in html
    assert Change.objects.get(pk=change.pk).agent_opened
