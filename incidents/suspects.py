"""Rank the changes that could have caused an incident, each with the evidence behind its score (pure).

The ranking is the suspect model of incidents.ranking.model, the same one `evaluate_history` measures on real
histories: this module only reads the portal's facts (deployments, commits that revert or fix a change,
gates, sign-offs, the SZZ trace of a fix) into the model's terms, and its reasons back into evidence. Every
change merged since the last known-good time of the affected services, at most `Knobs.window_days` before the
start, is a candidate; recency is a feature, not a cut. Weights are the model's defaults or the weights fitted
on the organisation's confirmed links (`manage.py refit_suspects`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from incidents.ranking.features import Incident, Suspectable
from incidents.ranking.model import DEFAULT_WEIGHTS, rank
from incidents.ranking.words import ago
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
    reverts_a_commit,
)
from reviews.rubberstamp import floor_seconds

DEFAULT_KNOBS = Knobs()
AUTHOR_REVERTS_DAYS = 90


class _Deployments:
    """Recorded deployments indexed by change and by service, so each candidate is looked up, not scanned."""

    def __init__(self, names: set[str], deploys: Sequence[Deploy], start: datetime) -> None:
        self.by_change: dict[int, list[Deploy]] = defaultdict(list)
        times: dict[str, set[datetime]] = defaultdict(set)
        for d in deploys:
            if d.service not in names:
                continue
            for change_id in d.change_ids:
                self.by_change[change_id].append(d)
            if d.deployed_at <= start:
                times[d.service].add(d.deployed_at)
        self.times = {service: sorted(ts) for service, ts in times.items()}
        self.start = start

    def of(self, candidate: Candidate) -> dict:
        """Its nearest recorded deployment to an affected service before the start, or its first one after."""
        mine = self.by_change.get(candidate.change_id, ())
        before = [d for d in mine if d.deployed_at <= self.start]
        if before:
            nearest = max(before, key=lambda d: d.deployed_at)
            # Each later deployment of that service had as good a chance to be the trigger.
            times = self.times.get(nearest.service, [])
            later = len(times) - bisect_right(times, nearest.deployed_at)
            return {
                "deployed_at": nearest.deployed_at,
                "deployed_to": nearest.service,
                "later_deploys": later,
                "batch": max(0, len(nearest.change_ids) - 1),
            }
        if mine:
            return {"deployed_after": min(d.deployed_at for d in mine)}
        return {}


class _Notes:
    """Commit notes read once: what each names as reverted or fixed, indexed by the first 7 hex of the name."""

    def __init__(self, notes: Sequence[CommitNote]) -> None:
        self.notes = sorted(notes, key=lambda n: n.at)
        self.refs: list[list[tuple[str, str]]] = [parse_references(n.message) for n in self.notes]
        self.by_prefix: dict[str, set[int]] = defaultdict(set)
        for i, refs in enumerate(self.refs):
            for _, sha in refs:
                self.by_prefix[sha[:7]].add(i)
        self.hotfixes = [i for i, n in enumerate(self.notes) if is_hotfix(n)]

    def naming(self, shas: Sequence[str]) -> set[int]:
        """Indexes of the notes that name one of these commits."""
        found: set[int] = set()
        for sha in shas:
            found |= self.by_prefix.get(sha[:7].lower(), set())
        return found


def _stated(candidate: Candidate, incident: IncidentScope, notes: _Notes) -> dict[str, str]:
    """Later commits that revert it, say they fix it or hotfix its files; the fix commit when it reverts it."""
    stated: dict[str, str] = {}
    start = incident.started_at
    paths = set(candidate.paths)
    hotfixes = {i for i in notes.hotfixes if notes.notes[i].at >= start and paths.intersection(notes.notes[i].paths)}
    for i in sorted(notes.naming(candidate.shas) | hotfixes):
        note = notes.notes[i]
        if note.sha in candidate.shas:
            continue
        is_fix = bool(incident.fix_sha) and matches_sha(incident.fix_sha, [note.sha])
        label = f"{note.sha[:10]} (\u201c{note.title[:80]}\u201d)"
        when = f"{ago((note.at - start).total_seconds())} {'after' if note.at >= start else 'before'} the start"
        refs = [kind for kind, sha in notes.refs[i] if matches_sha(sha, candidate.shas)]
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
        elif i in hotfixes:
            shared = sorted(paths & set(note.paths))
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


def _author_reverts(pool: Sequence[Candidate], notes: _Notes, start: datetime) -> dict[str, int]:
    """Per author, their changes reverted in the 90 days before the start."""
    by_prefix: dict[str, list[Candidate]] = defaultdict(list)
    for c in pool:
        for sha in c.shas:
            by_prefix[sha[:7].lower()].append(c)
    counts: dict[str, int] = defaultdict(int)
    for note, refs in zip(notes.notes, notes.refs, strict=True):
        if not start - timedelta(days=AUTHOR_REVERTS_DAYS) <= note.at <= start:
            continue
        for kind, sha in refs:
            if kind != "revert":
                continue
            target = next((c for c in by_prefix.get(sha[:7], ()) if matches_sha(sha, c.shas)), None)
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
    indexed = _Notes(notes)
    deployments = _Deployments(names, recorded, start)
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
        author_reverts=_author_reverts(list(pool.values()), indexed, start),
        named=incident.paths,
        fix=blame.fix_sha if blame else "",
        fix_paths=frozenset(blame.fix_paths) if blame else frozenset(),
        blamed_files=files,
        deploys_recorded=incident.deploys_recorded or bool(recorded),
        implied_deploys=knobs.implied_deploys,
        services=", ".join(sorted(names)),
    )
    suspects = []
    for c in pool.values():
        stated = {**_stated(c, incident, indexed), **_review(c, knobs, start)}
        suspects.append(
            Suspectable(
                key=c.change_id,
                at=c.merged_at,
                paths=c.paths,
                lines=c.lines_changed,
                author=c.author,
                is_revert=reverts_a_commit(c.message),
                reverted_at=start if "reverted_before" in stated else None,
                ai_assisted=c.ai_assisted,
                risk=c.risk_score,
                risk_reasons=c.risk_reasons,
                gate_warnings=c.gate_warnings,
                gate_overrides=c.gate_overrides,
                stated=stated,
                **deployments.of(c),
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
    ranked = rank(model_incident, suspects, weights, explain=max(0, limit))
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
