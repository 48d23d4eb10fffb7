"""The diff page's file list: stable anchors, tree order, and the gates that flag each file (pure)."""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_LINE_RE = re.compile(r"^:(\d+)")


def file_anchor(path: str) -> str:
    """A stable HTML id for a file: the same in every revision, whatever characters its path holds."""
    return "file-" + hashlib.sha256(path.encode("utf-8", "replace")).hexdigest()[:12]


def tree_order(paths: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Paths grouped by directory, directories and names sorted: the order of the file tree and of the diffs."""
    groups: dict[str, list[str]] = {}
    for path in sorted(set(paths), key=lambda p: (posixpath.dirname(p), posixpath.basename(p))):
        groups.setdefault(posixpath.dirname(path), []).append(path)
    return list(groups.items())


@dataclass(frozen=True)
class GateFlag:
    """A gate that named a file (and maybe a line of it) in its details."""

    gate: str
    status: str
    detail: str
    line: int | None


def gate_flags(gates: Iterable[tuple[str, str, Sequence[str]]], paths: Iterable[str]) -> dict[str, list[GateFlag]]:
    """Flags per path from (gate name, status, details); a detail names a file as "path", "path:line …" or "path …".

    When two paths both prefix a detail ("a b" and "a"), the longer one is the file meant.
    """
    known = set(paths)
    flags: dict[str, list[GateFlag]] = {}
    for name, status, details in gates:
        for detail in details:
            detail = str(detail)
            ends = [len(detail)] + [i for i, c in enumerate(detail) if c in ": ("]
            path = next((detail[:end] for end in sorted(ends, reverse=True) if detail[:end] in known), None)
            if path is None:
                continue
            match = _LINE_RE.match(detail[len(path) :])
            flags.setdefault(path, []).append(GateFlag(name, status, detail, int(match.group(1)) if match else None))
    return flags
