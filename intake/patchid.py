"""git's stable patch id (`git patch-id --stable`), computed from the diff the worker already holds (pure).

A patch id is the same for two diffs that differ only in line numbers and whitespace: a rebase that does not touch
the change keeps it. Computing it here saves a git process per pull; the rules below follow git's own
(builtin/patch-id.c as of git 2.39) line for line, and the tests compare the two on awkward diffs.
"""

from __future__ import annotations

import hashlib
import re

_HEX40 = re.compile(rb"[0-9a-fA-F]{40}")
_DIGITS = re.compile(rb"[0-9]*")
_MASK = (1 << 160) - 1
_HUNK_LINE = frozenset((b"+", b"-", b" "))


def _count_at(line: bytes, pos: int) -> tuple[int, int, int | None]:
    """Past a line number to its count, as git's strspn does: (where the digits start, how many, the count)."""
    n = len(_DIGITS.match(line, pos).group())
    if line[pos + n : pos + n + 1] != b",":
        return pos, n, 1  # "@@ -5 +5 @@": one line
    pos += n + 1
    n = len(_DIGITS.match(line, pos).group())
    return pos, n, int(line[pos : pos + n]) if n else 0


def _scan_hunk_header(line: bytes, before: int, after: int) -> tuple[int, int]:
    """The old and new line counts of a hunk header "@@ -a,b +c,d @@", as git reads them (and half-reads them)."""
    q, n, before = _count_at(line, 4)
    if n == 0 or line[q + n : q + n + 2] != b" +":
        return before, after
    _, n, after = _count_at(line, q + n + 2)
    return before, after


def _flush(result: int, parts: list[bytes]) -> int:
    """git's flush_one_hunk: add the SHA-1 of what was hashed to the sum, as little-endian 160-bit numbers."""
    digest = hashlib.sha1(b"".join(parts)).digest()  # noqa: S324 - git's patch id is SHA-1 by definition
    parts.clear()
    return (result + int.from_bytes(digest, "little")) & _MASK


def _blob_ids(line: bytes, pre: bytes, post: bytes) -> tuple[bytes, bytes]:
    """The two blob ids of an "index a..b 100644" line (git keeps the last ones when the line is odd)."""
    dots = line.find(b"..")
    if dots < 0:
        return pre, post
    space = line.find(b" ", dots)
    end = space if space >= 0 else len(line)
    return line[6:dots][:64], line[dots + 2 : end][:64]


def _one(lines: list[bytes], start: int, ends_with_newline: bool) -> tuple[int, int, int]:
    """One patch from lines[start:]: (patch id as an int, bytes hashed, where the next patch starts or -1)."""
    last = len(lines) - 1
    result = 0
    parts: list[bytes] = []  # what is hashed since the last flush
    patchlen = 0
    before = after = -1
    binary = False
    pre = post = b""
    next_start = -1
    for index in range(start, len(lines)):
        line = lines[index]
        first = line[:1]
        if first in _HUNK_LINE and patchlen and before != -1 and (before or after) and not binary:
            # A line inside a hunk, most of a diff: none of the other rules below can apply to it.
            if first != b"+":
                before -= 1
            if first != b"-":
                after -= 1
            compact = b"".join(line.split())
            patchlen += len(compact)
            parts.append(compact)
            continue
        if line.startswith(b"commit "):
            rest = line[7:]
        elif line.startswith(b"From "):
            rest = line[5:]
        else:
            rest = line
            newline = 1 if index < last or ends_with_newline else 0
            if line.startswith(b"\\ ") and len(line) + newline > 12:  # "\ No newline at end of file"
                continue
        if _HEX40.match(rest):
            next_start = index + 1
            break
        if not patchlen and not line.startswith(b"diff "):
            continue  # a commit message
        if before == -1:
            if line.startswith((b"GIT binary patch", b"Binary files")):
                binary = True
                before = 0
                parts += [pre, post]
                result = _flush(result, parts)
                continue
            if line.startswith(b"index "):
                pre, post = _blob_ids(line, pre, post)
                continue
            if line.startswith(b"--- "):
                before = after = 1
            elif not first.isalpha():
                break
        if binary:
            if line.startswith(b"diff "):
                binary = False
                before = -1
            continue
        if before == 0 and after == 0:
            if line.startswith(b"@@ -"):
                before, after = _scan_hunk_header(line, before, after)
                continue
            if not line.startswith(b"diff "):
                break
            result = _flush(result, parts)
            before = after = -1
        if first in (b"-", b" "):
            before -= 1
        if first in (b"+", b" "):
            after -= 1
        compact = b"".join(line.split())
        patchlen += len(compact)
        parts.append(compact)
    return _flush(result, parts), patchlen, next_start


def patch_id(raw: bytes) -> str:
    """The first id `git patch-id --stable` prints for raw, or "" when it prints none."""
    lines = raw.split(b"\n")
    if b"\0" in raw:  # git reads each line as a C string
        lines = [line.split(b"\0", 1)[0] for line in lines]
    ends_with_newline = lines[-1] == b""
    if ends_with_newline:
        lines.pop()
    start = 0
    while start < len(lines):
        result, patchlen, start = _one(lines, start, ends_with_newline)
        if patchlen:
            return result.to_bytes(20, "little").hex()
        if start < 0:
            break
    return ""
