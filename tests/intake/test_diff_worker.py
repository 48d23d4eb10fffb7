"""The diff worker (intake.services.diffs) on real git repositories: host refs, merge bases, odd files, limits."""

from __future__ import annotations

import subprocess
import threading
import zlib

import pytest
from django.db import connection
from django.utils import timezone

from intake import gitrun
from intake.mirrors import repository_mirror
from intake.services import diffs as diffs_services
from intake.services.repositories import change_new_revision
from reviews.models import Change, Repository, Revision
from tests.conftest import WorkRepo, git

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}
LINES_200 = "".join(f"line {n}\n" for n in range(200))


def _change(repository: Repository, head_sha: str, **fields) -> Change:
    fields.setdefault("external_id", "branch:topic")
    fields.setdefault("source_branch", "topic")
    fields.setdefault("state", Change.State.OPEN)
    return Change.objects.create(
        repository=repository,
        title="Topic work",
        head_sha=head_sha,
        target_branch="main",
        opened_at=timezone.now(),
        **fields,
    )


def _pull(change: Change) -> Change:
    diffs_services.change_pull_diff(change_id=change.pk)
    change.refresh_from_db()
    return change


def _hosted_ref(work_repo: WorkRepo, ref: str, files: dict) -> tuple[str, str]:
    """A commit on main and a head reachable only through a host ref (the branch is gone, as on a fork)."""
    base = work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import")
    work_repo.branch("fork-branch")
    head = work_repo.commit(files, "Work from a fork")
    git(work_repo.path, "update-ref", ref, head)
    work_repo.checkout("main")
    git(work_repo.path, "branch", "-q", "-D", "fork-branch")
    return base, head


def _topic(work_repo: WorkRepo, base_files: dict, topic_files: dict) -> tuple[str, str]:
    base = work_repo.commit(base_files, "Base")
    work_repo.branch("topic")
    head = work_repo.commit(topic_files, "Topic work")
    work_repo.checkout("main")
    return base, head


def _git_bytes(work_repo: WorkRepo, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in the work tree and return its exact output (the conftest helper strips it)."""
    return subprocess.run(
        ["git", *args],
        input=stdin,
        cwd=work_repo.path,
        env={"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        check=True,
    ).stdout


def _raw_diff(work_repo: WorkRepo, base: str, head: str) -> bytes:
    """What `git diff` from the merge base says, computed outside the portal's wrapper."""
    return _git_bytes(work_repo, "diff", "--full-index", "--find-renames", base, head, "--")


def _patch_id(work_repo: WorkRepo, raw: bytes) -> str:
    out = _git_bytes(work_repo, "patch-id", "--stable", stdin=raw).split()
    return out[0].decode() if out else ""


@pytest.fixture
def github(db, work_repo) -> Repository:
    return Repository.objects.create(
        name="acme/shop", provider=Repository.Provider.GITHUB, clone_url=str(work_repo.path), default_branch="main"
    )


# --- host refs and merge bases ---------------------------------------------------------------------


def test_github_pull_request_head_is_fetched_from_its_pull_ref(github, work_repo):
    _, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/feature.py": "def feature():\n    return 7\n"})
    change = _change(github, head, number=7, external_id="pr:7")

    change = _pull(change)

    assert change.diff_state == Change.DiffState.DONE
    assert repository_mirror(github).resolve("refs/pull/7/head") == head
    assert [(f.path, f.status, f.lines_added) for f in change.files.all()] == [("app/feature.py", "added", 2)]


def test_gitlab_merge_request_head_is_fetched_from_its_merge_request_ref(db, work_repo):
    gitlab = Repository.objects.create(
        name="acme/shop", provider=Repository.Provider.GITLAB, clone_url=str(work_repo.path), default_branch="main"
    )
    _, head = _hosted_ref(work_repo, "refs/merge-requests/3/head", {"app/mr.py": "x = 3\n"})
    change = _change(gitlab, head, number=3, external_id="mr:3")

    change = _pull(change)

    assert change.diff_state == Change.DiffState.DONE
    assert repository_mirror(gitlab).resolve("refs/merge-requests/3/head") == head
    assert list(change.files.values_list("path", flat=True)) == ["app/mr.py"]


def test_diff_is_taken_from_the_merge_base_so_later_work_on_main_is_not_in_the_change(github, work_repo):
    base, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/feature.py": "f = 1\n"})
    work_repo.commit({"app/core.py": "a = 2\n", "app/other.py": "o = 1\n"}, "Main moves on")
    change = _change(github, head, number=7, external_id="pr:7")

    change = _pull(change)

    assert change.base_sha == base
    assert list(change.files.values_list("path", flat=True)) == ["app/feature.py"]
    assert (change.lines_added, change.lines_removed) == (1, 0)


def test_branch_that_merged_its_target_in_is_diffed_from_the_merge_base_with_all_its_commits(github, work_repo):
    work_repo.commit({"app/core.py": "a = 1\n"}, "Initial import")
    work_repo.branch("topic")
    work_repo.commit({"app/feature.py": "f = 1\n"}, "Start the feature")
    work_repo.checkout("main")
    merged = work_repo.commit({"app/core.py": "a = 2\n"}, "Main moves on")
    work_repo.checkout("topic")
    git(work_repo.path, "merge", "-q", "--no-edit", "main", env=IDENTITY)
    head = work_repo.commit({"app/feature.py": "f = 2\n"}, "Finish the feature")
    work_repo.checkout("main")
    work_repo.commit({"app/other.py": "o = 1\n"}, "Main moves on again")

    change = _pull(_change(github, head))

    assert change.base_sha == merged  # two fork points: git's merge base, not the older one
    assert list(change.files.values_list("path", flat=True)) == ["app/feature.py"]
    assert change.last_pusher_email == "ada@example.com"


@pytest.mark.parametrize(
    ("provider", "ref", "host_gives_base"),
    [
        (Repository.Provider.GITHUB, "refs/pull/7/head", True),  # base.sha: the target's tip, after it moved on
        (Repository.Provider.GITLAB, "refs/merge-requests/7/head", False),  # no base in the payload
    ],
)
def test_request_first_seen_merged_is_diffed_from_where_it_forked(db, work_repo, provider, ref, host_gives_base):
    repository = Repository.objects.create(
        name="acme/shop", provider=provider, clone_url=str(work_repo.path), default_branch="main"
    )
    fork, head = _hosted_ref(work_repo, ref, {"app/feature.py": "f = 1\n"})
    moved = work_repo.commit({"app/other.py": "o = 1\n"}, "Main moves on")
    git(work_repo.path, "merge", "-q", "--no-ff", "-m", "Merge request 7", head, env=IDENTITY)
    merge = git(work_repo.path, "rev-parse", "HEAD")
    change = _change(
        repository,
        head,
        number=7,
        external_id="pr:7",
        state=Change.State.MERGED,
        merged_at=timezone.now(),
        merge_sha=merge,
        base_sha=moved if host_gives_base else "",
    )

    change = _pull(change)

    assert change.base_sha == fork
    assert [(f.path, f.status) for f in change.files.all()] == [("app/feature.py", "added")]


# --- kinds of file ----------------------------------------------------------------------------------


def test_renamed_file_is_recorded_with_its_old_path(repository, work_repo):
    body = "".join(f"value_{n} = {n}\n" for n in range(20))
    _, head = _topic(work_repo, {"src/old_name.py": body}, {"src/old_name.py": None, "src/new_name.py": body})

    change = _pull(_change(repository, head))

    f = change.files.get()
    assert (f.path, f.old_path, f.status) == ("src/new_name.py", "src/old_name.py", "renamed")
    assert (f.lines_added, f.lines_removed) == (0, 0)


def test_binary_file_is_listed_but_not_shown(repository, work_repo):
    _, head = _topic(
        work_repo, {"README.md": "x\n"}, {"assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff"}
    )

    change = _pull(_change(repository, head))

    f = change.files.get()
    assert (f.path, f.status, f.lines_added, f.lines_removed) == ("assets/logo.png", "binary", 0, 0)
    assert "@@" not in f.patch
    assert "binary files are listed but not shown" in change.diff_error
    assert change.diff_state == Change.DiffState.DONE


def test_file_that_is_not_utf8_is_read_with_a_note_and_no_crash(repository, work_repo):
    _, head = _topic(work_repo, {"README.md": "x\n"}, {"docs/legacy.txt": "café au lait\nçà\n".encode("latin-1")})

    change = _pull(_change(repository, head))

    f = change.files.get()
    assert (f.path, f.status, f.lines_added) == ("docs/legacy.txt", "added", 2)
    assert "\ufffd" in f.patch
    assert "UTF-8" in change.diff_error
    assert change.diff_state == Change.DiffState.DONE


def test_deleted_file_counts_its_removed_lines(repository, work_repo):
    _, head = _topic(work_repo, {"README.md": "x\n", "app/gone.py": "a\nb\nc\n"}, {"app/gone.py": None})

    change = _pull(_change(repository, head))

    f = change.files.get()
    assert (f.path, f.status, f.lines_added, f.lines_removed) == ("app/gone.py", "deleted", 0, 3)
    assert (change.lines_added, change.lines_removed) == (0, 3)


def test_generated_and_vendored_files_are_counted_apart_from_authored_lines(repository, work_repo):
    lock = "".join(f'  "pkg{n}": "1.0.{n}",\n' for n in range(30))
    vendored = "".join(f"var v{n} = {n};\n" for n in range(5))
    _, head = _topic(
        work_repo,
        {"README.md": "x\n"},
        {"package-lock.json": lock, "vendor/x.js": vendored, "app/main.py": "import x\nx.run()\n"},
    )

    change = _pull(_change(repository, head))

    generated = {f.path: f.is_generated for f in change.files.all()}
    assert generated == {"app/main.py": False, "package-lock.json": True, "vendor/x.js": True}
    assert (change.lines_added, change.generated_lines, change.files_count) == (2, 35, 3)
    assert "2 generated or vendored file(s)" in change.diff_error


def test_file_names_with_spaces_and_non_ascii_letters_keep_their_real_names_and_patches(repository, work_repo):
    _, head = _topic(
        work_repo, {"README.md": "x\n"}, {"docs/release notes.md": "one\ntwo\n", "docs/café ü.md": "trois\n"}
    )

    change = _pull(_change(repository, head))

    files = {f.path: f for f in change.files.all()}
    assert set(files) == {"docs/release notes.md", "docs/café ü.md"}
    assert (files["docs/release notes.md"].lines_added, files["docs/café ü.md"].lines_added) == (2, 1)
    assert "+one" in files["docs/release notes.md"].patch
    assert "+trois" in files["docs/café ü.md"].patch


# --- limits -----------------------------------------------------------------------------------------


def test_change_over_the_line_limit_is_truncated_but_keeps_its_true_counts(repository, work_repo, settings):
    settings.PORTAL_DIFF_MAX_LINES = 50
    _, head = _topic(work_repo, {"README.md": "x\n"}, {"data/big.txt": LINES_200})

    change = _pull(_change(repository, head))

    assert change.diff_truncated is True
    assert "too large to review in full" in change.diff_error
    assert (change.lines_added, change.files_count) == (200, 1)
    assert change.files.get().patch == ""
    assert change.revisions.get().truncated is True


def test_change_over_the_byte_limit_is_cut_at_a_file_boundary_with_complete_counts(repository, work_repo, settings):
    settings.PORTAL_DIFF_MAX_BYTES = 2048
    body = "".join(f"print('a line long enough to fill the diff {n}')\n" for n in range(12))
    base, head = _topic(work_repo, {"README.md": "x\n"}, {f"app/mod{n}.py": body for n in range(5)})

    change = _pull(_change(repository, head))

    assert change.diff_state == Change.DiffState.DONE
    assert change.diff_truncated is True
    assert "too large to review in full" in change.diff_error
    assert (change.files_count, change.lines_added) == (5, 60)
    assert sorted(f.lines_added for f in change.files.all()) == [12] * 5
    shown = [f.path for f in change.files.all() if f.patch]
    assert shown == ["app/mod0.py", "app/mod1.py"]  # the files that fit whole; the rest are listed without a patch
    revision = change.revisions.get()
    kept = zlib.decompress(bytes(revision.raw_diff))
    assert revision.truncated is True and 0 < len(kept) <= 2048
    assert _raw_diff(work_repo, base, head).startswith(kept) and kept.endswith(b"\n")
    assert revision.patch_id == ""  # a cut diff has no fingerprint worth comparing


# --- revisions --------------------------------------------------------------------------------------


def test_revision_stores_the_compressed_raw_diff_and_its_patch_id(github, work_repo):
    base, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/feature.py": "f = 1\n", "app/core.py": "a = 9\n"})
    work_repo.commit({"app/other.py": "o = 1\n"}, "Main moves on")

    change = _pull(_change(github, head, number=7, external_id="pr:7"))

    revision = Revision.objects.get(change=change)
    raw = _raw_diff(work_repo, base, head)
    assert (revision.number, revision.head_sha, revision.base_sha) == (1, head, base)
    assert zlib.decompress(bytes(revision.raw_diff)) == raw
    assert revision.raw_size == len(raw)
    assert revision.patch_id == _patch_id(work_repo, raw) != ""


def test_a_second_head_adds_revision_two(repository, work_repo):
    _, head = _topic(work_repo, {"README.md": "x\n"}, {"app/a.py": "a = 1\n"})
    change = _pull(_change(repository, head))
    work_repo.checkout("topic")
    second = work_repo.commit({"app/b.py": "b = 1\n"}, "More topic work")
    work_repo.checkout("main")

    change_new_revision(change=change, head_sha=second, base_sha=change.base_sha)
    change = _pull(change)

    assert list(change.revisions.values_list("number", "head_sha")) == [(1, head), (2, second)]
    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]


def test_rebase_onto_a_newer_main_that_leaves_the_diff_alone_keeps_the_patch_id(repository, work_repo):
    _, head = _topic(work_repo, {"README.md": "x\n", "app/core.py": "a = 1\n"}, {"app/core.py": "a = 2\n"})
    change = _pull(_change(repository, head))
    work_repo.commit({"docs/elsewhere.md": "unrelated\n"}, "Main moves on")
    work_repo.checkout("topic")
    git(work_repo.path, "rebase", "-q", "main", env=IDENTITY)
    rebased = git(work_repo.path, "rev-parse", "HEAD")
    work_repo.checkout("main")

    change_new_revision(change=change, head_sha=rebased, base_sha="")
    change = _pull(change)

    first, second = change.revisions.order_by("number")
    assert rebased != head and second.base_sha != first.base_sha
    assert second.patch_id == first.patch_id != ""
    assert list(change.files.values_list("path", flat=True)) == ["app/core.py"]


# --- failures and repetition ------------------------------------------------------------------------


def test_head_that_was_force_pushed_away_fails_the_diff_with_a_message(github, work_repo):
    _, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/feature.py": "f = 1\n"})
    replacement = work_repo.commit({"app/feature.py": "f = 2\n"}, "Rewritten")
    git(work_repo.path, "update-ref", "refs/pull/7/head", replacement)
    git(work_repo.path, "reset", "-q", "--hard", "HEAD~1")
    change = _change(github, head, number=7, external_id="pr:7")

    change = _pull(change)

    assert change.diff_state == Change.DiffState.FAILED
    assert head[:12] in change.diff_error and "force-pushed" in change.diff_error
    assert not change.files.exists() and not change.revisions.exists()


def test_pulling_again_after_the_change_was_marked_pending_leaves_one_set_of_files(repository, work_repo):
    _, head = _topic(work_repo, {"README.md": "x\n"}, {"app/a.py": "a = 1\n", "app/b.py": "b = 1\n"})
    change = _pull(_change(repository, head))
    Change.objects.filter(pk=change.pk).update(diff_state=Change.DiffState.PENDING, diff_sha="")  # as a label edit does

    change = _pull(change)

    assert change.diff_state == Change.DiffState.DONE
    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert change.revisions.count() == 1


def test_pulling_a_change_again_stores_it_and_evaluates_it_in_a_bounded_number_of_queries(
    repository, work_repo, django_assert_max_num_queries
):
    # Storing (files, revision) and what it sets off (gates, policy, risk, the host's outbox, whose turn it is) in one
    # transaction: batched inserts, the gates and the attestation read once.
    _, head = _topic(work_repo, {"README.md": "x\n"}, {"app/a.py": "a = 1\n", "app/b.py": "b = 1\n"})
    change = _pull(_change(repository, head))
    Change.objects.filter(pk=change.pk).update(diff_state=Change.DiffState.PENDING, diff_sha="")

    with django_assert_max_num_queries(29):
        diffs_services.change_pull_diff(change_id=change.pk)


def _pull_at_once(change_ids: list[int]) -> list[str]:
    """Run change_pull_diff for each id in its own thread, all started together, as workers on one host do."""
    start = threading.Barrier(len(change_ids))
    outcomes: list[str] = []

    def work(change_id: int) -> None:
        try:
            Change.objects.filter(pk=change_id).exists()  # connect first, so that the git work overlaps
            start.wait(timeout=10)
            outcomes.append(diffs_services.change_pull_diff(change_id=change_id).diff_state)
        except Exception as exc:  # noqa: BLE001 - reported as the outcome
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(change_id,)) for change_id in change_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_workers_pulling_the_same_change_at_once_leave_one_set_of_files(transactional_db, work_repo):
    repository = Repository.objects.create(
        name="acme/shop", provider=Repository.Provider.GITHUB, clone_url=str(work_repo.path), default_branch="main"
    )
    _, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/a.py": "a = 1\n", "app/b.py": "b = 1\n"})
    change = _change(repository, head, number=7, external_id="pr:7")

    outcomes = _pull_at_once([change.pk] * 3)

    change.refresh_from_db()
    assert outcomes == [Change.DiffState.DONE] * 3, change.diff_error  # no run failed on another's fetch
    assert change.diff_state == Change.DiffState.DONE
    assert sorted(change.files.values_list("path", flat=True)) == ["app/a.py", "app/b.py"]
    assert change.revisions.count() == 1


def test_pull_requests_of_one_repository_pulled_at_once_all_succeed(transactional_db, work_repo):
    repository = Repository.objects.create(
        name="acme/shop", provider=Repository.Provider.GITHUB, clone_url=str(work_repo.path), default_branch="main"
    )
    work_repo.commit({"README.md": "x\n"}, "Initial import")
    changes = []
    for number in (7, 8, 9):
        work_repo.branch(f"pr-{number}")
        head = work_repo.commit({f"app/pr{number}.py": f"n = {number}\n"}, f"PR {number}")
        git(work_repo.path, "update-ref", f"refs/pull/{number}/head", head)
        work_repo.checkout("main")
        changes.append(_change(repository, head, number=number, external_id=f"pr:{number}"))

    outcomes = _pull_at_once([c.pk for c in changes])

    assert outcomes == [Change.DiffState.DONE] * 3
    for number, change in zip((7, 8, 9), changes, strict=True):
        assert list(change.files.values_list("path", flat=True)) == [f"app/pr{number}.py"]


def test_a_head_already_in_the_mirror_is_pulled_in_one_new_git_process(github, work_repo, monkeypatch):
    # Each git process costs milliseconds: the merge base comes with the commits, the numstat with the diff, the
    # patch id from the diff itself; the diff and CODEOWNERS are asked of git processes kept for the mirror.
    base, head = _hosted_ref(work_repo, "refs/pull/7/head", {"app/feature.py": "f = 1\n"})
    work_repo.commit({"app/core.py": "a = 2\n"}, "Main moves on")
    change = _pull(_change(github, head, number=7, external_id="pr:7"))
    Change.objects.filter(pk=change.pk).update(diff_state=Change.DiffState.PENDING, diff_sha="")
    spawned = []
    popen = gitrun.subprocess.Popen

    def counting(argv, **kwargs):
        spawned.append(argv[3])
        return popen(argv, **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "Popen", counting)
    change = _pull(change)

    assert change.base_sha == base
    assert spawned == ["log"]


def test_an_open_change_whose_target_branch_is_gone_keeps_the_hosts_base(github, work_repo):
    base, head = _hosted_ref(work_repo, "refs/pull/8/head", {"app/feature.py": "f = 1\n"})
    change = _pull(_change(github, head, number=8, external_id="pr:8", base_sha=base))
    Change.objects.filter(pk=change.pk).update(diff_state=Change.DiffState.PENDING, diff_sha="", target_branch="gone")
    change = _pull(change)

    assert (change.diff_state, change.base_sha) == (Change.DiffState.DONE, base)
