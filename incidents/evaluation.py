"""Measure the suspect ranking on a history: every revert is an incident whose cause is known (pure).

For each revert the incident starts a fixed lead before the revert and affects the services of the reverted
files. The ranking sees only what was known at the start: changes merged, deployments made, sign-offs given
and commits written before it; the revert, its message and its diff are hidden, so nothing names the answer. A
reverted change merged after the start cannot be a suspect: it is counted out of reach, with the reason, not
dropped. The ranking is scored on how often the reverted change comes first and in the first five (with 95 %
Wilson intervals), next to the baseline that blames the latest change deployed to an affected service. The
fix-known measurement, on fixes that are not reverts, is `evaluate_history --szz`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidents.history.stats import wilson
from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    IncidentScope,
    Knobs,
    ServiceScope,
    is_under,
    matches_sha,
    parse_references,
)
from incidents.suspects import latest_deployed, rank_suspects

DEFAULT_KNOBS = Knobs()
MODES = ("without_fix",)
MODE_LABELS = {
    "baseline": "baseline: latest change deployed to the affected service",
    "without_fix": "ranking, no fix known",
}


@dataclass(frozen=True)
class RevertCase:
    """A revert commit and the change it reverts."""

    revert: CommitNote
    target: Candidate


@dataclass(frozen=True)
class Outcome:
    """Where the reverted change ranked in each mode, and what the baseline picked."""

    revert_sha: str
    target_id: int
    target_title: str
    started_at: datetime
    services: tuple[str, ...]
    candidates: int
    baseline_id: int | None
    ranks: dict[str, int | None]  # mode -> 1-based rank of the reverted change, None when not ranked
    baseline_top5: tuple[int, ...] = ()


@dataclass
class Report:
    """The outcomes of a history's reverts and their totals."""

    repository: str
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    out_of_reach: list[str] = field(default_factory=list)  # reverted changes merged after the incident's start

    def hits(self, mode: str, k: int) -> int:
        if mode == "baseline":
            if k == 1:
                return sum(1 for o in self.outcomes if o.baseline_id == o.target_id)
            return sum(1 for o in self.outcomes if o.target_id in o.baseline_top5[:k])
        return sum(1 for o in self.outcomes if (o.ranks.get(mode) or k + 1) <= k)

    def rate(self, mode: str, k: int) -> float:
        return round(100.0 * self.hits(mode, k) / len(self.outcomes), 1) if self.outcomes else 0.0

    def as_dict(self) -> dict:
        summary = {
            mode: {
                "top1": self.hits(mode, 1),
                "top5": self.hits(mode, 5),
                "top1_percent": self.rate(mode, 1),
                "top5_percent": self.rate(mode, 5),
                "top1_ci95": [round(x, 3) for x in wilson(self.hits(mode, 1), len(self.outcomes))],
                "top5_ci95": [round(x, 3) for x in wilson(self.hits(mode, 5), len(self.outcomes))],
                "label": MODE_LABELS[mode],
            }
            for mode in ("baseline", *MODES)
        }
        return {
            "repository": self.repository,
            "incidents": len(self.outcomes),
            "skipped": self.skipped,
            "out_of_reach": self.out_of_reach,
            **summary,
            "cases": [
                {
                    "revert": o.revert_sha,
                    "reverted_change": o.target_id,
                    "title": o.target_title,
                    "started_at": o.started_at.isoformat(),
                    "services": list(o.services),
                    "candidates": o.candidates,
                    "baseline": o.baseline_id,
                    "ranks": o.ranks,
                }
                for o in self.outcomes
            ],
        }


def top_level_services(paths: Iterable[str]) -> tuple[ServiceScope, ...]:
    """One service per top-level directory, for a repository that has none configured; root files share one."""
    tops = sorted({p.split("/", 1)[0] for p in paths if "/" in p})
    services = [ServiceScope(top, (f"{top}/",)) for top in tops]
    roots = tuple(sorted({p for p in paths if "/" not in p}))
    if roots:
        services.append(ServiceScope("(root files)", roots))
    return tuple(services)


def services_of(paths: Iterable[str], services: Sequence[ServiceScope]) -> tuple[ServiceScope, ...]:
    """The services whose code holds any of the paths (a service without prefixes holds everything)."""
    paths = list(paths)
    return tuple(s for s in services if not s.prefixes or any(is_under(p, s.prefixes) for p in paths))


def find_reverts(notes: Iterable[CommitNote], candidates: Sequence[Candidate]) -> tuple[list[RevertCase], list[str]]:
    """Revert commits with the changes they revert; the reverts whose target is unknown, as reasons."""
    cases, skipped = [], []
    for note in sorted(notes, key=lambda n: n.at):
        targets = [sha for kind, sha in parse_references(note.message) if kind == "revert"]
        if not targets:
            continue
        target = next(
            (c for c in candidates if matches_sha(targets[0], c.shas) and c.change_id != note.change_id), None
        )
        if target is None or target.merged_at is None:
            skipped.append(f"{note.sha[:10]}: reverts {targets[0][:10]}, which is not a merged change here")
            continue
        if target.merged_at >= note.at:
            skipped.append(f"{note.sha[:10]}: reverts {targets[0][:10]}, merged after the revert")
            continue
        cases.append(RevertCase(note, target))
    return cases, skipped


def select_candidates(
    scope: IncidentScope,
    candidates: Iterable[Candidate],
    deploys: Sequence[Deploy],
    blame: Blame | None,
    knobs: Knobs,
) -> list[Candidate]:
    """What the portal gathers for an incident: merged in the window before the start, deployed to an affected
    service, or blamed by the fix."""
    window = scope.window_start(knobs)
    names = {s.name for s in scope.services}
    deployed = {
        i for d in deploys if d.service in names and window <= d.deployed_at <= scope.started_at for i in d.change_ids
    }
    blamed = set(blame.lines) if blame else set()
    return [
        c
        for c in candidates
        if c.merged_at is not None
        and c.merged_at <= scope.started_at
        and (c.merged_at >= window or c.change_id in deployed or blamed.intersection(c.shas))
    ]


def start_for(case: RevertCase, lead: timedelta) -> datetime:
    """A fixed lead before the revert, whenever the reverted change merged (an earlier start would use the answer)."""
    return case.revert.at - lead


def evaluate_case(
    case: RevertCase,
    *,
    candidates: Sequence[Candidate],
    deploys: Sequence[Deploy],
    notes: Sequence[CommitNote],
    services: Sequence[ServiceScope],
    knobs: Knobs = DEFAULT_KNOBS,
    lead: timedelta = timedelta(minutes=30),
) -> Outcome:
    """Rank one revert's incident, seeing only the history before its start (never the revert)."""
    start = start_for(case, lead)
    affected = services_of(case.target.paths, services)
    scope = IncidentScope(started_at=start, services=affected)
    seen_deploys = [d for d in deploys if d.deployed_at <= start]
    seen_notes = [n for n in notes if n.at <= start and n.sha != case.revert.sha]
    pool = select_candidates(scope, candidates, seen_deploys, None, knobs)
    ranked = rank_suspects(scope, pool, seen_deploys, seen_notes, None, knobs, limit=len(pool) or 1)
    ids = [s.candidate.change_id for s in ranked]
    rank = ids.index(case.target.change_id) + 1 if case.target.change_id in ids else None
    return Outcome(
        revert_sha=case.revert.sha,
        target_id=case.target.change_id,
        target_title=case.target.title,
        started_at=start,
        services=tuple(s.name for s in affected),
        candidates=len(pool),
        baseline_id=latest_deployed(scope, pool, seen_deploys),
        ranks={"without_fix": rank},
        baseline_top5=latest_deployed_five(scope, pool, seen_deploys),
    )


def latest_deployed_five(
    scope: IncidentScope, candidates: Sequence[Candidate], deploys: Sequence[Deploy]
) -> tuple[int, ...]:
    """The baseline extended to five: the latest deployed changes, newest deployment and merge first."""
    names = {s.name for s in scope.services}
    merged = {c.change_id: c.merged_at for c in candidates if c.merged_at is not None}
    order: list[int] = []
    for deploy in sorted(
        (d for d in deploys if d.service in names and d.deployed_at <= scope.started_at),
        key=lambda d: d.deployed_at,
        reverse=True,
    ):
        for change_id in sorted(
            (i for i in deploy.change_ids if i in merged), key=lambda i: (merged[i], i), reverse=True
        ):
            if change_id not in order:
                order.append(change_id)
        if len(order) >= 5:
            break
    return tuple(order[:5])


def evaluate(
    repository: str,
    *,
    candidates: Sequence[Candidate],
    deploys: Sequence[Deploy],
    notes: Sequence[CommitNote],
    services: Sequence[ServiceScope],
    knobs: Knobs = DEFAULT_KNOBS,
    lead: timedelta = timedelta(minutes=30),
) -> Report:
    """Evaluate the ranking on every revert of a history; culprits merged after the start are out of reach."""
    cases, skipped = find_reverts(notes, candidates)
    report = Report(repository=repository, skipped=skipped)
    for case in cases:
        if case.target.merged_at > start_for(case, lead):
            report.out_of_reach.append(
                f"{case.revert.sha[:10]}: reverted change merged less than {lead} before the revert"
            )
            continue
        report.outcomes.append(
            evaluate_case(
                case, candidates=candidates, deploys=deploys, notes=notes, services=services, knobs=knobs, lead=lead
            )
        )
    return report
