"""Read the facts the suspect ranking needs, as the plain values of incidents.suspects.

The ranking itself never touches the database: these queries gather candidates, deployments, the commits
that revert or fix others, and the SZZ trace of a fix, in a fixed number of queries per incident.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import F, Lookup, Q
from django.db.models.functions import Left

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

# The newest merged changes, and about as many carried by the deployments nearest the start, are candidates: on
# the busiest generated service (1M changes) a cap of 500 ranks the same top 50 as no cap, in a fifth of the time.
MAX_CANDIDATES = 500
# Messages that may name another commit as reverted or fixed, or call themselves a hotfix. A partial index holds
# the changes that match (incidents migration 0005): changing this needs a migration rebuilding it.
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


_CHANGE_FIELDS = (
    "pk",
    "head_sha",
    "merge_sha",
    "title",
    "author__display_name",
    "author_name",
    "merged_at",
    "lines_added",
    "lines_removed",
    "risk_score",
    "risk_reasons",
    "diff_state",
    "ai_assisted",
    "ai_evidence",
    "required_sign_offs",
)


class _AnyOf(Lookup):
    """`column = ANY(%s)` with the ids as one array parameter: an IN list of thousands of placeholders costs more
    to build and to split (client-side binding) than the query takes to run. The array goes as its text form,
    '{1,2,3}', which PostgreSQL reads as the column's array type: psycopg quotes a list of ints element by element,
    which cost about as much as the query for a few hundred ids."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection) -> tuple[str, list]:  # noqa: ANN001 - Django's signature
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, "{" + ",".join(str(int(i)) for i in self.rhs) + "}"]


def _any_of(column: str, ids: Iterable[int]) -> _AnyOf | Q:
    ids = list(ids)
    return _AnyOf(F(column), ids) if ids else Q(**{f"{column}__in": []})  # no ids: no query at all


def candidates_of(ids: Iterable[int], *, paths: Mapping[int, tuple[str, ...]] | None = None) -> list[Candidate]:
    """The changes as Candidates, read as plain rows in five queries whatever their number (files, gates at the
    change's head, overrides and approvals); `paths` given for a change stands in for its stored files."""
    ids = list(ids)
    rows = list(
        Change.objects.filter(_any_of("pk", ids)).values(*_CHANGE_FIELDS, description_head=Left("description", 4000))
    )
    files: dict[int, list[str]] = defaultdict(list)
    for change_id, path in ChangeFile.objects.filter(_any_of("change_id", ids)).values_list("change_id", "path"):
        files[change_id].append(path)
    heads = {r["pk"]: r["head_sha"] for r in rows}
    overrides: dict[int, dict[str, str]] = defaultdict(dict)
    for change_id, head, gate, senior, reason in GateOverride.objects.filter(_any_of("change_id", ids)).values_list(
        "change_id", "head_sha", "gate_name", "senior__display_name", "reason"
    ):
        if head == heads.get(change_id):
            overrides[change_id][gate] = f"{gate} by {senior}: {reason[:120]}"
    warnings: dict[int, list[str]] = defaultdict(list)
    overridden: dict[int, list[str]] = defaultdict(list)
    gates = (
        GateResult.objects.filter(_any_of("change_id", ids))
        .exclude(status=GateResult.Status.PASS)
        .order_by("name")
        .values_list("change_id", "head_sha", "name", "message")
    )
    for change_id, head, name, message in gates:
        if head != heads.get(change_id):
            continue
        if name in overrides.get(change_id, {}):
            overridden[change_id].append(overrides[change_id][name])
        else:
            warnings[change_id].append(f"{name}: {message[:120]}" if message else name)
    sign_offs: dict[int, list[SignOff]] = defaultdict(list)
    approvals = (
        Review.objects.filter(_any_of("change_id", ids), verdict=Review.Verdict.APPROVE)
        .order_by("created_at", "pk")
        .values_list("change_id", "reviewer__display_name", "seconds_spent", "rubber_stamp", "created_at")
    )
    for change_id, reviewer, seconds, stamp, at in approvals:
        sign_offs[change_id].append(SignOff(reviewer, seconds, stamp, at))
    given = paths or {}
    return [
        Candidate(
            change_id=r["pk"],
            sha=r["head_sha"],
            merge_sha=r["merge_sha"],
            title=r["title"],
            author=r["author__display_name"] or r["author_name"],
            merged_at=r["merged_at"],
            paths=given[r["pk"]] if r["pk"] in given else tuple(sorted(files[r["pk"]])),
            lines_changed=r["lines_added"] + r["lines_removed"],
            risk_score=r["risk_score"] if r["diff_state"] == Change.DiffState.DONE else None,
            risk_reasons=tuple(
                str(x[1]) for x in (r["risk_reasons"] or []) if isinstance(x, list | tuple) and len(x) == 2
            ),
            # .get: most candidates have no warning, override or sign-off, and a defaultdict would make a list each
            gate_warnings=tuple(warnings.get(r["pk"], ())),
            gate_overrides=tuple(overridden.get(r["pk"], ())),
            ai_assisted=r["ai_assisted"],
            ai_evidence=tuple(str(e) for e in (r["ai_evidence"] or [])[:2]),
            required_sign_offs=r["required_sign_offs"],
            sign_offs=tuple(sign_offs.get(r["pk"], ())),
            message=r["description_head"] or "",
        )
        for r in rows
    ]


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


def _deployed_candidates(deploys: list[Deploy], start: datetime) -> set[int]:
    """The changes carried by the deployments nearest the start, whole deployments up to about MAX_CANDIDATES:
    the last ones before it, newest first, then those after it, oldest first. A busy service deploys thousands of
    changes in the window; those deployed months before the incident would only slow the ranking."""
    before = sorted((d for d in deploys if d.deployed_at <= start), key=lambda d: d.deployed_at, reverse=True)
    after = sorted((d for d in deploys if d.deployed_at > start), key=lambda d: d.deployed_at)
    ids: set[int] = set()
    for deploy in before + after:
        if len(ids) >= MAX_CANDIDATES:
            break
        ids.update(deploy.change_ids)
    return ids


def suspect_facts(incident: Incident, *, knobs: Knobs, now: datetime) -> SuspectFacts:
    """The changes of the affected services' repositories merged in the window (since the last known-good time,
    at most the knobs' days before the start; the newest MAX_CANDIDATES), those deployed to the services nearest
    the start (about MAX_CANDIDATES), and
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
            fix_paths=tuple(p for p in trace.fix_paths or [] if isinstance(p, str)),
        )

    # Plain rows: a busy service deploys hundreds of times in the window, and model instances cost more than the query.
    deployments = list(
        Deployment.objects.filter(service__in=services, deployed_at__gte=window, deployed_at__lte=now).values_list(
            "pk", "service__name", "deployed_at", "environment"
        )
    )
    carried: dict[int, list[int]] = defaultdict(list)
    for deployment_id, change_id in Deployment.changes.through.objects.filter(
        _any_of("deployment_id", [d[0] for d in deployments])
    ).values_list("deployment_id", "change_id"):
        carried[deployment_id].append(change_id)
    deploys = [
        Deploy(service, deployed_at, tuple(carried[pk]), environment=environment)
        for pk, service, deployed_at, environment in deployments
    ]

    merged_in_window = Change.objects.filter(
        repository_id__in=repository_ids, state=Change.State.MERGED, merged_at__gte=window, merged_at__lte=start
    )
    ids = set(merged_in_window.order_by("-merged_at").values_list("pk", flat=True)[:MAX_CANDIDATES])
    ids |= _deployed_candidates(deploys, start)
    blamed_shas = list(blame.lines) if blame else []
    if blamed_shas:
        ids |= set(
            Change.objects.filter(repository_id__in=repository_ids, state=Change.State.MERGED)
            .filter(Q(head_sha__in=blamed_shas) | Q(merge_sha__in=blamed_shas))
            .values_list("pk", flat=True)
        )
    candidates = candidates_of(ids)

    recorded = Deployment.objects.filter(service__in=services).exists() if services else False

    notes_qs = Change.objects.filter(
        repository_id__in=repository_ids, state=Change.State.MERGED, merged_at__gte=window, merged_at__lte=now
    ).filter(Q(description__iregex=REFERENCE_REGEX) | Q(title__iregex=REFERENCE_REGEX))
    # Up to 2,000 notes: their paths in one query of plain rows (a prefetch builds a queryset per change).
    note_changes = list(
        notes_qs.only("pk", "merge_sha", "head_sha", "title", "description", "merged_at", "opened_at")[:2000]
    )
    note_paths: dict[int, list[str]] = defaultdict(list)
    for change_id, path in (
        ChangeFile.objects.filter(_any_of("change_id", [c.pk for c in note_changes]))
        .order_by("path")
        .values_list("change_id", "path")
    ):
        note_paths[change_id].append(path)
    notes = [to_note(c, tuple(note_paths[c.pk])) for c in note_changes]
    if trace is not None and trace.state == FixTrace.State.DONE and trace.fix_at and trace.fix_at <= now:
        notes.append(CommitNote(trace.resolved_sha, trace.fix_title, trace.fix_message, trace.fix_at, tuple(), None))
    scope = replace(
        scope,
        fix_sha=(trace.resolved_sha if trace and trace.resolved_sha else incident.fix_sha),
        deploys_recorded=recorded,
    )
    return SuspectFacts(scope, candidates, deploys, notes, blame, trace)
