"""Split raw `git diff` output into files with their line counts (pure, never raises on bad input).

What is read is git's own output, not any unified diff: each file starts at a `diff --git` line; its extended
header (git-diff(1), "generating patch text with -p") says whether it was added, deleted, renamed or binary and
under which names; its hunk headers give the line counts, checked against the lines that follow. Each file is
decoded and read on its own and keeps its slice of the diff as its patch, so memory follows the diff's size and
not a count of objects per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class FileDiff:
    """One file of a parsed diff."""

    path: str
    old_path: str
    status: str  # added, modified, deleted, renamed, binary
    lines_added: int
    lines_removed: int
    patch: str


@dataclass(frozen=True)
class ParsedDiff:
    """The files of a diff and notes about what could not be read as-is."""

    files: tuple[FileDiff, ...]
    notes: tuple[str, ...]

    @property
    def lines_added(self) -> int:
        return sum(f.lines_added for f in self.files)

    @property
    def lines_removed(self) -> int:
        return sum(f.lines_removed for f in self.files)


_C_ESCAPES = {b"a": b"\a", b"b": b"\b", b"t": b"\t", b"n": b"\n", b"v": b"\v", b"f": b"\f", b"r": b"\r"}
_C_ESCAPE_RE = re.compile(rb'\\([0-7]{3}|[abtnvfr"\\])')
_FILE_START = b"diff --git "
_HUNK_START = "\n@@ -"
_HUNK_RE = re.compile(r"@@ -(\d{1,10})(?:,(\d{1,10}))? \+(\d{1,10})(?:,(\d{1,10}))? @@ ?(.*)")
_NOT_UTF8 = "diff contains bytes that are not UTF-8; they are shown as \ufffd"


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual names ("a/caf\\303\\251" is a/café), so path globs see the real name."""
    if len(path) < 2 or not (path.startswith('"') and path.endswith('"')):
        return path

    def replace(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if len(code) == 3:
            return bytes([int(code, 8) % 256])
        return _C_ESCAPES.get(code, code)

    return _C_ESCAPE_RE.sub(replace, path[1:-1].encode("utf-8")).decode("utf-8", "replace")


def _strip_prefix(path: str) -> str:
    """A name of a `diff --git`, `---` or `+++` line without its a/ or b/ prefix; "" for /dev/null."""
    path = _unquote(path)
    if not path or path == "/dev/null":
        return ""
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _git_line_names(rest: str) -> tuple[str, str]:
    """The two names of a `diff --git a/x b/x` line. They are the same name unless the file was renamed or copied
    (and then the rename or copy lines name both), so the line is cut in its middle; otherwise at " b/"."""
    half = len(rest) // 2
    if len(rest) % 2 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
        return _strip_prefix(rest[:half]), _strip_prefix(rest[half + 1 :])
    old, found, new = rest.partition(" b/")
    return (_strip_prefix(old), _strip_prefix("b/" + new)) if found else ("", "")


class _Unreadable(ValueError):
    """A file's part of the diff is not what git writes."""


def _hunks(text: str, start: int) -> tuple[int, int, int, tuple[int, int, int, int], list[tuple[int, int, str]]]:
    """Read the hunks of a file from text[start:] (a hunk header): (added, removed, hunks, the first header's
    numbers, edits that write each header as the stored patches always had it: "@@ -3 +3 @@" as "@@ -3,1 +3,1 @@")."""
    added = removed = count = 0
    first = (0, 0, 0, 0)
    edits: list[tuple[int, int, str]] = []
    size = len(text)
    pos = start
    while pos < size:
        eol = text.find("\n", pos)
        eol = size if eol < 0 else eol
        match = _HUNK_RE.match(text, pos, eol)
        if not match:
            raise _Unreadable(f"not a hunk header: {text[pos:eol][:80]!r}")
        old_start, old_count, new_start, new_count, section = match.groups()
        numbers = (int(old_start), 1 if old_count is None else int(old_count))
        numbers += (int(new_start), 1 if new_count is None else int(new_count))
        if old_count is None or new_count is None:
            fixed = "@@ -{},{} +{},{} @@".format(*numbers) + (f" {section}" if section else "")
            edits.append((pos, eol, fixed))
        first = numbers if not count else first
        count += 1
        following = text.find(_HUNK_START, eol)
        end = size if following < 0 else following
        # Each line of a hunk starts with its kind; the newline before it is counted with it, in C, not line by line.
        plus, minus = text.count("\n+", eol, end), text.count("\n-", eol, end)
        both, marks = text.count("\n ", eol, end), text.count("\n\\", eol, end)
        lines = text.count("\n", eol, end) - (end == size and text.endswith("\n"))
        if plus + minus + both + marks != lines:
            plus, minus, both = _slow_counts(text[eol + 1 : end + 1])
        if (both + minus, both + plus) != (numbers[1], numbers[3]):
            raise _Unreadable(f"a hunk does not hold the lines its header counts ({text[pos:eol][:80]!r})")
        added, removed = added + plus, removed + minus
        pos = end + 1
    return added, removed, count, first, edits


def _slow_counts(body: str) -> tuple[int, int, int]:
    """(added, removed, unchanged) lines of a hunk that holds lines git does not write, such as empty ones."""
    plus = minus = both = 0
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line starts none
    for line in lines:
        kind = line[:1]
        if kind == "+":
            plus += 1
        elif kind == "-":
            minus += 1
        elif kind == " " or line in ("", "\r"):  # an unchanged empty line whose space was dropped
            both += 1
        elif kind != "\\":
            raise _Unreadable(f"not a line of a hunk: {line[:80]!r}")
    return plus, minus, both


def _file(text: str) -> FileDiff:
    """One file's part of the diff, from its `diff --git` line on."""
    hunk = text.find(_HUNK_START)
    head_end = len(text) if hunk < 0 else hunk + 1
    header = text[:head_end].split("\n")
    old, new = _git_line_names(header[0][len("diff --git ") :])
    named = added = deleted = binary = False
    edits: list[tuple[int, int, str]] = []
    offset = len(header[0]) + 1
    for line in header[1:]:
        if line.startswith(("rename from ", "copy from ")):
            old, named = _unquote(line.split(" ", 2)[2]), True
        elif line.startswith(("rename to ", "copy to ")):
            new, named = _unquote(line.split(" ", 2)[2]), True
        elif line.startswith("new file mode "):
            added = True
        elif line.startswith("deleted file mode "):
            deleted = True
        elif line.startswith(("Binary files ", "GIT binary patch")):
            binary = True
            break
        elif line.startswith(("--- ", "+++ ")):
            name = line[4:].split("\t", 1)[0]
            if not named:
                old, new = (_strip_prefix(name), new) if line[0] == "-" else (old, _strip_prefix(name))
            if name != line[4:]:  # git ends a name that has a space with a tab; the stored patches never had it
                edits.append((offset, offset + len(line), line[:4] + name))
        offset += len(line) + 1
    plus = minus = hunks = 0
    first = (-1, -1, -1, -1)
    if hunk >= 0 and not binary:
        plus, minus, hunks, first, hunk_edits = _hunks(text, hunk + 1)
        edits += hunk_edits
    # As read before: one hunk from or to nothing (a file emptied or filled) is an added or deleted file.
    added = added or old == "" or (hunks == 1 and first[:2] == (0, 0))
    deleted = deleted or new == "" or (hunks == 1 and first[2:] == (0, 0))
    if binary:
        status = "binary"
    elif added or deleted:
        status = "added" if added else "deleted"
    else:
        status = "renamed" if old != new else "modified"
    return FileDiff(
        path=new or old,
        old_path=old if status == "renamed" else "",
        status=status,
        lines_added=plus,
        lines_removed=minus,
        patch=_edited(text, edits),
    )


def _edited(text: str, edits: list[tuple[int, int, str]]) -> str:
    if not edits:
        return text
    parts, pos = [], 0
    for start, end, replacement in edits:
        parts += [text[pos:start], replacement]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _sections(raw: bytes) -> Iterator[tuple[int, int]]:
    """Where each file's part of raw starts and ends, each from its `diff --git` line; first any text before."""
    if raw.startswith(_FILE_START):
        start = 0
    else:
        found = raw.find(b"\n" + _FILE_START)
        start = len(raw) if found < 0 else found + 1
        yield 0, start
    while start < len(raw):
        following = raw.find(b"\n" + _FILE_START, start)
        end = len(raw) if following < 0 else following + 1
        yield start, end
        start = end


def parse_diff(raw: bytes) -> ParsedDiff:
    """Split raw `git diff` output into files; non-UTF-8 bytes are replaced and noted, unreadable parts noted."""
    view = memoryview(raw)
    files: list[FileDiff] = []
    seen: set[str] = set()
    not_utf8 = False
    unreadable: list[str] = []
    for start, end in _sections(raw):
        try:
            text = str(view[start:end], "utf-8")
        except UnicodeDecodeError:
            text, not_utf8 = str(view[start:end], "utf-8", "replace"), True
        if not text.startswith("diff --git "):
            if text.strip():
                unreadable.append(f"text before the first file: {text[:80]!r}")
            continue
        try:
            diff = _file(text)
        except _Unreadable as exc:
            unreadable.append(f"{text.split(chr(10), 1)[0][11:91]}: {exc}")
            continue
        if diff.path and diff.path not in seen:
            seen.add(diff.path)
            files.append(diff)
    notes = [_NOT_UTF8] if not_utf8 else []
    if unreadable:
        more = f" (and {len(unreadable) - 1} more part(s) left out)" if len(unreadable) > 1 else ""
        notes.append(f"diff could not be parsed: {unreadable[0]}{more}")
    return ParsedDiff(files=tuple(files), notes=tuple(notes))


_GENERATED_DIRS = ("vendor/", "third_party/", "node_modules/", "dist/", "generated/", "__generated__/", "gen/")
_GENERATED_NAMES = (
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "Pipfile.lock",
    "Cargo.lock",
    "go.sum",
    "composer.lock",
    "Gemfile.lock",
    "uv.lock",
)
_GENERATED_SUFFIXES = (
    ".min.js",
    ".min.css",
    ".lock",
    "_pb2.py",
    "_pb2_grpc.py",
    ".pb.go",
    ".generated.ts",
    ".snap",
    ".map",
)


def is_generated_path(path: str) -> bool:
    """True for vendored, generated or lock files, whose lines are counted apart from authored code."""
    lowered = path.lower()
    name = lowered.rsplit("/", 1)[-1]
    if any(lowered.startswith(d) or f"/{d}" in lowered for d in _GENERATED_DIRS):
        return True
    return name in {n.lower() for n in _GENERATED_NAMES} or lowered.endswith(_GENERATED_SUFFIXES)


def cut_at_file_boundary(raw: bytes) -> bytes:
    """Drop the last, incomplete file of a truncated diff so that what remains parses cleanly."""
    cut = raw.rfind(b"\ndiff --git ")
    return raw[: cut + 1] if cut > 0 else b""
