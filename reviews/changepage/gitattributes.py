"""Files a repository's root `.gitattributes` marks `linguist-generated` (pure): the change page folds them like
lock files. Later lines win, as in git; a pattern without a slash matches a name at any depth."""

from __future__ import annotations

from collections.abc import Iterable

from policy.decision import matches_glob


def _rules(text: str) -> list[tuple[str, bool]]:
    rules = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        for attribute in parts[1:]:
            if attribute in ("linguist-generated", "linguist-generated=true"):
                rules.append((parts[0], True))
            elif attribute in ("-linguist-generated", "!linguist-generated", "linguist-generated=false"):
                rules.append((parts[0], False))
    return rules


def _matches(path: str, pattern: str) -> bool:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    return matches_glob(path, pattern)


def generated_paths(text: str, paths: Iterable[str]) -> set[str]:
    """The paths the attributes text marks generated."""
    rules = _rules(text)
    if not rules:
        return set()
    marked = set()
    for path in paths:
        state = False
        for pattern, value in rules:
            if _matches(path, pattern):
                state = value
        if state:
            marked.add(path)
    return marked
