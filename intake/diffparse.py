"""Parse a unified git diff into files with their line counts (pure, never raises on bad input)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError


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


def _strip_prefix(path: str | None) -> str:
    path = _unquote(path) if path else path
    if not path or path == "/dev/null":
        return ""
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path


def _status(patched) -> str:
    if patched.is_binary_file:
        return "binary"
    if patched.is_added_file:
        return "added"
    if patched.is_removed_file:
        return "deleted"
    if patched.is_rename:
        return "renamed"
    return "modified"


def parse_diff(raw: bytes) -> ParsedDiff:
    """Split raw `git diff` output into files; non-UTF-8 bytes are replaced and noted."""
    notes: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        notes.append("diff contains bytes that are not UTF-8; they are shown as \ufffd")
    try:
        patch = PatchSet(text)
    except (UnidiffParseError, ValueError, IndexError) as exc:
        return ParsedDiff(files=(), notes=(*notes, f"diff could not be parsed: {exc}"))
    files: list[FileDiff] = []
    seen: set[str] = set()
    for patched in patch:
        target = _strip_prefix(patched.target_file)
        source = _strip_prefix(patched.source_file)
        path = target or source or _strip_prefix(getattr(patched, "path", ""))
        if not path or path in seen:
            continue
        seen.add(path)
        status = _status(patched)
        files.append(
            FileDiff(
                path=path,
                old_path=source if status == "renamed" else "",
                status=status,
                lines_added=patched.added,
                lines_removed=patched.removed,
                patch=str(patched),
            )
        )
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
