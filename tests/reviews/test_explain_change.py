"""explain_change prints what the change page shows, as text or JSON."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.models import Change


@pytest.fixture
def change(db, make_engineer, work_repo):
    make_engineer(4, username="jun", email="jun@example.com")
    make_engineer(6, username="sen", email="sen@example.com")
    work_repo.commit({"app/a.py": "a = 1\n"}, "base", author="Sen <sen@example.com>")
    work_repo.branch("feature/x")
    work_repo.commit(
        {"app/b.py": "b = 2\n"},
        "Add b\n\nCo-authored-by: Claude <noreply@anthropic.com>",
        author="Jun <jun@example.com>",
    )
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository_import(repository=repository)
    opened = Change.objects.get(state=Change.State.OPEN)
    change_pull_diff(change_id=opened.pk)
    opened.refresh_from_db()
    return opened


def test_text_output_names_rules_missing_items_gates_risk_and_ai_evidence(change):
    out = io.StringIO()

    call_command("explain_change", "acme/shop", change.head_sha[:10], stdout=out)

    text = out.getvalue()
    assert "ai-assisted-junior-or-mid" in text
    assert "still needed: attestation missing" in text
    assert "secrets" in text and "size" in text
    assert f"Risk {change.risk_score:.2f}" in text
    assert "Estimated review time:" in text
    assert "noreply@anthropic.com" in text


def test_json_output_matches_the_stored_decision(change):
    out = io.StringIO()

    call_command("explain_change", "acme/shop", change.head_sha, "--json", stdout=out)

    data = json.loads(out.getvalue())
    assert data["policy"]["required_sign_offs"] == 1
    assert data["policy"]["missing"] == change.policy_missing
    assert {g["name"] for g in data["gates"]} >= {"secrets", "size", "tests"}
    assert data["risk"]["score"] == change.risk_score
    assert data["ai"]["assisted"] is True
    assert data["estimated_review_minutes"] == change.review_minutes


@pytest.mark.parametrize("sha", ["deadbeef00", "zzzzzzz", "abc"])
def test_unknown_or_malformed_sha_is_a_clear_error(change, sha):
    with pytest.raises(CommandError, match="no change"):
        call_command("explain_change", "acme/shop", sha)


def test_external_id_works_too(change):
    out = io.StringIO()

    call_command("explain_change", "acme/shop", "branch:feature/x", stdout=out)

    assert change.head_sha in out.getvalue()
