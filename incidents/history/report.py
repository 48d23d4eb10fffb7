"""The evaluation's sections, from a history read off the mirror (git reads only; see the pure modules)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from incidents.history.assignment import replay
from incidents.history.cases import Case, MainChange, fix_cases, revert_cases
from incidents.history.evaluate import METHODS, evaluate_cases, report
from incidents.history.source import History
from incidents.services import trace_fix
from intake.ai_detection import detect_ai
from intake.gitrepo import Mirror
from intake.gitrun import GitError

# A wide net for labelling: any mention of an AI tool or model, in a message or an address.
AI_NET = re.compile(
    r"claude|anthropic|copilot|cursor|chatgpt|openai|\bgpt-?\d|codex|devin|gemini|jules|aider|windsurf|codeium|"
    r"\bgrok\b|x\.ai|llm|generated (with|by)|assisted-by|generated-by|co-authored-by: .*\[bot\]|\bai[- ]assisted",
    re.IGNORECASE,
)


def ai_messages(change: MainChange) -> list[str]:
    return [change.message, *change.branch_messages]


def is_ai(change: MainChange) -> bool:
    return detect_ai(ai_messages(change), change.identities).assisted


def _reverted_at(history: History) -> dict[int, datetime]:
    found = revert_cases(history.changes, history.landed, history.messages)
    return {c.culprit: c.at for c in found.cases}


def detection(history: History, *, since: datetime | None, lead: timedelta, window: timedelta) -> dict:
    """Reverts as incidents; the ranking sees nothing of the revert."""
    found = revert_cases(history.changes, history.landed, history.messages)
    cases = [c for c in found.cases if since is None or c.at >= since]
    earlier = [c for c in found.cases if since is not None and c.at < since]
    # Links confirmed before the bounded period may teach the fitted ranking; they are not scored.
    _, links = evaluate_cases(
        history.changes, earlier, reverted_at=_reverted_at(history), ai=is_ai, lead=lead, window=window
    )
    outcomes, _ = evaluate_cases(
        history.changes, cases, reverted_at=_reverted_at(history), ai=is_ai, lead=lead, window=window, fit_on=links
    )
    summary = report(outcomes)
    summary["branch_reverts"] = sum(1 for c in cases if c.note == "branch commit")
    summary["skipped"] = _reasons(found.skipped)
    summary["per_case"] = [_case_row(history.changes, o) for o in outcomes]
    return summary


def fix_known(
    history: History, mirror: Mirror, *, since: datetime | None, window: timedelta, max_fixes: int, stderr: TextIO
) -> dict:
    """Fixes that are not reverts and name their culprit; the ranking reads only the fix's traced lines."""
    found = fix_cases(history.changes, history.landed)
    cases = [c for c in found.cases if since is None or c.at >= since][-max_fixes:]
    traces: dict[int, tuple[dict[int, int], int]] = {}
    for case in cases:
        sha = history.changes[case.evidence].sha
        try:
            fix = trace_fix(mirror, sha)
        except GitError as exc:
            stderr.write(f"could not trace {sha[:10]}: {exc}\n")
            continue
        lines: dict[int, int] = {}
        for blamed, count in fix.trace.lines.items():
            index = history.landed.get(blamed)
            if index is not None:
                lines[index] = lines.get(index, 0) + count
        traces[case.evidence] = (lines, fix.trace.total)
    outcomes, _ = evaluate_cases(
        history.changes,
        cases,
        reverted_at=_reverted_at(history),
        ai=is_ai,
        traces=traces,
        lead=timedelta(0),
        window=window,
    )
    summary = report(outcomes)
    summary["untraceable"] = sum(1 for c in cases if not traces.get(c.evidence, ({}, 0))[1])
    summary["per_case"] = [_case_row(history.changes, o) for o in outcomes]
    return summary


def assignment(history: History, *, since: datetime, seniors: int, max_minutes: int) -> dict:
    """The replay from `since` under every strategy, with who the seniors are (addresses and names)."""
    keys, results = replay(history.changes, since=since, seniors=seniors, max_minutes=max_minutes)
    names = {c.author: c.author_name for c in history.changes}  # the latest name each address went by
    return {
        "since": since.date().isoformat(),
        "seniors": keys,
        "senior_names": [names.get(k, k) for k in keys],
        "max_minutes_per_review": max_minutes,
        "bots_excluded": sum(1 for c in history.changes if c.is_bot and c.at >= since),
        "strategies": {r.strategy: r.as_dict() for r in results},
    }


def write_ai_candidates(history: History, path: Path, *, since: datetime | None) -> int:
    """Every change the wide net catches, with what it caught and the detector's answer, for labelling."""
    rows = []
    for c in history.changes:
        if since is not None and c.at < since:
            continue
        text = "\n".join([*ai_messages(c), *c.identities])
        hits = sorted({m.group(0).lower() for m in AI_NET.finditer(text)})
        if hits:
            rows.append(f"{c.sha} {'yes' if is_ai(c) else 'no'}  # {', '.join(hits)[:80]} | {c.title[:80]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def ai_scores(history: History, labels_text: str, *, since: datetime | None) -> dict:
    """Precision and recall of detection against hand labels ('sha yes|no' a line; # starts a comment).
    Changes nobody labelled count as not AI-assisted (the labels come from a wide net over every change)."""
    labels: dict[str, bool] = {}
    for line in labels_text.splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2 and parts[1] in ("yes", "no"):
            labels[parts[0]] = parts[1] == "yes"
    tp = fp = fn = 0
    misses, false_alarms = [], []
    for c in history.changes:
        if since is not None and c.at < since:
            continue
        truth = labels.get(c.sha, False)
        said = is_ai(c)
        tp += truth and said
        fp += said and not truth
        fn += truth and not said
        if truth and not said:
            misses.append(c.sha[:10])
        if said and not truth:
            false_alarms.append(c.sha[:10])
    return {
        "labelled_yes": sum(labels.values()),
        "true_positives": tp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "missed": misses[:20],
        "false_alarms": false_alarms[:20],
    }


def _reasons(skipped: Sequence[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, reason in skipped:
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def _case_row(changes: Sequence[MainChange], o) -> dict:
    case: Case = o.case
    return {
        "evidence": changes[case.evidence].sha[:12],
        "culprit": changes[case.culprit].sha[:12],
        "culprit_title": changes[case.culprit].title[:90],
        "how": case.note,
        "start": o.start.isoformat(),
        "out_of_reach": o.out_of_reach,
        "candidates": o.candidates,
        "ranks": dict(o.ranks),
        "top_reasons": [f"{name} {weight:+.2f}: {words}" for name, weight, words in o.top],
    }


def as_text(result: dict) -> str:
    lines = [
        f"{result['repository']}: {result['main_line_changes']} main-line changes "
        f"({result['changes_in_portal']} in the portal)"
    ]
    for section in ("detection", "fix_known"):
        data = result.get(section)
        if not data:
            continue
        lines.append(
            f"\n{section}: {data['cases']} cases, {data['in_reach']} in reach; out of reach: {data['out_of_reach']}"
        )
        for method in METHODS:
            m = data["methods"][method]
            t1, t5, mrr = m["top1"], m["top5"], m["mrr"]
            lines.append(
                f"  {method:30} top-1 {t1['hits']:>3} {t1['rate']} {t1['ci95']}  top-5 {t5['hits']:>3} {t5['rate']} "
                f"{t5['ci95']}  MRR {mrr['value']} {mrr['ci95']}"
            )
    if result.get("assignment"):
        a = result["assignment"]
        lines.append(
            f"\nassignment since {a['since']}, seniors {len(a['seniors'])}, "
            f"minutes capped at {a['max_minutes_per_review']}"
        )
        for name, row in a["strategies"].items():
            lines.append(f"  {name:14} " + "  ".join(f"{k} {v}" for k, v in row.items() if k != "strategy"))
    if result.get("ai_detection"):
        lines.append(f"\nAI detection: {result['ai_detection']}")
    lines.append(f"\nwall time {result['wall_seconds']} s")
    return "\n".join(lines)
