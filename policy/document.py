"""The sign-off policy as data: versioned JSON that admins edit, its schema, parsing and defaults.

Its evaluation against a change lives in policy.decision.

A policy is settings plus rules. A rule applies when all its conditions hold; the requirements of every
applying rule combine (most sign-offs, any owner, attestation or gates). An exemption rule that applies
removes every requirement, except on AI-assisted or agent-opened changes: those are never exempted, and the
reasons say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Bounds on what an admin may write; they keep a typo from turning into a policy nobody can read or evaluate fast.
MAX_RULES = 200
MAX_LIST_ITEMS = 200
MAX_ITEM_CHARS = 500
MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 2000
MIN_LEVEL, MAX_LEVEL = 3, 8
MAX_SIGN_OFFS = 5
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class PolicyError(ValueError):
    """A policy document that does not follow the schema; the message names the place, as in `rules[2].when`."""

    @property
    def place(self) -> str:
        """Where the fault is, as the message starts: `rules[2].when.paths[0]`, `settings.size_limit`, `policy`."""
        return str(self).split(" ", 1)[0]


@dataclass(frozen=True)
class Settings:
    """Knobs that are not rules: who is senior, the size limit, AI detection, what a new revision dismisses, and
    whether approvals given on the git host (never timed here, so never held to the review floor) count."""

    senior_level: int = 6
    size_limit: int = 1000
    ai_threshold: float = 0.5
    dismiss_on_new_revision: bool = True
    keep_approval_on_rebase: bool = True
    host_approvals_count: bool = False


@dataclass(frozen=True)
class Conditions:
    """When a rule applies: every condition given (not None) must hold; none given means every change."""

    ai_assisted: bool | None = None
    agent_opened: bool | None = None  # opened by an AI agent's own account (not a person's AI-assisted change)
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


DEFAULT_POLICY_DATA: dict[str, Any] = {
    "settings": {
        "senior_level": 6,
        "size_limit": 1000,
        "ai_threshold": 0.5,
        "dismiss_on_new_revision": True,
        "keep_approval_on_rebase": True,
        "host_approvals_count": False,
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
        {
            "name": "agent-opened",
            "description": "Pull requests opened by an AI agent's own account (Copilot's coding agent, Devin, ...): "
            "two human seniors sign off. Reviews by AI review bots are findings, never sign-offs.",
            "when": {"agent_opened": True},
            "require": {"sign_offs": 2},
        },
    ],
}


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


def _storable(text: str, where: str) -> str:
    # PostgreSQL holds neither U+0000 nor a lone surrogate: a policy with one would fail when it is saved.
    if _UNSTORABLE.search(text):
        raise PolicyError(f"{where} must not contain U+0000 or a lone UTF-16 surrogate")
    return text


def _names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not value or len(value) > MAX_LIST_ITEMS:
        raise PolicyError(f"{where} must be a list of 1 to {MAX_LIST_ITEMS} strings")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item) > MAX_ITEM_CHARS:
            raise PolicyError(f"{where}[{i}] must be a non-blank string of at most {MAX_ITEM_CHARS} characters")
        _storable(item, f"{where}[{i}]")
    return tuple(value)


# CODEOWNERS-style path patterns: `*` within a directory, `**` as a whole segment for any depth, a trailing `/` for
# everything below. What CODEOWNERS does not support (negation, character classes, escapes) is refused rather than
# read literally, so a pattern never silently matches nothing.
_GLOB_REFUSED = (
    ("!", "negation (!) is not supported"),
    ("[", "character classes ([...]) are not supported"),
    ("]", "character classes ([...]) are not supported"),
    ("{", "brace expansion ({a,b}) is not supported"),
    ("}", "brace expansion ({a,b}) is not supported"),
    ("\\", "backslashes are not supported: write paths with /"),
)
_GLOB_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")


def glob_fault(pattern: str) -> str:
    """Why a CODEOWNERS-style path pattern is refused, or "" when it is a valid one."""
    if _GLOB_SPACE.search(pattern):
        return "must not contain spaces or control characters"
    if pattern.startswith("#"):
        return "must not start with # (a comment in CODEOWNERS)"
    for char, why in _GLOB_REFUSED:
        if char in pattern:
            return why
    segments = pattern.strip("/").split("/")
    if pattern.strip("/") == "":
        return "must name a path, not only /"
    if "" in segments:
        return "must not contain an empty segment (//)"
    if any(seg in (".", "..") for seg in segments):
        return "must not contain . or .. segments"
    if any("**" in seg and seg != "**" for seg in segments):
        return "may use ** only as a whole segment, as in src/**/test.py"
    return ""


def _globs(value: Any, where: str) -> tuple[str, ...]:
    patterns = _names(value, where)
    for i, pattern in enumerate(patterns):
        fault = glob_fault(pattern)
        if fault:
            raise PolicyError(f"{where}[{i}] {fault} (got {_key(pattern)})")
    return patterns


_SETTINGS_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "senior_level": _int_from(MIN_LEVEL, MAX_LEVEL),
    "size_limit": _int_from(1, None),
    "ai_threshold": _fraction(allow_zero=False),
    "dismiss_on_new_revision": _bool,
    "keep_approval_on_rebase": _bool,
    "host_approvals_count": _bool,
}

_CONDITION_PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "ai_assisted": _bool,
    "agent_opened": _bool,
    "author_level_at_most": _int_from(MIN_LEVEL, MAX_LEVEL),
    "author_is_bot": _bool,
    "paths": _globs,
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
    _storable(name, f"{where}.name")
    if name in earlier:
        raise PolicyError(f"{where}.name must be unique: {name!r} is already the name of rules[{earlier[name]}]")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise PolicyError(f"{where}.description must be a string of at most {MAX_DESCRIPTION_CHARS} characters")
    _storable(description, f"{where}.description")
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
        if when.agent_opened is True:
            raise PolicyError(
                f"{where}.when.agent_opened cannot be true on an exemption: agent-opened changes are never exempted"
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
            "host_approvals_count": s.host_approvals_count,
        },
        "rules": rules,
    }
