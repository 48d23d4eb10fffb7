"""The safe git wrapper (intake.gitrepo): hostile refs and URLs refused, real mirrors of real repositories."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import gitrun
from intake.diffparse import parse_diff
from intake.gitrepo import Mirror
from intake.gitrun import EMPTY_TREE_SHA, GitConfig, GitError, check_url, is_safe_ref, is_sha, run_git
from tests.conftest import WorkRepo, git

SHA = "0123456789abcdef0123456789abcdef01234567"

# --- refs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref",
    [
        "--output=/tmp/x",
        "--upload-pack=touch /tmp/pwned",
        "--upload-pack=x",
        "-x",
        "-",
        "a..b",
        "main..feature",
        "main...feature",
        "foo.lock",
        "refs/heads/main.lock",
        "",
        " main",
        "main ",
        "a b",
        "main\n",
        "\nmain",
        "ma\0in",
        "ma\tin",
        "main~1",
        "main^",
        "main^{tree}",
        "main:path",
        ":/fix",
        "HEAD@{1}",
        "@{-1}",
        "@",
        "a//b",
        "feature/",
        "feature.",
        "/",
        "a\\b",
        "a*",
        "a?",
        "a[0]",
        "x" * 256,
        "é" * 128,
        ".hidden",
        "feature/.hidden",
        "x.lock/y",
        "a\u0085b",
        "evil\u202egnp.exe",
        "/0",  # found by the property test below: git refuses a name that starts with a slash
    ],
)
def test_unsafe_ref_is_refused(ref):
    assert is_safe_ref(ref) is False


@pytest.mark.parametrize(
    "ref",
    [
        "main",
        "HEAD",
        "feature/login",
        "release-1.2",
        "v1.0.0",
        "user+fix",
        "a_b",
        "refs/heads/main",
        "x" * 255,
        SHA,
        "café",
        "feature/ünïcode-🚀",
        "修正/ログイン",
        "a#b",
        "a,b=c",
    ],
)
def test_ordinary_ref_is_safe(ref):
    assert is_safe_ref(ref) is True


@settings(max_examples=200)
@given(ref=st.text(max_size=300))
def test_a_safe_ref_is_never_option_like_or_a_revision_expression(ref):
    if is_safe_ref(ref):
        assert not ref.startswith("-")
        assert ".." not in ref
        assert not ref.endswith(".lock")
        assert 1 <= len(ref.encode()) <= 255
        assert not set(ref) & set(" ~^:?*[\\\n\t\0")


@settings(max_examples=150, deadline=None)
@given(ref=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40))
def test_every_name_accepted_is_a_valid_git_branch_name(ref):
    if is_safe_ref(ref):
        # Test set-up only: the portal calls git through intake.gitrepo.
        result = subprocess.run(["git", "check-ref-format", "--branch", ref], capture_output=True, check=False)
        assert result.returncode == 0, ref


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SHA, True),
        ("f" * 40, True),
        (SHA.upper(), False),
        (SHA[:-1], False),
        (SHA + "0", False),
        (SHA + "\n", False),
        ("\n" + SHA, False),
        ("g" * 40, False),
        ("", False),
        ("main", False),
    ],
)
def test_is_sha_accepts_only_a_full_lower_case_object_id(value, expected):
    assert is_sha(value) is expected


# --- locations -----------------------------------------------------------------------------------

ALLOWED = ("file", "https")


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh -c 'touch /tmp/pwned'://x",
        "fd::17",
        "ssh://git@example.com/acme/shop.git",
        "SSH://git@example.com/acme/shop.git",
        "git://example.com/acme/shop.git",
        "http://example.com/acme/shop.git",
        "git@github.com:acme/shop.git",
        "relative/path/repo",
        "./repo",
        "../repo",
        "repo.git",
        "~/repo",
        "/tmp/re\0po",
        "/tmp/repo\n",
        "/tmp/repo\r",
        "https://example.com/repo\0.git",
        "https://example.com/a\nb",
        "-u/tmp/x",
        "--upload-pack=touch /tmp/pwned",
        "",
    ],
)
def test_location_with_a_disallowed_protocol_or_shape_is_refused(url):
    with pytest.raises(GitError):
        check_url(url, ALLOWED)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/acme/shop.git", "https://example.com/acme/shop.git"),
        ("HTTPS://example.com/acme/shop.git", "HTTPS://example.com/acme/shop.git"),
        ("file:///srv/git/shop.git", "file:///srv/git/shop.git"),
        ("/srv/git/shop.git", "/srv/git/shop.git"),
        ("/srv//git/shop.git/", "/srv/git/shop.git"),
    ],
)
def test_location_with_an_allowed_protocol_is_returned(url, expected):
    assert check_url(url, ALLOWED) == expected


def test_local_path_is_refused_when_file_protocol_is_not_allowed():
    with pytest.raises(GitError, match="local repositories are not allowed"):
        check_url("/srv/git/shop.git", ("https",))
    with pytest.raises(GitError, match="protocol 'file' is not allowed"):
        check_url("file:///srv/git/shop.git", ("https",))


def test_ssh_is_accepted_only_when_listed():
    assert check_url("ssh://git@example.com/a.git", ("https", "ssh")) == "ssh://git@example.com/a.git"


@settings(max_examples=200)
@given(url=st.text(max_size=100))
def test_check_url_either_refuses_or_returns_an_allowed_location(url):
    try:
        location = check_url(url, ALLOWED)
    except GitError:
        return
    assert not location.startswith("-")
    assert not any(c in location for c in "\0\n\r")
    assert location.startswith("/") or location.lower().startswith(("https://", "file://"))


# --- run_git -------------------------------------------------------------------------------------


def test_run_git_returns_standard_output_as_bytes():
    assert run_git(["--version"]).startswith(b"git version ")


def test_run_git_raises_with_stderr_when_git_fails(tmp_path):
    with pytest.raises(GitError, match=r"git rev-parse failed \(128\)") as excinfo:
        run_git(["rev-parse", "HEAD"], git_dir=tmp_path / "missing.git")

    assert excinfo.value.transient is False


def test_run_git_without_check_returns_output_of_a_failing_command(tmp_path):
    assert run_git(["rev-parse", "--verify", "--quiet", "HEAD"], git_dir=tmp_path / "x.git", check=False) == b""


def test_run_git_capped_returns_the_first_bytes_when_truncating():
    out, truncated = gitrun.run_git_capped(["--version"], truncate_at=5)

    assert (out, truncated) == (b"git v", True)


def test_run_git_refuses_output_above_the_cap():
    with pytest.raises(GitError, match="produced more than 5 bytes"):
        run_git(["--version"], config=GitConfig(max_output_bytes=5))


def test_run_git_timeout_is_a_transient_error(monkeypatch):
    real_popen = subprocess.Popen

    def slow(argv, **kwargs):
        return real_popen(["sleep", "30"], **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "Popen", slow)

    with pytest.raises(GitError, match="git fetch timed out after 1s") as excinfo:
        run_git(["fetch"], config=GitConfig(timeout_seconds=1))

    assert excinfo.value.transient is True


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("core.hooksPath", os.devnull),
        ("protocol.allow", "never"),
        ("protocol.file.allow", "always"),
        ("protocol.https.allow", "always"),
        ("core.fsmonitor", "false"),
    ],
)
def test_run_git_locks_down_configuration(key, expected):
    assert run_git(["config", "--get", key]).decode().strip() == expected


def test_run_git_ignores_the_callers_environment_and_global_config(monkeypatch, tmp_path):
    (tmp_path / ".gitconfig").write_text("[core]\n\thooksPath = /tmp/evil-hooks\n[alias]\n\tversion = !touch pwned\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.hooksPath'='/tmp/evil-hooks'")

    assert run_git(["config", "--get", "core.hooksPath"]).decode().strip() == os.devnull
    assert run_git(["rev-parse", "--git-dir"], check=False) == b""


def test_run_git_passes_extra_settings_in_the_environment_not_in_argv(monkeypatch):
    seen = {}
    real_popen = subprocess.Popen

    def spy(argv, **kwargs):
        seen["argv"] = argv
        return real_popen(argv, **kwargs)

    monkeypatch.setattr(gitrun.subprocess, "Popen", spy)

    out = run_git(["config", "--get", "http.extraHeader"], extra_config={"http.extraHeader": "Authorization: t0ken"})

    assert out.decode().strip() == "Authorization: t0ken"
    assert not any("t0ken" in arg for arg in seen["argv"])


# --- Mirror on real repositories -----------------------------------------------------------------


@pytest.fixture
def source(work_repo) -> dict:
    """A source repository: main with two commits, feature/login forked from the first with two more."""
    repo = work_repo
    first = repo.commit({"app/views.py": "v1\n", "README.md": "hello\n"}, "Initial commit")
    repo.branch("feature/login", "main")
    f1 = repo.commit(
        {"app/login.py": "def login():\n    pass\n"},
        "Add login\n\nCo-authored-by: Claude <noreply@anthropic.com>",
        author="Bea Builder <bea@example.com>",
        date="2026-11-03T09:00:00+00:00",
    )
    f2 = repo.commit({"app/views.py": "v1\nlogin\n"}, "Wire login", author="Bea Builder <bea@example.com>")
    repo.checkout("main")
    second = repo.commit({"README.md": "hello\nworld\n"}, "Docs", date="2026-11-04T10:00:00+00:00")
    return {"repo": repo, "first": first, "second": second, "f1": f1, "f2": f2}


@pytest.fixture
def mirror(tmp_path, source) -> Mirror:
    m = Mirror(tmp_path / "mirrors" / "1.git")
    m.fetch(str(source["repo"].path))
    return m


def test_mirror_does_not_exist_until_initialised(tmp_path):
    m = Mirror(tmp_path / "mirrors" / "x.git")

    assert m.exists() is False
    m.init()
    m.init()
    assert m.exists() is True
    assert not (m.path / ".git").exists()
    assert git(m.path, "rev-parse", "--is-bare-repository") == "true"


def test_fetch_of_a_local_repository_mirrors_its_branches(mirror, source):
    assert mirror.exists()
    assert mirror.branches() == {"main": source["second"], "feature/login": source["f2"]}


def test_fetch_accepts_a_file_url(tmp_path, source):
    m = Mirror(tmp_path / "m.git")

    m.fetch(f"file://{source['repo'].path}")

    assert m.branches()["main"] == source["second"]


def test_fetch_again_picks_up_new_commits_and_prunes_deleted_branches(mirror, source):
    repo = source["repo"]
    third = repo.commit({"CHANGELOG.md": "1.0\n"}, "Changelog")
    git(repo.path, "branch", "-D", "feature/login")

    mirror.fetch(str(repo.path))

    assert mirror.branches() == {"main": third}


@pytest.mark.parametrize(
    "url",
    ["ext::sh -c touch% /tmp/pwned", "ssh://git@example.com/x.git", "relative/repo", "/tmp/x\0y", "-oProxyCommand=x"],
)
def test_fetch_refuses_a_bad_location_before_touching_disk(tmp_path, url):
    m = Mirror(tmp_path / "m.git")

    with pytest.raises(GitError):
        m.fetch(url)

    assert not m.path.exists()


def test_fetch_of_a_missing_repository_fails(tmp_path):
    with pytest.raises(GitError, match="git fetch failed"):
        Mirror(tmp_path / "m.git").fetch(str(tmp_path / "nowhere"))


def test_fetch_with_protocol_not_allowed_by_config_is_refused(tmp_path, source):
    m = Mirror(tmp_path / "m.git", GitConfig(allowed_protocols=("https",)))

    with pytest.raises(GitError, match="local repositories are not allowed"):
        m.fetch(str(source["repo"].path))


def test_resolve_gives_the_full_sha_of_a_branch_or_sha(mirror, source):
    assert mirror.resolve("main") == source["second"]
    assert mirror.resolve("feature/login") == source["f2"]
    assert mirror.resolve("refs/heads/main") == source["second"]
    assert mirror.resolve(source["f1"]) == source["f1"]


@pytest.mark.parametrize("ref", ["nope", "feature/nope", SHA])
def test_resolve_of_an_unknown_revision_raises(mirror, ref):
    with pytest.raises(GitError, match="unknown revision"):
        mirror.resolve(ref)


@pytest.mark.parametrize(
    "ref", ["--output=/tmp/x", "--upload-pack=touch /tmp/pwned", "-x", "a..b", "foo.lock", "main~1", "main\n"]
)
def test_resolve_refuses_an_unsafe_ref(mirror, ref):
    with pytest.raises(GitError, match="refusing unsafe ref"):
        mirror.resolve(ref)


def test_resolve_of_an_option_like_ref_writes_no_file(mirror, tmp_path):
    target = tmp_path / "written-by-git"

    with pytest.raises(GitError):
        mirror.resolve(f"--output={target}")

    assert not target.exists()


def test_branch_named_like_an_option_never_becomes_an_option(tmp_path, source):
    repo = source["repo"]
    for name in ("--upload-pack=x", "-x", "--output=x"):
        git(repo.path, "update-ref", f"refs/heads/{name}", source["f1"])
    assert "--upload-pack=x" in git(repo.path, "for-each-ref", "--format=%(refname:strip=2)")
    m = Mirror(tmp_path / "m.git")

    m.fetch(str(repo.path))

    # The hostile names reach the mirror (they are valid git refs), but the wrapper never hands them on.
    assert "refs/heads/--upload-pack=x" in git(m.path, "for-each-ref", "--format=%(refname)")
    assert m.branches() == {"main": source["second"], "feature/login": source["f2"]}
    for name in ("--upload-pack=x", "-x", "--output=x"):
        with pytest.raises(GitError, match="refusing unsafe ref"):
            m.resolve(name)


def test_log_lists_commits_of_a_branch_oldest_first_with_metadata(mirror, source):
    commits = mirror.log(source["f2"], exclude=source["second"])

    assert [c["sha"] for c in commits] == [source["f1"], source["f2"]]
    first = commits[0]
    assert first["parents"] == [source["first"]]
    assert (first["author_name"], first["author_email"]) == ("Bea Builder", "bea@example.com")
    assert (first["committer_name"], first["committer_email"]) == ("Bea Builder", "bea@example.com")
    assert first["authored_at"] == "2026-11-03T09:00:00+00:00"
    assert first["committed_at"] == "2026-11-03T09:00:00+00:00"
    assert first["message"] == "Add login\n\nCo-authored-by: Claude <noreply@anthropic.com>"
    assert commits[1]["message"] == "Wire login"


def test_log_names_authors_as_the_default_branchs_mailmap_does_and_never_as_a_branchs(tmp_path, work_repo):
    """pypa/pip's .mailmap folds 552 commits from a GitHub noreply address into its author's one address."""
    work_repo.commit({"a.py": "1\n"}, "One", author="Pradyun <pradyun@users.noreply.github.com>")
    work_repo.commit({".mailmap": "Pradyun Gedam <pradyun@example.org> <pradyun@users.noreply.github.com>\n"}, "Map")
    work_repo.branch("spoof", "main")
    work_repo.commit(
        {".mailmap": "Pradyun Gedam <pradyun@example.org> <mallory@example.com>\n"},
        "Claim to be Pradyun",
        author="Mallory <mallory@example.com>",
    )
    plain = Mirror(tmp_path / "m.git")
    plain.fetch(str(work_repo.path))
    mapped = Mirror(tmp_path / "m.git", mailmap_branch="main")

    def authors(mirror: Mirror, ref: str) -> list[tuple[str, str]]:
        return [(c["author_name"], c["author_email"]) for c in mirror.log(mirror.resolve(ref))]

    assert authors(mapped, "main")[0] == ("Pradyun Gedam", "pradyun@example.org")
    assert authors(plain, "main")[0] == ("Pradyun", "pradyun@users.noreply.github.com")
    # The branch's own .mailmap is not the project's until merged: Mallory stays Mallory.
    assert authors(mapped, "spoof")[-1] == ("Mallory", "mallory@example.com")
    assert Mirror(tmp_path / "m.git", mailmap_branch="--output=x").log(mapped.resolve("main"))[0]["author_name"] == (
        "Pradyun"
    )


def test_log_without_exclude_lists_the_whole_history(mirror, source):
    assert [c["sha"] for c in mirror.log(source["second"])] == [source["first"], source["second"]]


def test_log_with_first_parent_follows_merges_on_the_main_line(tmp_path, source):
    repo = source["repo"]
    git(
        repo.path,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge feature/login",
        "feature/login",
        env={"GIT_AUTHOR_NAME": "M", "GIT_AUTHOR_EMAIL": "m@example.com"}
        | {"GIT_COMMITTER_NAME": "M", "GIT_COMMITTER_EMAIL": "m@example.com"},
    )
    merge = git(repo.path, "rev-parse", "HEAD")
    m = Mirror(tmp_path / "m.git")
    m.fetch(str(repo.path))

    first_parent = m.log(merge, first_parent=True)
    everything = m.log(merge)

    assert [c["sha"] for c in first_parent] == [source["first"], source["second"], merge]
    assert first_parent[-1]["parents"] == [source["second"], source["f2"]]
    assert {c["sha"] for c in everything} == {source["first"], source["second"], source["f1"], source["f2"], merge}


@pytest.mark.parametrize("head", ["main", "--all", "HEAD", SHA[:12]])
def test_log_diff_and_merge_base_take_only_full_shas(mirror, source, head):
    with pytest.raises(GitError, match="expected a full SHA"):
        mirror.log(head)
    with pytest.raises(GitError, match="expected a full SHA"):
        mirror.diff(source["first"], head)
    with pytest.raises(GitError, match="expected a full SHA"):
        mirror.merge_base(source["first"], head)
    with pytest.raises(GitError, match="expected a full SHA"):
        mirror.log(source["f2"], exclude=head)


def test_diff_between_two_commits_parses_into_the_changed_files(mirror, source):
    parsed = parse_diff(mirror.diff(source["second"], source["f2"]))

    assert [(f.path, f.status, f.lines_added, f.lines_removed) for f in parsed.files] == [
        ("README.md", "modified", 0, 1),
        ("app/login.py", "added", 2, 0),
        ("app/views.py", "modified", 1, 0),
    ]


def test_diff_without_base_is_against_the_empty_tree(mirror, source):
    raw = mirror.diff(None, source["first"])
    parsed = parse_diff(raw)

    assert raw.startswith(b"diff --git a/")
    assert [(f.path, f.status) for f in parsed.files] == [("README.md", "added"), ("app/views.py", "added")]
    assert mirror.diff(EMPTY_TREE_SHA, source["first"]) == raw


def test_diff_of_a_commit_with_itself_is_empty(mirror, source):
    assert mirror.diff(source["f2"], source["f2"]) == b""


def test_diff_of_a_missing_commit_fails(mirror, source):
    with pytest.raises(GitError):
        mirror.diff(source["first"], SHA)


def test_merge_base_is_the_fork_point(mirror, source):
    assert mirror.merge_base(source["second"], source["f2"]) == source["first"]
    assert mirror.merge_base(source["f2"], source["second"]) == source["first"]
    assert mirror.merge_base(source["f1"], source["f2"]) == source["f1"]


def test_merge_base_of_unrelated_histories_is_none(tmp_path, source):
    repo = source["repo"]
    git(repo.path, "checkout", "-q", "--orphan", "unrelated")
    git(repo.path, "rm", "-rq", "--cached", ".")
    orphan = repo.commit({"other.txt": "x\n"}, "Unrelated root")
    m = Mirror(tmp_path / "m.git")
    m.fetch(str(repo.path))

    assert m.branches()["unrelated"] == orphan
    assert m.merge_base(orphan, source["second"]) is None
    assert m.is_ancestor(orphan, source["second"]) is False


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("first", "f2", True),
        ("first", "second", True),
        ("f1", "f2", True),
        ("f2", "f2", True),
        ("f2", "f1", False),
        ("f2", "second", False),
        ("second", "f2", False),
    ],
)
def test_is_ancestor(mirror, source, a, b, expected):
    assert mirror.is_ancestor(source[a], source[b]) is expected


def test_fast_import_loads_a_stream_into_the_mirror(tmp_path):
    stream = (
        b"commit refs/heads/main\n"
        b"committer Demo <demo@example.com> 1793000000 +0000\n"
        b"data 5\nHello\n"
        b"M 644 inline hello.txt\ndata 3\nhi\n\n"
        b"done\n"
    )
    m = Mirror(tmp_path / "demo.git")

    m.fast_import(stream)

    head = m.branches()["main"]
    assert is_sha(head)
    assert m.log(head)[0]["message"] == "Hello"
    assert [f.path for f in parse_diff(m.diff(None, head)).files] == ["hello.txt"]


def test_mirror_with_a_non_ascii_path_diffs_to_the_real_name(tmp_path):
    repo = WorkRepo(tmp_path / "src")
    base = repo.commit({"README.md": "x\n"}, "Initial")
    head = repo.commit({"secrets/clé.pem": "k\n"}, "Add key")
    m = Mirror(tmp_path / "m.git")
    m.fetch(str(repo.path))

    assert [f.path for f in parse_diff(m.diff(base, head)).files] == ["secrets/clé.pem"]


# --- the diff worker's reads: one git process each -------------------------------------------------


def test_diff_numstat_gives_the_numstat_and_the_diff_of_two_separate_calls(mirror, source):
    repo = source["repo"]
    repo.checkout("feature/login")
    git(repo.path, "mv", "app/login.py", "app/sign in.py")
    head = repo.commit({"logo.bin": b"\x00\x01\x02", "app/views.py": "v1\nlogin\nlogout"}, "Rename, binary, no newline")
    mirror.fetch(str(repo.path))

    numstat, raw, cut = mirror.diff_numstat(source["first"], head, 1024 * 1024)

    assert (numstat, raw, cut) == (mirror.numstat(source["first"], head), mirror.diff(source["first"], head), False)
    assert ("app/sign in.py", 2, 0) in numstat
    assert ("logo.bin", None, None) in numstat


def test_diff_numstat_cuts_the_diff_but_keeps_every_count(mirror, source):
    numstat, raw, cut = mirror.diff_numstat(source["second"], source["f2"], 100)

    assert cut is True
    assert raw == mirror.diff(source["second"], source["f2"])[:100]
    assert numstat == mirror.numstat(source["second"], source["f2"])


def test_diff_numstat_of_no_change_is_empty(mirror, source):
    assert mirror.diff_numstat(source["f2"], source["f2"], 1000) == ([], b"", False)


def test_log_since_branch_gives_the_commits_and_the_fork_point(mirror, source):
    commits, boundary = mirror.log_since_branch(source["f2"], "main")

    assert commits == mirror.log(source["f2"], exclude=source["first"])
    assert boundary == [source["first"]] == [mirror.merge_base(source["second"], source["f2"])]


def test_log_since_branch_of_a_head_already_in_the_branch_is_empty(mirror, source):
    assert mirror.log_since_branch(source["first"], "main") == ([], [])


def test_log_since_branch_shows_each_fork_point_after_the_target_was_merged_in(mirror, source):
    repo = source["repo"]
    repo.checkout("feature/login")
    who = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x"}
    git(repo.path, "merge", "-q", "--no-edit", "main", env=who)
    head = git(repo.path, "rev-parse", "HEAD")
    repo.checkout("main")
    repo.commit({"README.md": "moved on\n"}, "Main moves on")
    mirror.fetch(str(repo.path))

    commits, boundary = mirror.log_since_branch(head, "main")

    assert [c["sha"] for c in commits][-1] == head
    assert sorted(boundary) == sorted([source["first"], source["second"]])


@pytest.mark.parametrize("branch", ["--output=x", "main..x", SHA])
def test_log_since_branch_refuses_what_is_not_a_branch_name(mirror, source, branch):
    with pytest.raises(GitError, match="refusing"):
        mirror.log_since_branch(source["f2"], branch)


def test_read_first_reads_the_first_of_the_paths_that_is_a_file(mirror, source):
    repo = source["repo"]
    head = repo.commit({"docs/CODEOWNERS": "* @docs\n", "CODEOWNERS/readme": "a folder\n"}, "Owners")
    mirror.fetch(str(repo.path))
    paths = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

    assert mirror.read_first(head, paths) == b"* @docs\n"
    assert mirror.read_first(head, paths[:2]) is None
    assert mirror.read_first(head, ("docs/CODEOWNERS",), max_bytes=4) is None  # too large to read
    assert mirror.read_first(source["first"], ("README.md",)) == b"hello\n"


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "-x", "a:b", "a\nb", ""])
def test_read_first_refuses_paths_that_leave_the_tree(mirror, source, path):
    with pytest.raises(GitError, match="refusing path"):
        mirror.read_first(source["first"], ("README.md", path))


# --- git processes kept running (GitService) -------------------------------------------------------


def test_a_kept_git_process_answers_request_after_request(mirror, source):
    service = gitrun.git_service(["cat-file", "--batch"], git_dir=mirror.path)
    first, cut = service.ask(f"{source['first']}:README.md\nx:y\n".encode(), b"x:y missing\n", limit=1000)
    second, _ = service.ask(f"{source['second']}:README.md\nx:y\n".encode(), b"x:y missing\n", limit=1000)

    assert cut is False
    assert first.endswith(b" blob 6\nhello\n\nx:y missing\n")
    assert second.endswith(b" blob 12\nhello\nworld\n\nx:y missing\n")
    assert gitrun.git_service(["cat-file", "--batch"], git_dir=mirror.path) is service


def test_a_kept_git_process_over_its_limit_is_cut_and_replaced(mirror, source):
    service = gitrun.git_service(["cat-file", "--batch"], git_dir=mirror.path)

    out, cut = service.ask(f"{source['second']}:README.md\nx:y\n".encode(), b"never written", limit=20)

    assert (len(out), cut, service.is_alive()) == (20, True, False)
    assert gitrun.git_service(["cat-file", "--batch"], git_dir=mirror.path) is not service


def test_a_kept_git_process_that_stopped_is_an_error_saying_why(mirror, source):
    service = gitrun.git_service(["diff-tree", "--stdin", "-p"], git_dir=mirror.path)

    with pytest.raises(GitError, match="stopped: .*1111111"):
        service.ask(f"{source['f2']} {'1' * 40}\nend\n".encode(), b"end\n", limit=1000)
    assert not service.is_alive()


def test_a_kept_git_process_that_does_not_answer_times_out(mirror):
    service = gitrun.GitService(["cat-file", "--batch"], git_dir=mirror.path, config=GitConfig(timeout_seconds=1))

    with pytest.raises(GitError, match="timed out") as raised:
        service.ask(b"HEAD\n", b"an answer git never gives", limit=1000)
    assert raised.value.transient and not service.is_alive()


def test_kept_git_processes_are_few_the_least_recently_used_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(gitrun, "MAX_SERVICES", 2)
    mirrors = [Mirror(tmp_path / f"{n}.git") for n in range(3)]
    for m in mirrors:
        m.init()
    services = [gitrun.git_service(["cat-file", "--batch"], git_dir=m.path) for m in mirrors]

    assert [s.is_alive() for s in services] == [False, True, True]


def test_diff_numstat_from_a_kept_process_that_stopped_is_read_afresh(mirror, source):
    expected = mirror.diff_numstat(source["second"], source["f2"], 1 << 20)
    gitrun.close_git_services()

    assert mirror.diff_numstat(source["second"], source["f2"], 1 << 20) == expected
    with pytest.raises(GitError, match="diff failed"):
        mirror.diff_numstat(source["second"], SHA, 1 << 20)  # the one-off diff says what is wrong
