"""The sign-off policy in words: each rule and setting as one sentence, and what changed between two versions.

Every page that shows rules (the policy page, a version, the diff, the editor, the preview) words them here, so a
rule reads the same everywhere: "AI-assisted changes by L3–L5 authors need 1 senior sign-off and the author's
attestation".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from policy.document import MIN_LEVEL, Conditions, Policy, Requirements, Rule, Settings


def _join(items: Sequence[str], last: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _levels(at_most: int) -> str:
    return f"L{MIN_LEVEL}" if at_most <= MIN_LEVEL else f"L{MIN_LEVEL}–L{at_most}"


def _named(kind: str, names: Sequence[str]) -> str:
    plural = kind if len(names) == 1 else f"{kind.removesuffix('y')}ies" if kind.endswith("y") else f"{kind}s"
    return f"{plural} {_join(list(names), 'or')}"


def subject(when: Conditions) -> str:
    """The changes a rule applies to, as a plural noun phrase: "AI-assisted changes by L3–L5 authors"."""
    before: list[str] = []
    after: list[str] = []
    if when.ai_assisted is True:
        before.append("AI-assisted")
    elif when.ai_assisted is False:
        after.append("that are not AI-assisted")
    if when.agent_opened is True:
        after.append("opened by an AI agent")
    elif when.agent_opened is False:
        after.append("not opened by an AI agent")
    if when.author_is_bot is True:
        after.append("by bots")
    elif when.author_is_bot is False:
        after.append("by people (not bots)")
    if when.author_level_at_most is not None:
        after.append(f"by {_levels(when.author_level_at_most)} authors")
    if when.paths is not None:
        after.append(f"touching {_join(list(when.paths), 'or')}")
    if when.sensitive is True:
        after.append("touching a sensitive path")
    elif when.sensitive is False:
        after.append("touching no sensitive path")
    if when.size_above is not None:
        after.append(f"of more than {when.size_above:,} changed lines")
    if when.risk_above is not None:
        after.append(f"with a risk above {when.risk_above:.2f}")
    if when.repositories is not None:
        after.append(f"in {_named('repository', when.repositories)}")
    if when.services is not None:
        after.append(f"of {_named('service', when.services)}")
    noun = " ".join([*before, "changes"])
    if not before and not after:
        return "All changes"
    text = " ".join([noun, *after])
    return text[0].upper() + text[1:]


def requirement_phrases(require: Requirements) -> list[str]:
    """What a rule asks for, one phrase each: "1 senior sign-off", "the author's attestation"."""
    phrases: list[str] = []
    # An owner's sign-off is a sign-off: requiring an owner implies at least one (as policy.decision counts).
    count = max(require.sign_offs, 1 if require.owner else 0)
    if count:
        noun = "senior sign-off" if count == 1 else "senior sign-offs"
        if require.owner:
            owner = "by a code owner" if count == 1 else "one of them by a code owner"
            phrases.append(f"{count} {noun} {owner}" if count == 1 else f"{count} {noun}, {owner}")
        else:
            phrases.append(f"{count} {noun}")
    if require.attestation:
        phrases.append("the author's attestation")
    if require.gates_passed:
        phrases.append("passing automated gates")
    return phrases


def rule_sentence(rule: Rule) -> str:
    """One rule as a sentence: its changes, then what they need (or that they are exempt)."""
    who = subject(rule.when)
    if rule.exempt:
        return f"{who} need no sign-off (never when AI-assisted or opened by an AI agent)."
    phrases = requirement_phrases(rule.require)
    if not phrases:
        return f"{who} need nothing more (the rule only records that it applied)."
    return f"{who} need {_join(phrases)}."


def settings_sentences(settings: Settings) -> list[str]:
    """The policy's settings, one sentence each."""
    return [
        f"Seniors are engineers at L{settings.senior_level} and above.",
        f"The size limit is {settings.size_limit:,} changed lines.",
        f"A change counts as AI-assisted when its author declares it or detection is at least "
        f"{settings.ai_threshold:.0%} confident.",
        "A new revision dismisses earlier sign-offs."
        if settings.dismiss_on_new_revision
        else "A new revision keeps earlier sign-offs.",
        "A rebase keeps approvals." if settings.keep_approval_on_rebase else "A rebase dismisses approvals.",
        "Approvals given on the git host count as sign-offs."
        if settings.host_approvals_count
        else "Approvals given on the git host do not count as sign-offs.",
    ]


# --- the difference between two versions ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleChange:
    """One rule of the same name in both versions, worded before and after."""

    name: str
    before: str
    after: str
    description_before: str = ""
    description_after: str = ""


@dataclass(frozen=True)
class PolicyDiff:
    """Rules added, removed and changed (matched by name), settings changed, and whether the order moved."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (name, sentence)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)  # (before, after)
    reordered: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.settings or self.reordered)


def policy_diff(before: Policy, after: Policy) -> PolicyDiff:
    """What changed from `before` to `after`, in sentences; a renamed rule reads as one removed and one added."""
    old = {r.name: r for r in before.rules}
    new = {r.name: r for r in after.rules}
    changed = [
        RuleChange(
            name=name,
            before=rule_sentence(old[name]),
            after=rule_sentence(rule),
            description_before=old[name].description,
            description_after=rule.description,
        )
        for name, rule in new.items()
        if name in old and old[name] != rule
    ]
    settings = [
        (a, b)
        for a, b in zip(settings_sentences(before.settings), settings_sentences(after.settings), strict=True)
        if a != b
    ]
    kept_old = [n for n in old if n in new]
    kept_new = [n for n in new if n in old]
    return PolicyDiff(
        added=[(r.name, rule_sentence(r)) for r in after.rules if r.name not in old],
        removed=[(r.name, rule_sentence(r)) for r in before.rules if r.name not in new],
        changed=changed,
        settings=settings,
        reordered=kept_old != kept_new,
    )
