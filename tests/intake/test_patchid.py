"""The patch id computed in Python (intake.patchid) against `git patch-id --stable` itself, on awkward diffs."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.patchid import patch_id
from tests.conftest import WorkRepo, git
from tests.intake.test_diffparse import raw_diff

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin:/usr/local/bin"}


def git_patch_id(raw: bytes) -> str:
    out = subprocess.run(["git", "patch-id", "--stable"], input=raw, env=GIT_ENV, capture_output=True, check=True)
    words = out.stdout.split()
    return words[0].decode() if words else ""


@pytest.fixture
def repo(work_repo) -> WorkRepo:
    work_repo.commit(
        {
            "app/views.py": "".join(f"line {i}\n" for i in range(1, 41)),
            "docs/guide.md": "".join(f"paragraph {i}\n" for i in range(1, 31)),
            "tools/run.sh": "echo run\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)),
            "notes.txt": "one\ntwo",
            "windows.txt": "first\r\nsecond\r\nthird\r\n",
            "old.txt": "gone\n",
        },
        "Initial",
    )
    return work_repo


def _diff(repo: WorkRepo, files: dict, *, moves: tuple[tuple[str, str], ...] = (), chmod: str = "") -> bytes:
    base = repo.commit({}, "base marker")
    for old, new in moves:
        git(repo.path, "mv", old, new)
    if chmod:
        git(repo.path, "update-index", "--chmod=+x", chmod)
    head = repo.commit(files, "Change")
    return raw_diff(repo, base, head)


CASES = {
    "edits in two hunks": (
        {
            "app/views.py": "".join(f"line {i}\n" for i in range(1, 41))
            .replace("line 3\n", "3\n")
            .replace("line 35\n", "thirty-five\n")
        },
        (),
        "",
    ),  # fmt: skip
    "added and deleted files": ({"app/new.py": "a\nb\n", "old.txt": None}, (), ""),
    "pure rename": ({}, (("docs/guide.md", "docs/handbook.md"),), ""),
    "rename with edits": (
        {"docs/handbook.md": "".join(f"paragraph {i}\n" for i in range(1, 31)).replace("7", "VII")},
        (("docs/guide.md", "docs/handbook.md"),),
        "",
    ),  # fmt: skip
    "binary file changed": ({"logo.png": b"\x89PNG\r\n\x1a\n\x00\x01" + bytes(range(255, -1, -1))}, (), ""),
    "binary file added": ({"assets/icon.bin": b"\x00\x01\x02\xff"}, (), ""),
    "mode change only": ({}, (), "tools/run.sh"),
    "mode change and binary and text": ({"logo.png": b"\x00" * 10, "app/new.py": "x\n"}, (), "tools/run.sh"),
    "no newline at end, before and after": ({"notes.txt": "one\ntwo\nthree"}, (), ""),
    "newline added at end": ({"notes.txt": "one\ntwo\n"}, (), ""),
    "CRLF lines": ({"windows.txt": "first\r\nSECOND\r\nthird\r\n"}, (), ""),
    "odd names": ({"app/caf\u00e9 menu.py": "x = 1\n", 'app/quote"d.py': "y\n", "app/tab\there.py": "z\n"}, (), ""),
    "one-line file": ({"one.txt": "x"}, (), ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_patch_id_of_a_real_diff_is_the_one_git_computes(repo, case):
    files, moves, chmod = CASES[case]
    raw = _diff(repo, files, moves=moves, chmod=chmod)

    assert raw
    assert patch_id(raw) == git_patch_id(raw) != ""


def test_patch_id_ignores_line_numbers_and_whitespace_as_git_does(repo):
    raw = _diff(repo, {"app/views.py": "".join(f"line {i}\n" for i in range(1, 41)).replace("line 20\n", "twenty\n")})
    moved = raw.replace(b"@@ -17,7 +17,7 @@", b"@@ -117,7 +117,7 @@").replace(b"+twenty", b"+  twenty ")

    assert patch_id(moved) == patch_id(raw) == git_patch_id(moved)


def test_empty_or_headerless_input_has_no_patch_id():
    assert patch_id(b"") == git_patch_id(b"") == ""
    assert patch_id(b"just a message\n\nwith lines\n") == ""


def test_patch_id_is_the_first_of_several_commits_git_would_print(repo):
    first = _diff(repo, {"app/a.py": "a\n"})
    second = _diff(repo, {"app/b.py": "b\n"})
    raw = b"commit " + b"1" * 40 + b"\n\n    A\n\n" + first + b"commit " + b"2" * 40 + b"\n\n    B\n\n" + second

    assert patch_id(raw) == git_patch_id(raw) == patch_id(first)


DIFF_LINES = [
    b"diff --git a/x b/x",
    b"index 0000000000000000000000000000000000000000..1111111111111111111111111111111111111111 100644",
    b"index 2222222..3333333",
    b"--- a/x",
    b"+++ b/x",
    b"--- /dev/null",
    b"@@ -1,2 +1,3 @@",
    b"@@ -1 +1 @@",
    b"@@ -0,0 +1 @@ def f():",
    b"@@ -3,x +1 @@",
    b" context",
    b"+added",
    b"-removed",
    b"+\r",
    b"+ \t spaced ",
    b"+nul\x00inside",
    b"\\ No newline at end of file",
    b"\\ x",
    b"",
    b"old mode 100644",
    b"new mode 100755",
    b"rename from y",
    b"similarity index 90%",
    b"commit " + b"a" * 40,
    b"From " + b"b" * 40 + b" Mon Sep 17 00:00:00 2001",
    b"c" * 40,
    b"diff-tree " + b"d" * 40,
    b"9",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.sampled_from(DIFF_LINES), max_size=30), newline=st.booleans())
def test_patch_id_of_diff_shaped_input_is_the_one_git_computes(lines, newline):
    # Not "Binary files" lines: git hashes the blob ids of the index line before them, unset when there is none.
    raw = b"\n".join(lines) + (b"\n" if newline and lines else b"")

    assert patch_id(raw) == git_patch_id(raw)
