"""Score the suspect ranking and the simple rules on a history's incidents of known cause (pure).

Detection mode: the incident starts a fixed lead before the revert reached the main line and affects the
reverted change's top-level folders; the ranking sees the changes merged in the window before the start and
nothing after it (not the revert, its message or its diff). A culprit merged after the start, or before the
window, is out of reach and reported so. Fix-known mode: the fix is a commit that is not a revert; the
ranking gets the SZZ trace of the fix's diff and never its message (which named the culprit).

Baselines: "latest change to an affected folder within 30 days" and "latest deployment" (where no
deployments are recorded every merge is one, so: the latest change merged anywhere), each ranked by time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.history.cases import Case, MainChange, reach, top_folders
from incidents.history.stats import summarise
from incidents.ranking.features import ROOT, Incident, Suspectable, features
from incidents.ranking.fitting import fit
from incidents.ranking.model import DEFAULT_WEIGHTS, rank

BASELINE_DAYS = 30
METHODS = ("ranking", "ranking_fitted", "latest_change_in_folder_30d", "latest_deployment")


@dataclass(frozen=True)
class Outcome:
    """One case: reach, and the culprit's rank under each method (None: not ranked)."""

    case: Case
    start: datetime
    out_of_reach: str
    candidates: int
    ranks: Mapping[str, int | None]
    top: tuple[tuple[str, float, str], ...] = ()  # the ranking's reasons for its first suspect


def _rank_of(order: Sequence[int], key: int) -> int | None:
    try:
        return order.index(key) + 1
    except ValueError:
        return None


def _by_time(pool: Sequence[MainChange]) -> list[int]:
    return [c.index for c in sorted(pool, key=lambda c: (c.at, c.index), reverse=True)]


def evaluate_cases(
    changes: Sequence[MainChange],
    cases: Sequence[Case],
    *,
    reverted_at: Mapping[int, datetime],
    ai: Callable[[MainChange], bool] = lambda c: False,
    traces: Mapping[int, tuple[Mapping[int, int], int]] | None = None,
    lead: timedelta = timedelta(minutes=30),
    window: timedelta = timedelta(days=90),
    fit_on: Sequence[tuple[datetime, list[dict[str, float]], int]] = (),
) -> tuple[list[Outcome], list[tuple[datetime, list[dict[str, float]], int]]]:
    """Rank every case; `traces` (fix-known mode): per evidence index, lines last changed per change index
    and the lines traced. The fitted ranking learns, for each case, only from links confirmed before its start
    (`fit_on` and earlier cases of this run). Returns the outcomes and the links it learnt from."""
    ordered = sorted(cases, key=lambda c: c.at)
    links = list(fit_on)
    outcomes = []
    times = [c.at for c in changes]
    for case in ordered:
        start, why = reach(case, changes, lead=lead, window=window)
        culprit = changes[case.culprit]
        folders = top_folders(culprit.paths if case.kind == "revert" else changes[case.evidence].paths)
        lo = _first_at_or_after(times, start - window)
        pool = [c for c in changes[lo:] if c.at <= start and c.index != case.evidence]
        blamed: Mapping[int, int] = {}
        total = 0
        if traces is not None:
            blamed, total = traces.get(case.evidence, ({}, 0))
            extra = {k for k in blamed if k < len(changes) and changes[k].at <= start} - {c.index for c in pool}
            pool += [changes[k] for k in sorted(extra)]
        if traces is not None and why.startswith("merged more") and blamed.get(case.culprit):
            why = ""  # the fix's trace reaches past the window
        authors = _author_reverts(changes, reverted_at, start)
        # With the fix known, the files it changes are evidence too (never its message, which named the culprit).
        fix_paths = frozenset(changes[case.evidence].paths) if traces is not None else frozenset()
        incident = Incident(start, tuple(f or ROOT for f in folders), blamed, total, authors, fix_paths=fix_paths)
        suspects = [
            Suspectable(c.index, c.at, c.paths, c.lines, c.author, c.is_revert, reverted_at.get(c.index), ai(c), None)
            for c in pool
        ]
        known = [link for link in links if link[0] <= start]
        weights = fit([(rows, i) for _, rows, i in known]) if known else dict(DEFAULT_WEIGHTS)
        ranked = rank(incident, suspects)
        fitted = rank(incident, suspects, weights)
        in_folder = [
            c
            for c in pool
            if c.at >= start - timedelta(days=BASELINE_DAYS) and any(_top(p) in folders for p in c.paths)
        ]
        order = {
            "ranking": [r.key for r in ranked],
            "ranking_fitted": [r.key for r in fitted],
            "latest_change_in_folder_30d": _by_time(in_folder),
            "latest_deployment": _by_time(pool),
        }
        ranks = {m: (None if why else _rank_of(order[m], case.culprit)) for m in METHODS}
        outcomes.append(Outcome(case, start, why, len(pool), ranks, ranked[0].reasons[:4] if ranked else ()))
        if not why and any(s.key == case.culprit for s in suspects):
            # Confirmed once the revert or fix lands: later incidents may learn from it.
            rows = features(incident, suspects)
            links.append((case.at, rows, next(i for i, s in enumerate(suspects) if s.key == case.culprit)))
    return outcomes, links


def _top(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def _first_at_or_after(times: Sequence[datetime], moment: datetime) -> int:
    # The main line is in commit order, and commit times are nearly but not strictly increasing: scan safely.
    for i, t in enumerate(times):
        if t >= moment:
            return max(0, i - 200)
    return len(times)


def _author_reverts(
    changes: Sequence[MainChange], reverted_at: Mapping[int, datetime], start: datetime
) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for index, at in reverted_at.items():
        if start - timedelta(days=90) <= at <= start:
            counts[changes[index].author] += 1
    return dict(counts)


def report(outcomes: Sequence[Outcome]) -> dict[str, object]:
    """Totals: cases, out of reach by reason, and per method top-1, top-5 and MRR over the cases in reach."""
    reach_reasons: dict[str, int] = defaultdict(int)
    for o in outcomes:
        if o.out_of_reach:
            reach_reasons[o.out_of_reach] += 1
    inside = [o for o in outcomes if not o.out_of_reach]
    return {
        "cases": len(outcomes),
        "in_reach": len(inside),
        "out_of_reach": dict(reach_reasons),
        "methods": {m: summarise([o.ranks[m] for o in inside]) for m in METHODS},
        "top1_over_all_cases": {m: summarise([o.ranks[m] for o in outcomes])["top1"] for m in METHODS},
    }
