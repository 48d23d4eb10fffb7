"""The pipeline's headline, read off its figures (pure: plain values in, plain values out).

One ratio (estimated inflow against capacity) cannot say whether the pipeline keeps up: estimates can be low,
seniors can spend their hours elsewhere. The headline weighs what a manager would look at: the weeks over
capacity, the queue's growth over the period, and how long the oldest change has waited, and it says which
figure it rests on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Tone = Literal["ok", "warn", "error"]

# The queue "grew" when it gained at least this many changes and at least a quarter of its starting depth:
# a queue going from 2 to 3 is noise, from 0 to 26 is not.
GROWTH_MIN = 3
GROWTH_SHARE = 0.25


@dataclass(frozen=True)
class PipelineFigures:
    """The figures the headline follows from, for one period and scope."""

    inflow: int
    signoffs: int
    inflow_minutes: int
    capacity_minutes: int
    queue_end: int
    queue_start: int | None = None
    oldest_wait_hours: float | None = None
    due_hours: float = 24
    senior_count: int = 0
    # (week label, percent over) for each week whose estimated inflow exceeded capacity.
    over_weeks: tuple[tuple[str, int], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Headline:
    """A verdict in a few words, the figures behind it, and how loudly to show it."""

    tone: Tone
    title: str
    details: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.title}. " + " ".join(self.details) if self.details else f"{self.title}."

    def as_dict(self) -> dict[str, Any]:
        return {"tone": self.tone, "title": self.title, "details": list(self.details), "text": self.text}


def wait_text(hours: float) -> str:
    """A wait as people say it: '5 h', '9.2 days'."""
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    return f"{hours:.0f} h" if hours >= 1 else f"{round(hours * 60)} min"


def _hours(minutes: float) -> str:
    return f"{minutes / 60:,.1f} h"


def _changes(n: int) -> str:
    return f"{n} change" if n == 1 else f"{n} changes"


def queue_grew(start: int | None, end: int) -> bool:
    """Whether the queue grew by more than noise over the period."""
    if start is None:
        return False
    growth = end - start
    return growth >= GROWTH_MIN and growth >= math.ceil(GROWTH_SHARE * start)


def pipeline_headline(f: PipelineFigures) -> Headline:
    """What the pipeline's figures say, worst first; never 'within capacity' while the queue piles up."""
    grew = queue_grew(f.queue_start, f.queue_end)
    shrank = f.queue_start is not None and queue_grew(f.queue_end, f.queue_start)
    overdue = f.oldest_wait_hours is not None and f.queue_end > 0 and f.oldest_wait_hours > f.due_hours
    details: list[str] = []

    if f.capacity_minutes <= 0 and (f.inflow or f.queue_end):
        title, tone = "No senior review capacity in this scope", "error"
        details.append(f"{_changes(f.inflow)} needed sign-off; {f.queue_end} waiting at the end.")
    elif f.over_weeks:
        title, tone = "Inflow exceeds senior capacity", "error"
        weeks = ", ".join(f"{label} (+{pct}%)" for label, pct in f.over_weeks)
        details.append(
            f"Estimated review work of {_hours(f.inflow_minutes)} against {_hours(f.capacity_minutes)} of "
            f"capacity; over in {weeks}."
        )
    elif grew:
        title, tone = "Sign-offs are not keeping up", "error" if overdue else "warn"
    elif overdue:
        title, tone = "Changes wait longer than reviews are due", "warn"
    elif not f.inflow and not f.queue_end:
        title, tone = "No change needed sign-off", "ok"
    else:
        title, tone = "The pipeline keeps up", "ok"

    if f.queue_start is not None and (grew or shrank):
        verb = "grew" if grew else "shrank"
        details.append(
            f"The queue {verb} from {f.queue_start} to {f.queue_end}: {f.inflow} needed sign-off, "
            f"{f.signoffs} signed off."
        )
    elif f.queue_end or f.inflow:
        held = f" (was {f.queue_start})" if f.queue_start is not None and f.queue_start != f.queue_end else ""
        details.append(f"{_changes(f.queue_end)} waiting at the end{held}; {f.signoffs} signed off.")
    if f.queue_end and f.oldest_wait_hours is not None:
        due = f" (reviews are due within {wait_text(f.due_hours)})" if overdue else ""
        details.append(f"The oldest has waited {wait_text(f.oldest_wait_hours)}{due}.")
    if not f.over_weeks and f.capacity_minutes > 0 and f.inflow:
        # Said last, and as what it is: estimated hours, which do not prove the queue is being worked.
        details.append(
            f"Estimated inflow {_hours(f.inflow_minutes)} stayed within the capacity of "
            f"{f.senior_count} senior{'' if f.senior_count == 1 else 's'} ({_hours(f.capacity_minutes)})."
        )
    return Headline(tone=tone, title=title, details=tuple(details))


def figures_from_section(p: Mapping[str, Any], *, due_hours: float = 24) -> PipelineFigures:
    """The headline's figures from a pipeline section dict (as on the dashboard or in a report's snapshot)."""
    queue = p.get("queue") or {}
    start = queue.get("start_depth")
    if start is None:
        # Snapshots frozen before the start depth was recorded: the depth at the end of the first week.
        first = _first_value(p.get("chart_queue") or p.get("chart_depth"))
        start = None if first is None else int(first)
    oldest = queue.get("oldest_hours")
    return PipelineFigures(
        inflow=int(p.get("inflow_total") or 0),
        signoffs=int(p.get("signoffs_total") or 0),
        inflow_minutes=int(p.get("inflow_minutes_total") or 0),
        capacity_minutes=int(p.get("capacity_total") or 0),
        queue_end=int(queue.get("depth") or 0),
        queue_start=start,
        oldest_wait_hours=None if oldest is None else float(oldest),
        due_hours=float(p.get("due_hours") or due_hours),
        senior_count=int(p.get("senior_count") or 0),
        over_weeks=tuple((str(w.get("label")), int(w.get("over_pct") or 0)) for w in p.get("over_capacity") or []),
    )


def _first_value(chart: Mapping[str, Any] | None) -> float | None:
    series: Sequence[Mapping[str, Any]] = (chart or {}).get("series") or []
    values = series[0].get("values") if series else None
    return values[0] if values else None


def headline_of(p: Mapping[str, Any]) -> dict[str, Any]:
    """The stored headline of a pipeline section, or one read off its figures for older snapshots."""
    stored = p.get("headline")
    if isinstance(stored, Mapping) and stored.get("title"):
        return dict(stored)
    return pipeline_headline(figures_from_section(p)).as_dict()
