"""A large file's diff in parts: which lines a part holds, and the rows of a rendered diff that belong to it (pure).

The change page ships a file's first part and loads the next one when the reader scrolls to its end, so a file of
thousands of lines costs its first part only until someone reads further.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reviews.diffview import Hunk

# Lines (added, removed, unchanged) in one part of a file's diff.
PART_LINES = 200
_LINE_KINDS = ("add", "del", "ctx", "pair")


def line_count(hunks: Sequence[Hunk]) -> int:
    """Added, removed and unchanged lines of the hunks."""
    return sum(1 for hunk in hunks for row in hunk.rows if row.kind in ("add", "del", "ctx"))


def part_count(lines: int, size: int = PART_LINES) -> int:
    """How many parts a diff of `lines` lines takes; at least one."""
    return max(1, -(-lines // size))


def lines_until(hunks: Sequence[Hunk], end: int) -> tuple[int, int]:
    """The highest old and new line numbers among the first `end` lines: how far each version must be read."""
    old = new = seen = 0
    for hunk in hunks:
        for row in hunk.rows:
            if row.kind not in ("add", "del", "ctx"):
                continue
            if seen >= end:
                return old, new
            seen += 1
            old, new = max(old, row.old_no or 0), max(new, row.new_no or 0)
    return old, new


def part_items(items: list[dict[str, Any]], part: int, parts: int, size: int = PART_LINES) -> list[dict[str, Any]]:
    """The rendered rows of part `part`: its lines, with the hunk headers and gaps that come before them.

    A header or gap goes with the line after it; whatever follows the last line (a "no newline" note, the gap to
    the end of the file) stays in the last part.
    """
    chosen = []
    seen = 0
    for item in items:
        bucket = min(seen // size, parts - 1)
        if item["kind"] in _LINE_KINDS:
            seen += 1
        if bucket == part:
            chosen.append(item)
    return chosen
