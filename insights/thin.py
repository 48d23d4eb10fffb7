"""Where the data is too thin for a rate, one line says so instead of a table of "not enough data" (pure).

Rates below the minimum count are never shown as percentages (insights.stats.rate); these helpers keep the
rows that have a rate and sum up the others in words, for the dashboards and the weekly report's snapshot alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _enough(rate: Mapping[str, Any] | None) -> bool:
    return bool(rate) and bool(rate.get("enough"))


def _count(rate: Mapping[str, Any]) -> str:
    return f"{rate.get('k', 0)} of {rate.get('n', 0)}"


def cfr_split(cfr: Mapping[str, Any]) -> dict[str, Any]:
    """The failure-rate rows with a rate, and the others as a short list ('AI-assisted, large: 1 of 2')."""
    rows: list[tuple[str, str, Mapping[str, Any]]] = [(r["label"], "all sizes", r) for r in cfr.get("by_ai", [])]
    for b in cfr.get("by_bucket", []):
        rows += [("AI-assisted", b["bucket"], b["ai"]), ("other", b["bucket"], b["other"])]
    everything = cfr.get("all") or {}
    shown = [{"label": label, "size": size, "rate": r} for label, size, r in rows if _enough(r)]
    thin = [f"{label}, {size.split(' (')[0]}: {_count(r)}" for label, size, r in rows if not _enough(r)]
    return {
        "shown": shown,
        "thin": thin,
        "all_enough": _enough(everything),
        "deployed": everything.get("n", 0),
        "failed": everything.get("k", 0),
    }


def trend_split(weeks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The weeks with a rate for AI-assisted or other changes, and how many weeks had neither."""
    shown = [w for w in weeks if _enough(w.get("ai")) or _enough(w.get("other"))]
    return {"shown": shown, "thin_weeks": len(weeks) - len(shown), "weeks": len(weeks)}
