"""The weekly report as a Markdown document, from its frozen snapshot (pure)."""

from __future__ import annotations

from typing import Any

import nh3

from incidents.report.reporting import sign_off_flag_label
from portal.charts import Chart, format_value

NARRATIVE = (("summary", "Summary"), ("highlights", "Highlights"), ("concerns", "Concerns"), ("decisions", "Decisions"))
TIMES = (("detect", "detect"), ("mitigate", "mitigate"), ("resolve", "resolve"))


def _cell(value: Any) -> str:
    text = "–" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) if h else " " for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _minutes(value: float | None) -> str:
    return format_value(value, "min") if value is not None else "–"


def _time_spent(approval: dict[str, Any]) -> str:
    # Reports frozen before the source was recorded have none: their verdicts were timed.
    if approval.get("source") == "host":
        return "approved on the host, time unknown"
    return f"{approval['seconds_spent']} s"


def _plain(text: str) -> str:
    """Narrative Markdown without raw HTML: tags are dropped, their text kept."""
    return nh3.clean(text or "", tags=set(), strip_comments=True).strip()


def is_chart(value: Any) -> bool:
    return isinstance(value, dict) and {"title", "kind", "x_labels", "series"} <= set(value)


def _chart(data: dict) -> list[str]:
    chart = Chart.from_dict(data)
    if chart.is_empty:  # as on the page: one line, not a table of dashes
        return [f"**{chart.title}**: no data for this period.", ""]
    header, rows = chart.table()
    return [f"**{chart.title}**", "", *_table([h or " " for h in header], rows)]


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def _rate(name: str, rate: Any) -> str:
    """A rate with its counts and 95% interval: 'AI-assisted: 10.2% (6 of 59; 95% CI 4.7%–20.5%)'."""
    if not isinstance(rate, dict) or "n" not in rate:
        return f"- {name}: –"
    if not rate.get("n"):
        return f"- {name}: no data"
    text = f"- {name}: {_pct(rate.get('value'))} ({rate.get('k', 0)} of {rate['n']}"
    if rate.get("low") is not None and rate.get("high") is not None:
        text += f"; 95% CI {_pct(rate['low'])}–{_pct(rate['high'])}"
    return text + ("" if rate.get("enough", True) else "; too few to compare") + ")"


def _hours(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f} h"


def _rounds(rounds: dict[str, Any]) -> str:
    """As the page words it: no zeros for rounds nobody needed."""
    if not rounds.get("n"):
        return "- Review rounds: no sign-off in the period"
    two, more = rounds.get("two", 0), rounds.get("three_plus", 0)
    if not two and not more:
        return f"- Review rounds: mean {rounds.get('mean', '–')}; all {rounds['n']} signed off in one round"
    return f"- Review rounds: mean {rounds.get('mean', '–')}; {two} took two, {more} three or more, of {rounds['n']}"


def _pipeline(p: dict[str, Any]) -> list[str]:
    queue, first, sign_off, rounds = (p.get(k) or {} for k in ("queue", "first_review", "sign_off", "rounds"))
    lines = [
        f"- Needing sign-off: {p.get('inflow_total', '–')} changes ({p.get('inflow_minutes_total', '–')} review "
        f"minutes) against {p.get('capacity_total', '–')} minutes of senior capacity; "
        f"{p.get('signoffs_total', '–')} sign-offs",
        f"- Queue: {queue.get('depth', '–')} waiting; age p50 {_hours(queue.get('p50_age_hours'))}, "
        f"p90 {_hours(queue.get('p90_age_hours'))}, oldest {_hours(queue.get('oldest_hours'))}",
        f"- Time to first review: p50 {_hours(first.get('p50'))}, p90 {_hours(first.get('p90'))} "
        f"({first.get('n', 0)} changes)",
        f"- Time to sign-off: p50 {_hours(sign_off.get('p50'))}, p90 {_hours(sign_off.get('p90'))} "
        f"({sign_off.get('n', 0)} changes)",
        _rounds(rounds),
    ]
    headline = p.get("headline")
    if isinstance(headline, dict) and headline.get("text"):
        lines.insert(0, f"**{headline.get('title', '')}.** " + " ".join(headline.get("details") or []))
    for week in p.get("over_capacity") or []:
        lines.append(f"- Over capacity: {week if not isinstance(week, dict) else week.get('label', week)}")
    lines.append("")
    for key in ("chart_flow", "chart_hours", "chart_depth", "chart_wait", "chart_queue"):
        if is_chart(p.get(key)):
            lines += _chart(p[key])
    return lines


def _seniors(s: dict[str, Any]) -> list[str]:
    lines = [
        f"- Seniors: {s.get('seniors', '–')}; share of review minutes on the top 10%: "
        f"{s.get('top10_share_pct', '–')}%; Gini {s.get('gini', '–')}; away {s.get('away_count', 0)}",
        "",
    ]
    teams = s.get("teams") or []
    if teams:
        lines += _table(
            ["Team", "Seniors", "Capacity (min)", "Load (min)", "Load %", "Verdicts", "Away"],
            [
                [t.get("team"), t.get("seniors"), t.get("capacity_minutes"), t.get("load_minutes"),
                 t.get("load_pct"), t.get("verdicts"), t.get("away")]
                for t in teams
            ],
        )  # fmt: skip
    return lines


def _quality(q: dict[str, Any]) -> list[str]:
    lines = [_rate("Rubber-stamp rate", q.get("rubber_stamp")), _rate("Undeclared AI", q.get("undeclared"))]
    missing = q.get("missing_sign_off") or {}
    non_owner = q.get("non_owner") or {}
    lines.append(f"- AI-assisted changes merged without the required sign-off: {missing.get('count', '–')}")
    lines.append(f"- Sign-offs by non-owners on owned paths: {non_owner.get('approvals', '–')}")
    lines.append("")
    if is_chart(q.get("cfr_chart")):
        lines += _chart(q["cfr_chart"])
    return lines


def _knowledge(k: dict[str, Any]) -> list[str]:
    lines = [f"- Files known by one active person: {k.get('files_single', '–')} of {k.get('files', '–')}", ""]
    for key in ("chart", "bus_chart"):
        if is_chart(k.get(key)):
            lines += _chart(k[key])
    return lines


def _insights(sections: dict[str, Any]) -> list[str]:
    """The dashboards' sections of the report: failure rate, pipeline health, the team of the week."""
    lines = ["## Change failure rate", ""]
    trend = sections.get("failure_trend") or {}
    this_week = trend.get("this_week") or {}
    lines += [_rate("AI-assisted", this_week.get("ai")), _rate("Other", this_week.get("other")), ""]
    if is_chart(trend.get("chart")):
        lines += _chart(trend["chart"])
    pipeline = sections.get("pipeline") or {}
    lines += ["## Review pipeline health", "", *_pipeline(pipeline), *_seniors(pipeline.get("seniors") or {})]
    team = sections.get("team")
    if team:
        lines += [f"## Team of the week: {team.get('name', '')}", ""]
        lines += _pipeline(team.get("pipeline") or {})
        lines += _seniors(team.get("seniors") or {})
        lines += _quality(team.get("quality") or {})
        lines += _knowledge(team.get("knowledge") or {})
    return lines


def report_markdown(snapshot: dict[str, Any], narrative: dict[str, str], meta: dict[str, str]) -> str:
    """The whole report: narrative, incidents, causing changes, action items, insights."""
    incidents = snapshot.get("incidents", {})
    lines = [f"# Weekly operations report {snapshot.get('week', '')}", ""]
    lines += [f"{meta.get('status', '')} · revision {meta.get('revision', '')} · {meta.get('period', '')}", ""]
    for key, title in NARRATIVE:
        if (narrative.get(key) or "").strip():
            lines += [f"## {title}", "", _plain(narrative[key]), ""]
    lines += [f"## Incidents ({incidents.get('count', 0)})", ""]
    by_severity = incidents.get("by_severity", {})
    lines += [" · ".join(f"{sev}: {n}" for sev, n in by_severity.items()), ""]
    rows = [
        [
            r["severity"],
            f"#{r['id']} {r['title']}",
            r["status"],
            ", ".join(r["services"]),
            (r["started_at"] or "")[:16].replace("T", " "),
            *(_minutes(r["minutes"][key]) for key, _ in TIMES),
            r["causes"],
            r["coe"],
        ]
        for r in incidents.get("rows", [])
    ]
    header = ["Sev", "Incident", "Status", "Services", "Started", "Detect", "Mitigate", "Resolve", "Causes", "COE"]
    lines += _table(header, rows) if rows else ["No incidents started this week.", ""]
    times = incidents.get("times", {})
    if rows:
        lines += _table(
            ["", "p50", "p90", "longest", "incidents"],
            [
                [f"Time to {label}", _minutes(t.get("p50")), _minutes(t.get("p90")), _minutes(t.get("max")), t["count"]]
                for key, label in TIMES
                if (t := times.get(key))
            ],
        )
    causes = snapshot.get("causes", [])
    lines += [f"## Causing changes ({len(causes)})", ""]
    cause_rows = []
    for c in causes:
        ch = c["change"]
        author = f"{ch['author']['display_name']} (L{ch['author']['level']})" if ch["author"] else ch["author_name"]
        signers = ", ".join(f"{a['reviewer']['display_name']} ({_time_spent(a)})" for a in ch["approvals"])
        gates = ", ".join(f"{g['name']}: {g['status']}" for g in ch["gates"] if g["status"] != "pass")
        cause_rows.append(
            [
                f"#{c['incident_id']}",
                f"{ch['title']} ({ch['repository']['name']} {ch['short_sha']})",
                author,
                "yes: " + "; ".join(ch["ai_evidence"][:2]) if ch["ai_assisted"] else "no",
                gates or "all pass",
                f"{ch['risk_score']:.2f}",
                signers or ("no sign-off" if ch["required_sign_offs"] else "not required"),
                ch["seconds"],
                sign_off_flag_label(ch),
            ]
        )
    header = ["Incident", "Change", "Author", "AI-assisted", "Gates", "Risk", "Signed off by", "Seconds", "Flag"]
    lines += _table(header, cause_rows) if cause_rows else ["No causing change confirmed.", ""]
    actions = snapshot.get("actions", {})
    counts = actions.get("counts", {})
    lines += ["## Action items", ""]
    lines += [
        f"Opened {counts.get('opened', 0)} · closed {counts.get('closed', 0)} · overdue {counts.get('overdue', 0)}"
    ]
    lines.append("")
    for bucket in ("overdue", "opened", "closed"):
        items = actions.get(bucket, [])
        if items:
            lines += [f"### {bucket.capitalize()}", ""]
            lines += _table(
                ["Action", "Incident", "Owner", "Due", "Status"],
                [
                    [i["title"], f"#{i['incident_id']} {i['incident_title']}", i["owner"], i["due_date"], i["status"]]
                    for i in items
                ],
            )
    if snapshot.get("insights"):
        lines += _insights(snapshot["insights"])
    return "\n".join(lines).rstrip() + "\n"
