"""What the change page's risk card says beside the score: each thing the page flags, and whether the score weighs it
(pure).

The score (policy.risk) is a logistic model of size, spread, sensitive paths, the author's history with the files,
churn, past incidents and AI assistance. Gates are not among its inputs: they are checked before review and warn
or block on their own. A flag the model does consider can still move a fitted score by less than 0.01, in which
case it shows no reason; the card says so rather than "no risk factors".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PageFlag:
    """Something the change page flags, and how the risk score treats it."""

    label: str
    in_score: bool  # a reason of the score names it
    note: str
    weighed: bool = True  # an input of the model, whether or not it moved this score

    @property
    def verdict(self) -> str:
        """In one phrase: counted, too small to show, or not an input of the score."""
        if self.in_score:
            return "counted in the score"
        return "weighed, but under 0.01 here" if self.weighed else "not in the score"


_TINY = "the model weighs it, but its fitted weight moved this change's score by less than 0.01"


def _named(reasons: Sequence[Sequence], word: str) -> bool:
    return any(word in str(reason[1]).lower() for reason in reasons if len(reason) > 1)


def page_flags(
    *,
    reasons: Sequence[Sequence],
    sensitive_files: int,
    gates: Sequence[tuple[str, str]],
    ai_assisted: bool,
    ai_undeclared: bool,
) -> list[PageFlag]:
    """The page's flags (sensitive paths, failing or warning gates, AI assistance) against the score's reasons."""
    flags = []
    if sensitive_files:
        named = _named(reasons, "sensitive")
        flags.append(
            PageFlag(
                f"{sensitive_files} file{'s' if sensitive_files != 1 else ''} on a sensitive path",
                named,
                "one of the score's reasons" if named else _TINY,
            )
        )
    for name, status in gates:
        flags.append(
            PageFlag(
                f"gate {name}: {status}",
                False,
                "gates are not inputs of the score: they are checked before review and warn or block on their own",
                weighed=False,
            )
        )
    if ai_assisted or ai_undeclared:
        named = _named(reasons, "ai-assisted")
        label = "AI-assisted, not declared by the author" if ai_undeclared else "AI-assisted"
        if named:
            note = "one of the score's reasons"
        elif ai_assisted:
            note = _TINY
        else:
            note = "detected but not counted as AI-assisted under the policy's settings, so not an input of the score"
        flags.append(PageFlag(label, named, note, weighed=ai_assisted))
    return flags


def score_label(score: float) -> str:
    """The score to two decimals; "under 0.01" rather than a 0.00 that reads as "no risk"."""
    return "under 0.01" if 0 <= score < 0.005 else f"{score:.2f}"
