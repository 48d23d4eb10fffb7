"""Measure the suspect ranking on a history: every revert is an incident whose cause is known (pure).

For each revert the incident starts shortly before the revert and affects the services of the reverted
files. The ranking sees only what was known at the start: changes merged, deployments made, sign-offs given
and commits written before it; the revert and everything after it are hidden. It is scored on how often the
reverted change comes first, and in the first five, next to the baseline that blames the latest change
deployed to an affected service. With a fix commit (the revert itself), the ranking also gets the SZZ trace
of the fix; a third mode hides the fix's message so that only its blamed lines speak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

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
MODES = ("without_fix", "with_fix", "fix_blame_only")
MODE_LABELS = {
    "baseline": "baseline: latest change deployed to the affected service",
    "without_fix": "ranking, no fix commit",
    "with_fix": "ranking, the revert as fix commit",
    "fix_blame_only": "ranking, the revert as fix commit, its message hidden (SZZ only)",
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
                "label": MODE_LABELS[mode],
            }
            for mode in ("baseline", *MODES)
        }
        return {
            "repository": self.repository,
            "incidents": len(self.outcomes),
            "skipped": self.skipped,
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
    """Shortly before the revert, but after the reverted change merged."""
    gap = case.revert.at - case.target.merged_at
    return case.revert.at - min(lead, gap / 2)


def evaluate_case(
    case: RevertCase,
    *,
    candidates: Sequence[Candidate],
    deploys: Sequence[Deploy],
    notes: Sequence[CommitNote],
    services: Sequence[ServiceScope],
    blame: Blame | None,
    knobs: Knobs = DEFAULT_KNOBS,
    lead: timedelta = timedelta(minutes=30),
) -> Outcome:
    """Rank one revert's incident in every mode, seeing only the history before its start."""
    start = start_for(case, lead)
    affected = services_of(case.revert.paths or case.target.paths, services)
    scope = IncidentScope(started_at=start, services=affected)
    seen_deploys = [d for d in deploys if d.deployed_at <= start]
    seen_notes = [n for n in notes if n.at <= start and n.sha != case.revert.sha]
    ranks: dict[str, int | None] = {}
    chosen: list[Candidate] = []
    for mode in MODES:
        mode_blame = blame if mode != "without_fix" else None
        mode_scope = scope if mode == "without_fix" else replace(scope, fix_sha=case.revert.sha)
        mode_notes = seen_notes + ([case.revert] if mode == "with_fix" else [])
        pool = select_candidates(mode_scope, candidates, seen_deploys, mode_blame, knobs)
        if mode == "without_fix":
            chosen = pool
        ranked = rank_suspects(mode_scope, pool, seen_deploys, mode_notes, mode_blame, knobs, limit=len(pool) or 1)
        ids = [s.candidate.change_id for s in ranked]
        ranks[mode] = ids.index(case.target.change_id) + 1 if case.target.change_id in ids else None
    baseline = latest_deployed(scope, chosen, seen_deploys)
    return Outcome(
        revert_sha=case.revert.sha,
        target_id=case.target.change_id,
        target_title=case.target.title,
        started_at=start,
        services=tuple(s.name for s in affected),
        candidates=len(chosen),
        baseline_id=baseline,
        ranks=ranks,
        baseline_top5=latest_deployed_five(scope, chosen, seen_deploys),
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
    blame_for: Callable[[str], Blame | None],
    knobs: Knobs = DEFAULT_KNOBS,
    lead: timedelta = timedelta(minutes=30),
) -> Report:
    """Evaluate the ranking on every revert of a history."""
    cases, skipped = find_reverts(notes, candidates)
    report = Report(repository=repository, skipped=skipped)
    for case in cases:
        report.outcomes.append(
            evaluate_case(
                case,
                candidates=candidates,
                deploys=deploys,
                notes=notes,
                services=services,
                blame=blame_for(case.revert.sha),
                knobs=knobs,
                lead=lead,
            )
        )
    return report
