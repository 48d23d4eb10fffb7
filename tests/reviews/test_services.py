"""Intake, diff, policy, assignment and sign-off services on real git repositories and PostgreSQL."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from reviews.audit import NotAllowed, ServiceError
from reviews.models import Assignment, AuditEvent, Change, Review
from reviews.services.ledger import ledger_verify
from reviews.services.signoff import change_attest, review_submit
from tests.conftest import git

AI_TRAILER = "\n\nCo-authored-by: Claude <noreply@anthropic.com>"


@pytest.fixture
def people(make_engineer):
    return {
        "junior": make_engineer(4, username="jun", email="jun@example.com"),
        "senior": make_engineer(6, username="sen", email="sen@example.com"),
        "busy": make_engineer(7, username="busy", email="busy@example.com"),
    }


def _history(work_repo):
    work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import", author="Sen <sen@example.com>")
    work_repo.commit({"app/core.py": "a = 2\n"}, "Tune a" + AI_TRAILER, author="Jun <jun@example.com>")
    work_repo.branch("feature/jun-widget")
    work_repo.commit(
        {"app/widget.py": "def widget():\n    return 1\n"}, "Add widget" + AI_TRAILER, author="Jun <jun@example.com>"
    )
    work_repo.checkout("main")


def _import(work_repo):
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    result = repository_import(repository=repository)
    for change_id in Change.objects.values_list("pk", flat=True):
        change_pull_diff(change_id=change_id)
    return repository, result


def test_import_records_history_as_merged_and_branches_as_open(db, people, work_repo):
    _history(work_repo)

    repository, result = _import(work_repo)

    assert (result.merged_created, result.open_created) == (2, 1)
    merged = Change.objects.filter(state=Change.State.MERGED).order_by("pk")
    assert [c.title for c in merged] == ["Initial import", "Tune a"]
    assert merged[1].author == people["junior"]
    opened = Change.objects.get(state=Change.State.OPEN)
    assert opened.source_branch == "feature/jun-widget"
    assert opened.files.get().path == "app/widget.py"
    assert (opened.lines_added, opened.lines_removed) == (2, 0)


def test_importing_twice_adds_nothing(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)

    result = repository_import(repository=repository_register(name="acme/shop", url=str(work_repo.path)))

    assert (result.merged_created, result.open_created, result.open_updated) == (0, 0, 0)
    assert Change.objects.count() == 3


def test_import_git_command_rejects_a_missing_repository(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_git", str(tmp_path / "nowhere"), "--name", "x/y")


def test_import_git_command_refuses_a_disallowed_protocol(db):
    with pytest.raises(CommandError, match="not allowed"):
        call_command("import_git", "ext::sh -c touch% /tmp/pwned", "--name", "x/y")
    with pytest.raises(CommandError, match="not allowed"):
        call_command("import_git", "ssh://git@example.com/x.git", "--name", "x/y")


def test_ai_assisted_junior_change_waits_for_attestation_then_goes_to_a_senior(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)

    assert change.ai_assisted
    assert change.ai_evidence == ["trailer Co-Authored-By: Claude <noreply@anthropic.com>"]
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION
    assert not change.assignments.exists()

    change_attest(change=change, engineer=people["junior"], note="read it all")

    change.refresh_from_db()
    assignment = change.assignments.get()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert assignment.reviewer in (people["senior"], people["busy"])
    assert "of weekly capacity used" in assignment.reason or "weekly capacity" in " ".join(assignment.reasons)


def test_assignment_prefers_the_senior_with_less_open_load(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    other = Change.objects.filter(state=Change.State.MERGED).first()
    Assignment.objects.create(change=other, reviewer=people["senior"], reason="x", estimated_minutes=200)

    change_attest(change=change, engineer=people["junior"])

    assert change.assignments.get().reviewer == people["busy"]


def test_nobody_is_assigned_their_own_change(db, make_engineer, work_repo):
    only_senior = make_engineer(6, username="solo", email="solo@example.com")
    work_repo.commit({"a.py": "1\n"}, "base", author="Solo <solo@example.com>")
    work_repo.branch("feature/solo")
    work_repo.commit({"payments/a.py": "2\n"}, "touch payments", author="Solo <solo@example.com>")
    repository = repository_register(name="acme/shop", url=str(work_repo.path))
    repository.sensitive_paths = ["payments/**"]
    repository.save()
    repository_import(repository=repository)
    change = Change.objects.get(state=Change.State.OPEN)

    change_pull_diff(change_id=change.pk)

    change.refresh_from_db()
    assert change.requires_owner
    assert not change.assignments.filter(reviewer=only_senior).exists()


def test_author_cannot_sign_off_own_change(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)

    with pytest.raises(NotAllowed, match="own change"):
        review_submit(
            change=change, reviewer=people["junior"], verdict="approve", head_sha=change.head_sha, seconds_spent=60
        )
    assert not Review.objects.exists()


def test_non_senior_cannot_sign_off(db, people, make_engineer, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    mid = make_engineer(5)

    with pytest.raises(NotAllowed, match="senior"):
        review_submit(change=change, reviewer=mid, verdict="approve", head_sha=change.head_sha, seconds_spent=9)


def test_sign_off_is_recorded_in_the_hash_chained_ledger(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    change_attest(change=change, engineer=people["junior"])
    reviewer = change.assignments.get().reviewer

    review = review_submit(
        change=change, reviewer=reviewer, verdict="approve", head_sha=change.head_sha, seconds_spent=95
    )

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED
    assert review.seconds_spent == 95 and review.head_sha == change.head_sha
    assert change.assignments.get().state == Assignment.State.DONE
    events = list(AuditEvent.objects.order_by("id"))
    assert events[-1].hash == review.ledger_hash
    assert ledger_verify().is_intact


def test_a_new_revision_dismisses_the_approval_and_lapses_the_attestation(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    change_attest(change=change, engineer=people["junior"])
    reviewer = change.assignments.get().reviewer
    review_submit(change=change, reviewer=reviewer, verdict="approve", head_sha=change.head_sha, seconds_spent=80)
    work_repo.checkout("feature/jun-widget")
    work_repo.commit(
        {"app/widget.py": "def widget():\n    return 2\n"}, "Fix widget" + AI_TRAILER, author="Jun <jun@example.com>"
    )

    result = repository_import(repository=change.repository)
    change_pull_diff(change_id=change.pk)

    change.refresh_from_db()
    assert result.open_updated == 1
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION
    with pytest.raises(ServiceError, match="newer revision"):
        review_submit(
            change=change, reviewer=reviewer, verdict="approve", head_sha=Review.objects.get().head_sha, seconds_spent=5
        )


def test_pull_diff_is_idempotent(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    files_before = list(change.files.values_list("pk", flat=True))

    change_pull_diff(change_id=change.pk)

    assert list(change.files.values_list("pk", flat=True)) == files_before


def test_pull_diff_of_a_missing_change_does_nothing(db):
    assert change_pull_diff(change_id=987654) is None


def test_register_refuses_unsafe_default_branch(db, work_repo):
    with pytest.raises(ServiceError):
        repository_register(name="x/y", url=str(work_repo.path), default_branch="--upload-pack=evil")


def test_a_merged_branch_lands_its_change_instead_of_adding_the_merge_commit(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    work_repo.checkout("main")
    from tests.conftest import git

    ident = {"GIT_AUTHOR_NAME": "Sen", "GIT_AUTHOR_EMAIL": "sen@example.com"}
    ident |= {"GIT_COMMITTER_NAME": "Sen", "GIT_COMMITTER_EMAIL": "sen@example.com"}
    git(work_repo.path, "merge", "--no-ff", "-q", "-m", "Merge feature/jun-widget", "feature/jun-widget", env=ident)
    merge_sha = git(work_repo.path, "rev-parse", "HEAD")

    result = repository_import(repository=change.repository)

    change.refresh_from_db()
    assert result.merged_created == 0
    assert (change.state, change.merge_sha) == (Change.State.MERGED, merge_sha)
    assert not Change.objects.filter(external_id=merge_sha).exists()


def test_a_deleted_branch_closes_its_change_and_cancels_the_assignment(db, people, work_repo):
    _history(work_repo)
    _import(work_repo)
    change = Change.objects.get(state=Change.State.OPEN)
    change_attest(change=change, engineer=people["junior"])
    from tests.conftest import git

    git(work_repo.path, "branch", "-D", "feature/jun-widget")
    repository_import(repository=change.repository)

    change.refresh_from_db()
    assert change.state == Change.State.CLOSED
    assert not change.assignments.filter(state="active").exists()


def test_import_survives_a_source_missing_a_blob_and_fails_only_the_changes_that_need_it(db, people, work_repo):
    work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import", author="Sen <sen@example.com>")
    lost = work_repo.commit({"app/lost.py": "print('only here')\n"}, "Add lost", author="Jun <jun@example.com>")
    work_repo.commit({"app/core.py": "a = 2\n"}, "Tune a", author="Jun <jun@example.com>")
    blob = git(work_repo.path, "rev-parse", f"{lost}:app/lost.py")
    (work_repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a corrupt source mirror

    repository, result = _import(work_repo)

    assert result.merged_created == 3
    changes = {c.title: c for c in Change.objects.filter(repository=repository)}
    assert changes["Add lost"].diff_state == Change.DiffState.FAILED
    assert changes["Add lost"].diff_error  # the reason git gave, kept on the change
    assert {changes["Initial import"].diff_state, changes["Tune a"].diff_state} == {Change.DiffState.DONE}
    assert changes["Tune a"].files.get().path == "app/core.py"
