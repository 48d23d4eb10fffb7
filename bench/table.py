"""The benchmark table: median, min and max at each size, the ratio between the largest and smallest, the target."""

from __future__ import annotations

import statistics
from typing import Any

# (key in a size's results, label, field, unit, target at the largest size, ratio target)
ROWS: list[tuple[str, str, str, str, str, str]] = [
    ("queue_page", "queue page, senior with 25 open items", "ms", "ms", "<= 50", "<= 1.3"),
    ("queue_page_gunicorn", "  same, through gunicorn", "ms", "ms", "", ""),
    ("change_page_300", "change page, 300 lines", "ms", "ms", "<= 80", ""),
    ("change_page_300_gunicorn", "  same, through gunicorn", "ms", "ms", "<= 80", ""),
    ("change_page_5000", "change page, 5,000 lines", "ms", "ms", "", ""),
    ("dashboard_pipeline", "dashboard: pipeline, org, 90 days", "ms", "ms", "<= 300", "<= 1.5"),
    ("dashboard_seniors", "dashboard: seniors, org, 90 days", "ms", "ms", "<= 300", "<= 1.5"),
    ("dashboard_quality", "dashboard: quality, org, 90 days", "ms", "ms", "<= 300", "<= 1.5"),
    ("dashboard_knowledge", "dashboard: knowledge, org, 90 days", "ms", "ms", "<= 300", "<= 1.5"),
    ("weekly_report_build", "weekly report build, busiest week", "ms", "ms", "<= 2000", ""),
    ("weekly_report_pdf", "weekly report PDF", "ms", "ms", "<= 3000", ""),
    ("rollup_refresh_1000", "rollup refresh after 1,000 new changes", "ms", "ms", "<= 5000", ""),
    ("api_change_list", "API change list (filtered, cursor)", "ms", "ms", "", ""),
    ("api_change_detail", "API change detail", "ms", "ms", "", ""),
    ("suspect_ranking", "suspect ranking, busiest service", "ms", "ms", "<= 100", ""),
    # The headline is a batch of 200: what assign_waiting does with the waiting changes, all reads included.
    ("assignment_decisions", "decisions/s, batch of 200 (assign_waiting)", "per_second_batch_200", "/s", ">= 2000", ""),
    ("assignment_decisions", "  same, batch of 20", "per_second_batch_20", "/s", "", ""),
    ("assignment_decisions", "  one change alone (all reads)", "single_ms", "ms", "", ""),
    ("assignment_decisions", "  picks only (reads done)", "pick_only_per_second", "/s", "", ""),
    ("assignment_decisions", "  pick_reviewer, 300 seniors scored", "pick_every_senior_per_second", "/s", "", ""),
    ("web_rss_dashboards", "web process peak RSS after dashboards", "mb", "MB", "<= 250", ""),
]
QUERY_ROWS = [
    "queue_page", "change_page_300", "change_page_5000", "dashboard_pipeline", "dashboard_seniors", "dashboard_quality",
    "dashboard_knowledge", "suspect_ranking", "api_change_list", "api_change_detail",
]  # fmt: skip


def _verdict(value: float | None, target: str) -> str:
    """'met' or 'missed' for a target written as '<= 50' or '>= 2000'; '' when there is none to judge."""
    if value is None or not target:
        return ""
    sign, _, bound = target.partition(" ")
    limit = float(bound)
    met = value <= limit if sign == "<=" else value >= limit
    off = value / limit if sign == "<=" else limit / max(value, 1e-9)
    return "met" if met else f"MISSED by {off:,.1f}x"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def render(results: dict[str, Any]) -> str:
    """The whole table as text."""
    sizes = sorted(results["sizes"], key=int)
    head = f"{'figure':<46}" + "".join(f"{int(s):>10,} changes: median (min-max)  " for s in sizes)
    lines = ["Countersign benchmarks", "", head + "ratio   target"]
    for key, label, field, unit, target, ratio_target in ROWS:
        cells, medians = [], []
        for size in sizes:
            entry = results["sizes"][size].get(key) or {}
            values = entry.get(field) or []
            if not values:
                cells.append(f"{'n/a' if 'skipped' not in entry else 'not in this build':>34}  ")
                medians.append(None)
                continue
            median = statistics.median(values)
            medians.append(median)
            cells.append(
                f"{_fmt(median) + ' ' + unit:>14} ({_fmt(min(values))}-{_fmt(max(values))}){'':>4}"[:34].rjust(34)
                + "  "
            )
        ratio = f"{medians[-1] / medians[0]:.2f}" if len(medians) > 1 and medians[0] and medians[-1] else ""
        goal = " ".join(t for t in (target, f"ratio {ratio_target}" if ratio_target else "") if t)
        verdicts = [v for v in (_verdict(medians[-1], target), _verdict(float(ratio) if ratio else None,
                                                                          ratio_target)) if v]  # fmt: skip
        judged = f"  [{'; '.join(verdicts)}]" if verdicts else ""
        lines.append(f"{label:<46}" + "".join(cells) + f"{ratio:>5}   {goal}{judged}")
    lines.append("")
    lines.append("SQL queries per request: " + "; ".join(
        f"{key}: " + " / ".join(str((results["sizes"][s].get(key) or {}).get("queries", "-")) for s in sizes)
        for key in QUERY_ROWS
    ))  # fmt: skip
    generated = ", ".join(
        f"{int(s):,}: " + (f"{v:.0f} s" if v is not None else "reused") for s, v in results["generate_seconds"].items()
    )
    lines.append(f"generate_org: {generated}")
    fixed = results.get("fixed", {})
    if "webhooks" in fixed:
        w = fixed["webhooks"]
        lines.append(
            f"webhooks, 1 gunicorn sync worker: {w['per_second']:.0f} deliveries/s ({w['accepted']}/{w['deliveries']}"
            f" answered 202), p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms   target >= 300/s, p99 <= 50 ms"
        )
    if "diff" in fixed:
        d = fixed["diff"]
        lines.append(
            f"diff pull + parse, {d['changed_lines']} lines: {d['pull_parse_ms']:.1f} ms against raw git diff"
            f" {d['raw_git_diff_ms']:.1f} ms = {d['ratio']:.2f}x ({len(d['git_processes'])} new git process a pull,"
            f" {len(d['git_processes_first_pull'])} on a worker's first pull of the repository)"
            "   target <= 1.5x"
        )
        lines.append(
            f"  then AI detection {d['ai_ms']:.1f} ms, storing and what it sets off (gates, policy, risk, assignment)"
            f" {d['store_and_after_ms']:.1f} ms; the worker's whole task {d['pull_parse_store_ms']:.1f} ms in"
            f" {d['task_queries']} SQL queries"
        )
    if "worker_rss" in fixed:
        r = fixed["worker_rss"]
        lines.append(
            f"worker peak RSS pulling a {r['diff_mb']:.0f} MB diff: {r['rss_mb']:.0f} MB"
            f" (stored truncated: {r['truncated']})   target <= 300 MB"
        )
    for size in sizes:
        skipped = [k for k, v in results["sizes"][size].items() if isinstance(v, dict) and "skipped" in v]
        for key in skipped:
            lines.append(f"not measured at {int(size):,}: {key}: {results['sizes'][size][key]['skipped']}")
    return "\n".join(lines)
