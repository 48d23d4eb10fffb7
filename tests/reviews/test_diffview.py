"""reviews.diffview: hunks and rows, side-by-side pairs, context gaps, highlighting and the file list (pure)."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews import diffview, filelist
from reviews.changepage import highlight
from reviews.diffview import Gap, Row, SafeHtml

MODIFY = """diff --git a/app/core.py b/app/core.py
index 1111111..2222222 100644
--- a/app/core.py
+++ b/app/core.py
@@ -3,4 +3,5 @@ def charge():
 a = 1
-b = 2
+b = 3
+c = 4
 d = 5
 e = 6
"""

TWO_HUNKS = """@@ -2,3 +2,3 @@
 two
-three
+THREE
 four
@@ -20,3 +20,4 @@ class Cart:
 twenty
+twenty and a half
 twenty-one
 twenty-two
"""


def kinds_and_numbers(hunks):
    return [(r.kind, r.old_no, r.new_no, r.text) for h in hunks for r in h.rows]


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (
            MODIFY,
            [
                ("ctx", 3, 3, "a = 1"),
                ("del", 4, None, "b = 2"),
                ("add", None, 4, "b = 3"),
                ("add", None, 5, "c = 4"),
                ("ctx", 5, 6, "d = 5"),
                ("ctx", 6, 7, "e = 6"),
            ],
        ),
        ("@@ -0,0 +1,2 @@\n+first\n+second\n", [("add", None, 1, "first"), ("add", None, 2, "second")]),
        ("@@ -1,2 +0,0 @@\n-first\n-second\n", [("del", 1, None, "first"), ("del", 2, None, "second")]),
        ("@@ -1 +1 @@\n-old\n+new\n", [("del", 1, None, "old"), ("add", None, 1, "new")]),
        (
            "@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n",
            [("del", 1, None, "old"), ("meta", None, None, "No newline at end of file"), ("add", None, 1, "new")],
        ),
        (
            "@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n",
            [("ctx", 1, 1, "a"), ("ctx", 2, 2, ""), ("del", 3, None, "b"), ("add", None, 3, "c")],
        ),
        (
            "@@ -1,2 +1,2 @@\n---- not a header\n++++ nor this\n x\n",
            [("del", 1, None, "--- not a header"), ("add", None, 1, "+++ nor this"), ("ctx", 2, 2, "x")],
        ),
        ("@@ -1,1 +1,1 @@\n-a\n+b\n+more than the header counts\n", [("del", 1, None, "a"), ("add", None, 1, "b")]),
        ("diff --git a/x b/x\nBinary files a/x and b/x differ\n", []),
        ("", []),
    ],
    ids=[
        "modify",
        "added",
        "deleted",
        "no-counts",
        "no-newline",
        "blank-context",
        "header-lookalikes",
        "overlong",
        "binary",
        "empty",
    ],
)
def test_parse_patch_reads_rows_with_their_line_numbers(patch, expected):
    assert kinds_and_numbers(diffview.parse_patch(patch)) == expected


def test_parse_patch_keeps_each_hunk_with_its_header_as_written():
    hunks = diffview.parse_patch(TWO_HUNKS)

    assert [h.header for h in hunks] == ["@@ -2,3 +2,3 @@", "@@ -20,3 +20,4 @@ class Cart:"]
    assert [len(h.rows) for h in hunks] == [4, 4]


def test_rows_carry_escaped_text_as_safe_html():
    (hunk,) = diffview.parse_patch('@@ -1 +1 @@\n-<script>alert("x")</script>\n+a & b\n')

    removed, added = hunk.rows
    assert removed.html == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert added.html == "a &amp; b"
    assert isinstance(added.html, SafeHtml) and added.html.__html__() == "a &amp; b"


# --- layout -------------------------------------------------------------------------------------


def test_with_gaps_puts_unchanged_stretches_before_between_and_after_the_hunks():
    items = diffview.with_gaps(diffview.parse_patch(TWO_HUNKS), new_total=30)

    gaps = [i for i in items if isinstance(i, Gap)]
    assert [(g.new_start, g.new_end, g.delta) for g in gaps] == [(1, 1, 0), (5, 19, 0), (24, 30, 1)]
    assert [g.old_start for g in gaps] == [1, 5, 23]
    assert items[1].kind == "hunk" and items[1].text == "@@ -2,3 +2,3 @@"


def test_with_gaps_leaves_the_end_open_when_the_length_of_the_file_is_unknown():
    items = diffview.with_gaps(diffview.parse_patch(TWO_HUNKS))

    assert not isinstance(items[-1], Gap)


def test_with_gaps_for_a_hunk_that_only_removes_lines():
    items = diffview.with_gaps(diffview.parse_patch("@@ -5,2 +4,0 @@\n-x\n-y\n"), new_total=8)

    gaps = [(g.new_start, g.new_end, g.delta) for g in items if isinstance(g, Gap)]
    assert gaps == [(1, 4, 0), (5, 8, -2)]


def pairs_of(patch):
    return [
        (p.kind, p.left and (p.left.kind, p.left.text), p.right and (p.right.kind, p.right.text))
        for p in diffview.split_rows(diffview.with_gaps(diffview.parse_patch(patch)))
    ]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (
            "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
            [
                ("hunk", ("hunk", "@@ -1,3 +1,3 @@"), None),
                ("pair", ("ctx", "a"), ("ctx", "a")),
                ("pair", ("del", "b"), ("add", "B")),
                ("pair", ("ctx", "c"), ("ctx", "c")),
            ],
        ),
        (
            "@@ -1,3 +1,2 @@\n-a\n-b\n-c\n+A\n+B\n",
            [
                ("hunk", ("hunk", "@@ -1,3 +1,2 @@"), None),
                ("pair", ("del", "a"), ("add", "A")),
                ("pair", ("del", "b"), ("add", "B")),
                ("pair", ("del", "c"), None),
            ],
        ),
        (
            "@@ -1,1 +1,3 @@\n x\n+y\n+z\n",
            [
                ("hunk", ("hunk", "@@ -1,1 +1,3 @@"), None),
                ("pair", ("ctx", "x"), ("ctx", "x")),
                ("pair", None, ("add", "y")),
                ("pair", None, ("add", "z")),
            ],
        ),
        (
            "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n",
            [
                ("hunk", ("hunk", "@@ -1 +1 @@"), None),
                ("pair", ("del", "a"), ("add", "b")),
                ("meta", ("meta", "No newline at end of file"), None),
            ],
        ),
        (
            "@@ -1,2 +1,2 @@\n+a\n-b\n x\n",
            [
                ("hunk", ("hunk", "@@ -1,2 +1,2 @@"), None),
                ("pair", None, ("add", "a")),
                ("pair", ("del", "b"), None),
                ("pair", ("ctx", "x"), ("ctx", "x")),
            ],
        ),
    ],
    ids=["replace", "more-removed", "only-added", "no-newline", "added-before-removed"],
)
def test_split_rows_pair_each_removed_run_with_the_added_run_after_it(patch, expected):
    assert pairs_of(patch) == expected


def test_split_rows_keep_gaps_whole():
    pairs = diffview.split_rows(diffview.with_gaps(diffview.parse_patch(TWO_HUNKS), new_total=25))

    assert [p.gap.new_start for p in pairs if p.kind == "gap"] == [1, 5, 24]


@pytest.mark.parametrize(
    ("start", "end", "delta", "expected"),
    [
        (2, 3, 0, [(2, 2, "two"), (3, 3, "three")]),
        (4, 9, 1, [(3, 4, "four"), (4, 5, "five")]),
        (0, 1, 0, [(1, 1, "one")]),
        (4, 2, 0, []),
    ],
)
def test_expand_context_gives_numbered_unchanged_rows_clamped_to_the_file(start, end, delta, expected):
    lines = ("one", "two", "three", "four", "five")

    rows = diffview.expand_context(lines, start, end, delta=delta)

    assert [(r.old_no, r.new_no, r.text) for r in rows] == expected
    assert all(r.kind == "ctx" for r in rows)


def test_expand_context_uses_the_highlighted_lines_when_given():
    source = diffview.source_lines('x = """a\nb"""\ny = 1\n', "m.py")

    rows = diffview.expand_context(source.lines, 2, 2, html_lines=source.html)

    assert rows[0].html == source.html[1] and 'class="s2"' in rows[0].html


def test_limit_lines_cuts_after_the_budget_and_counts_what_is_left_out():
    hunks, hidden = diffview.limit_lines(diffview.parse_patch(TWO_HUNKS), 5)

    assert [r.text for h in hunks for r in h.rows] == ["two", "three", "THREE", "four", "twenty"]
    assert hidden == 3


# --- highlighting -------------------------------------------------------------------------------

PYTHON = '''def greet():
    """Say hello,
    over two lines."""
    return "<b>hi</b>"  # a comment
'''


def strip_tags(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def test_source_lines_highlight_a_multi_line_string_as_a_string_on_every_line():
    source = diffview.source_lines(PYTHON, "app/greet.py")

    assert source.count == 4
    assert '<span class="k">def</span>' in source.html[0]
    assert source.html[2] == '<span class="sd">    over two lines.&quot;&quot;&quot;</span>'
    assert "&lt;b&gt;hi&lt;/b&gt;" in source.html[3] and "<b>" not in source.html[3]
    assert '<span class="c1"># a comment</span>' in source.html[3]


@pytest.mark.parametrize(
    ("text", "filename", "limits"),
    [
        ("plain words\n", "notes.unknownext", {}),
        ("x = 1\n" * 10, "big.py", {"max_lines": 5}),
        ("x = 1\n" * 10, "big.py", {"max_chars": 20}),
        ("x = 1\ry = 2\n", "cr.py", {}),
        ("x = '\0'\n", "nul.py", {}),
    ],
    ids=["no-lexer", "too-many-lines", "too-large", "lone-carriage-return", "nul-byte"],
)
def test_source_lines_are_plain_when_highlighting_would_be_wrong_or_too_costly(text, filename, limits):
    source = diffview.source_lines(text, filename, **limits)

    assert source.html is None
    assert source.lines == tuple(text.split("\n")[:-1])


def test_source_lines_with_windows_line_ends_are_highlighted_and_keep_their_numbers():
    source = diffview.source_lines("a = 1\r\nb = 2\r\n", "w.py")

    assert source.lines == ("a = 1\r", "b = 2\r")
    assert [strip_tags(h) for h in source.html] == ["a = 1", "b = 2"]


def test_source_lines_until_stops_highlighting_after_the_last_line_needed():
    source = diffview.source_lines("a = 1\nb = 2\nc = 3\n", "u.py", until=1)

    assert 'class="n"' in source.html[0]
    assert source.html[2] == "c = 3"


def test_highlight_hunks_take_removed_lines_from_the_old_file_and_the_rest_from_the_new():
    old = diffview.source_lines('s = """x\ny"""\n', "m.py")
    new = diffview.source_lines('s = """x\nz"""\n', "m.py")
    hunks = diffview.parse_patch('@@ -1,2 +1,2 @@\n s = """x\n-y"""\n+z"""\n')

    rows = highlight.highlight_hunks(hunks, old, new)[0].rows

    assert rows[1].html == '<span class="s2">y</span><span class="s2">&quot;&quot;&quot;</span>'
    assert rows[2].html == '<span class="s2">z</span><span class="s2">&quot;&quot;&quot;</span>'


def test_highlight_hunks_keep_the_patch_text_when_the_file_read_does_not_match_it():
    other = diffview.source_lines("completely = 'different'\n", "m.py")
    hunks = diffview.parse_patch("@@ -0,0 +1 @@\n+<i>x</i>\n")

    (row,) = highlight.highlight_hunks(hunks, None, other)[0].rows

    assert row.html == "&lt;i&gt;x&lt;/i&gt;"


# --- the file list ------------------------------------------------------------------------------


def test_file_anchor_is_stable_and_safe_as_an_html_id():
    anchor = filelist.file_anchor('weird "name" <x>.py')

    assert anchor == filelist.file_anchor('weird "name" <x>.py') != filelist.file_anchor("other.py")
    assert re.fullmatch(r"file-[0-9a-f]{12}", anchor)


def test_tree_order_groups_files_by_directory():
    order = filelist.tree_order(["b/z.py", "a.py", "b/c/d.py", "b/a.py", "a.py"])

    assert order == [("", ["a.py"]), ("b", ["b/a.py", "b/z.py"]), ("b/c", ["b/c/d.py"])]


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ("app/a.py:12: AWS key (AKIA…)", ("app/a.py", 12)),
        ("app/a.py (added)", ("app/a.py", None)),
        ("app/a.py: +300 -2", ("app/a.py", None)),
        ("app/a.py", ("app/a.py", None)),
        ("app/a.py changed without package.json", ("app/a.py", None)),
        ("app/a b.py:3: password", ("app/a b.py", 3)),
        ("app/a.pyc:3: nothing we show", None),
        ("12 added lines were not scanned", None),
    ],
)
def test_gate_flags_find_the_file_a_detail_names(detail, expected):
    flags = filelist.gate_flags([("secrets", "fail", [detail])], ["app/a.py", "app/a", "app/a b.py"])

    found = [(path, f.line) for path, fs in flags.items() for f in fs]
    assert found == ([expected] if expected else [])


# --- property tests: untrusted patches and files ------------------------------------------------

patch_lines = st.lists(
    st.one_of(
        st.from_regex(r"@@ -[0-9]{1,4}(,[0-9]{1,3})? \+[0-9]{1,4}(,[0-9]{1,3})? @@[ a-z]{0,5}", fullmatch=True),
        st.builds(lambda m, t: m + t, st.sampled_from(["+", "-", " ", "\\", "", "@", "d"]), st.text(max_size=12)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(patch_lines, st.one_of(st.none(), st.integers(min_value=-5, max_value=10_000)))
def test_any_patch_parses_lays_out_and_pairs_without_raising(lines, new_total):
    patch = "\n".join(lines)

    hunks = diffview.parse_patch(patch)
    items = diffview.with_gaps(hunks, new_total)
    pairs = diffview.split_rows(items)

    rows = [r for h in hunks for r in h.rows]
    assert all(r.html == html.escape(r.text) for r in rows)
    left = [p.left for p in pairs if p.kind == "pair" and p.left is not None and p.left.kind == "del"]
    right = [p.right for p in pairs if p.kind == "pair" and p.right is not None and p.right.kind == "add"]
    assert left == [r for r in rows if r.kind == "del"]
    assert right == [r for r in rows if r.kind == "add"]
    assert all(g.new_start <= g.new_end for g in items if isinstance(g, Gap))
    for hunk in hunks:
        news = [r.new_no for r in hunk.rows if r.new_no is not None]
        olds = [r.old_no for r in hunk.rows if r.old_no is not None]
        assert news == sorted(news) and olds == sorted(olds)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_patch_text_at_all_parses_without_raising(text):
    for hunk in diffview.parse_patch(text):
        assert isinstance(hunk.rows, tuple)


source_text = st.lists(
    st.one_of(
        st.sampled_from(['"""', "'", '"', "#", "<", ">", "&", "\\", "\r\n", "\t", "def ", "x = ", "<!--", "*/", "/*"]),
        st.text(max_size=8),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(source_text, st.sampled_from(["a.py", "b.js", "c.html", "d.c", "e.unknownext", "Makefile"]))
def test_highlighted_lines_show_exactly_the_file_and_nothing_unescaped(text, filename):
    source = diffview.source_lines(text, filename)

    assert source.lines == diffview.split_lines(text)
    if source.html is not None:
        assert len(source.html) == len(source.lines)
        for line, markup in zip(source.lines, source.html, strict=True):
            assert strip_tags(markup) == line.removesuffix("\r") or markup == html.escape(line)
            assert re.fullmatch(r'([^<>]|<span class="[a-z0-9]+">|</span>)*', markup)


def test_rows_are_plain_frozen_values():
    row = Row("add", None, 1, "x", SafeHtml("x"))

    with pytest.raises(AttributeError):
        row.text = "y"
