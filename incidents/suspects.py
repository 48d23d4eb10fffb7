"""Rank the changes that could have caused an incident, each with the evidence behind its score (pure).

Every evidence item carries a weight and a suspect's score is the sum of its weights, so the weights are
read as log-odds: each says how much likelier (above zero) or less likely (below) what it saw makes the
change the cause. Deployed to an affected service at the start is worth 3, less the log of how long and how
many deployments ago; the risk score counts by its log-odds; a fix commit whose deleted lines this change
last touched is worth 3 to 6; already reverted before the start takes 4 away. Every knob is in `Knobs`, and
`python manage.py evaluate_suspects` measures them against the reverts of a history.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime

from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    Evidence,
    IncidentScope,
    Knobs,
    Suspect,
    ago,
    is_hotfix,
    is_test_path,
    is_under,
    logit,
    matches_sha,
    parse_references,
    recency_weight,
)
from reviews.rubberstamp import floor_seconds

DEFAULT_KNOBS = Knobs()


# --- evidence, one kind per function ----------------------------------------------------------------------


def deploy_evidence(
    candidate: Candidate, incident: IncidentScope, deploys: Sequence[Deploy], knobs: Knobs = DEFAULT_KNOBS
) -> list[Evidence]:
    """How near the start the change reached an affected service (also in a batch), or that it never did."""
    names = {s.name for s in incident.services}
    environments = {e.lower() for e in knobs.environments}
    mine = [
        d
        for d in deploys
        if candidate.change_id in d.change_ids and d.service in names and d.environment.lower() in environments
    ]
    before = [d for d in mine if d.deployed_at <= incident.started_at]
    if before:
        nearest = max(before, key=lambda d: (d.deployed_at, not d.implied))
        age = (incident.started_at - nearest.deployed_at).total_seconds()
        # How many deployments of that service came after it: each one had as good a chance to be the trigger.
        later = {
            d.deployed_at
            for d in deploys
            if d.service == nearest.service and nearest.deployed_at < d.deployed_at <= incident.started_at
        }
        detail = f"deployed to {nearest.service} {ago(age)} before the start"
        if later:
            detail += f", {len(later)} later deployment{'s' if len(later) > 1 else ''} there before the start"
        if nearest.implied:
            detail = f"merged {ago(age)} before the start; {nearest.service} records no deployments, so it shipped then"
        others = len(nearest.change_ids) - 1
        if others > 0:
            detail += f", in one deployment with {others} other change{'s' if others > 1 else ''}"
        weight = (
            knobs.deploy_weight
            + recency_weight(age / 3600, knobs)
            - knobs.later_deploys_weight * math.log1p(len(later))
        )
        return [Evidence("deploy", detail, round(weight, 3))]
    if mine:
        first = min(mine, key=lambda d: d.deployed_at)
        after = (first.deployed_at - incident.started_at).total_seconds()
        detail = f"first deployed to {first.service} {ago(after)} after the start"
        return [Evidence("deploy", detail, knobs.deployed_after_weight)]
    if candidate.merged_at is not None and candidate.merged_at <= incident.started_at:
        age = (incident.started_at - candidate.merged_at).total_seconds()
        detail = f"merged {ago(age)} before the start; no deployment of it to the affected services is recorded"
        weight = knobs.undeployed_weight + recency_weight(age / 3600, knobs)
        return [Evidence("deploy", detail, round(weight, 3))]
    return []


def path_evidence(candidate: Candidate, incident: IncidentScope, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """How much of the change lies in the affected services' code, and in the paths named in the incident."""
    paths = [p for p in candidate.paths if not is_test_path(p)] or list(candidate.paths)
    if not paths:
        return []
    evidence = []
    scoped = [s for s in incident.services if s.prefixes and any(s.prefixes)]
    if scoped:
        inside = [p for p in paths if any(is_under(p, s.prefixes) for s in scoped)]
        touched = [s.name for s in scoped if any(is_under(p, s.prefixes) for p in inside)]
        names = ", ".join(touched or [s.name for s in scoped])
        if inside:
            share = len(inside) / len(paths)
            detail = f"{len(inside)} of its {len(paths)} non-test files are in the code of {names}"
            evidence.append(Evidence("paths", detail, round(knobs.paths_weight * share, 3)))
        else:
            detail = f"none of its {len(paths)} non-test files is in the code of {names}"
            evidence.append(Evidence("paths", detail, knobs.outside_paths_weight))
    if incident.paths:
        named = [p for p in candidate.paths if is_under(p, incident.paths)]
        if named:
            share = len(named) / len(paths)
            shown = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
            detail = f"touches {shown}, in the paths named by the incident"
            evidence.append(Evidence("paths", detail, round(knobs.incident_paths_weight * min(1.0, share), 3)))
    return evidence


def risk_evidence(candidate: Candidate, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """The risk score the change got when it was reviewed, with its largest reasons."""
    if candidate.risk_score is None:
        return []
    reasons = "; ".join(candidate.risk_reasons[:2])
    detail = f"risk {candidate.risk_score:.2f}" + (f": {reasons}" if reasons else "")
    weight = knobs.risk_weight * (logit(candidate.risk_score) - logit(knobs.risk_pivot))
    return [Evidence("risk", detail, round(weight, 3))]


def size_evidence(candidate: Candidate, typical_lines: float, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """Size against the other suspects: the larger a change, the likelier it broke something (the strongest
    single predictor in just-in-time defect prediction), whatever the risk model's other weights say."""
    if candidate.lines_changed <= 0 or typical_lines <= 0:
        return []
    ratio = candidate.lines_changed / typical_lines
    weight = knobs.size_weight * max(-2.0, min(3.0, math.log(ratio)))
    if abs(weight) < 0.05:
        return []
    detail = f"{candidate.lines_changed:,} changed lines, {ratio:.1f} times the typical suspect's {typical_lines:.0f}"
    return [Evidence("size", detail, round(weight, 3))]


def gate_evidence(candidate: Candidate, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """Gates that warned or failed at the merged revision, and failures a senior let through."""
    evidence = []
    if candidate.gate_warnings:
        shown = "; ".join(candidate.gate_warnings[:3])
        weight = knobs.gate_weight * min(3, len(candidate.gate_warnings))
        evidence.append(Evidence("gates", f"gates warned or failed: {shown}", round(weight, 3)))
    for override in candidate.gate_overrides[:3]:
        evidence.append(Evidence("gates", f"failed gate overridden: {override}", knobs.override_weight))
    return evidence


def ai_evidence(candidate: Candidate, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """AI assistance, with what showed it."""
    if not candidate.ai_assisted:
        return []
    shown = f" ({candidate.ai_evidence[0]})" if candidate.ai_evidence else ""
    return [Evidence("ai", f"AI-assisted{shown}", knobs.ai_weight)]


def sign_off_evidence(
    candidate: Candidate, knobs: Knobs = DEFAULT_KNOBS, before: datetime | None = None
) -> list[Evidence]:
    """No sign-off where one was required, a rubber stamp, or a careful review (sign-offs after `before` unseen)."""
    sign_offs = [s for s in candidate.sign_offs if before is None or s.at is None or s.at <= before]
    if not sign_offs:
        if candidate.required_sign_offs:
            detail = f"merged without the {candidate.required_sign_offs} sign-off(s) it required"
            return [Evidence("sign_off", detail, knobs.no_sign_off_weight)]
        return []
    needed = floor_seconds(candidate.lines_changed, knobs.floor)
    stamps = [s for s in sign_offs if s.rubber_stamp or s.seconds_spent < needed]
    if stamps:
        stamp = stamps[0]
        why = "flagged as a rubber stamp" if stamp.rubber_stamp else f"under the {needed} s floor for its size"
        detail = (
            f"signed off by {stamp.reviewer} in {stamp.seconds_spent} s "
            f"for {candidate.lines_changed} changed lines ({why})"
        )
        return [Evidence("sign_off", detail, knobs.rubber_stamp_weight)]
    best = max(sign_offs, key=lambda s: s.seconds_spent)
    detail = f"signed off by {best.reviewer} after {ago(best.seconds_spent)} for {candidate.lines_changed} lines"
    return [Evidence("sign_off", detail, knobs.careful_sign_off_weight)]


def reference_evidence(
    candidate: Candidate, incident: IncidentScope, notes: Sequence[CommitNote], knobs: Knobs = DEFAULT_KNOBS
) -> list[Evidence]:
    """Reverts and fixes that name the change, hotfixes after the start that touch its files, and its own revert."""
    evidence = []
    start = incident.started_at
    own = {sha for kind, sha in parse_references(candidate.message) if kind == "revert"}
    if own:
        detail = f"reverts {sorted(own)[0][:10]}: puts back code that ran before"
        evidence.append(Evidence("revert", detail, knobs.is_revert_weight))
    seen: set[str] = set()
    for note in sorted(notes, key=lambda n: n.at):
        if note.sha in candidate.shas or note.sha in seen:
            continue
        is_fix = bool(incident.fix_sha) and matches_sha(incident.fix_sha, [note.sha])
        label = f"{note.sha[:10]} (\u201c{note.title[:80]}\u201d)"
        when = f"{ago((note.at - start).total_seconds())} {'after' if note.at >= start else 'before'} the start"
        for kind, sha in parse_references(note.message):
            if not matches_sha(sha, candidate.shas):
                continue
            seen.add(note.sha)
            if kind == "revert":
                if is_fix:
                    evidence.append(Evidence("revert", f"the fix {label} reverts it", knobs.revert_after_weight))
                elif note.at >= start:
                    evidence.append(Evidence("revert", f"reverted by {label} {when}", knobs.revert_after_weight))
                else:
                    detail = f"already reverted by {label} {when}"
                    evidence.append(Evidence("revert", detail, knobs.revert_before_weight))
            else:
                weight = knobs.fix_after_weight if note.at >= start or is_fix else knobs.fix_before_weight
                evidence.append(Evidence("hotfix", f"{label} says it fixes this change, {when}", weight))
            break
        else:
            if note.at >= start and is_hotfix(note) and set(note.paths) & set(candidate.paths):
                shared = sorted(set(note.paths) & set(candidate.paths))
                detail = f"hotfix {label} {when} changes {', '.join(shared[:2])}, which this change touched"
                evidence.append(Evidence("hotfix", detail, knobs.hotfix_files_weight))
                seen.add(note.sha)
    return evidence


def blame_evidence(candidate: Candidate, blame: Blame | None, knobs: Knobs = DEFAULT_KNOBS) -> list[Evidence]:
    """SZZ: the fix deletes or modifies lines that this change was the last to touch."""
    if blame is None or not blame.total:
        return []
    count = sum(blame.lines.get(sha, 0) for sha in candidate.shas)
    if not count:
        return []
    files = sorted({p for sha in candidate.shas for p in blame.files.get(sha, ())})
    where = f" in {', '.join(files[:2])}" + (f" and {len(files) - 2} more" if len(files) > 2 else "") if files else ""
    detail = (
        f"fix {blame.fix_sha[:10]} deletes or modifies {count} of {blame.total} traced line"
        f"{'s' if blame.total > 1 else ''} last changed by this change{where}"
    )
    weight = knobs.blame_weight + knobs.blame_share_weight * count / blame.total
    return [Evidence("blame", detail, round(weight, 3))]


# --- the ranking ---------------------------------------------------------------------------------------------


def rank_suspects(
    incident: IncidentScope,
    candidates: Iterable[Candidate],
    deploys: Sequence[Deploy] = (),
    notes: Sequence[CommitNote] = (),
    blame: Blame | None = None,
    knobs: Knobs = DEFAULT_KNOBS,
    limit: int = 50,
) -> list[Suspect]:
    """The changes merged before the start, best suspect first, each with its evidence; at most `limit`."""
    pool: dict[int, Candidate] = {}
    for candidate in candidates:
        # A change merged after the start cannot have caused it.
        if candidate.merged_at is not None and candidate.merged_at <= incident.started_at:
            pool.setdefault(candidate.change_id, candidate)
    sizes = [c.lines_changed for c in pool.values() if c.lines_changed > 0]
    typical = float(statistics.median(sizes)) if sizes else 0.0
    suspects = []
    for candidate in pool.values():
        evidence = [
            *blame_evidence(candidate, blame, knobs),
            *reference_evidence(candidate, incident, notes, knobs),
            *deploy_evidence(candidate, incident, deploys, knobs),
            *path_evidence(candidate, incident, knobs),
            *risk_evidence(candidate, knobs),
            *size_evidence(candidate, typical, knobs),
            *gate_evidence(candidate, knobs),
            *sign_off_evidence(candidate, knobs, before=incident.started_at),
            *ai_evidence(candidate, knobs),
        ]
        evidence = [e for e in evidence if e.weight != 0.0]
        score = round(sum(e.weight for e in evidence), 3)
        suspects.append(Suspect(candidate, score, tuple(sorted(evidence, key=lambda e: -abs(e.weight)))))
    suspects.sort(key=lambda s: (-s.score, -(s.candidate.merged_at.timestamp()), s.candidate.change_id))
    return suspects[: max(0, limit)]


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
