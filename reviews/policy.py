"""The sign-off policy as a pure decision with its reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class PolicyConfig:
    """Knobs of the default policy."""

    senior_level: int = 6
    size_limit_lines: int = 1000


@dataclass(frozen=True)
class ChangeFacts:
    """What the policy needs to know about one revision."""

    author_level: int | None
    ai_assisted: bool
    paths: tuple[str, ...]
    lines_changed: int
    sensitive_globs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What a change needs before it ships, and why."""

    required_sign_offs: int
    requires_owner: bool
    requires_attestation: bool
    oversized: bool
    sensitive_paths: tuple[str, ...]
    reasons: tuple[str, ...]


def matches_glob(path: str, pattern: str) -> bool:
    """Match a path against a glob where `dir/**` and `dir/` cover everything below dir, `**/` any depth."""
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/") and pattern.rstrip("/"):
        # `dir/` (as in CODEOWNERS) would otherwise match nothing at all and fail open.
        pattern = pattern.rstrip("/") + "/**"
    if pattern.startswith("**/") and matches_glob(path, pattern[3:]):
        # `**/` stands for zero or more directories, so it also matches at the top level.
        return True
    if pattern.endswith("/**"):
        prefix = pattern[:-3]
        return path == prefix or path.startswith(prefix + "/") or fnmatchcase(path, pattern)
    return fnmatchcase(path, pattern) or fnmatchcase(path, pattern + "/*")


def sensitive_matches(paths: Sequence[str], globs: Sequence[str]) -> tuple[str, ...]:
    """The paths that match any sensitive glob."""
    return tuple(p for p in paths if any(matches_glob(p, g) for g in globs))


def decide(facts: ChangeFacts, config: PolicyConfig = PolicyConfig()) -> Decision:
    """Apply the default policy: AI-assisted work of juniors and mids, sensitive paths, size."""
    reasons: list[str] = []
    sign_offs = 0
    attestation = False
    level = facts.author_level
    is_junior_or_mid = level is None or level < config.senior_level
    if facts.ai_assisted and is_junior_or_mid:
        sign_offs = 1
        attestation = True
        who = "an unknown author" if level is None else f"an L{level} author"
        reasons.append(f"AI-assisted change by {who}: one senior sign-off and the author's self-review attestation")
    sensitive = sensitive_matches(facts.paths, facts.sensitive_globs)
    requires_owner = bool(sensitive)
    if requires_owner:
        sign_offs = max(sign_offs, 1)
        shown = ", ".join(sensitive[:3]) + (f" and {len(sensitive) - 3} more" if len(sensitive) > 3 else "")
        reasons.append(f"touches sensitive paths ({shown}): sign-off by a senior who owns them")
    oversized = facts.lines_changed > config.size_limit_lines
    if oversized:
        reasons.append(
            f"{facts.lines_changed} changed lines, above the limit of {config.size_limit_lines}: consider splitting it"
        )
    if sign_offs == 0:
        reasons.append("no rule requires a senior sign-off")
    return Decision(
        required_sign_offs=sign_offs,
        requires_owner=requires_owner,
        requires_attestation=attestation,
        oversized=oversized,
        sensitive_paths=sensitive,
        reasons=tuple(reasons),
    )
