"""Parsing raw `git diff` output (intake.diffparse): real diffs from git, and hostile bytes."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.diffparse import is_generated_path, parse_diff
from tests.conftest import WorkRepo


def raw_diff(repo: WorkRepo, base: str, head: str) -> bytes:
    """The bytes of `git diff` between two commits, with the options the portal's mirror uses."""
    return subprocess.run(
        [
            "git",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--find-renames",
            "--full-index",
            base,
            head,
            "--",
        ],
        cwd=repo.path,
        env={
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "HOME": str(repo.path),
            "PATH": "/usr/bin:/bin",
        },
        check=True,
        capture_output=True,
    ).stdout


@pytest.fixture
def repo(work_repo) -> WorkRepo:
    work_repo.commit(
        {
            "app/views.py": "".join(f"line {i}\n" for i in range(1, 21)),
            "docs/old_name.md": "".join(f"paragraph {i}\n" for i in range(1, 31)),
            "obsolete.txt": "one\ntwo\nthree\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        },
        "Initial",
    )
    return work_repo


def diff_after(repo: WorkRepo, files: dict, message: str = "Change") -> bytes:
    base = repo.commit({}, "base marker")
    head = repo.commit(files, message)
    return raw_diff(repo, base, head)


def only_file(raw: bytes):
    parsed = parse_diff(raw)
    assert parsed.notes == ()
    assert len(parsed.files) == 1
    return parsed.files[0]


# --- real git diffs ------------------------------------------------------------------------------


def test_added_file_is_added_with_its_lines(repo):
    f = only_file(diff_after(repo, {"app/new.py": "a\nb\nc\n"}))

    assert (f.path, f.old_path, f.status) == ("app/new.py", "", "added")
    assert (f.lines_added, f.lines_removed) == (3, 0)
    assert "+a\n+b\n+c\n" in f.patch


def test_modified_file_counts_added_and_removed_lines(repo):
    content = "".join(f"line {i}\n" for i in range(1, 21)).replace("line 5\n", "line five\nline 5b\n")
    f = only_file(diff_after(repo, {"app/views.py": content}))

    assert (f.path, f.old_path, f.status) == ("app/views.py", "", "modified")
    assert (f.lines_added, f.lines_removed) == (2, 1)


def test_deleted_file_is_deleted_under_its_old_path(repo):
    f = only_file(diff_after(repo, {"obsolete.txt": None}))

    assert (f.path, f.old_path, f.status) == ("obsolete.txt", "", "deleted")
    assert (f.lines_added, f.lines_removed) == (0, 3)


def test_pure_rename_is_renamed_with_the_old_path_and_no_lines(repo):
    base = repo.commit({}, "base marker")
    subprocess.run(["git", "mv", "docs/old_name.md", "docs/new_name.md"], cwd=repo.path, check=True)
    head = repo.commit({}, "Rename")

    f = only_file(raw_diff(repo, base, head))

    assert (f.path, f.old_path, f.status) == ("docs/new_name.md", "docs/old_name.md", "renamed")
    assert (f.lines_added, f.lines_removed) == (0, 0)


def test_rename_with_edits_is_renamed_and_counts_the_edited_lines(repo):
    base = repo.commit({}, "base marker")
    subprocess.run(["git", "mv", "docs/old_name.md", "docs/new_name.md"], cwd=repo.path, check=True)
    content = "".join(f"paragraph {i}\n" for i in range(1, 31)).replace("paragraph 7\n", "paragraph seven\n")
    head = repo.commit({"docs/new_name.md": content}, "Rename and edit")

    f = only_file(raw_diff(repo, base, head))

    assert (f.path, f.old_path, f.status) == ("docs/new_name.md", "docs/old_name.md", "renamed")
    assert (f.lines_added, f.lines_removed) == (1, 1)


def test_modified_binary_file_is_binary_without_line_counts(repo):
    raw = diff_after(repo, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(255, -1, -1))})
    assert b"Binary files a/logo.png and b/logo.png differ" in raw

    f = only_file(raw)

    assert (f.path, f.status, f.lines_added, f.lines_removed) == ("logo.png", "binary", 0, 0)


def test_added_binary_file_is_binary(repo):
    raw = diff_after(repo, {"assets/icon.bin": b"\x00\x01\x02\xff"})
    assert b"Binary files /dev/null and b/assets/icon.bin differ" in raw

    f = only_file(raw)

    assert (f.path, f.status) == ("assets/icon.bin", "binary")


def test_deleted_binary_file_is_binary_under_its_old_path(repo):
    f = only_file(diff_after(repo, {"logo.png": None}))

    assert (f.path, f.status) == ("logo.png", "binary")


def test_mode_change_only_is_modified_without_lines(repo):
    base = repo.commit({}, "base marker")
    subprocess.run(["git", "update-index", "--chmod=+x", "obsolete.txt"], cwd=repo.path, check=True)
    head = repo.commit({}, "Make executable")

    f = only_file(raw_diff(repo, base, head))

    assert (f.path, f.status, f.lines_added, f.lines_removed) == ("obsolete.txt", "modified", 0, 0)


def test_several_files_keep_the_order_of_the_diff_and_sum_their_lines(repo):
    content = "".join(f"line {i}\n" for i in range(1, 21)).replace("line 1\n", "")
    raw = diff_after(repo, {"app/views.py": content, "app/new.py": "x\ny\n", "obsolete.txt": None})

    parsed = parse_diff(raw)

    assert [(f.path, f.status) for f in parsed.files] == [
        ("app/new.py", "added"),
        ("app/views.py", "modified"),
        ("obsolete.txt", "deleted"),
    ]
    assert (parsed.lines_added, parsed.lines_removed) == (2, 4)
    assert parsed.notes == ()


def test_file_without_final_newline_is_counted(repo):
    f = only_file(diff_after(repo, {"app/no_eol.txt": "one\ntwo"}))

    assert (f.status, f.lines_added) == ("added", 2)
    assert "\\ No newline at end of file" in f.patch


def test_path_with_a_space_is_read_whole(repo):
    f = only_file(diff_after(repo, {"docs/release notes.md": "hello\n"}))

    assert (f.path, f.status, f.lines_added) == ("docs/release notes.md", "added", 1)


@pytest.mark.parametrize(
    "path",
    [
        "secrets/café.pem",
        "secrets/naïve dir/key.txt",
        "secrets/tab\there.txt",
        'secrets/quote"d.txt',
        "secrets/back\\slash.txt",
        "secrets/日本語.txt",
    ],
)
def test_path_that_git_quotes_is_unquoted(repo, path):
    raw = diff_after(repo, {path: "secret\n"})
    assert b'"b/secrets/' in raw  # git C-quotes unusual names by default (core.quotePath)

    f = only_file(raw)

    assert (f.path, f.status, f.lines_added) == (path, "added", 1)


def test_renamed_path_that_git_quotes_is_unquoted_on_both_sides(repo):
    repo.commit({"secrets/clé.pem": "k\n" * 10}, "Add key")
    (repo.path / "public").mkdir()
    base = repo.commit({}, "base marker")
    subprocess.run(["git", "mv", "secrets/clé.pem", "public/clé.pem"], cwd=repo.path, check=True)
    head = repo.commit({}, "Move key")

    f = only_file(raw_diff(repo, base, head))

    assert (f.path, f.old_path, f.status) == ("public/clé.pem", "secrets/clé.pem", "renamed")


def test_non_utf8_bytes_produce_a_note_not_an_exception(repo):
    raw = diff_after(repo, {"app/latin1.txt": b"caf\xe9\nna\xefve\n"})
    assert b"caf\xe9" in raw

    parsed = parse_diff(raw)

    assert parsed.notes == ("diff contains bytes that are not UTF-8; they are shown as \ufffd",)
    assert [(f.path, f.status, f.lines_added) for f in parsed.files] == [("app/latin1.txt", "added", 2)]
    assert "+caf\ufffd" in parsed.files[0].patch


def test_each_file_keeps_its_slice_of_the_diff_as_its_patch(repo):
    content = "".join(f"line {i}\n" for i in range(1, 21)).replace("line 9\n", "line nine\n")
    raw = diff_after(repo, {"app/views.py": content, "app/new.py": "x\ny\n", "obsolete.txt": None})

    parsed = parse_diff(raw)

    assert "".join(f.patch for f in parsed.files) == raw.decode()
    assert all(f.patch.startswith(f"diff --git a/{f.path} b/{f.path}\n") for f in parsed.files)


def test_hunk_of_one_line_is_stored_with_its_counts_written_out_as_before(repo):
    # git leaves out a count of one ("@@ -1 +1 @@"); the stored patches have always had it written out.
    repo.commit({"one.txt": "before\n"}, "One line")

    f = only_file(diff_after(repo, {"one.txt": "after\n"}))

    assert "@@ -1 +1 @@" not in f.patch
    assert "\n@@ -1,1 +1,1 @@\n-before\n+after\n" in f.patch
    assert (f.lines_added, f.lines_removed) == (1, 1)


def test_name_with_a_space_is_stored_without_the_tab_git_ends_it_with(repo):
    raw = diff_after(repo, {"docs/release notes.md": "hello\n"})
    assert b"+++ b/docs/release notes.md\t\n" in raw

    f = only_file(raw)

    assert "+++ b/docs/release notes.md\n" in f.patch


def test_lines_that_look_like_diff_headers_are_read_as_content(repo):
    text = "diff --git a/x b/x\n@@ -1 +1 @@\n+++ b/x\n--- a/x\nBinary files a/x and b/x differ\nnew file mode 100644\n"

    f = only_file(diff_after(repo, {"app/views.py": text}))

    assert (f.path, f.status, f.lines_added, f.lines_removed) == ("app/views.py", "modified", 6, 20)


def test_name_holding_b_slash_is_read_whole_and_the_other_files_still_are(repo):
    raw = diff_after(repo, {"plan b/x": "one\n", "app/new.py": "x\n", "logo.png": None})

    parsed = parse_diff(raw)

    assert [(f.path, f.status) for f in parsed.files] == [
        ("app/new.py", "added"),
        ("logo.png", "binary"),
        ("plan b/x", "added"),
    ]
    assert parsed.notes == ()


def test_a_file_whose_hunk_is_cut_short_is_left_out_with_a_note_and_the_others_kept(repo):
    raw = diff_after(repo, {"app/new.py": "x\ny\n", "obsolete.txt": None})
    cut = raw[: raw.rindex(b"-two\n")]

    parsed = parse_diff(cut)

    assert [f.path for f in parsed.files] == ["app/new.py"]
    assert parsed.notes == (
        "diff could not be parsed: a/obsolete.txt b/obsolete.txt: "
        "a hunk does not hold the lines its header counts ('@@ -1,3 +0,0 @@')",
    )


def test_a_type_change_read_as_two_parts_of_one_name_keeps_the_first(repo):
    base = repo.commit({}, "base marker")
    (repo.path / "obsolete.txt").unlink()
    (repo.path / "obsolete.txt").symlink_to("app/views.py")
    subprocess.run(["git", "add", "obsolete.txt"], cwd=repo.path, check=True)
    head = repo.commit({}, "File to link")
    raw = raw_diff(repo, base, head)
    assert raw.count(b"diff --git a/obsolete.txt b/obsolete.txt\n") == 2

    f = only_file(raw)

    assert (f.path, f.status, f.lines_removed) == ("obsolete.txt", "deleted", 3)


def test_empty_diff_has_no_files_and_no_notes():
    parsed = parse_diff(b"")

    assert parsed.files == ()
    assert parsed.notes == ()
    assert (parsed.lines_added, parsed.lines_removed) == (0, 0)


# --- hand-written and hostile input -------------------------------------------------------------


def test_unified_diff_without_gits_file_header_is_noted_as_unparseable_not_guessed_at():
    raw = b"--- a/x.txt\n+++ b/x.txt\n@@ -1,2 +1,2 @@\n keep\n-old\n+new\n"

    parsed = parse_diff(raw)

    assert parsed.files == ()
    assert parsed.notes[0].startswith("diff could not be parsed: text before the first file")


@pytest.mark.parametrize(
    "raw",
    [
        b"+++ b/x\n",
        b"@@ -1 +1 @@\n-a\n+b\n",
        b"--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\nb\n",
        b"new file mode 100644\n",
        b"deleted file mode 100644\n",
        b"GIT binary patch\n",
        b"\\ No newline at end of file\n",
    ],
)
def test_malformed_diff_is_noted_as_unparseable_not_raised(raw):
    parsed = parse_diff(raw)

    assert all(f.lines_added >= 0 and f.lines_removed >= 0 for f in parsed.files)
    assert any(note.startswith("diff could not be parsed: ") for note in parsed.notes)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x00\x00",
        b"\xff\xfe\xfd",
        b"hello world\n",
        b"diff --git\n",
        b"diff --git a/x b/x\n",
        b"Binary files differ\n",
        b"\r\r\r\n\n",
        b"@@@@\n+++\n---\n",
        b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ one @@\n-a\n",
        b"diff --git a/x b/x\n@@ -1 +1 @@",
        b"diff --git a/x b/x\n@@ -1 +1 @@\n\n\r\n",
        b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n+d\n",
        "😀 é\n".encode("utf-16"),
    ],
)
def test_garbage_input_does_not_raise(raw):
    parsed = parse_diff(raw)

    assert parsed.lines_added >= 0
    assert parsed.lines_removed >= 0


def test_file_listed_twice_appears_once():
    one = b"diff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -1 +1 @@\n-a\n+b\n"

    parsed = parse_diff(one + one)

    assert [f.path for f in parsed.files] == ["x.txt"]


diff_line = st.one_of(
    st.sampled_from(
        [
            "diff --git a/x b/x",
            'diff --git "a/caf\\303\\251" "b/caf\\303\\251"',
            'diff --git "a/\\777\\" "b/\\',
            "new file mode 100644",
            "deleted file mode 100644",
            "old mode 100644",
            "new mode 100755",
            "similarity index 90%",
            "rename from x",
            "rename to y",
            "index 0000000..1111111 100644",
            "--- a/x",
            "+++ b/x",
            "--- /dev/null",
            "+++ /dev/null",
            '--- "a/\\"',
            '+++ "b/\\101"',
            "@@ -1 +1 @@",
            "@@ -0,0 +1,2 @@",
            "@@ -1,3 +0,0 @@",
            "+added",
            "-removed",
            " context",
            "\\ No newline at end of file",
            "Binary files a/x and b/x differ",
            "Binary files /dev/null and b/x differ",
            "GIT binary patch",
            "",
        ]
    ),
    st.text(max_size=40),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=2000))
def test_parse_diff_of_arbitrary_bytes_never_raises_and_counts_are_not_negative(raw):
    parsed = parse_diff(raw)

    assert parsed.lines_added >= 0
    assert parsed.lines_removed >= 0
    assert all(f.path for f in parsed.files)
    assert len({f.path for f in parsed.files}) == len(parsed.files)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(diff_line, max_size=30), encoding_junk=st.binary(max_size=4))
def test_parse_diff_of_diff_shaped_input_never_raises_and_counts_are_not_negative(lines, encoding_junk):
    raw = "\n".join(lines).encode("utf-8", "surrogatepass") + encoding_junk

    parsed = parse_diff(raw)

    assert parsed.lines_added >= 0
    assert parsed.lines_removed >= 0
    assert all(f.status in {"added", "modified", "deleted", "renamed", "binary"} for f in parsed.files)
    assert all(f.lines_added >= 0 and f.lines_removed >= 0 for f in parsed.files)


@pytest.mark.parametrize(
    ("path", "generated"),
    [
        ("web/package-lock.json", True),
        ("go.sum", True),
        ("mix.lock", True),
        ("web/dist/app.js", True),
        ("static/app.min.js", True),
        ("vendor/github.com/x/y.go", True),
        ("app/locks.py", False),
        ("README.md", False),
    ],
)
def test_lock_vendored_minified_and_built_files_are_generated(path, generated):
    assert is_generated_path(path) is generated
