"""The policy editor's preview: what each rule of a draft would have caught over the last days, and the senior hours
that means, against the policy in force. Read through the what-if engine's window and the recorded decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from assignment.services.whatif import decision_window
from policy.document import Policy, Rule
from policy.risk import estimate_review_minutes
from policy.sentences import rule_sentence
from policy.services.policies import policy_decide_recorded

PREVIEW_DAYS = 30


@dataclass(frozen=True)
class RulePreview:
    """One rule: how many changes it applied to, and the senior hours its own sign-offs would take for them."""

    number: int
    name: str
    sentence: str
    exempt: bool
    asks_senior: bool
    changes: int
    senior_hours: float


@dataclass(frozen=True)
class PolicyPreview:
    """Per rule of the draft, and in total for the draft and for the policy in force, over the same changes."""

    start: datetime
    end: datetime
    changes: int
    rules: list[RulePreview]
    needs_senior: int
    senior_hours: float
    needs_senior_now: int
    senior_hours_now: float

    @property
    def hours_delta(self) -> float:
        return round(self.senior_hours - self.senior_hours_now, 1)

    @property
    def hours_saved(self) -> float:
        return -self.hours_delta


def _own_sign_offs(rule: Rule) -> int:
    return 0 if rule.exempt else max(rule.require.sign_offs, 1 if rule.require.owner else 0)


def policy_preview(draft: Policy, current: Policy, *, end: datetime, days: int = PREVIEW_DAYS) -> PolicyPreview:
    """Evaluate both policies on every change opened in the `days` before `end` (whatever became of it)."""
    start = end - timedelta(days=days)
    changes, files, services = decision_window(start=start, end=end, merged_only=False)
    caught = {rule.name: 0 for rule in draft.rules}
    minutes_of_rule = {rule.name: 0 for rule in draft.rules}
    own = {rule.name: _own_sign_offs(rule) for rule in draft.rules}
    total = [0, 0]  # changes needing a senior, senior minutes: the draft
    total_now = [0, 0]
    for change in changes:
        touched = files.get(change.pk, [])
        minutes = estimate_review_minutes(change.lines_changed, len(touched), change.risk_score)
        repo_services = services.get(change.repository_id, ())
        decision = policy_decide_recorded(change, touched, draft, services=repo_services)
        for name in decision.matched_rules:
            caught[name] += 1
            minutes_of_rule[name] += own[name] * minutes
        if decision.required_sign_offs:
            total[0] += 1
            total[1] += decision.required_sign_offs * minutes
        now = policy_decide_recorded(change, touched, current, services=repo_services)
        if now.required_sign_offs:
            total_now[0] += 1
            total_now[1] += now.required_sign_offs * minutes
    rows = [
        RulePreview(
            number=i + 1,
            name=rule.name,
            sentence=rule_sentence(rule),
            exempt=rule.exempt,
            asks_senior=own[rule.name] > 0,
            changes=caught[rule.name],
            senior_hours=round(minutes_of_rule[rule.name] / 60, 1),
        )
        for i, rule in enumerate(draft.rules)
    ]
    return PolicyPreview(
        start=start,
        end=end,
        changes=len(changes),
        rules=rows,
        needs_senior=total[0],
        senior_hours=round(total[1] / 60, 1),
        needs_senior_now=total_now[0],
        senior_hours_now=round(total_now[1] / 60, 1),
    )
