"""One file's unified diff as rows to read: hunks, line numbers, side-by-side pairs, highlighted code (pure).

Nothing here touches the database, settings or git: the view reads the patch and the two versions of the file
and hands them in as text. Every piece of text that reaches HTML goes through `html.escape`, and the result is a
`SafeHtml` string, which Django templates insert as it is (it has `__html__`); anything else they escape.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

# Highlighting a file costs time proportional to its size; past these limits a file is shown as plain text.
HIGHLIGHT_MAX_CHARS = 200_000
HIGHLIGHT_MAX_LINES = 5_000

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$")


class SafeHtml(str):
    """HTML in which every piece of text was escaped; templates insert it without escaping it again."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def escape(text: str) -> SafeHtml:
    """Text as HTML that shows exactly that text."""
    return SafeHtml(html.escape(text))


@dataclass(frozen=True)
class Row:
    """One line of a diff: an added, removed or unchanged line, a hunk header or a note such as no newline."""

    kind: str  # add, del, ctx, hunk, meta
    old_no: int | None
    new_no: int | None
    text: str
    html: SafeHtml


@dataclass(frozen=True)
class Hunk:
    """One hunk: where it starts on each side and its lines."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    header: str
    rows: tuple[Row, ...]

    @property
    def new_first(self) -> int:
        """First new line of the hunk; a hunk of no new lines starts after the line its header names."""
        return self.new_start if self.new_count else self.new_start + 1

    @property
    def old_first(self) -> int:
        return self.old_start if self.old_count else self.old_start + 1


@dataclass(frozen=True)
class Gap:
    """Unchanged lines between hunks that the diff leaves out; `delta` is new line number minus old."""

    new_start: int
    new_end: int
    delta: int
    kind: str = "gap"

    @property
    def size(self) -> int:
        return self.new_end - self.new_start + 1

    @property
    def old_start(self) -> int:
        return self.new_start - self.delta


@dataclass(frozen=True)
class Pair:
    """One row of the side-by-side view: old on the left, new on the right; hunk, meta and gap rows span both."""

    kind: str  # pair, hunk, meta, gap
    left: Row | None = None
    right: Row | None = None
    gap: Gap | None = None


@dataclass(frozen=True)
class SourceLines:
    """One version of a file: its lines as git counts them and, when highlighted, the HTML of each."""

    lines: tuple[str, ...]
    html: tuple[SafeHtml, ...] | None = None

    @property
    def count(self) -> int:
        return len(self.lines)


# --- parsing ------------------------------------------------------------------------------------


def parse_patch(patch: str) -> tuple[Hunk, ...]:
    """The hunks of one file's unified diff; file headers are skipped and nothing malformed raises."""
    hunks: list[Hunk] = []
    current: dict | None = None
    rows: list[Row] = []
    old_left = new_left = 0
    old_no = new_no = 0

    def close() -> None:
        if current is not None:
            hunks.append(Hunk(rows=tuple(rows), **current))

    for line in patch.split("\n"):
        match = _HUNK_RE.match(line)
        if match:
            close()
            old_start, old_count, new_start, new_count, _ = match.groups()
            current = {
                "old_start": int(old_start),
                "old_count": 1 if old_count is None else int(old_count),
                "new_start": int(new_start),
                "new_count": 1 if new_count is None else int(new_count),
                "header": line,
            }
            rows = []
            old_left, new_left = current["old_count"], current["new_count"]
            old_no = current["old_start"] if old_left else current["old_start"] + 1
            new_no = current["new_start"] if new_left else current["new_start"] + 1
            continue
        if current is None:
            continue  # diff --git, index, ---, +++ and other file headers
        if line.startswith("\\"):
            rows.append(Row("meta", None, None, line[1:].strip(), escape(line[1:].strip())))
            continue
        if old_left <= 0 and new_left <= 0:
            continue  # past the hunk's counted lines: a header of nothing, or trailing noise
        marker, text = line[:1], line[1:]
        if marker == "+" and new_left > 0:
            rows.append(Row("add", None, new_no, text, escape(text)))
            new_no += 1
            new_left -= 1
        elif marker == "-" and old_left > 0:
            rows.append(Row("del", old_no, None, text, escape(text)))
            old_no += 1
            old_left -= 1
        elif marker in (" ", "") and old_left > 0 and new_left > 0:
            # An empty line is a blank context line whose leading space an editor or mail client dropped.
            rows.append(Row("ctx", old_no, new_no, text, escape(text)))
            old_no += 1
            new_no += 1
            old_left -= 1
            new_left -= 1
        else:
            old_left = new_left = 0  # the counts and the lines disagree: stop reading this hunk
    close()
    return tuple(hunks)


def hunk_row(hunk: Hunk) -> Row:
    """The header row that introduces a hunk."""
    return Row("hunk", hunk.old_start, hunk.new_start, hunk.header, escape(hunk.header))


# --- layout -------------------------------------------------------------------------------------


def with_gaps(hunks: Sequence[Hunk], new_total: int | None = None) -> list[Row | Gap]:
    """Rows of every hunk, each hunk under its header, with a gap of unchanged lines before, between and after.

    The gap after the last hunk is known only when the length of the new file is (new_total).
    """
    items: list[Row | Gap] = []
    new_end = old_end = 0
    for hunk in hunks:
        start, end = new_end + 1, hunk.new_first - 1
        if start <= end:
            items.append(Gap(start, end, hunk.new_first - hunk.old_first))
        items.append(hunk_row(hunk))
        items.extend(hunk.rows)
        new_end = max(new_end, hunk.new_first + hunk.new_count - 1)
        old_end = max(old_end, hunk.old_first + hunk.old_count - 1)
    if hunks and new_total is not None and new_end < new_total:
        items.append(Gap(new_end + 1, new_total, new_end - old_end))
    return items


def split_rows(items: Iterable[Row | Gap]) -> list[Pair]:
    """Side-by-side rows: unchanged lines face themselves; a run of removed lines faces the added run after it."""
    pairs: list[Pair] = []
    dels: list[Row] = []
    adds: list[Row] = []
    notes: list[Row] = []

    def flush() -> None:
        for index in range(max(len(dels), len(adds))):
            left = dels[index] if index < len(dels) else None
            right = adds[index] if index < len(adds) else None
            pairs.append(Pair("pair", left, right))
        pairs.extend(Pair("meta", note) for note in notes)
        dels.clear()
        adds.clear()
        notes.clear()

    for item in items:
        if isinstance(item, Gap):
            flush()
            pairs.append(Pair("gap", gap=item))
        elif item.kind == "del":
            if adds:
                flush()
            dels.append(item)
        elif item.kind == "add":
            adds.append(item)
        elif item.kind == "meta" and (dels or adds):
            notes.append(item)  # "no newline at end of file" belongs to the run it follows
        else:
            flush()
            if item.kind == "ctx":
                pairs.append(Pair("pair", item, item))
            else:
                pairs.append(Pair(item.kind, item))
    flush()
    return pairs


def expand_context(
    lines: Sequence[str],
    start: int,
    end: int,
    *,
    delta: int = 0,
    html_lines: Sequence[SafeHtml] | None = None,
) -> tuple[Row, ...]:
    """Unchanged lines start..end (1-based, inclusive) of the new file as context rows, clamped to the file.

    `delta` is the new line number minus the old one in that stretch, which gives the old numbers.
    """
    start, end = max(1, start), min(len(lines), end)
    rows = []
    for number in range(start, end + 1):
        text = lines[number - 1]
        shown = html_lines[number - 1] if html_lines is not None and number <= len(html_lines) else escape(text)
        rows.append(Row("ctx", number - delta, number, text, shown))
    return tuple(rows)


# --- highlighting -------------------------------------------------------------------------------


def split_lines(text: str) -> tuple[str, ...]:
    """Lines as git counts them: split on newlines only; a final newline ends the last line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return tuple(lines)


# Names Pygments gives the wrong lexer by their extension (go.mod is not Modula-2), or that it only knows by alias.
_LEXER_BY_NAME = {"go.mod": None, "go.sum": None, "go.work": None, "CODEOWNERS": None}
_LEXER_BY_SUFFIX = {".sql": "sql", ".tfvars": "terraform", ".hcl": "terraform", ".jsonc": "json"}


@lru_cache(maxsize=256)
def _lexer_for(filename: str) -> Lexer | None:
    # stripnl would drop leading and trailing blank lines and shift every line number after them.
    options = {"stripnl": False, "stripall": False, "ensurenl": True}
    if filename in _LEXER_BY_NAME:
        return None
    alias = next((a for suffix, a in _LEXER_BY_SUFFIX.items() if filename.lower().endswith(suffix)), None)
    try:
        if alias is not None:
            return get_lexer_by_name(alias, **options)
        return get_lexer_for_filename(filename, **options)
    except (ClassNotFound, ValueError):
        return None


@lru_cache(maxsize=512)
def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES:
        ttype = ttype.parent
    return STANDARD_TYPES[ttype]


def source_lines(
    text: str,
    filename: str,
    *,
    max_chars: int = HIGHLIGHT_MAX_CHARS,
    max_lines: int = HIGHLIGHT_MAX_LINES,
    until: int | None = None,
) -> SourceLines:
    """A version of a file split into lines, highlighted as a whole when it is small enough and a lexer knows it.

    Highlighting the file from its start (not each line alone) keeps a multi-line string or comment right on every
    line; `until` stops after the last line needed. A line whose highlighted text is not exactly the file's line is
    left plain, so highlighting never changes what is shown.
    """
    lines = split_lines(text)
    lexer = _lexer_for(posixpath.basename(filename))
    # A lone carriage return is a line break to Pygments but not to git: the numbers would drift.
    if (
        lexer is None
        or len(text) > max_chars
        or len(lines) > max_lines
        or "\0" in text
        or "\r" in text.replace("\r\n", "")
    ):
        return SourceLines(lines)
    pieces: list[list[str]] = [[]]
    plain: list[list[str]] = [[]]
    for ttype, value in lexer.get_tokens(text):
        if until is not None and len(pieces) > until:
            break
        css = _css_class(ttype)
        for index, part in enumerate(value.split("\n")):
            if index:
                pieces.append([])
                plain.append([])
            if part:
                escaped = html.escape(part)
                pieces[-1].append(f'<span class="{css}">{escaped}</span>' if css else escaped)
                plain[-1].append(part)
    highlighted = []
    for number, line in enumerate(lines):
        seen = "".join(plain[number]) if number < len(plain) else None
        if seen is not None and seen == line.removesuffix("\r"):
            highlighted.append(SafeHtml("".join(pieces[number])))
        else:
            highlighted.append(escape(line))
    return SourceLines(lines, tuple(highlighted))


def _is_line(row: Row) -> bool:
    return row.kind in ("add", "del", "ctx")


def limit_lines(hunks: Sequence[Hunk], max_lines: int) -> tuple[tuple[Hunk, ...], int]:
    """The hunks cut after max_lines added, removed and context lines, and how many such lines were cut."""
    kept: list[Hunk] = []
    left = max_lines
    hidden = 0
    for hunk in hunks:
        lines = sum(1 for row in hunk.rows if _is_line(row))
        if left <= 0:
            hidden += lines
        elif lines <= left:
            kept.append(hunk)
            left -= lines
        else:
            rows = []
            for row in hunk.rows:
                if _is_line(row):
                    if left <= 0:
                        break
                    left -= 1
                rows.append(row)
            kept.append(replace(hunk, rows=tuple(rows)))
            hidden += lines - sum(1 for row in rows if _is_line(row))
    return tuple(kept), hidden
