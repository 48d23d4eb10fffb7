"""The suspect model's reasons in words: what a person can check behind each feature's contribution (pure)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from incidents.ranking.features import ROOT, STATED, Incident, Suspectable, hours_between, is_code


def ago(seconds: float) -> str:
    """A duration in words: 45 s, 38 min, 5 h 10 min, 3 d 4 h."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _ago(hours: float) -> str:
    return ago(hours * 3600)


def describe(name: str, value: float, row: Mapping[str, float], c: Suspectable, incident: Incident) -> str:
    """What a person can check behind one feature's contribution."""
    if name in c.stated or name in STATED:
        return c.stated.get(name, "")
    where = ", ".join("(root files)" if f == ROOT else f or "(everything)" for f in incident.folders) or "none"
    if incident.services:
        where = f"{incident.services}: {where}"
    if name == "recency":
        return f"merged {_ago(hours_between(incident.start, c.at))} before the start"
    if name == "order":
        return f"{round(math.expm1(-value))} change(s) merged after it"
    if name == "folder_order":
        return f"{round(math.expm1(-value))} later change(s) in the affected paths ({where})"
    if name == "in_folders":
        return f"{value:.0%} of its code files in the affected paths ({where})"
    if name == "named_paths":
        return f"{value:.0%} of its code files in the paths the incident names ({', '.join(incident.named)})"
    if name == "size":
        return f"{c.lines} changed lines"
    if name == "code":
        return "changes code (not only tests or docs)"
    if name == "risk":
        reasons = "; ".join(c.risk_reasons[:2])
        return f"risk score {c.risk:.2f}" + (f": {reasons}" if reasons else "") if c.risk is not None else ""
    if name in ("deployed", "deploy_recency", "later_deploys"):
        if row.get("_implied"):
            later = round(math.expm1(-row["folder_order"]))
            return (
                f"merged {_ago(hours_between(incident.start, c.at))} before the start, {later} later change(s) there; "
                f"no deployments recorded for {incident.services or 'the affected paths'}, so it shipped when merged"
            )
        assert c.deployed_at is not None
        later = round(math.expm1(-row["later_deploys"]))
        text = f"deployed to {c.deployed_to} {_ago(hours_between(incident.start, c.deployed_at))} before the start"
        if later:
            text += f", {later} later deployment(s) there before the start"
        if c.batch:
            text += f", in one deployment with {c.batch} other change(s)"
        return text
    if name == "deployed_after":
        assert c.deployed_after is not None
        after = _ago(hours_between(c.deployed_after, incident.start))
        return f"first deployed to the affected services {after} after the start"
    if name == "gates":
        return "gates warned or failed: " + "; ".join(c.gate_warnings[:3])
    if name == "overrides":
        return "failed gates overridden: " + "; ".join(c.gate_overrides[:3])
    if name == "author_reverts":
        return f"its author had {incident.author_reverts.get(c.author, 0)} change(s) reverted in 90 days"
    if name in ("blame_share", "blame_any"):
        files = incident.blamed_files.get(c.key, ())
        where = (
            f" in {', '.join(files[:2])}" + (f" and {len(files) - 2} more" if len(files) > 2 else "") if files else ""
        )
        total = incident.blamed_total
        return (
            f"{'fix ' + incident.fix[:10] if incident.fix else 'the fix'} deletes or modifies "
            f"{incident.blamed.get(c.key, 0)} of {total} traced line{'s' if total > 1 else ''} "
            f"last changed by this change{where}"
        )
    if name == "fix_files":
        both = [p for p in c.paths if p in incident.fix_paths]
        files = [p for p in both if is_code(p)] or both
        fix = f"fix {incident.fix[:10]}" if incident.fix else "the fix"
        more = f" and {len(files) - 2} more" if len(files) > 2 else ""
        return f"{value:.0%} of its code files changed again by {fix} ({', '.join(files[:2])}{more})"
    return {
        "config": "touches configuration or dependencies",
        "migration": "touches a migration",
        "ai": "AI-assisted",
        "is_revert": "is itself a revert: puts back code that ran before",
        "reverted_before": "already reverted before the start",
    }[name]
