"""Reading git's machine output (intake.gitoutput): numstat, log records, cat-file --batch."""

from __future__ import annotations

from intake.gitoutput import first_blob, parse_log, parse_numstat_z

SHA_A = "a" * 40
SHA_B = "b" * 40


def test_numstat_reads_counts_binary_files_and_renames_and_finds_the_patch():
    out = b"1\t2\tapp/x.py\0-\t-\tlogo.png\x003\t0\t\0old name.py\0new\tname.py\0\0diff --git a/x b/x\n"

    numstat, end = parse_numstat_z(out)

    assert numstat == [("app/x.py", 1, 2), ("logo.png", None, None), ("new\tname.py", 3, 0)]
    assert out[end:] == b"diff --git a/x b/x\n"


def test_numstat_alone_ends_at_the_end_and_a_cut_one_says_so():
    assert parse_numstat_z(b"1\t0\ta.py\0") == ([("a.py", 1, 0)], 9)
    assert parse_numstat_z(b"") == ([], 0)
    assert parse_numstat_z(b"1\t0\ta.py\x002\t0\tb.p") == ([("a.py", 1, 0)], -1)
    assert parse_numstat_z(b"1\t0\t\0old.py\0ne") == ([], -1)


def test_log_records_keep_boundary_commits_apart():
    record = "\x1f".join(["{mark}", "{sha}", "", "Ada", "ada@x", "2026-11-02T10:00:00+00:00", "Bo", "bo@x",
                          "2026-11-02T11:00:00+00:00", "Subject\n\nBody\n"])  # fmt: skip
    out = (record.format(mark="-", sha=SHA_A) + "\0" + record.format(mark=">", sha=SHA_B) + "\0").encode()

    commits, boundary = parse_log(out)

    assert boundary == [SHA_A]
    assert [(c["sha"], c["parents"], c["committer_email"], c["message"]) for c in commits] == [
        (SHA_B, [], "bo@x", "Subject\n\nBody")
    ]


def test_first_blob_skips_missing_names_and_trees_and_refuses_large_files():
    out = (
        b"x:.github/CODEOWNERS missing\n"
        + f"{SHA_A} tree 4\n".encode() + b"\x00\x01\x02\x03\n"
        + f"{SHA_B} blob 6\n".encode() + b"* @ada\n"
    )  # fmt: skip
    names = ["x:.github/CODEOWNERS", "x:CODEOWNERS", "x:docs/CODEOWNERS"]

    assert first_blob(out, names, 100) == ("x:docs/CODEOWNERS", b"* @ada")
    assert first_blob(out, names, 5) == ("x:docs/CODEOWNERS", None)
    assert first_blob(out[:-3], names, 100) == ("x:docs/CODEOWNERS", None)  # cut short
    assert first_blob(b"x:a missing\n", ["x:a"], 100) is None
