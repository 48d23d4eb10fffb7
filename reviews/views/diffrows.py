"""What the diff viewer shows of a file: its entry in the file list, and its diff as rows for the templates.

Rows are plain dicts for the templates (reviews/_diff_rows.html); their code is `diffview.SafeHtml`, escaped there.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import Http404
from django.urls import NoReverseMatch, reverse

from intake.diffparse import is_generated_path
from intake.gitrepo import Mirror
from intake.gitrun import GitError
from policy.decision import matches_glob
from reviews import diffview, filelist
from reviews.changepage import highlight
from reviews.changepage import parts as diffparts
from reviews.models import Change, ChangeFile
from reviews.templatetags.diffview import MAX_RENDERED_LINES
from reviews.views.diffhtml import with_row_html

# Larger versions of a file are not read for highlighting or context.
READ_MAX_BYTES = 1024 * 1024
# Unchanged lines one click on "more above" or "more below" shows; a gap up to twice this opens whole.
CONTEXT_STEP = 20
CONTEXT_MAX_LINES = 2000

_MARKS = {"add": "+", "del": "−", "ctx": " "}


@dataclass
class RenderedDiff:
    """What a file's diff shows: its rows in one layout, or a note saying why it shows none."""

    mode: str
    items: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    hidden_lines: int = 0
    max_lines: int = MAX_RENDERED_LINES
    more_url: str = ""  # the next part of a large file's diff, loaded when its row scrolls into view
    more_label: str = ""


@dataclass
class FileEntry:
    """A file of a change as the page shows it: its anchor, whether the reader viewed it, what flags it."""

    file: ChangeFile
    anchor: str
    url: str
    viewed: bool = False
    sensitive: bool = False
    flags: list[filelist.GateFlag] = field(default_factory=list)
    diff: RenderedDiff | None = None
    marked_generated: bool = False  # by the repository's .gitattributes (linguist-generated)

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def name(self) -> str:
        return posixpath.basename(self.file.path)

    @property
    def gates(self) -> list[dict[str, str]]:
        """Each gate that names the file once, with its details joined for a tooltip."""
        found: dict[str, dict[str, str]] = {}
        for flag in self.flags:
            entry = found.setdefault(flag.gate, {"gate": flag.gate, "status": flag.status, "details": ""})
            entry["details"] = (entry["details"] + "\n" + flag.detail).strip()
        return list(found.values())

    @property
    def worst(self) -> str:
        statuses = {flag.status for flag in self.flags}
        return next((s for s in ("fail", "warn", "overridden") if s in statuses), "")

    @property
    def generated(self) -> bool:
        """Generated, vendored or a lock file: its diff waits behind "Load diff"."""
        return self.marked_generated or self.file.is_generated or is_generated_path(self.file.path)

    @property
    def collapsed(self) -> bool:
        """Folded when the page opens: viewed already."""
        return self.viewed

    @property
    def changed_lines(self) -> int:
        return self.file.lines_added + self.file.lines_removed


@dataclass(frozen=True)
class Rendering:
    """What rows need to know about the page they are on."""

    change_id: int
    path: str
    anchor: str
    mode: str
    comment_base: str = ""
    threads: dict[str, list[Any]] = field(default_factory=dict)
    line_flags: dict[int, list[filelist.GateFlag]] = field(default_factory=dict)


def file_entries(change: Change, files: list[ChangeFile], viewed: dict[str, str], mode: str) -> list[FileEntry]:
    """Entries in the order of the file tree, marked viewed only at the file's current fingerprint."""
    base = reverse("reviews:file-detail", args=[change.pk])
    globs = [g for g in (change.repository.sensitive_paths or []) if isinstance(g, str)]
    by_path = {f.path: f for f in files}
    flags = filelist.gate_flags(_gate_details(change), by_path)
    entries = []
    for _, paths in filelist.tree_order(by_path):
        for path in paths:
            file = by_path[path]
            entries.append(
                FileEntry(
                    file=file,
                    anchor=filelist.file_anchor(path),
                    url=f"{base}?{urlencode({'path': path, 'view': mode})}",
                    viewed=bool(file.fingerprint) and viewed.get(path) == file.fingerprint,
                    sensitive=any(matches_glob(p, g) for p in (file.path, file.old_path) if p for g in globs),
                    flags=flags.get(path, []),
                )
            )
    return entries


def _gate_details(change: Change) -> list[tuple[str, str, list[str]]]:
    """(gate, status, details) of the current revision's failing and warning gates; overridden ones say so."""
    gates = []
    for result in change.current_gates:
        if result.status in ("fail", "warn") and isinstance(result.details, list):
            gates.append((result.name, "overridden" if result.override else result.status, result.details))
    return gates


def comment_base_url(change: Change) -> str:
    try:
        return reverse("reviews:comment-new", args=[change.pk])
    except NoReverseMatch:  # inline comments not installed: no comment buttons
        return ""


# --- rendering one file -------------------------------------------------------------------------


def read_attributes(mirror: Mirror | None, sha: str) -> str:
    """The root .gitattributes at sha, or "" when there is none or it cannot be read."""
    if mirror is None or not sha or not mirror.exists():
        return ""
    try:
        content = mirror.read_file(sha, ".gitattributes", max_bytes=64 * 1024)
    except GitError:
        return ""
    return content.decode("utf-8", "replace") if content else ""


def read_source(mirror: Mirror | None, sha: str, path: str, until: int | None = None) -> diffview.SourceLines | None:
    """One version of a file, split and highlighted up to line `until`; None when it cannot be read or is not text."""
    if mirror is None or not sha or not path or not mirror.exists():
        return None
    try:
        content = mirror.read_file(sha, path, max_bytes=READ_MAX_BYTES)
    except GitError:
        return None  # too large, or a name git refuses to look up
    if content is None or b"\0" in content[:8000]:
        return None
    return diffview.source_lines(content.decode("utf-8", "replace"), path, until=until)


def render_file(
    change: Change,
    entry: FileEntry,
    mode: str,
    *,
    mirror: Mirror | None,
    threads: dict[str, list] | None = None,
    comment_base: str = "",
    old_sha: str | None = None,
    new_sha: str | None = None,
    expandable: bool = True,
    part: int | None = None,
) -> RenderedDiff:
    """A file's diff as rows in the layout asked for, highlighted from both versions of the file (no mirror: from
    the patch alone); with `part`, only that part of diffparts.PART_LINES lines and a link to the next (404 past
    the last)."""
    file = entry.file
    if file.status == ChangeFile.Status.BINARY:
        return RenderedDiff(mode, note="Binary file: not shown.")
    if not file.patch:
        if file.lines_added or file.lines_removed:
            return RenderedDiff(mode, note="This file's diff is too large to show; its lines count in the change.")
        return RenderedDiff(mode, note="No lines changed (a rename or a change of mode).")
    hunks = diffview.parse_patch(file.patch)
    if not hunks:
        return RenderedDiff(mode, note="No lines changed (a rename or a change of mode).")
    hunks, hidden = diffview.limit_lines(hunks, MAX_RENDERED_LINES)
    total = diffparts.line_count(hunks)
    parts = diffparts.part_count(total) if part is not None else 1
    if part is not None and not 0 <= part < parts:
        raise Http404("No such part of this file's diff.")
    old_sha = change.base_sha if old_sha is None else old_sha
    new_sha = (change.diff_sha or change.head_sha) if new_sha is None else new_sha
    end = (part + 1) * diffparts.PART_LINES if part is not None else total
    old_until, new_until = diffparts.lines_until(hunks, end)
    old = new = None
    if file.status != ChangeFile.Status.ADDED:
        old = read_source(mirror, old_sha, file.old_path or file.path, until=old_until)
    if file.status != ChangeFile.Status.DELETED:
        new = read_source(mirror, new_sha, file.path, until=new_until)
    hunks = highlight.highlight_hunks(hunks, old, new, filename=file.path)
    layout = diffview.with_gaps(hunks, new.count if new is not None and not hidden else None)
    if not expandable or new is None:
        layout = [item for item in layout if not isinstance(item, diffview.Gap)]
    rendering = Rendering(
        change_id=change.pk,
        path=file.path,
        anchor=entry.anchor,
        mode=mode,
        comment_base=f"{comment_base}?{urlencode({'path': file.path})}" if comment_base else "",
        threads=threads or {},
        line_flags=_line_flags(entry.flags),
    )
    items = _split_items(layout, rendering) if mode == "split" else _unified_items(layout, rendering)
    if part is None:
        return RenderedDiff(mode, with_row_html(items, mode), hidden_lines=hidden)
    items = diffparts.part_items(items, part, parts)
    diff = RenderedDiff(mode, with_row_html(items, mode), hidden_lines=hidden if part == parts - 1 else 0)
    if part + 1 < parts:
        first, last = (part + 1) * diffparts.PART_LINES + 1, min(total, (part + 2) * diffparts.PART_LINES)
        diff.more_url = f"{entry.url}&{urlencode({'part': part + 1})}" if entry.url else ""
        diff.more_label = f"lines {first:,}–{last:,} of {total:,}"
    return diff


def _line_flags(flags: list[filelist.GateFlag]) -> dict[int, list[filelist.GateFlag]]:
    by_line: dict[int, list[filelist.GateFlag]] = {}
    for flag in flags:
        if flag.line is not None:
            by_line.setdefault(flag.line, []).append(flag)
    return by_line


def _flag_title(flags: list[filelist.GateFlag]) -> str:
    return "; ".join(f"{flag.gate}: {flag.detail}" for flag in flags)


def _cell(row: diffview.Row | None, side: str, rendering: Rendering, *, commentable: bool) -> dict[str, Any] | None:
    if row is None:
        return None
    number = row.old_no if side == "old" else row.new_no
    cell: dict[str, Any] = {"kind": row.kind, "no": number, "html": row.html, "mark": _MARKS.get(row.kind, " ")}
    if commentable and rendering.comment_base and number:
        cell["comment_url"] = f"{rendering.comment_base}&line={number}&side={side}"
        cell["line"] = number
        cell["side"] = side
    flags = rendering.line_flags.get(row.new_no) if row.kind in ("add", "ctx") and row.new_no else None
    if flags:
        cell["flag"] = _flag_title(flags)
    return cell


def _unified_items(layout: list[diffview.Row | diffview.Gap], rendering: Rendering) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index, row in enumerate(layout):
        if isinstance(row, diffview.Gap):
            items.append(_gap_item(row, rendering, leading=index == 0, trailing=index == len(layout) - 1))
        elif row.kind in ("hunk", "meta"):
            items.append({"kind": row.kind, "html": row.html})
        else:
            # Threads sit on removed lines by their old number, on added and unchanged lines by their new one.
            side = "old" if row.kind == "del" else "new"
            item = {
                "kind": row.kind,
                "old_no": row.old_no,
                "new_no": row.new_no,
                "cell": _cell(row, side, rendering, commentable=True),
                "slot": f"{rendering.anchor}-c{index}" if rendering.comment_base else "",
                "threads": rendering.threads.get(f"{side}:{row.old_no if side == 'old' else row.new_no}", []),
            }
            items.append(item)
    return items


def _split_items(layout: list[diffview.Row | diffview.Gap], rendering: Rendering) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    pairs = diffview.split_rows(layout)
    for index, pair in enumerate(pairs):
        if pair.kind == "gap":
            items.append(_gap_item(pair.gap, rendering, leading=index == 0, trailing=index == len(pairs) - 1))
        elif pair.kind in ("hunk", "meta"):
            items.append({"kind": pair.kind, "html": pair.left.html})
        else:
            left, right = pair.left, pair.right
            threads = []
            if left is not None and left.kind == "del":
                threads += rendering.threads.get(f"old:{left.old_no}", [])
            if right is not None:
                threads += rendering.threads.get(f"new:{right.new_no}", [])
            items.append(
                {
                    "kind": "pair",
                    # An unchanged line takes comments on its new side only, as it is in the unified view.
                    "left": _cell(left, "old", rendering, commentable=left is not None and left.kind == "del"),
                    "right": _cell(right, "new", rendering, commentable=True),
                    "slot": f"{rendering.anchor}-c{index}" if rendering.comment_base else "",
                    "threads": threads,
                }
            )
    return items


def _context_url(rendering: Rendering, gap: diffview.Gap, show: str) -> str:
    query = {
        "path": rendering.path,
        "start": gap.new_start,
        "end": gap.new_end,
        "delta": gap.delta,
        "show": show,
        "view": rendering.mode,
    }
    return f"{reverse('reviews:file-context', args=[rendering.change_id])}?{urlencode(query)}"


def _gap_item(gap: diffview.Gap, rendering: Rendering, *, leading: bool, trailing: bool) -> dict[str, Any]:
    """An expander: the whole gap when it is short, else a step up (from the next hunk) or down (from the last)."""
    item: dict[str, Any] = {"kind": "gap", "size": gap.size, "start": gap.new_start, "end": gap.new_end}
    if gap.size <= 2 * CONTEXT_STEP:
        item["all_url"] = _context_url(rendering, gap, "all")
        return item
    if not leading:
        item["down_url"] = _context_url(rendering, gap, "first")
    if not trailing:
        item["up_url"] = _context_url(rendering, gap, "last")
    if gap.size <= CONTEXT_MAX_LINES:
        item["all_url"] = _context_url(rendering, gap, "all")
    item["step"] = CONTEXT_STEP
    return item


def context_items(
    source: diffview.SourceLines, gap: diffview.Gap, show: str, rendering: Rendering
) -> list[dict[str, Any]]:
    """Rows of unchanged lines out of a gap, with an expander for what is left of it above or below them."""
    start, end = gap.new_start, min(gap.new_end, source.count)
    before = after = None
    if show == "first" and end - start + 1 > CONTEXT_STEP:
        after = diffview.Gap(start + CONTEXT_STEP, end, gap.delta)
        end = start + CONTEXT_STEP - 1
    elif show == "last" and end - start + 1 > CONTEXT_STEP:
        before = diffview.Gap(start, end - CONTEXT_STEP, gap.delta)
        start = end - CONTEXT_STEP + 1
    elif end - start + 1 > CONTEXT_MAX_LINES:
        after = diffview.Gap(start + CONTEXT_MAX_LINES, end, gap.delta)
        end = start + CONTEXT_MAX_LINES - 1
    rows = diffview.expand_context(source.lines, start, end, delta=gap.delta, html_lines=source.html)
    items = []
    if before is not None:
        items.append(_gap_item(before, rendering, leading=before.new_start == 1, trailing=False))
    for row in rows:
        cell = _cell(row, "new", rendering, commentable=False)
        if rendering.mode == "split":
            items.append({"kind": "pair", "left": {**cell, "no": row.old_no}, "right": cell, "threads": []})
        else:
            items.append({"kind": "ctx", "old_no": row.old_no, "new_no": row.new_no, "cell": cell, "threads": []})
    if after is not None:
        items.append(_gap_item(after, rendering, leading=False, trailing=after.new_end >= source.count))
    return with_row_html(items, rendering.mode)
