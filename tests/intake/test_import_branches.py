"""Which branches of an imported repository become open changes, on histories shaped like real ones."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from intake.services.repositories import repository_import, repository_poll, repository_register
from reviews.models import AuditEvent, Change, Repository
from tests.conftest import git


def _main_line(work_repo) -> None:
    work_repo.commit({"httpx/_client.py": "client = 1\n"}, "Initial", author="Tom <tom@example.com>")
    work_repo.commit({"httpx/_client.py": "client = 2\n"}, "Tune client (#3519)", author="Kim <kim@example.com>")


def _open_branches() -> list[str]:
    return sorted(Change.objects.filter(state=Change.State.OPEN).values_list("source_branch", flat=True))


def test_branches_with_no_history_in_common_with_the_default_branch_are_not_open_changes(db, work_repo):
    # As encode/httpx: "v1" is a rewrite started as an orphan line, and work branches grow on it; neither proposes
    # a change to master (their "diff" against it would be their whole tree).
    _main_line(work_repo)
    git(work_repo.path, "checkout", "-q", "--orphan", "v1-rewrite")
    git(work_repo.path, "rm", "-q", "-r", "-f", ".")
    work_repo.commit({"src/httpx/__init__.py": "version = 1\n"}, "Initial commit", author="Tom <tom@example.com>")
    work_repo.branch("lovelydinosaur-patch-1", start="v1-rewrite")
    work_repo.commit({"src/httpx/_urls.py": "check = True\n"}, "Validate URL scheme", author="Kim <kim@example.com>")
    work_repo.branch("fix-typo", start="main")
    work_repo.commit({"httpx/_client.py": "client = 3\n"}, "fix typo", author="Kim <kim@example.com>")
    work_repo.checkout("main")

    result = repository_import(repository=repository_register(name="encode/httpx", url=str(work_repo.path)))

    assert (result.merged_created, result.open_created) == (2, 1)
    assert _open_branches() == ["fix-typo"]


def test_a_release_preparation_branch_is_not_an_open_change(db, work_repo):
    # As encode/httpx's "version-0.28.2": a version bump and changelog on a line of its own, never merged.
    _main_line(work_repo)
    work_repo.branch("version-0.28.2")
    work_repo.commit({"httpx/__version__.py": "__version__ = '0.28.2'\n"}, "Update version to 0.28.2")
    work_repo.commit({"CHANGELOG.md": "## 0.28.2\n"}, "Update CHANGELOG.md")
    work_repo.checkout("main")

    result = repository_import(repository=repository_register(name="encode/httpx", url=str(work_repo.path)))

    assert result.open_created == 0
    assert _open_branches() == []


def test_open_changes_of_branches_that_propose_nothing_are_closed_on_the_next_import(db, settings, work_repo):
    # A database imported before these branches were told apart holds them as open changes: the next import closes
    # them with the reason, and a work branch stays open.
    _main_line(work_repo)
    work_repo.branch("version-0.28.2")
    work_repo.commit({"CHANGELOG.md": "## 0.28.2\n"}, "Update CHANGELOG.md")
    work_repo.branch("fix-typo", start="main")
    work_repo.commit({"httpx/_client.py": "client = 3\n"}, "fix typo", author="Kim <kim@example.com>")
    git(work_repo.path, "checkout", "-q", "--orphan", "lovelydinosaur-patch-1")
    git(work_repo.path, "rm", "-q", "-r", "-f", ".")
    orphan = work_repo.commit({"src/httpx/_urls.py": "check = True\n"}, "Validate URL scheme")
    work_repo.checkout("main")
    settings.PORTAL_IMPORT_SKIP_BRANCHES = ["-"]
    repository = repository_register(name="encode/httpx", url=str(work_repo.path))
    repository_import(repository=repository)
    Change.objects.create(
        repository=repository,
        external_id="branch:lovelydinosaur-patch-1",
        title="Validate URL scheme",
        source_branch="lovelydinosaur-patch-1",
        head_sha=orphan,
        state=Change.State.OPEN,
        opened_at=timezone.now(),
    )
    assert _open_branches() == ["fix-typo", "lovelydinosaur-patch-1", "version-0.28.2"]

    settings.PORTAL_IMPORT_SKIP_BRANCHES = None
    result = repository_import(repository=repository)

    assert result.closed == 2
    assert _open_branches() == ["fix-typo"]
    closed = AuditEvent.objects.filter(action="change.closed").values_list("payload", flat=True)
    assert sorted(p["reason"] for p in closed) == ["not a proposed change"] * 2


def _master_only(work_repo) -> None:
    _main_line(work_repo)
    git(work_repo.path, "branch", "-q", "-m", "main", "master")


def test_a_first_import_naming_a_missing_default_branch_registers_nothing_and_names_the_branches(db, work_repo):
    # As encode/httpx imported with --default-branch main: its default branch is master.
    _master_only(work_repo)

    with pytest.raises(CommandError, match=r"no branch 'main' to import \(its branches: master\)"):
        call_command("import_git", str(work_repo.path), "--name", "encode/httpx", "--default-branch", "main")

    assert not Repository.objects.exists()
    assert not list((Path(settings.DATA_DIR) / "mirrors").glob("*.git"))
    call_command("import_git", str(work_repo.path), "--name", "encode/httpx", "--default-branch", "master")
    assert Change.objects.count() == 2


def test_a_poll_after_the_default_branch_was_renamed_records_the_error_instead_of_failing(db, work_repo):
    _main_line(work_repo)
    repository = repository_register(name="encode/httpx", url=str(work_repo.path))
    repository_import(repository=repository)
    git(work_repo.path, "branch", "-q", "-m", "main", "master")

    assert repository_poll(repository_id=repository.pk) is None

    repository.refresh_from_db()
    assert repository.last_error == "no branch 'main' to import (its branches: master)"
    assert Change.objects.count() == 2


def test_a_branch_nobody_committed_to_for_months_is_not_an_open_change(db, settings, work_repo):
    # As psf/black's "runtime" branch: last committed to in 2021, years before the default branch's latest commit.
    _main_line(work_repo)
    work_repo.branch("runtime")
    work_repo.commit({"httpx/_runtime.py": "x = 1\n"}, "Try a runtime", date="2021-03-01T10:00:00+00:00")
    work_repo.checkout("main")
    work_repo.branch("recent-work")
    work_repo.commit({"httpx/_client.py": "client = 4\n"}, "Recent work", date="2026-06-01T10:00:00+00:00")
    work_repo.checkout("main")
    out = StringIO()

    call_command("import_git", str(work_repo.path), "--name", "psf/black", stdout=out)

    assert _open_branches() == ["recent-work"]
    assert "1 stale branches left out" in out.getvalue()
    settings.PORTAL_IMPORT_STALE_BRANCH_DAYS = 0
    result = repository_import(repository=Repository.objects.get(name="psf/black"))
    assert (result.open_created, result.stale) == (1, 0)
    assert _open_branches() == ["recent-work", "runtime"]


def test_a_branch_with_an_empty_diff_waits_until_it_proposes_something(db, work_repo):
    # As a coding agent's pull request: the branch opens with an empty "Initial plan" commit, the work comes later.
    _main_line(work_repo)
    work_repo.branch("copilot/fix-timeouts")
    work_repo.commit({}, "Initial plan", author="Copilot <198982749+Copilot@users.noreply.github.com>")
    work_repo.checkout("main")
    repository = repository_register(name="encode/httpx", url=str(work_repo.path))

    assert repository_import(repository=repository).open_created == 0
    work_repo.checkout("copilot/fix-timeouts")
    work_repo.commit({"httpx/_client.py": "client = 3\n"}, "Raise the default timeout")
    work_repo.checkout("main")
    assert repository_import(repository=repository).open_created == 1
    assert Change.objects.get(source_branch="copilot/fix-timeouts").title == "Initial plan"


def _aiohttp_lines(work_repo) -> None:
    # As aio-libs/aiohttp: the release line "3.15" forked from master and took back-ports; patchback's back-port and
    # dependabot's bump for 3.15 grow on it; "fix-stall" is work on master.
    _main_line(work_repo)
    work_repo.branch("3.15")
    work_repo.commit({"CHANGES.rst": "3.15.0\n"}, "[PR #13176/6fa8f394 backport][3.15] Expose the request timeout")
    work_repo.branch("patchback/backports/3.15/0b6c9170/pr-13514", start="3.15")
    work_repo.commit({"aiohttp/client.py": "x = 1\n"}, "[PR #13514/0b6c9170 backport][3.15] Fix a leak")
    work_repo.branch("dependabot/pip/3.15/idna-3.19", start="3.15")
    work_repo.commit({"requirements/base.txt": "idna==3.19\n"}, "Bump idna from 3.18 to 3.19")
    work_repo.branch("fix-stall", start="main")
    work_repo.commit({"httpx/_client.py": "client = 3\n"}, "Fix 2 flow control stalls")
    work_repo.checkout("main")


def test_release_lines_and_the_branches_built_on_them_are_not_open_changes(db, work_repo):
    _aiohttp_lines(work_repo)
    out = StringIO()

    call_command("import_git", str(work_repo.path), "--name", "aio-libs/aiohttp", stdout=out)

    assert _open_branches() == ["fix-stall"]
    assert "2 branches of release lines left out" in out.getvalue()


def test_open_changes_of_back_port_branches_imported_before_are_closed(db, settings, work_repo):
    _aiohttp_lines(work_repo)
    settings.PORTAL_IMPORT_SKIP_BRANCHES = ["-"]  # as before release lines were told apart: every branch a proposal
    repository = repository_register(name="aio-libs/aiohttp", url=str(work_repo.path))
    repository_import(repository=repository)
    assert len(_open_branches()) == 4

    settings.PORTAL_IMPORT_SKIP_BRANCHES = None
    result = repository_import(repository=repository)

    assert (result.closed, result.off_release_line) == (3, 2)
    assert _open_branches() == ["fix-stall"]
