"""The outbox worker's service against the fake hosts: what is written, once, and how failures are handled."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from hostsync.services.push import change_push
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, GateResult, HostConnection, HostSyncState


def _mark(change: Change, reason: str = "test") -> None:
    with transaction.atomic():
        host_sync_mark(change_id=change.pk, reason=reason)


def _set_state(change: Change, state: str) -> None:
    Change.objects.filter(pk=change.pk).update(review_state=state)
    _mark(change)


def test_pending_change_gets_an_in_progress_check_and_one_summary_comment(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)

    result = change_push(change_id=change.pk)

    assert result.outcome == "sent" and not fake_github.violations
    run = fake_github.shown(change.head_sha)
    assert run["status"] == "in_progress" and run["external_id"] == str(change.pk)
    assert run["output"]["title"] == "Needs 1 senior sign-off: AI-assisted change by an L3 author"
    assert run["details_url"] == "https://countersign.example" + reverse("reviews:change-detail", args=[change.pk])
    assert len(fake_github.comments) == 1
    row = HostSyncState.objects.get(pk=change.pk)
    assert (row.sent_state, row.is_dirty, row.check_run_id) == ("pending", False, run["id"])


def test_sign_off_completes_the_same_check_run_and_edits_the_comment_in_place(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    change_push(change_id=change.pk)
    _set_state(change, "approved")

    change_push(change_id=change.pk)

    run = fake_github.shown(change.head_sha)
    assert (run["status"], run["conclusion"]) == ("completed", "success")
    assert len(fake_github.check_runs) == 1 and len(fake_github.comments) == 1
    assert "Signed off" in next(iter(fake_github.comments.values()))["body"]
    assert len(fake_github.writes("PATCH", "/issues/comments/")) == 1
    assert not fake_github.violations


@pytest.mark.parametrize(
    ("state", "conclusion"),
    [("changes_requested", "failure"), ("gates_failed", "failure"), ("not_required", "neutral")],
)
def test_each_review_state_has_its_conclusion(gh_repo, fake_github, make_change, state, conclusion):
    change = make_change(gh_repo, review_state=state)
    change_push(change_id=change.pk)
    assert fake_github.shown(change.head_sha)["conclusion"] == conclusion
    assert not fake_github.violations


def test_an_unchanged_state_is_not_written_twice(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    change_push(change_id=change.pk)
    before = len(fake_github.writes())
    _mark(change, "assigned")  # a mark whose desired state is the same

    assert change_push(change_id=change.pk).outcome == "nothing to do"
    assert len(fake_github.writes()) == before


def test_more_than_fifty_annotations_go_in_batches_of_fifty(gh_repo, fake_github, make_change):
    change = make_change(gh_repo, review_state="gates_failed")
    change.files.create(path="app/keys.py", status="modified")
    details = [f"app/keys.py:{n}: AWS key (AKIA****)" for n in range(1, 121)]
    GateResult.objects.create(
        change=change, head_sha=change.head_sha, name="secrets", status="fail", message="120 secrets", details=details
    )

    change_push(change_id=change.pk)

    run = fake_github.shown(change.head_sha)
    assert len(run["annotations"]) == 120 and {a["annotation_level"] for a in run["annotations"]} == {"failure"}
    assert len(fake_github.writes(pattern="/check-runs")) == 3  # create with 50, then 50 and 20
    assert not fake_github.violations


def test_the_jwt_is_exchanged_once_and_the_installation_token_reused(gh_repo, fake_github, make_change):
    for change in [make_change(gh_repo) for _ in range(3)]:
        change_push(change_id=change.pk)
    assert fake_github.token_exchanges == 1 and not fake_github.violations


def test_a_lost_comment_id_finds_the_comment_by_its_marker(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    change_push(change_id=change.pk)
    HostSyncState.objects.filter(pk=change.pk).update(comment_id=None, comment_fingerprint="")
    _set_state(change, "approved")

    change_push(change_id=change.pk)

    assert len(fake_github.comments) == 1 and "Signed off" in next(iter(fake_github.comments.values()))["body"]


def test_a_token_alone_writes_a_commit_status_with_a_short_description(gh_repo, fake_github, make_change):
    HostConnection.objects.filter(repository=gh_repo).update(installation_id=None)
    gh_repo.api_token = fake_github.pat
    gh_repo.save()
    change = make_change(gh_repo)

    change_push(change_id=change.pk)

    (status,) = fake_github.statuses[change.head_sha]
    assert (status["state"], status["context"]) == ("pending", "countersign/sign-off")
    assert len(status["description"]) <= 140 and not fake_github.check_runs and not fake_github.violations


def test_host_down_backs_off_and_records_the_error(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    fake_github.switch.down = True

    result = change_push(change_id=change.pk)

    row = HostSyncState.objects.get(pk=change.pk)
    assert result.outcome == "waiting" and result.retry_in > 0
    assert row.is_dirty and row.attempts == 1 and row.next_attempt_at and "502" in row.last_error
    assert change_push(change_id=change.pk).outcome == "nothing to do"  # not due yet


def test_rate_limit_pauses_the_repository_until_the_reset(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    fake_github.switch.rate_limited_for = 30

    result = change_push(change_id=change.pk)

    connection = HostConnection.objects.get(repository=gh_repo)
    assert result.outcome == "waiting" and result.retry_in >= 25
    assert connection.paused_until is not None and connection.rate_limit_remaining == 0


def test_removed_installation_disconnects_the_repository_without_retrying(gh_repo, fake_github, make_change):
    change = make_change(gh_repo)
    fake_github.switch.removed_installations.add(77)

    assert change_push(change_id=change.pk).outcome == "disconnected"

    connection = HostConnection.objects.get(repository=gh_repo)
    assert connection.disconnected_at is not None
    row = HostSyncState.objects.get(pk=change.pk)
    assert row.next_attempt_at is None and row.attempts == 0
    from hostsync.services.push import due_changes

    assert change.pk not in due_changes()


def test_gitlab_gets_a_status_a_note_and_the_external_check_answer(gl_repo, fake_gitlab, make_change):
    fake_gitlab.external_checks = [{"id": 5, "name": "Countersign sign-off"}, {"id": 6, "name": "Security scan"}]
    change = make_change(gl_repo)
    change_push(change_id=change.pk)
    _set_state(change, "approved")
    change_push(change_id=change.pk)

    assert fake_gitlab.shown(change.head_sha) == "success"
    assert [r["status"] for r in fake_gitlab.check_responses] == ["pending", "passed"]
    assert {r["external_status_check_id"] for r in fake_gitlab.check_responses} == {5}
    assert len(fake_gitlab.notes) == 1 and "Signed off" in next(iter(fake_gitlab.notes.values()))["body"]
    assert not fake_gitlab.violations


def test_closed_changes_are_not_written(gh_repo, fake_github, make_change):
    change = make_change(gh_repo, state="merged")
    assert change_push(change_id=change.pk).outcome == "nothing to do"
    assert not fake_github.writes()


def test_reconcile_repairs_a_deleted_status_and_writes_a_change_never_written(gh_repo, fake_github, make_change):
    from hostsync.services.reconcile import reconcile

    HostConnection.objects.filter(repository=gh_repo).update(installation_id=None)
    gh_repo.api_token = fake_github.pat
    gh_repo.save()
    written = make_change(gh_repo)
    change_push(change_id=written.pk)
    fake_github.statuses.clear()  # someone deleted it (or the host lost it)
    never = make_change(gh_repo, mark=False)

    counts = reconcile()

    assert counts["drift"] == 1 and counts["missing"] == 1
    assert HostSyncState.objects.get(pk=written.pk).is_dirty and HostSyncState.objects.get(pk=never.pk).is_dirty
    change_push(change_id=written.pk)
    assert fake_github.statuses[written.head_sha][-1]["state"] == "pending"


def test_reconcile_leaves_a_host_that_shows_the_wanted_state_alone(gh_repo, fake_github, make_change):
    from hostsync.services.reconcile import reconcile

    change = make_change(gh_repo)
    change_push(change_id=change.pk)
    assert reconcile()["drift"] == 0 and not HostSyncState.objects.get(pk=change.pk).is_dirty


def test_a_mark_rolls_back_with_the_change_of_state(gh_repo, make_change):
    change = make_change(gh_repo)
    before = HostSyncState.objects.get(pk=change.pk).generation
    with pytest.raises(RuntimeError), transaction.atomic():
        host_sync_mark(change_id=change.pk, reason="verdict")
        raise RuntimeError("the verdict failed")
    assert HostSyncState.objects.get(pk=change.pk).generation == before


def test_plain_git_repositories_are_never_marked(db, make_change):
    from reviews.models import Repository

    repository = Repository.objects.create(name="local/shop", provider="git", clone_url="/srv/git/shop.git")
    change = make_change(repository)
    assert not HostSyncState.objects.filter(pk=change.pk).exists()
