"""The author's own declaration of AI assistance, and what the policy makes of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.models import AuditEvent, Change
from reviews.services.signoff import change_declare_ai


@pytest.fixture
def open_change(db, make_engineer, work_repo):
    author = make_engineer(4, username="jun", email="jun@example.com")
    make_engineer(6, username="sen", email="sen@example.com")
    work_repo.commit({"a.py": "1\n"}, "base", author="Sen <sen@example.com>")
    work_repo.branch("feature/plain")
    work_repo.commit({"b.py": "2\n"}, "Add b", author="Jun <jun@example.com>")
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository_import(repository=repository)
    change = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=change.pk)
    change.refresh_from_db()
    return change, author


def test_undetected_change_declared_ai_assisted_needs_attestation_and_a_senior(open_change):
    change, author = open_change
    assert not change.ai_assisted and change.review_state == Change.ReviewState.NOT_REQUIRED

    change_declare_ai(change=change, engineer=author, declared=True)

    change.refresh_from_db()
    assert change.ai_assisted and change.ai_declared is True and not change.ai_undeclared
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION
    assert AuditEvent.objects.filter(action="change.ai_declared").exists()


def test_detected_but_declared_not_ai_is_flagged_and_still_ai_assisted(open_change):
    change, author = open_change
    Change.objects.filter(pk=change.pk).update(
        ai_evidence=["trailer Co-Authored-By: Claude <noreply@anthropic.com>"], ai_confidence=0.95
    )
    change.refresh_from_db()

    change_declare_ai(change=change, engineer=author, declared=False)

    change.refresh_from_db()
    assert change.ai_assisted and change.ai_undeclared


def test_only_the_author_may_declare(open_change, make_engineer, client):
    change, _ = open_change
    other = make_engineer(6)
    client.force_login(other.user)

    response = client.post(reverse("reviews:change-declare-ai", args=[change.pk]), {"ai_assisted": "yes"})

    assert response.status_code == 403
    change.refresh_from_db()
    assert change.ai_declared is None


def test_declaration_form_rejects_other_values(open_change, client):
    change, author = open_change
    client.force_login(author.user)

    response = client.post(reverse("reviews:change-declare-ai", args=[change.pk]), {"ai_assisted": "maybe"})

    assert response.status_code == 400


def test_author_declares_from_the_change_page(open_change, client):
    change, author = open_change
    client.force_login(author.user)

    response = client.post(reverse("reviews:change-declare-ai", args=[change.pk]), {"ai_assisted": "yes"})

    assert response.status_code == 302
    page = client.get(reverse("reviews:change-detail", args=[change.pk])).content.decode()
    assert "declared this change <strong>AI-assisted</strong>" in page
