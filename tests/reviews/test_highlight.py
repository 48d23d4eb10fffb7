"""Highlighting per language (reviews.changepage.highlight, reviews.diffview), from the whole file and from the
patch alone; the parts of a large diff (reviews.changepage.parts); durations and counts (reviews.templatetags.humane);
and the risk card's flags (reviews.changepage.riskflags)."""

from __future__ import annotations

import pytest

from reviews import diffview
from reviews.changepage import gitattributes, highlight, riskflags
from reviews.changepage import parts as diffparts
from reviews.templatetags.humane import say_count, say_duration

# (file name, one line of code, a CSS class Pygments gives part of it)
LANGUAGES = [
    ("services/gateway/auth.go", '\tif err != nil { return fmt.Errorf("no token") }', "k"),
    ("infra/main.tf", 'resource "aws_s3_bucket" "logs" {', "kr"),
    ("infra/vars.tfvars", 'region = "eu-west-1"', "s2"),
    ("deploy/values.yaml", "replicas: 3  # per zone", "c1"),
    ("app/core.py", "def total(items): return sum(items)  # all", "k"),
    ("web/app.js", "const total = items.length; // count", "kd"),
    ("web/app.ts", "export function total(): number { return 1; }", "kd"),
    ("db/0001.sql", "ALTER TABLE cart ADD COLUMN total integer;", "k"),
    ("Dockerfile", "FROM python:3.12-slim", "k"),
    ("lib/pool.rs", "fn main() { let x = 1; }", "k"),
    ("scripts/run.sh", 'echo "hello"  # greet', "s2"),
    ("web/style.css", ".cart { margin: 4px; }", "nc"),
]


def patch_of(lines: list[str]) -> str:
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)


@pytest.mark.parametrize(("filename", "line", "css"), LANGUAGES)
def test_every_language_pygments_knows_highlights_from_the_whole_file(filename, line, css):
    source = diffview.source_lines(line + "\n", filename)

    assert source.html is not None
    assert f'class="{css}"' in source.html[0]


@pytest.mark.parametrize(("filename", "line", "css"), LANGUAGES)
def test_without_the_files_versions_a_line_is_highlighted_from_the_patch(filename, line, css):
    hunks = diffview.parse_patch(patch_of([line]))

    (row,) = highlight.highlight_hunks(hunks, None, None, filename=filename)[0].rows

    assert f'class="{css}"' in row.html
    assert "<script" not in row.html


def test_a_patch_line_the_lexer_reads_differently_falls_back_to_plain_text_alone():
    hunks = diffview.parse_patch("@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n y = '<b>'\n")

    rows = highlight.highlight_hunks(hunks, None, None, filename="m.py")[0].rows

    assert all("<b>" not in row.html for row in rows)
    assert '<span class="mi">2</span>' in rows[1].html
    assert "&lt;b&gt;" in rows[2].html


def test_patch_highlighting_keeps_html_in_code_escaped():
    hunks = diffview.parse_patch(patch_of(['TEMPLATE = "<script>alert(1)</script>"']))

    (row,) = highlight.highlight_hunks(hunks, None, None, filename="w.py")[0].rows

    assert "<script>" not in row.html and "&lt;script&gt;" in row.html


@pytest.mark.parametrize("filename", ["go.mod", "go.sum", "notes.unknownext"])
def test_names_without_a_right_lexer_are_shown_plain(filename):
    assert diffview.source_lines("module example.com/x\n", filename).html is None


# --- parts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lines", "parts"), [(0, 1), (1, 1), (200, 1), (201, 2), (450, 3)])
def test_part_count(lines, parts):
    assert diffparts.part_count(lines) == parts


def test_headers_go_with_the_line_after_them_and_trailing_notes_stay_in_the_last_part():
    items = [{"kind": "hunk"}] + [{"kind": "add", "n": n} for n in range(5)] + [{"kind": "meta"}]

    first = diffparts.part_items(items, 0, 3, size=2)
    last = diffparts.part_items(items, 2, 3, size=2)

    assert [i["kind"] for i in first] == ["hunk", "add", "add"]
    assert [i.get("n") for i in last] == [4, None]


# --- durations and counts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "–"),
        (0, "0 s"),
        (42, "42 s"),
        (200, "3 min 20 s"),
        (240, "4 min"),
        (900, "15 min"),
        (4319, "1 h 12 min"),
        (7200, "2 h"),
        (93600, "1 d 2 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds, said):
    assert say_duration(seconds) == said


@pytest.mark.parametrize(
    ("number", "noun", "said"),
    [(1, "file", "1 file"), (2, "file", "2 files"), (0, "file", "0 files"), (1204, "line", "1,204 lines"),
     (1, "reply,replies", "1 reply"), (3, "reply,replies", "3 replies")],
)  # fmt: skip
def test_counts_take_the_right_number(number, noun, said):
    assert say_count(number, noun) == said


# --- the risk card ------------------------------------------------------------------------------


def test_gates_are_never_in_the_score_and_a_named_sensitive_path_is():
    flags = riskflags.page_flags(
        reasons=[[0.12, "touches 1 sensitive path(s)"]],
        sensitive_files=1,
        gates=[("migrations", "warn")],
        ai_assisted=False,
        ai_undeclared=False,
    )

    assert [(f.label, f.in_score) for f in flags] == [
        ("1 file on a sensitive path", True),
        ("gate migrations: warn", False),
    ]


def test_ai_assistance_the_score_does_not_name_says_why():
    (flag,) = riskflags.page_flags(reasons=[], sensitive_files=0, gates=[], ai_assisted=True, ai_undeclared=True)

    assert not flag.in_score and "less than 0.01" in flag.note


@pytest.mark.parametrize(
    ("score", "label"), [(0.0, "under 0.01"), (0.004, "under 0.01"), (0.005, "0.01"), (0.42, "0.42")]
)
def test_a_tiny_score_does_not_read_as_no_risk(score, label):
    assert riskflags.score_label(score) == label


# --- .gitattributes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("*.pb.go linguist-generated\n", {"api/x.pb.go"}),
        ("api/** linguist-generated=true\napi/keep.go -linguist-generated\n", {"api/x.pb.go"}),
        ("# api/** linguist-generated\n", set()),
        ("docs/*.md linguist-documentation\n", set()),
        ("/api/ linguist-generated\n", {"api/x.pb.go", "api/keep.go"}),
    ],
)
def test_gitattributes_mark_generated_files_and_later_lines_win(text, marked):
    assert gitattributes.generated_paths(text, ["api/x.pb.go", "api/keep.go", "main.go"]) == marked
