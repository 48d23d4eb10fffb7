"""The weekly report as a Markdown document, from its frozen snapshot (pure)."""

from __future__ import annotations

from typing import Any

import nh3

from insights.charts import Chart, format_value

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


def _plain(text: str) -> str:
    """Narrative Markdown without raw HTML: tags are dropped, their text kept."""
    return nh3.clean(text or "", tags=set(), strip_comments=True).strip()


def is_chart(value: Any) -> bool:
    return isinstance(value, dict) and {"title", "kind", "x_labels", "series"} <= set(value)


def _chart(data: dict) -> list[str]:
    chart = Chart.from_dict(data)
    header, rows = chart.table()
    return [f"**{chart.title}**", "", *_table([h or " " for h in header], rows)]


def _any(title: str, value: Any, depth: int) -> list[str]:
    """A section of unknown shape (the insights sections): charts as tables, lists of rows as tables."""
    heading = "#" * min(depth, 6)
    if is_chart(value):
        return _chart(value)
    if isinstance(value, dict):
        lines = [f"{heading} {title}", ""] if title else []
        scalars = [(k, v) for k, v in value.items() if not isinstance(v, dict | list)]
        lines += [f"- {k.replace('_', ' ')}: {_cell(v)}" for k, v in scalars]
        if scalars:
            lines.append("")
        for key, sub in value.items():
            if isinstance(sub, dict | list):
                lines += _any(key.replace("_", " ").capitalize(), sub, depth + 1)
        return lines
    if isinstance(value, list) and value and all(isinstance(v, dict) and not is_chart(v) for v in value):
        header = list(value[0])
        rows = [[row.get(h) if not isinstance(row.get(h), dict | list) else "…" for h in header] for row in value]
        return [f"{heading} {title}", "", *_table([h.replace("_", " ") for h in header], rows)]
    if isinstance(value, list):
        lines = [f"{heading} {title}", ""]
        for item in value:
            lines += _any("", item, depth + 1) if isinstance(item, dict | list) else [f"- {_cell(item)}"]
        return [*lines, ""]
    return [f"- {title}: {_cell(value)}", ""]


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
        signers = ", ".join(f"{a['reviewer']['display_name']} ({a['seconds_spent']} s)" for a in ch["approvals"])
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
                "RUBBER STAMP" if ch["rubber_stamp"] else "",
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
        lines += _any("Failure rate, review pipeline and team", snapshot["insights"], 2)
    return "\n".join(lines).rstrip() + "\n"
