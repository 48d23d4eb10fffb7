"""Rank the changes that could have caused an incident, each with the evidence behind its score (pure).

The ranking is the suspect model of incidents.ranking.model, the same one `evaluate_history` measures on real
histories: this module only reads the portal's facts (deployments, commits that revert or fix a change,
gates, sign-offs, the SZZ trace of a fix) into the model's terms, and its reasons back into evidence. Every
change merged since the last known-good time of the affected services, at most `Knobs.window_days` before the
start, is a candidate; recency is a feature, not a cut. Weights are the model's defaults or the weights fitted
on the organisation's confirmed links (`manage.py refit_suspects`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from incidents.ranking.model import DEFAULT_WEIGHTS, Incident, Suspectable, ago, rank
from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    Evidence,
    IncidentScope,
    Knobs,
    Suspect,
    is_hotfix,
    matches_sha,
    parse_references,
)
from reviews.rubberstamp import floor_seconds

DEFAULT_KNOBS = Knobs()
AUTHOR_REVERTS_DAYS = 90


def _deployment(candidate: Candidate, names: set[str], deploys: Sequence[Deploy], start: datetime) -> dict:
    """Its nearest recorded deployment to an affected service before the start, or its first one after."""
    mine = [d for d in deploys if candidate.change_id in d.change_ids and d.service in names]
    before = [d for d in mine if d.deployed_at <= start]
    if before:
        nearest = max(before, key=lambda d: d.deployed_at)
        # Each later deployment of that service had as good a chance to be the trigger.
        later = {
            d.deployed_at
            for d in deploys
            if d.service == nearest.service and nearest.deployed_at < d.deployed_at <= start
        }
        return {
            "deployed_at": nearest.deployed_at,
            "deployed_to": nearest.service,
            "later_deploys": len(later),
            "batch": max(0, len(nearest.change_ids) - 1),
        }
    if mine:
        return {"deployed_after": min(d.deployed_at for d in mine)}
    return {}


def _stated(candidate: Candidate, incident: IncidentScope, notes: Sequence[CommitNote]) -> dict[str, str]:
    """Later commits that revert it, say they fix it or hotfix its files; the fix commit when it reverts it."""
    stated: dict[str, str] = {}
    start = incident.started_at
    for note in sorted(notes, key=lambda n: n.at):
        if note.sha in candidate.shas:
            continue
        is_fix = bool(incident.fix_sha) and matches_sha(incident.fix_sha, [note.sha])
        label = f"{note.sha[:10]} (\u201c{note.title[:80]}\u201d)"
        when = f"{ago((note.at - start).total_seconds())} {'after' if note.at >= start else 'before'} the start"
        refs = [kind for kind, sha in parse_references(note.message) if matches_sha(sha, candidate.shas)]
        if "revert" in refs:
            if is_fix:
                stated.setdefault("reverted_after", f"the fix {label} reverts it")
            elif note.at >= start:
                stated.setdefault("reverted_after", f"reverted by {label} {when}")
            else:
                stated.setdefault("reverted_before", f"already reverted by {label} {when}")
        elif "fix" in refs:
            key = "fixed_after" if note.at >= start or is_fix else "fixed_before"
            stated.setdefault(key, f"{label} says it fixes this change, {when}")
        elif note.at >= start and is_hotfix(note) and set(note.paths) & set(candidate.paths):
            shared = sorted(set(note.paths) & set(candidate.paths))
            stated.setdefault(
                "hotfix_after", f"hotfix {label} {when} changes {', '.join(shared[:2])}, which it touched"
            )
    return stated


def _review(candidate: Candidate, knobs: Knobs, before: datetime) -> dict[str, str]:
    """No sign-off where one was required, a rubber stamp, or a careful review (sign-offs after `before` unseen)."""
    sign_offs = [s for s in candidate.sign_offs if s.at is None or s.at <= before]
    if not sign_offs:
        if candidate.required_sign_offs:
            return {"unreviewed": f"merged without the {candidate.required_sign_offs} sign-off(s) it required"}
        return {}
    needed = floor_seconds(candidate.lines_changed, knobs.floor)
    stamps = [s for s in sign_offs if s.rubber_stamp or s.seconds_spent < needed]
    if stamps:
        stamp = stamps[0]
        why = "flagged as a rubber stamp" if stamp.rubber_stamp else f"under the {needed} s floor for its size"
        return {
            "rubber_stamp": f"signed off by {stamp.reviewer} in {stamp.seconds_spent} s "
            f"for {candidate.lines_changed} changed lines ({why})"
        }
    best = max(sign_offs, key=lambda s: s.seconds_spent)
    detail = f"signed off by {best.reviewer} after {ago(best.seconds_spent)} for {candidate.lines_changed} lines"
    return {"careful_review": detail}


def _author_reverts(pool: Sequence[Candidate], notes: Sequence[CommitNote], start: datetime) -> dict[str, int]:
    """Per author, their changes reverted in the 90 days before the start."""
    counts: dict[str, int] = defaultdict(int)
    for note in notes:
        if not start - timedelta(days=AUTHOR_REVERTS_DAYS) <= note.at <= start:
            continue
        for kind, sha in parse_references(note.message):
            if kind != "revert":
                continue
            target = next((c for c in pool if matches_sha(sha, c.shas)), None)
            if target is not None and target.author:
                counts[target.author] += 1
    return dict(counts)


def model_inputs(
    incident: IncidentScope,
    candidates: Iterable[Candidate],
    deploys: Sequence[Deploy] = (),
    notes: Sequence[CommitNote] = (),
    blame: Blame | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
) -> tuple[Incident, list[Suspectable], dict[int, Candidate]]:
    """The incident and its candidates in the model's terms: merged in the window before the start (or traced
    by the fix's blame, however old), each once."""
    start = incident.started_at
    opens = incident.window_start(knobs)
    blamed_shas = set(blame.lines) if blame else set()
    pool: dict[int, Candidate] = {}
    for candidate in candidates:
        # A change merged after the start cannot have caused it.
        if candidate.merged_at is None or candidate.merged_at > start:
            continue
        if candidate.merged_at >= opens or blamed_shas.intersection(candidate.shas):
            pool.setdefault(candidate.change_id, candidate)
    names = {s.name for s in incident.services}
    environments = {e.lower() for e in knobs.environments}
    recorded = [d for d in deploys if not d.implied and d.environment.lower() in environments and d.service in names]
    folders = tuple(p for s in incident.services for p in (s.prefixes or ("",))) or ("",)
    blamed: dict[int, int] = {}
    files: dict[int, tuple[str, ...]] = {}
    if blame is not None and blame.total:
        blamed = {k: n for k, c in pool.items() if (n := sum(blame.lines.get(s, 0) for s in c.shas))}
        files = {k: tuple(sorted({p for s in pool[k].shas for p in blame.files.get(s, ())})) for k in blamed}
    model_incident = Incident(
        start=start,
        folders=folders,
        blamed=blamed,
        blamed_total=blame.total if blame else 0,
        author_reverts=_author_reverts(list(pool.values()), notes, start),
        named=incident.paths,
        fix=blame.fix_sha if blame else "",
        blamed_files=files,
        deploys_recorded=incident.deploys_recorded or bool(recorded),
        implied_deploys=knobs.implied_deploys,
        services=", ".join(sorted(names)),
    )
    suspects = []
    for c in pool.values():
        stated = {**_stated(c, incident, notes), **_review(c, knobs, start)}
        own = [sha for kind, sha in parse_references(c.message) if kind == "revert"]
        suspects.append(
            Suspectable(
                key=c.change_id,
                at=c.merged_at,
                paths=c.paths,
                lines=c.lines_changed,
                author=c.author,
                is_revert=bool(own),
                reverted_at=start if "reverted_before" in stated else None,
                ai_assisted=c.ai_assisted,
                risk=c.risk_score,
                risk_reasons=c.risk_reasons,
                gate_warnings=c.gate_warnings,
                gate_overrides=c.gate_overrides,
                stated=stated,
                **_deployment(c, names, recorded, start),
            )
        )
    return model_incident, suspects, pool


def rank_suspects(
    incident: IncidentScope,
    candidates: Iterable[Candidate],
    deploys: Sequence[Deploy] = (),
    notes: Sequence[CommitNote] = (),
    blame: Blame | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
    limit: int = 50,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> list[Suspect]:
    """The candidates, best suspect first, each with every contribution to its score in words; at most `limit`."""
    model_incident, suspects, pool = model_inputs(incident, candidates, deploys, notes, blame, knobs)
    ranked = rank(model_incident, suspects, weights)
    return [
        Suspect(pool[r.key], r.score, tuple(Evidence(name, words, weight) for name, weight, words in r.reasons))
        for r in ranked[: max(0, limit)]
    ]


def latest_deployed(incident: IncidentScope, candidates: Iterable[Candidate], deploys: Sequence[Deploy]) -> int | None:
    """The baseline: the latest change in the latest deployment to an affected service before the start."""
    names = {s.name for s in incident.services}
    merged = {c.change_id: c.merged_at for c in candidates if c.merged_at is not None}
    before = [d for d in deploys if d.service in names and d.deployed_at <= incident.started_at]
    for deploy in sorted(before, key=lambda d: d.deployed_at, reverse=True):
        carried = [i for i in deploy.change_ids if i in merged and merged[i] <= incident.started_at]
        if carried:
            return max(carried, key=lambda i: (merged[i], i))
    return None
