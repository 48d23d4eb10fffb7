"""SZZ: the lines a fix removes, which of them are traced, and blame on a real repository with known culprits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.services import trace_fix
from incidents.szz import RemovedLine, comment_markers, is_traceable, line_ranges, removed_lines, summarise
from intake.gitoutput import parse_blame_porcelain
from intake.gitrepo import Mirror
from intake.gitrun import GitError

# --- which lines a diff removes ------------------------------------------------------------------------------------

DIFF = """\
diff --git a/app/pricing.py b/app/pricing.py
index 1111111..2222222 100644
--- a/app/pricing.py
+++ b/app/pricing.py
@@ -3,2 +3,2 @@ def total(items):
-    return sum(i.price for i in items)
-    # TODO: rounding
+    return round(sum(i.price for i in items), 2)
+    # rounded to cents
@@ -10 +10,0 @@ def tax(amount):
--- SQL-looking line that starts with dashes
diff --git a/old/name.py b/new/name.py
similarity index 90%
rename from old/name.py
rename to new/name.py
--- a/old/name.py
+++ b/new/name.py
@@ -7,0 +8 @@ x = 1
+y = 2
@@ -20 +21 @@ z = 3
-z = compute(3)
\\ No newline at end of file
+z = compute(4)
\\ No newline at end of file
diff --git a/brand/new.py b/brand/new.py
new file mode 100644
--- /dev/null
+++ b/brand/new.py
@@ -0,0 +1 @@
+print("hello")
diff --git a/gone.sql b/gone.sql
deleted file mode 100644
--- a/gone.sql
+++ /dev/null
@@ -1,2 +0,0 @@
-SELECT 1;
--- a comment
"""


def test_removed_lines_are_numbered_in_the_old_file_across_hunks_renames_and_deletions():
    assert removed_lines(DIFF) == [
        RemovedLine("app/pricing.py", 3, "    return sum(i.price for i in items)"),
        RemovedLine("app/pricing.py", 4, "    # TODO: rounding"),
        RemovedLine("app/pricing.py", 10, "-- SQL-looking line that starts with dashes"),
        RemovedLine("old/name.py", 20, "z = compute(3)"),
        RemovedLine("gone.sql", 1, "SELECT 1;"),
        RemovedLine("gone.sql", 2, "-- a comment"),
    ]


def test_a_quoted_path_is_unquoted():
    diff = '--- "a/caf\\303\\251.py"\n+++ "b/caf\\303\\251.py"\n@@ -1 +1 @@\n-x = 1\n+x = 2\n'

    assert removed_lines(diff) == [RemovedLine("café.py", 1, "x = 1")]


@given(st.text(max_size=3000))
def test_removed_lines_never_fails_on_any_text(text):
    for line in removed_lines(text):
        assert line.line >= 0


@pytest.mark.parametrize(
    ("path", "text", "traceable"),
    [
        ("app/pricing.py", "    return total", True),
        ("app/pricing.py", "    # a comment", False),
        ("app/pricing.py", "   ", False),
        ("web/cart.ts", "  // a comment", False),
        ("web/cart.ts", "  * inside a block comment", False),
        ("web/cart.ts", "  total += 1; // trailing comment", True),
        ("db/0042.sql", "-- a comment", False),
        ("db/0042.sql", "SELECT 1;", True),
        ("deploy/app.yaml", "# replicas", False),
        ("lib/pool.go", "\tpool.Close()", True),
        ("templates/page.html", "<!-- note -->", False),
        ("Makefile", "# build", False),
        ("README", "# Not a comment here", True),
    ],
)
def test_blank_and_comment_only_lines_are_not_traced(path, text, traceable):
    assert is_traceable(RemovedLine(path, 1, text)) is traceable


def test_comment_markers_come_from_the_extension_or_the_file_name():
    assert comment_markers("a/b.PY") == ("#",)
    assert comment_markers("Dockerfile") == ("#",)
    assert comment_markers("no_extension") == ()


def test_line_ranges_fold_consecutive_lines():
    assert line_ranges([7, 3, 4, 5, 9, 10, 4]) == [(3, 5), (7, 7), (9, 10)]
    assert line_ranges([]) == []


def test_line_ranges_widen_by_context_within_the_file():
    assert line_ranges([2, 20], context=3, last=21) == [(1, 5), (17, 21)]
    assert line_ranges([5, 9], context=2) == [(3, 11)]


def test_summarise_counts_lines_and_paths_per_commit():
    trace = summarise([("a" * 40, "x.py"), ("a" * 40, "y.py"), ("b" * 40, "x.py")], skipped=2)

    assert trace.lines == {"a" * 40: 2, "b" * 40: 1}
    assert trace.files == {"a" * 40: ("x.py", "y.py"), "b" * 40: ("x.py",)}
    assert (trace.total, trace.skipped) == (3, 2)


def test_blame_porcelain_keeps_each_lines_commit_and_original_path():
    a, b = "a" * 40, "b" * 40
    output = (
        f"{a} 1 1 2\nauthor A\nsummary one\nfilename old.py\n\tfirst\n"
        f"{a} 2 2\n\tsecond\n"
        f"{b} 5 3 1\nauthor B\nprevious {a} old.py\nfilename new.py\n\tthird\n"
    )

    lines = parse_blame_porcelain(output)

    assert [(x.line, x.sha, x.orig_path, x.orig_line, x.text) for x in lines] == [
        (1, a, "old.py", 1, "first"),
        (2, a, "old.py", 2, "second"),
        (3, b, "new.py", 5, "third"),
    ]


# --- SZZ on a repository with known bug-introducing commits --------------------------------------------------------

PRICING = """\
def total(items):
    subtotal = sum(item.price * item.quantity for item in items)
    return round(subtotal, 2)


def discount(amount, rate):
    reduced = amount - amount * rate
    return round(reduced, 2)
"""

CART = """\
class Cart:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)
"""


@pytest.fixture
def history(work_repo, tmp_path):
    """A history whose bug-introducing commits are known, with a re-indent and a move in between."""
    commits = {}
    commits["base"] = work_repo.commit({"app/pricing.py": PRICING, "app/cart.py": CART}, "Initial import")
    # Bug 1: the discount forgets to round and multiplies the wrong way.
    buggy = PRICING.replace(
        "    reduced = amount - amount * rate\n    return round(reduced, 2)\n",
        "    reduced = amount * rate - amount\n    return reduced\n",
    )
    commits["bug1"] = work_repo.commit({"app/pricing.py": buggy}, "Speed up discounts", author="Bea <bea@x.org>")
    # Whitespace only: four spaces become eight in the discount function; blame must look through it.
    reindented = buggy.replace(
        "    reduced = amount * rate - amount\n    return reduced\n",
        "        reduced = amount * rate - amount\n        return reduced\n",
    )
    commits["indent"] = work_repo.commit({"app/pricing.py": reindented}, "Re-indent", author="Ida <ida@x.org>")
    # The discount function moves to its own file: blame must follow the lines to where they were written.
    moved_out = reindented.split("\n\n\ndef discount")[0] + "\n"
    moved_in = "def discount(amount, rate):\n" + reindented.split("def discount(amount, rate):\n")[1]
    commits["move"] = work_repo.commit(
        {"app/pricing.py": moved_out, "app/discounts.py": moved_in}, "Move discounts out", author="Mo <mo@x.org>"
    )
    # Bug 2: the cart drops items that are already there.
    cart_bug = CART.replace(
        "        self.items.append(item)\n", "        if item not in self.items:\n            self.items = [item]\n"
    )
    commits["bug2"] = work_repo.commit({"app/cart.py": cart_bug}, "Deduplicate cart items", author="Cy <cy@x.org>")
    # Comments and a blank line by someone else: the fix removes them, and they must not be traced.
    commented = cart_bug.replace("class Cart:\n", "# The shopping cart.\n\nclass Cart:\n")
    commits["comments"] = work_repo.commit({"app/cart.py": commented}, "Document the cart", author="Dee <dee@x.org>")
    # The fix: corrects both bugs, drops the comment and blank line, and only re-indents a line of the base.
    fixed_discounts = moved_in.replace(
        "        reduced = amount * rate - amount\n        return reduced\n",
        "        reduced = amount - amount * rate\n        return round(reduced, 2)\n",
    )
    fixed_cart = (
        commented.replace("# The shopping cart.\n\n", "")
        .replace(
            "        if item not in self.items:\n            self.items = [item]\n", "        self.items.append(item)\n"
        )
        .replace("        self.items = []\n", "          self.items = []\n")
    )
    commits["fix"] = work_repo.commit(
        {"app/discounts.py": fixed_discounts, "app/cart.py": fixed_cart},
        "Fix discounts and cart",
        author="Fay <fay@x.org>",
    )
    mirror = Mirror(tmp_path / "mirror.git")
    mirror.fetch(str(work_repo.path))
    return mirror, commits


def test_szz_traces_the_fix_to_the_bug_introducing_commits_through_reindents_and_moves(history):
    mirror, commits = history

    fix = trace_fix(mirror, commits["fix"])

    assert fix.sha == commits["fix"]
    assert fix.title == "Fix discounts and cart"
    # Two discount lines (re-indented, then moved) and two cart lines: all from the two bugs.
    assert fix.trace.lines == {commits["bug1"]: 2, commits["bug2"]: 2}
    assert fix.trace.files[commits["bug1"]] == ("app/pricing.py",)
    assert fix.trace.files[commits["bug2"]] == ("app/cart.py",)
    # The comment and the blank line were removed but not traced; the re-indented base line is not a change.
    assert fix.trace.skipped == 2
    assert fix.trace.total == 4
    assert commits["indent"] not in fix.trace.lines
    assert commits["move"] not in fix.trace.lines
    assert commits["comments"] not in fix.trace.lines


def test_a_root_commit_as_fix_traces_nothing(history):
    mirror, commits = history

    fix = trace_fix(mirror, commits["base"])

    assert fix.trace.total == 0


def test_blame_refuses_paths_that_leave_the_tree(history):
    mirror, commits = history

    for path in ("/etc/passwd", "../x", "a/../../b", ""):
        with pytest.raises(GitError):
            mirror.blame(commits["fix"], path, [(1, 1)])


def test_blame_of_no_lines_runs_no_git(history, monkeypatch):
    mirror, commits = history
    monkeypatch.setattr(Mirror, "_git", lambda *a, **k: pytest.fail("git ran"))

    assert mirror.blame(commits["fix"], "app/cart.py", [(0, 0), (5, 2)]) == []


def test_blame_needs_a_full_sha(history):
    mirror, _ = history

    with pytest.raises(GitError, match="full SHA"):
        mirror.blame("main", "app/cart.py", [(1, 2)])


def test_show_commit_files_lists_what_one_commit_changed(history):
    mirror, commits = history

    assert mirror.show_commit_files(commits["move"]) == ["app/discounts.py", "app/pricing.py"]
    assert mirror.show_commit_files(commits["base"]) == ["app/cart.py", "app/pricing.py"]


def test_commit_diff_without_whitespace_hides_a_reindent(history):
    mirror, commits = history

    assert b"@@" not in mirror.commit_diff(commits["indent"], ignore_whitespace=True)
    assert b"@@" in mirror.commit_diff(commits["indent"])
