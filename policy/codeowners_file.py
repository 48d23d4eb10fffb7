"""A repository's CODEOWNERS file read with GitHub's rules, and its owners mapped to engineers (pure).

GitHub's rules: the last matching pattern wins; a pattern with no owners leaves its files without an owner; a line
with invalid syntax is skipped, the rest of the file still applies; `!` negation and `[ ]` ranges are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from codeowners import CodeOwners, parse_owner, path_to_regex

MAX_LINES = 5000

# Whitespace separates a pattern from its owners, except a space escaped as "\ " inside the pattern.
_TOKEN_RE = re.compile(r"(?:\\.|\S)+")
_STARS_RE = re.compile(r"\*+")
_V = TypeVar("_V")


@dataclass(frozen=True)
class OwnerRule:
    """The line of a CODEOWNERS file that decides a path's owners."""

    line: int
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Owners:
    """A parsed CODEOWNERS file: who owns a path, and which lines were skipped and why."""

    rules: CodeOwners = field(repr=False, compare=False)
    skipped: tuple[tuple[int, str], ...] = ()  # (line number, reason)
    truncated: bool = False

    def rule_of(self, path: str) -> OwnerRule | None:
        """The rule that decides the path's owners (the last one that matches), or None when none matches."""
        owners, line, pattern, _section = self.rules.matching_line(_normalise(path))
        if line is None or pattern is None:
            return None
        return OwnerRule(line=line, pattern=pattern, owners=tuple(owner for _kind, owner in owners))

    def owners_of(self, path: str) -> tuple[str, ...]:
        """Owners of a repository-relative path, as written in the file ("@login", "@org/team", an e-mail)."""
        rule = self.rule_of(path)
        return rule.owners if rule else ()


def _normalise(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def _clean_line(line: str) -> tuple[str, str | None]:
    """The line reduced to pattern and owners, and the reason it is invalid (None when valid)."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return "", None
    tokens = _TOKEN_RE.findall(stripped)
    pattern, owners = tokens[0], []
    for token in tokens[1:]:
        if token.startswith("#"):
            break  # an inline comment: "*.js @js-owner # owned by the front-end team"
        if parse_owner(token) is None:
            return "", f"{token[:100]!r} is not an @user, @org/team or e-mail address"
        owners.append(token)
    if pattern.startswith(("[", "^[")):
        return "", "sections ([Name]) are GitLab syntax, not GitHub's"
    if pattern.startswith("!"):
        return "", "negated patterns (!) are not supported"
    if "[" in pattern.replace("\\[", ""):
        return "", "character ranges ([ ]) are not supported"
    if _is_too_complex(pattern):
        return "", "too many wildcards (at most two * in a directory level and two **)"
    try:
        path_to_regex(pattern)
    except (ValueError, re.error) as exc:
        return "", f"invalid pattern: {exc}"
    return " ".join([pattern, *owners]), None


def _is_too_complex(pattern: str) -> bool:
    # Each * is a backtracking regex: three in one directory level take seconds on a long hostile path.
    parts = pattern.split("/")
    if sum(part == "**" for part in parts) > 2:
        return True
    return any(len(_STARS_RE.findall(part)) > 2 for part in parts if part != "**")


def parse_codeowners(text: str) -> Owners:
    """Parse a CODEOWNERS file; an invalid line is skipped (and reported), never fatal. Reads MAX_LINES lines."""
    parts = text.split("\n", MAX_LINES)
    lines = [line.removesuffix("\r") for line in parts[:MAX_LINES]]
    truncated = len(parts) > MAX_LINES and bool(parts[MAX_LINES].strip())
    cleaned: list[str] = []
    skipped: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        kept, reason = _clean_line(line)
        if reason is not None:
            skipped.append((number, reason))
        # Blank lines keep the numbering, so a rule's line number is the one in the file.
        cleaned.append(kept)
    return Owners(rules=CodeOwners("\n".join(cleaned)), skipped=tuple(skipped), truncated=truncated)


def _lookup(mapping: Mapping[str, _V], key: str) -> _V | None:
    """Case-insensitive lookup: exact, then lower case, then a scan (for a mapping not keyed in lower case)."""
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    if lowered in mapping:
        return mapping[lowered]
    folded = key.casefold()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.casefold() == folded:
            return value
    return None


def resolve_owner(
    token: str,
    *,
    engineers_by_login: Mapping[str, int],
    engineers_by_email: Mapping[str, int],
    team_members: Mapping[str, Sequence[int]],
) -> set[int]:
    """Engineer ids behind one CODEOWNERS owner: "@login", "@org/team-slug" (looked up by "org/team-slug", then
    by the slug) or an e-mail address; all case-insensitive. Unknown owners resolve to nobody."""
    token = token.strip()
    if token.startswith("@"):
        name = token[1:]
        if not name:
            return set()
        if "/" in name:
            members = _lookup(team_members, name)
            if members is None:
                members = _lookup(team_members, name.split("/", 1)[1])
            if members is None or isinstance(members, str | bytes):
                return set()
            return {m for m in members if isinstance(m, int)}
        engineer = _lookup(engineers_by_login, name)
        return {engineer} if isinstance(engineer, int) else set()
    if "@" in token:
        engineer = _lookup(engineers_by_email, token)
        return {engineer} if isinstance(engineer, int) else set()
    return set()
