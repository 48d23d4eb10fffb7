"""The SZZ method, pure parts: which lines a fix deleted or modified, and which of them are worth tracing.

SZZ (Śliwerski, Zimmermann and Zeller, 2005) traces each line a fix removes back, with `git blame` on the
fix's parent, to the commit that last changed it: that commit probably introduced the bug. Lines that are
blank or only a comment say nothing about behaviour, and a fix that only re-indents a line did not fix it,
so neither is traced (the later "AG-SZZ" refinement). Blame itself looks through whitespace-only and moved
lines (`-w -M -C`); see intake.gitrepo.Mirror.blame.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")

# Line-comment and block-comment markers by file extension.
_HASH = ("#",)
_SLASH = ("//", "/*", "*", "*/")
_DASH = ("--",)
_COMMENT_MARKERS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("py", "sh", "bash", "zsh", "rb", "pl", "r", "yaml", "yml", "toml", "tf", "hcl", "cfg", "conf"), _HASH
    ),
    **dict.fromkeys(("mk", "cmake", "dockerfile", "makefile", "nix", "ex", "exs", "jl", "ps1", "properties"), _HASH),
    **dict.fromkeys(
        ("c", "h", "cc", "cpp", "cxx", "hpp", "java", "js", "jsx", "mjs", "cjs", "ts", "tsx", "go", "rs", "swift"),
        _SLASH,
    ),
    **dict.fromkeys(("kt", "kts", "scala", "cs", "php", "dart", "css", "scss", "less", "proto", "groovy"), _SLASH),
    **dict.fromkeys(("sql", "lua", "hs", "elm", "ada", "vhd"), _DASH),
    **dict.fromkeys(("html", "htm", "xml", "svg", "vue"), ("<!--", "-->")),
    "ini": (";", "#"),
    **dict.fromkeys(("asm", "s", "el", "clj", "lisp"), (";",)),
}
_NAMES = {"Makefile": "makefile", "Dockerfile": "dockerfile", "CMakeLists.txt": "cmake"}


@dataclass(frozen=True)
class RemovedLine:
    """A line of the fix's parent that the fix deleted or modified."""

    path: str  # path in the parent (the old path of a rename)
    line: int  # 1-based line number in the parent
    text: str


def _unquote(path: str) -> str:
    if len(path) >= 2 and path.startswith('"') and path.endswith('"'):
        body = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
        return body.encode("latin-1", "replace").decode("utf-8", "replace")
    return path


def _old_path(line: str) -> str | None:
    """The path of a '--- a/path' line, or None for /dev/null (an added file)."""
    name = _unquote(line[4:].split("\t", 1)[0].rstrip("\n"))
    if name == "/dev/null":
        return None
    return name[2:] if name.startswith("a/") else name


def removed_lines(diff: str) -> list[RemovedLine]:
    """Lines a unified diff deletes or modifies, numbered in the old file; never raises on odd input."""
    result: list[RemovedLine] = []
    path: str | None = None
    old_line = 0
    in_hunk = False
    for raw in diff.split("\n"):
        if raw.startswith("diff --git "):
            path, in_hunk = None, False
        elif raw.startswith("--- ") and not in_hunk:
            path = _old_path(raw)
        elif raw.startswith("+++ ") and not in_hunk:
            continue
        elif raw.startswith("@@"):
            match = _HUNK_RE.match(raw)
            in_hunk = bool(match)
            old_line = int(match[1]) if match else 0
        elif in_hunk and raw.startswith("-"):
            if path is not None:
                result.append(RemovedLine(path, old_line, raw[1:]))
            old_line += 1
        elif in_hunk and raw.startswith(" "):
            old_line += 1
        elif in_hunk and raw.startswith("+"):
            continue
        elif not raw:
            in_hunk = False  # the end of the diff; a blank context line is " ", never ""
    return result


def comment_markers(path: str) -> tuple[str, ...]:
    """Comment markers of a file's language, from its name or extension; () when unknown."""
    name = path.rsplit("/", 1)[-1]
    if name in _NAMES:
        return _COMMENT_MARKERS[_NAMES[name]]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _COMMENT_MARKERS.get(extension, ())


def is_traceable(line: RemovedLine) -> bool:
    """Worth tracing: not blank and not only a comment in the file's language."""
    text = line.text.strip()
    if not text:
        return False
    return not any(text.startswith(marker) for marker in comment_markers(line.path))


def line_ranges(numbers: Iterable[int], *, context: int = 0, last: int | None = None) -> list[tuple[int, int]]:
    """Line numbers, each widened by `context` lines (kept within 1..last), folded into ranges for blame -L.

    The context matters: git blame recognises lines moved from another file only as a block of enough
    characters (-C: 40), and two short lines cut out of a moved function are too few on their own.
    """
    wanted: set[int] = set()
    for number in numbers:
        low, high = max(1, number - context), number + context
        if last is not None:
            high = min(high, last)
        wanted.update(range(low, high + 1))
    ranges: list[tuple[int, int]] = []
    for number in sorted(wanted):
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges


@dataclass(frozen=True)
class Trace:
    """Blamed commits of a fix: lines per commit, the paths of those lines, and what was not traced."""

    lines: dict[str, int]
    files: dict[str, tuple[str, ...]]
    total: int
    skipped: int


def summarise(blamed: Sequence[tuple[str, str]], skipped: int) -> Trace:
    """Fold (commit SHA, path) per traced line into counts per commit and the paths each commit's lines are in."""
    counts = Counter(sha for sha, _ in blamed)
    files: dict[str, set[str]] = {}
    for sha, path in blamed:
        files.setdefault(sha, set()).add(path)
    return Trace(
        lines=dict(counts),
        files={sha: tuple(sorted(paths)) for sha, paths in files.items()},
        total=len(blamed),
        skipped=skipped,
    )
