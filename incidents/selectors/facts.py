"""Read the facts the suspect ranking needs, as the plain values of incidents.suspects.

The ranking itself never touches the database: these queries gather candidates, deployments, the commits
that revert or fix others, and the SZZ trace of a fix, in a fixed number of queries per incident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from incidents.models import FixTrace, Incident
from incidents.suspect_facts import (
    Blame,
    Candidate,
    CommitNote,
    Deploy,
    IncidentScope,
    Knobs,
    ServiceScope,
    SignOff,
)
from reviews.models import Change, ChangeFile, Deployment, GateOverride, GateResult, Review, Service

MAX_CANDIDATES = 1000
# Messages that may name another commit as reverted or fixed, or call themselves a hotfix.
REFERENCE_REGEX = r"(this reverts commit|fixes:|fix(es)? (for )?commit|hot-?fix|hot fix)"


@dataclass
class SuspectFacts:
    """Everything rank_suspects takes for one incident."""

    scope: IncidentScope
    candidates: list[Candidate]
    deploys: list[Deploy]
    notes: list[CommitNote]
    blame: Blame | None = None
    trace: FixTrace | None = None
    changes: dict[int, Change] = field(default_factory=dict)


def candidate_queryset(queryset: QuerySet[Change]) -> QuerySet[Change]:
    """Changes with what a Candidate needs: files, gates, overrides, approvals and the author."""
    return queryset.select_related("author", "repository").prefetch_related(
        Prefetch("files", queryset=ChangeFile.objects.only("id", "change_id", "path")),
        Prefetch(
            "gate_results", queryset=GateResult.objects.only("id", "change_id", "head_sha", "name", "status", "message")
        ),
        Prefetch("gate_overrides", queryset=GateOverride.objects.select_related("senior")),
        Prefetch(
            "reviews",
            queryset=Review.objects.filter(verdict=Review.Verdict.APPROVE).select_related("reviewer"),
            to_attr="approving_reviews",
        ),
    )


def to_candidate(
    change: Change, *, paths: tuple[str, ...] | None = None, reviews_before: datetime | None = None
) -> Candidate:
    """A prefetched change as a Candidate; sign-offs after `reviews_before` are not known yet."""
    overrides = {o.gate_name: o for o in change.gate_overrides.all() if o.head_sha == change.head_sha}
    warnings, overridden = [], []
    for gate in sorted(change.gate_results.all(), key=lambda g: g.name):
        if gate.head_sha != change.head_sha or gate.status == GateResult.Status.PASS:
            continue
        if gate.name in overrides:
            o = overrides[gate.name]
            overridden.append(f"{gate.name} by {o.senior.display_name}: {o.reason[:120]}")
        else:
            warnings.append(f"{gate.name}: {gate.message[:120]}" if gate.message else gate.name)
    reviews = [
        r for r in getattr(change, "approving_reviews", []) if reviews_before is None or r.created_at <= reviews_before
    ]
    author = change.author.display_name if change.author else change.author_name
    return Candidate(
        change_id=change.pk,
        sha=change.head_sha,
        merge_sha=change.merge_sha,
        title=change.title,
        author=author,
        merged_at=change.merged_at,
        paths=paths if paths is not None else tuple(f.path for f in change.files.all()),
        lines_changed=change.lines_added + change.lines_removed,
        risk_score=change.risk_score if change.diff_state == Change.DiffState.DONE else None,
        risk_reasons=tuple(
            str(r[1]) for r in (change.risk_reasons or []) if isinstance(r, list | tuple) and len(r) == 2
        ),
        gate_warnings=tuple(warnings),
        gate_overrides=tuple(overridden),
        ai_assisted=change.ai_assisted,
        ai_evidence=tuple(str(e) for e in (change.ai_evidence or [])[:2]),
        required_sign_offs=change.required_sign_offs,
        sign_offs=tuple(
            SignOff(r.reviewer.display_name, r.seconds_spent, r.rubber_stamp, r.created_at) for r in reviews
        ),
        message=change.description[:4000],
    )


def to_note(change: Change, paths: tuple[str, ...] | None = None) -> CommitNote:
    """A merged change as a CommitNote for revert and fix references (its files' paths given, or prefetched)."""
    return CommitNote(
        sha=change.merge_sha or change.head_sha,
        title=change.title,
        message=change.description[:20000],
        at=change.merged_at or change.opened_at,
        paths=paths if paths is not None else tuple(f.path for f in change.files.all()),
        change_id=change.pk,
    )


def service_scopes(services: Iterable[Service]) -> tuple[ServiceScope, ...]:
    return tuple(
        ServiceScope(s.name, tuple(p for p in (s.path_prefixes or []) if isinstance(p, str))) for s in services
    )


def suspect_facts(incident: Incident, *, knobs: Knobs, now: datetime) -> SuspectFacts:
    """The changes of the affected services' repositories merged in the window (since the last known-good time,
    at most the knobs' days before the start; the newest MAX_CANDIDATES), those deployed to the services, and
    those the fix's trace blames, with their facts."""
    services = list(incident.services.all())
    scopes = service_scopes(services)
    start = incident.started_at
    scope = IncidentScope(
        started_at=start,
        services=scopes,
        paths=tuple(p for p in incident.paths or [] if isinstance(p, str)),
        known_good_at=incident.known_good_at,
    )
    window = scope.window_start(knobs)
    repository_ids = {s.repository_id for s in services} | (
        {incident.repository_id} if incident.repository_id else set()
    )
    trace = FixTrace.objects.filter(incident=incident, fix_sha=incident.fix_sha).first() if incident.fix_sha else None
    blame = None
    if trace is not None and trace.state == FixTrace.State.DONE:
        blame = Blame(
            fix_sha=trace.resolved_sha or trace.fix_sha,
            lines={k: int(v) for k, v in trace.lines.items()},
            total=trace.total_lines,
            files={k: tuple(v) for k, v in trace.files.items()},
        )

    deployments = list(
        Deployment.objects.filter(service__in=services, deployed_at__gte=window, deployed_at__lte=now).select_related(
            "service"
        )
    )
    carried: dict[int, list[int]] = defaultdict(list)
    for deployment_id, change_id in Deployment.changes.through.objects.filter(deployment__in=deployments).values_list(
        "deployment_id", "change_id"
    ):
        carried[deployment_id].append(change_id)
    deploys = [
        Deploy(d.service.name, d.deployed_at, tuple(carried[d.pk]), environment=d.environment) for d in deployments
    ]

    merged_in_window = Change.objects.filter(
        repository_id__in=repository_ids, state=Change.State.MERGED, merged_at__gte=window, merged_at__lte=start
    )
    ids = set(merged_in_window.order_by("-merged_at").values_list("pk", flat=True)[:MAX_CANDIDATES])
    ids |= {i for d in deploys for i in d.change_ids}
    blamed_shas = list(blame.lines) if blame else []
    if blamed_shas:
        ids |= set(
            Change.objects.filter(repository_id__in=repository_ids, state=Change.State.MERGED)
            .filter(Q(head_sha__in=blamed_shas) | Q(merge_sha__in=blamed_shas))
            .values_list("pk", flat=True)
        )
    changes = {c.pk: c for c in candidate_queryset(Change.objects.filter(pk__in=ids))}
    candidates = [to_candidate(c) for c in changes.values()]

    recorded = Deployment.objects.filter(service__in=services).exists() if services else False

    notes_qs = Change.objects.filter(
        repository_id__in=repository_ids, state=Change.State.MERGED, merged_at__gte=window
    ).filter(Q(description__iregex=REFERENCE_REGEX) | Q(title__iregex=REFERENCE_REGEX))
    # Up to 2,000 notes: their paths in one query of plain rows (a prefetch builds a queryset per change).
    note_changes = list(
        notes_qs.only("pk", "merge_sha", "head_sha", "title", "description", "merged_at", "opened_at")[:2000]
    )
    note_paths: dict[int, list[str]] = defaultdict(list)
    for change_id, path in (
        ChangeFile.objects.filter(change_id__in=[c.pk for c in note_changes])
        .order_by("path")
        .values_list("change_id", "path")
    ):
        note_paths[change_id].append(path)
    notes = [to_note(c, tuple(note_paths[c.pk])) for c in note_changes]
    if trace is not None and trace.state == FixTrace.State.DONE and trace.fix_at:
        notes.append(CommitNote(trace.resolved_sha, trace.fix_title, trace.fix_message, trace.fix_at, tuple(), None))
    scope = replace(
        scope,
        fix_sha=(trace.resolved_sha if trace and trace.resolved_sha else incident.fix_sha),
        deploys_recorded=recorded,
    )
    return SuspectFacts(scope, candidates, deploys, notes, blame, trace, changes)
