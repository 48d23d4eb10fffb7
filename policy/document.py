"""The sign-off policy as data (versioned JSON that admins edit), and its pure evaluation with reasons.

A policy is settings plus rules. A rule applies when all its conditions hold; the requirements of every
applying rule combine (most sign-offs, any owner, attestation or gates). An exemption rule that applies
removes every requirement, except on AI-assisted changes: those are never exempted, and the reasons say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

# Bounds on what an admin may write; they keep a typo from turning into a policy nobody can read or evaluate fast.
MAX_RULES = 200
MAX_LIST_ITEMS = 200
MAX_ITEM_CHARS = 500
MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 2000
MIN_LEVEL, MAX_LEVEL = 3, 8
MAX_SIGN_OFFS = 5


class PolicyError(ValueError):
    """A policy document that does not follow the schema; the message names the place, as in `rules[2].when`."""


@dataclass(frozen=True)
class Settings:
    """Knobs that are not rules: who is senior, the size limit, AI detection, and what a new revision dismisses."""

    senior_level: int = 6
    size_limit: int = 1000
    ai_threshold: float = 0.5
    dismiss_on_new_revision: bool = True
    keep_approval_on_rebase: bool = True


@dataclass(frozen=True)
class Conditions:
    """When a rule applies: every condition given (not None) must hold; none given means every change."""

    ai_assisted: bool | None = None
    author_level_at_most: int | None = None
    author_is_bot: bool | None = None
    paths: tuple[str, ...] | None = None
    sensitive: bool | None = None
    size_above: int | None = None
    risk_above: float | None = None
    repositories: tuple[str, ...] | None = None
    services: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Requirements:
    """What a rule asks of a change before it ships."""

    sign_offs: int = 0
    owner: bool = False
    attestation: bool = False
    gates_passed: bool = False


@dataclass(frozen=True)
class Rule:
    """One named rule: conditions, and either requirements or an exemption."""

    name: str
    when: Conditions = Conditions()
    require: Requirements = Requirements()
    exempt: bool = False
    description: str = ""


@dataclass(frozen=True)
class Policy:
    """A whole policy, as parsed from one PolicyVersion's data."""

    settings: Settings = Settings()
    rules: tuple[Rule, ...] = ()


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


DEFAULT_POLICY_DATA: dict[str, Any] = {
    "settings": {
        "senior_level": 6,
        "size_limit": 1000,
        "ai_threshold": 0.5,
        "dismiss_on_new_revision": True,
        "keep_approval_on_rebase": True,
    },
    "rules": [
        {
            "name": "ai-assisted-junior-or-mid",
            "description": "AI-assisted work of juniors (L3-L4) and mids (L5): the author attests self-review, "
            "then one senior signs off.",
            "when": {"ai_assisted": True, "author_level_at_most": 5},
            "require": {"sign_offs": 1, "attestation": True},
        },
        {
            "name": "sensitive-paths",
            "description": "Auth, payments, migrations, infrastructure, concurrency (set per repository): "
            "a senior who owns the path signs off, whatever the author's level.",
            "when": {"sensitive": True},
            "require": {"sign_offs": 1, "owner": True},
        },
        {
            "name": "size-limit",
            "description": "Above 1,000 changed lines the size gate flags the change and suggests splitting it.",
            "when": {"size_above": 1000},
            "require": {"gates_passed": True},
        },
        {
            "name": "gates",
            "description": "Automated gates run before a senior sees a change; what fails goes back to the author.",
            "when": {},
            "require": {"gates_passed": True},
        },
        {
            "name": "bots",
            "description": "Changes by bots need no sign-off, unless AI-assisted.",
            "when": {"author_is_bot": True},
            "exempt": True,
        },
    ],
}


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


# --- parsing -------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _key(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def _object(value: Any, where: str, known: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} must be an object")
    for key in value:
        if key not in known:
            raise PolicyError(f"{where} has unknown key {_key(key)} (known: {', '.join(known)})")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{where} must be true or false")
    return value


def _int_from(low: int, high: int | None) -> Callable[[Any, str], int]:
    if high is None:
        wording = "a positive integer" if low == 1 else f"an integer of at least {low}"
    else:
        wording = f"an integer from {low} to {high}"

    def parse(value: Any, where: str) -> int:
        if not _is_int(value) or value < low or (high is not None and value > high):
            raise PolicyError(f"{where} must be {wording}")
        return value

    return parse


def _fraction(*, allow_zero: bool) -> Callable[[Any, str], float]:
    wording = "a number from 0 to 1" if allow_zero else "a number above 0 and at most 1"

    def parse(value: Any, where: str) -> float:
        # Compared before float() so that a huge integer is refused instead of overflowing; NaN fails both.
        ok = (_is_int(value) or isinstance(value, float)) and (0 <= value if allow_zero else 0 < value) and value <= 1
        if not ok:
            raise PolicyError(f"{where} must be {wording}")
        return float(value)

    return parse


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value or len(value) > MAX_LIST_ITEMS:
        raise PolicyError(f"{where} must be a list of 1 to {MAX_LIST_ITEMS} strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ITEM_CHARS:
            raise PolicyError(f"{where}[{i}] must be a non-blank string of at most {MAX_ITEM_CHARS} characters")
    return tuple(value)


_SETTINGS_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "senior_level": _int_from(MIN_LEVEL, MAX_LEVEL),
    "size_limit": _int_from(1, None),
    "ai_threshold": _fraction(allow_zero=False),
    "dismiss_on_new_revision": _bool,
    "keep_approval_on_rebase": _bool,
}

_CONDITION_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "ai_assisted": _bool,
    "author_level_at_most": _int_from(MIN_LEVEL, MAX_LEVEL),
    "author_is_bot": _bool,
    "paths": _names,
    "sensitive": _bool,
    "size_above": _int_from(1, None),
    "risk_above": _fraction(allow_zero=True),
    "repositories": _names,
    "services": _names,
}

_REQUIREMENT_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "sign_offs": _int_from(0, MAX_SIGN_OFFS),
    "owner": _bool,
    "attestation": _bool,
    "gates_passed": _bool,
}

_RULE_KEYS = ("name", "description", "when", "require", "exempt")


def _fields(value: Any, where: str, parsers: Mapping[str, Callable[[Any, str], Any]]) -> dict[str, Any]:
    data = _object(value, where, tuple(parsers))
    return {key: parsers[key](data[key], f"{where}.{key}") for key in parsers if key in data}


def _parse_rule(value: Any, where: str, earlier: dict[str, int]) -> Rule:
    data = _object(value, where, _RULE_KEYS)
    for key in ("name", "when"):
        if key not in data:
            raise PolicyError(f"{where}.{key} is required")
    name = data["name"]
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise PolicyError(f"{where}.name must be a non-blank string of at most {MAX_NAME_CHARS} characters")
    if name in earlier:
        raise PolicyError(f"{where}.name must be unique: {name!r} is already the name of rules[{earlier[name]}]")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise PolicyError(f"{where}.description must be a string of at most {MAX_DESCRIPTION_CHARS} characters")
    exempt = _bool(data["exempt"], f"{where}.exempt") if "exempt" in data else False
    when = Conditions(**_fields(data["when"], f"{where}.when", _CONDITION_PARSERS))
    if "require" not in data and not exempt:
        raise PolicyError(f'{where}.require is required (or "exempt": true)')
    require = Requirements(**_fields(data.get("require", {}), f"{where}.require", _REQUIREMENT_PARSERS))
    if exempt:
        if require != Requirements():
            raise PolicyError(f"{where}.require must be empty on an exemption: exempt removes every requirement")
        if when == Conditions():
            # An exemption of every change would switch the whole policy off with one line.
            raise PolicyError(f"{where}.when must have at least one condition on an exemption")
        if when.ai_assisted is True:
            raise PolicyError(
                f"{where}.when.ai_assisted cannot be true on an exemption: AI-assisted changes are never exempted"
            )
    return Rule(name=name, when=when, require=require, exempt=exempt, description=description)


def parse_policy(data: Any) -> Policy:
    """Validate policy data (as loaded from JSON) strictly and build the Policy; PolicyError names the first fault."""
    top = _object(data, "policy", ("settings", "rules"))
    if "rules" not in top:
        raise PolicyError("policy.rules is required")
    settings = Settings(**_fields(top.get("settings", {}), "settings", _SETTINGS_PARSERS))
    rules_data = top["rules"]
    if not isinstance(rules_data, list | tuple) or len(rules_data) > MAX_RULES:
        raise PolicyError(f"rules must be a list of at most {MAX_RULES} rules")
    earlier: dict[str, int] = {}
    rules = []
    for i, item in enumerate(rules_data):
        rule = _parse_rule(item, f"rules[{i}]", earlier)
        earlier[rule.name] = i
        rules.append(rule)
    return Policy(settings=settings, rules=tuple(rules))


def policy_to_data(policy: Policy) -> dict[str, Any]:
    """The JSON-ready data of a policy; only what differs from the defaults is written inside rules."""
    s = policy.settings
    rules: list[dict[str, Any]] = []
    for rule in policy.rules:
        item: dict[str, Any] = {"name": rule.name}
        if rule.description:
            item["description"] = rule.description
        item["when"] = {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in vars(rule.when).items()
            if value is not None
        }
        if rule.exempt:
            item["exempt"] = True
        else:
            item["require"] = {key: value for key, value in vars(rule.require).items() if value}
        rules.append(item)
    return {
        "settings": {
            "senior_level": s.senior_level,
            "size_limit": s.size_limit,
            "ai_threshold": s.ai_threshold,
            "dismiss_on_new_revision": s.dismiss_on_new_revision,
            "keep_approval_on_rebase": s.keep_approval_on_rebase,
        },
        "rules": rules,
    }


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
    if exemptions and not facts.ai_assisted:
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
            reasons.append(f"exemption '{rule.name}' does not apply: the change is AI-assisted")
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
