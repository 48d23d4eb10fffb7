"""Figures of the weekly operations report, from plain values (pure: no ORM, no clock, no settings)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from assignment.metrics import percentile_nearest_rank
from portal.charts import Chart, Series

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
TIME_KEYS = (("detect", "Time to detect"), ("mitigate", "Time to mitigate"), ("resolve", "Time to resolve"))


def minutes_between(start: datetime, end: datetime | None) -> float | None:
    """Minutes (to a tenth) from start to end, or None when end is not known."""
    if end is None:
        return None
    return round((end - start).total_seconds() / 60, 1)


def incident_times(
    started_at: datetime, detected_at: datetime | None, mitigated_at: datetime | None, resolved_at: datetime | None
) -> dict[str, float | None]:
    """Minutes from the start to detection, mitigation and resolution (None where not reached)."""
    return {
        "detect": minutes_between(started_at, detected_at),
        "mitigate": minutes_between(started_at, mitigated_at),
        "resolve": minutes_between(started_at, resolved_at),
    }


def time_summary(rows: Iterable[dict[str, float | None]]) -> dict[str, dict[str, float | int | None]]:
    """For each of detect, mitigate and resolve: how many incidents reached it, the p50, p90 and longest minutes."""
    rows = list(rows)
    summary: dict[str, dict[str, float | int | None]] = {}
    for key, _ in TIME_KEYS:
        values = [r[key] for r in rows if r.get(key) is not None]
        summary[key] = {
            "count": len(values),
            "p50": percentile_nearest_rank(values, 0.5) if values else None,
            "p90": percentile_nearest_rank(values, 0.9) if values else None,
            "max": max(values) if values else None,
        }
    return summary


def severity_counts(severities: Iterable[str]) -> dict[str, int]:
    """Incidents per severity, every severity present (zero when none)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for severity in severities:
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def coe_status(texts: dict[str, str] | None) -> str:
    """'none' without a review, 'written' when summary and root cause are written, 'started' otherwise."""
    if texts is None or not any((v or "").strip() for v in texts.values()):
        return "none"
    if (texts.get("summary") or "").strip() and (texts.get("root_cause") or "").strip():
        return "written"
    return "started"


def action_buckets(
    *,
    created_at: datetime,
    completed_at: datetime | None,
    due_date: date | None,
    start: datetime,
    end: datetime,
    end_date: date,
) -> tuple[str, ...]:
    """Which of opened, closed and overdue an action item counts in for the week [start, end).

    Overdue means still open at the end of the week with its due date before the week's end date (so due on
    the Sunday, open on Monday, is overdue). `end_date` is the local date of `end`.
    """
    buckets = []
    if start <= created_at < end:
        buckets.append("opened")
    if completed_at is not None and start <= completed_at < end:
        buckets.append("closed")
    open_at_end = created_at < end and (completed_at is None or completed_at >= end)
    if open_at_end and due_date is not None and due_date < end_date:
        buckets.append("overdue")
    return tuple(buckets)


def sign_off_record(approvals: Sequence[dict]) -> dict[str, object]:
    """Seconds spent over all sign-offs, and whether any of them was a rubber stamp."""
    return {
        "seconds": sum(int(a.get("seconds_spent") or 0) for a in approvals),
        "rubber_stamp": any(bool(a.get("rubber_stamp")) for a in approvals),
    }


# The flag of a causing change's review record, worded once for the page, the Markdown and the PDF.
SIGN_OFF_FLAGS = {"rubber_stamp": "Rubber stamp", "unsigned": "Unsigned", "": ""}


def sign_off_flag(change: dict) -> str:
    """'rubber_stamp' when a sign-off was a rubber stamp, 'unsigned' when a required sign-off is missing, else ''."""
    if change.get("rubber_stamp"):
        return "rubber_stamp"
    if change.get("required_sign_offs") and not change.get("approvals"):
        return "unsigned"
    return ""


def sign_off_flag_label(change: dict) -> str:
    """The words for a causing change's flag ('Rubber stamp', 'Unsigned', or '' when there is nothing to flag)."""
    return SIGN_OFF_FLAGS[sign_off_flag(change)]


def severity_chart(counts: dict[str, int]) -> Chart:
    """Incidents of the week per severity."""
    return Chart(
        title="Incidents by severity",
        kind="bar",
        x_labels=tuple(counts),
        series=(Series("Incidents", tuple(float(v) for v in counts.values())),),
        y_title="incidents",
    )


def incident_label(incident_id: int, title: str, length: int = 28) -> str:
    """'#39 blank cart page in Safari', cut to a length a chart's axis has room for (the table has the rest)."""
    text = f"#{incident_id} {title}"
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# Both incident charts are drawn at this width, side by side at the same scale; the times chart grows in height
# with the week's incidents so that its bars and labels keep their size.
CHART_WIDTH = 560


def times_chart_height(incidents: int) -> int:
    """Pixels for the hours chart of that many incidents (three bars each)."""
    return max(260, 110 + 66 * incidents)


def times_chart(rows: Sequence[dict]) -> Chart:
    """Hours to detect, mitigate and resolve, per incident of the week."""
    labels = tuple(incident_label(r["id"], r["title"]) for r in rows)

    def hours(value: float | None) -> float | None:
        return None if value is None else round(value / 60, 2)

    return Chart(
        title="Hours from the start to detection, mitigation and resolution",
        kind="hbar",
        x_labels=labels,
        series=tuple(
            Series(name.replace("Time to", "to"), tuple(hours(r["minutes"][key]) for r in rows))
            for key, name in TIME_KEYS
        ),
        y_title="hours",
        unit="h",
    )


def actions_chart(counts: dict[str, int]) -> Chart:
    """Action items opened, closed and overdue in the week."""
    return Chart(
        title="Action items this week",
        kind="bar",
        x_labels=("Opened", "Closed", "Overdue"),
        series=(Series("Action items", tuple(float(counts[k]) for k in ("opened", "closed", "overdue"))),),
    )
