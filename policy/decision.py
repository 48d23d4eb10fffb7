"""The pure evaluation of the sign-off policy against one revision of a change, with reasons.

A policy is settings plus rules. A rule applies when all its conditions hold; the requirements of every
applying rule combine (most sign-offs, any owner, attestation or gates). An exemption rule that applies
removes every requirement, except on AI-assisted or agent-opened changes: those are never exempted, and the
reasons say so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from policy.document import Conditions, Policy, Requirements, Settings


@dataclass(frozen=True)
class ChangeFacts:
    """What the policy needs to know about one revision of a change."""

    author_level: int | None
    author_is_bot: bool
    ai_assisted: bool
    paths: tuple[str, ...]
    lines_changed: int
    risk: float
    repository: str
    services: tuple[str, ...]
    sensitive_globs: tuple[str, ...]
    agent_opened: bool = False  # opened by an AI agent's own account


@dataclass(frozen=True)
class Decision:
    """What a change needs before it ships, and why."""

    required_sign_offs: int
    requires_owner: bool
    requires_attestation: bool
    requires_gates: bool
    oversized: bool
    sensitive_paths: tuple[str, ...]
    owner_paths: tuple[str, ...]
    matched_rules: tuple[str, ...]
    reasons: tuple[str, ...]


# --- globs ---------------------------------------------------------------------------------------


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


def is_ai_assisted(*, declared: bool | None, confidence: float, settings: Settings) -> bool:
    """Declared by the author, or detected with enough confidence; declaring "no" does not outweigh detection."""
    return declared is True or (math.isfinite(confidence) and confidence >= settings.ai_threshold)


# --- evaluation ----------------------------------------------------------------------------------


def _risk(facts: ChangeFacts) -> float:
    # An unknown risk counts as the highest, as an unknown level counts as junior: missing facts never relax rules.
    return facts.risk if math.isfinite(facts.risk) else 1.0


def _matches(
    when: Conditions, facts: ChangeFacts, sensitive: tuple[str, ...], *, every_path: bool = False
) -> tuple[str, ...] | None:
    """None when a condition fails; otherwise the changed paths that the rule's `paths` condition matched.

    With every_path (exemptions), a `paths` condition holds only when it covers every changed path:
    a docs exemption must not also exempt the code changed alongside the docs.
    """
    if when.ai_assisted is not None and bool(facts.ai_assisted) is not when.ai_assisted:
        return None
    if when.agent_opened is not None and bool(facts.agent_opened) is not when.agent_opened:
        return None
    if when.author_level_at_most is not None and not (
        facts.author_level is None or facts.author_level <= when.author_level_at_most
    ):
        return None
    if when.author_is_bot is not None and bool(facts.author_is_bot) is not when.author_is_bot:
        return None
    if when.sensitive is not None and bool(sensitive) is not when.sensitive:
        return None
    if when.size_above is not None and not facts.lines_changed > when.size_above:
        return None
    if when.risk_above is not None and not _risk(facts) > when.risk_above:
        return None
    if when.repositories is not None and facts.repository not in when.repositories:
        return None
    if when.services is not None and not set(facts.services) & set(when.services):
        return None
    if when.paths is None:
        return ()
    hit = sensitive_matches(facts.paths, when.paths)
    if every_path and len(hit) < len(set(facts.paths)):
        return None
    return hit or None


def _listing(items: Sequence[str], shown: int = 3) -> str:
    if len(items) <= 1:
        return "".join(items)
    if len(items) <= shown:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return ", ".join(items[:shown]) + f" and {len(items) - shown} more"


def _describe_change(when: Conditions, facts: ChangeFacts, sensitive: tuple[str, ...], hit: tuple[str, ...]) -> str:
    """Why the rule applies, as a noun phrase: "AI-assisted change by an L4 author"."""
    if when == Conditions():
        return "every change"
    parts = [{True: "AI-assisted change", False: "change without AI assistance", None: "change"}[when.ai_assisted]]
    if when.agent_opened is not None:
        parts.append("opened by an AI agent's own account" if when.agent_opened else "opened by a person")
    if when.author_level_at_most is not None:
        level = facts.author_level
        parts.append("by an author of unknown level (counted as junior)" if level is None else f"by an L{level} author")
    if when.author_is_bot is not None:
        parts.append("by a bot" if when.author_is_bot else "by a person")
    if when.paths is not None:
        parts.append(f"touching {_listing(hit)}")
    if when.sensitive is not None:
        parts.append(
            f"touching sensitive paths ({_listing(sensitive)})" if when.sensitive else "touching no sensitive path"
        )
    if when.size_above is not None:
        parts.append(f"of {facts.lines_changed} changed lines (above {when.size_above})")
    if when.risk_above is not None:
        if math.isfinite(facts.risk):
            parts.append(f"with risk {facts.risk:.2f} (above {when.risk_above:.2f})")
        else:
            parts.append(f"with unknown risk (counted as above {when.risk_above:.2f})")
    if when.repositories is not None:
        parts.append(f"in repository {facts.repository}")
    if when.services is not None:
        names = tuple(dict.fromkeys(s for s in facts.services if s in when.services))
        parts.append(f"in service{'s' if len(names) > 1 else ''} {_listing(names)}")
    return " ".join(parts)


def _describe_requirements(require: Requirements) -> str:
    items = []
    count = max(require.sign_offs, 1 if require.owner else 0)
    if count:
        items.append(f"{count} senior sign-off{'s' if count > 1 else ''}")
        if require.owner:
            items[-1] += " by a code owner" if count == 1 else ", one of them by a code owner"
    if require.attestation:
        items.append("the author's attestation")
    if require.gates_passed:
        items.append("passing gates")
    return _listing(items, shown=len(items)) if items else "no sign-off"


def decide(facts: ChangeFacts, policy: Policy) -> Decision:
    """Apply the policy's rules to one revision: combined requirements, the rules that applied, and why."""
    settings = policy.settings
    sensitive = sensitive_matches(facts.paths, facts.sensitive_globs)
    oversized = facts.lines_changed > settings.size_limit
    size_note = (
        f"{facts.lines_changed} changed lines, above the size limit of {settings.size_limit}: consider splitting it"
    )
    matched = [
        (rule, hit)
        for rule in policy.rules
        if (hit := _matches(rule.when, facts, sensitive, every_path=rule.exempt)) is not None
    ]
    exemptions = [rule for rule, _ in matched if rule.exempt]
    never_exempt = "AI-assisted" if facts.ai_assisted else "opened by an AI agent" if facts.agent_opened else ""
    if exemptions and not never_exempt:
        reasons = [
            f"{rule.name}: {_describe_change(rule.when, facts, sensitive, hit)} is exempt from sign-off"
            for rule, hit in matched
            if rule.exempt
        ]
        return Decision(
            required_sign_offs=0,
            requires_owner=False,
            requires_attestation=False,
            requires_gates=False,
            oversized=oversized,
            sensitive_paths=sensitive,
            owner_paths=(),
            matched_rules=tuple(rule.name for rule in exemptions),
            reasons=tuple(reasons + ([size_note] if oversized else [])),
        )

    reasons = []
    applied = []
    sign_offs = 0
    requires_owner = requires_attestation = requires_gates = False
    owner_hits: set[str] = set()
    for rule, hit in matched:
        if rule.exempt:
            reasons.append(f"exemption '{rule.name}' does not apply: the change is {never_exempt}")
            continue
        applied.append(rule.name)
        require = rule.require
        why = _describe_change(rule.when, facts, sensitive, hit)
        reasons.append(f"{rule.name}: {why} needs {_describe_requirements(require)}")
        # An owner's sign-off is a sign-off: requiring an owner implies at least one.
        sign_offs = max(sign_offs, require.sign_offs, 1 if require.owner else 0)
        requires_attestation |= require.attestation
        requires_gates |= require.gates_passed
        if require.owner:
            requires_owner = True
            if rule.when.paths is not None:
                owner_hits.update(hit)
            elif rule.when.sensitive is not True:
                # An owner rule that names no paths (say, on risk alone) needs an owner of what the change touches.
                owner_hits.update(facts.paths)
    if requires_owner:
        owner_hits.update(sensitive)
    if sign_offs == 0:
        reasons.append("no rule requires a senior sign-off")
    if oversized:
        reasons.append(size_note)
    return Decision(
        required_sign_offs=sign_offs,
        requires_owner=requires_owner,
        requires_attestation=requires_attestation,
        requires_gates=requires_gates,
        oversized=oversized,
        sensitive_paths=sensitive,
        owner_paths=tuple(p for p in dict.fromkeys(facts.paths) if p in owner_hits),
        matched_rules=tuple(applied),
        reasons=tuple(reasons),
    )
