"""Highlighted code for a diff's rows: from the whole versions of the file when they were read, else from the patch
(pure).

The whole file is best: a string or comment opened above a hunk colours its lines right. When the versions cannot
be read (no mirror, a file too large, a revision gone), each hunk's own lines are highlighted as a run: the old side
(removed and unchanged lines) and the new side (added and unchanged lines) apart, so that most code colours right and
a line the lexer reads differently falls back to plain text on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reviews.diffview import Hunk, Row, SafeHtml, SourceLines, source_lines


def _line_html(source: SourceLines | None, number: int | None, text: str) -> SafeHtml | None:
    if source is None or source.html is None or number is None or not 1 <= number <= source.count:
        return None
    if source.lines[number - 1].removesuffix("\r") != text.removesuffix("\r"):
        return None  # the file read is not the one the patch was made from
    return source.html[number - 1]


def _side_html(rows: Sequence[Row], kinds: tuple[str, ...], filename: str) -> dict[int, SafeHtml]:
    """Index in `rows` to the highlighted HTML of that row, for the rows of one side highlighted as one text."""
    picked = [(index, row.text) for index, row in enumerate(rows) if row.kind in kinds]
    if not picked or any("\n" in text for _, text in picked):
        return {}
    source = source_lines("\n".join(text for _, text in picked) + "\n", filename)
    if source.html is None or source.count != len(picked):
        return {}
    return {index: source.html[n] for n, (index, _) in enumerate(picked)}


def patch_hunk_html(hunk: Hunk, filename: str) -> dict[tuple[int, str], SafeHtml]:
    """(row index, side) to highlighted HTML for a hunk's lines, read from the patch alone."""
    found: dict[tuple[int, str], SafeHtml] = {}
    for side, kinds in (("old", ("del", "ctx")), ("new", ("add", "ctx"))):
        for index, shown in _side_html(hunk.rows, kinds, filename).items():
            found[(index, side)] = shown
    return found


def highlight_hunks(
    hunks: Sequence[Hunk], old: SourceLines | None, new: SourceLines | None, *, filename: str = ""
) -> tuple[Hunk, ...]:
    """Hunks whose rows carry the highlighted HTML of their line: removed lines from the old file, others from the
    new one; with a `filename`, a line neither version gives is highlighted from the patch."""
    result = []
    for hunk in hunks:
        from_patch: dict[tuple[int, str], SafeHtml] | None = None
        rows = []
        for index, row in enumerate(hunk.rows):
            side = "old" if row.kind == "del" else "new"
            shown = None
            if row.kind in ("add", "del", "ctx"):
                shown = _line_html(old if side == "old" else new, row.old_no if side == "old" else row.new_no, row.text)
                if shown is None and filename:
                    if from_patch is None:
                        from_patch = patch_hunk_html(hunk, filename)
                    shown = from_patch.get((index, side))
            rows.append(replace(row, html=shown) if shown is not None else row)
        result.append(replace(hunk, rows=tuple(rows)))
    return tuple(result)
