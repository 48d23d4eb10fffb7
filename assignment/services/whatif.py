"""What-if runs: the last weeks of merged changes replayed under a policy version and a strategy, on a worker.

A run evaluates the chosen policy version for every merged change of the period (policy.decision through the
same facts the portal records), replays the chosen strategy over the changes that need a senior with
assignment.simulation (each sign-off a review, owners where the policy wants one), does the same under the version
in force for comparison, and stores the metrics, the hours needed against capacity per week, per team and per
senior as the run's result. Reads are in bulk: a fixed number of queries whatever the size of the period.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from assignment.expertise import ReplayInputs, person_key, replay_inputs
from assignment.history import ReplayChange, Senior, top_authors
from assignment.metrics import Metrics
from assignment.simulation import STRATEGIES, simulate
from assignment.whatif import (
    NO_TEAM,
    Reviewer,
    comparison,
    senior_table,
    team_chart,
    team_table,
    week_starts,
    weekly_chart,
    weekly_hours,
)
from policy.document import Policy, PolicyError, parse_policy, policy_to_data
from policy.services.owners import owner_index, owners_of
from policy.services.policies import policy_current, policy_decide_recorded, policy_of
from portal.enqueue import enqueue
from reviews.audit import ServiceError
from reviews.models import Change, ChangeFile, Engineer, PolicyVersion, Repository, Service, WhatIfRun

log = logging.getLogger(__name__)

MAX_WEEKS = 26
DEFAULT_WEEKS = 8
MAX_TOP_SENIORS = 50
REUSE_MINUTES = 10  # identical parameters within this long get the run already made


@dataclass(frozen=True)
class WhatIfParams:
    """What a manager asks: a stored policy version (None: the proposal replayed instead), a strategy, the last N
    weeks, a repository (None: all), and the seniors ("org": the engineers at the policy's senior level, or
    "top:K": the K most active authors of the period)."""

    policy_version: int | None
    strategy: str
    weeks: int = DEFAULT_WEEKS
    repository_id: int | None = None
    seniors: str = "org"

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ServiceError(f"Unknown strategy {self.strategy!r}: choose one of {', '.join(STRATEGIES)}.")
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise ServiceError(f"Weeks must be from 1 to {MAX_WEEKS}.")
        if top_k(self.seniors) is None and self.seniors != "org":
            raise ServiceError(f"Seniors must be the organisation's or top:K with K from 2 to {MAX_TOP_SENIORS}.")


@dataclass(frozen=True)
class PolicySide:
    """One side of the comparison: its label ("v3", "proposed") and its rules."""

    label: str
    rules: Policy
    number: int | None = None


def top_k(spec: str) -> int | None:
    """K of a "top:K" seniors choice; None when it is not one (K from 2 to MAX_TOP_SENIORS)."""
    kind, _, count = spec.partition(":")
    if kind != "top" or not count.isdigit() or not 2 <= int(count) <= MAX_TOP_SENIORS:
        return None
    return int(count)


def whatif_run_request(*, params: WhatIfParams, actor: Any, proposed: Any = None) -> tuple[WhatIfRun, bool]:
    """Queue a what-if run on a worker, or return a recent one with the same parameters (then True).

    `proposed` is policy data (as JSON loads it) replayed in place of a stored version; it is validated here.
    """
    version = None
    if proposed is not None:
        try:
            proposed = policy_to_data(parse_policy(proposed))
        except PolicyError as exc:
            raise ServiceError(f"The proposed policy is not valid: {exc}") from None
    elif params.policy_version is None:
        raise ServiceError("Choose a policy version or propose a policy.")
    else:
        version = PolicyVersion.objects.filter(number=params.policy_version).first()
        if version is None:
            raise ServiceError(f"There is no policy version {params.policy_version}.")
    repository = None
    if params.repository_id is not None:
        repository = Repository.objects.filter(pk=params.repository_id).first()
        if repository is None:
            raise ServiceError("There is no such repository.")
    current = policy_current()
    # The version in force is part of what a run compares against, so a newly published one means a new run.
    data: dict[str, Any] = {**asdict(params), "current_version": current.number}
    data["repository"] = repository.name if repository else ""
    if proposed is not None:
        data["policy_version"] = None
        data["proposed_sha256"] = hashlib.sha256(json.dumps(proposed, sort_keys=True).encode()).hexdigest()
    key = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        recent = (
            WhatIfRun.objects.filter(
                params_key=key,
                created_at__gte=timezone.now() - timedelta(minutes=REUSE_MINUTES),
                status__in=[WhatIfRun.Status.QUEUED, WhatIfRun.Status.RUNNING, WhatIfRun.Status.DONE],
            )
            .order_by("-created_at")
            .first()
        )
        if recent is not None:
            return recent, True
        run = WhatIfRun.objects.create(
            params=data,
            params_key=key,
            policy_version=version,
            proposed_policy=proposed,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        enqueue("reviews.whatif_run", run.pk)
    return run, False


def whatif_run_execute(*, run_id: int) -> WhatIfRun | None:
    """Run a queued what-if and store its result or its error; a finished run is left as it is (idempotent)."""
    run = WhatIfRun.objects.select_related("policy_version").filter(pk=run_id).first()
    if run is None or run.is_finished:
        return run
    run.status, run.started_at, run.progress = WhatIfRun.Status.RUNNING, timezone.now(), 1
    run.save(update_fields=["status", "started_at", "progress"])

    def progress(percent: int) -> None:
        WhatIfRun.objects.filter(pk=run.pk).update(progress=percent)

    try:
        current = PolicyVersion.objects.get(number=run.params["current_version"])
        if run.policy_version is not None:
            chosen = PolicySide(
                f"v{run.policy_version.number}", policy_of(run.policy_version), run.policy_version.number
            )
        else:
            chosen = PolicySide("proposed", parse_policy(run.proposed_policy))
        run.result = replay_whatif(
            WhatIfParams(**{k: run.params[k] for k in WhatIfParams.__dataclass_fields__}),
            chosen=chosen,
            current=PolicySide(f"v{current.number}", policy_of(current), current.number),
            end=run.created_at,
            progress=progress,
        )
        run.status, run.error = WhatIfRun.Status.DONE, ""
    except ServiceError as exc:
        run.status, run.error = WhatIfRun.Status.FAILED, str(exc)
    except Exception:  # noqa: BLE001 - recorded on the run for the manager; the details go to the worker log
        log.exception("what-if run %s failed", run.pk)
        run.status, run.error = WhatIfRun.Status.FAILED, "The replay failed unexpectedly; the worker log has details."
    run.progress, run.finished_at = 100, timezone.now()
    run.save(update_fields=["status", "error", "result", "progress", "finished_at"])
    return run


def decision_window(
    *, start: datetime, end: datetime, repository: Repository | None = None, merged_only: bool = True
) -> tuple[list[Change], dict[int, list[ChangeFile]], dict[int, list[Service]]]:
    """The changes opened in [start, end] with their files and their repositories' services, in three queries."""
    window = Change.objects.filter(opened_at__gte=start, opened_at__lte=end)
    if merged_only:
        window = window.filter(state=Change.State.MERGED)
    if repository is not None:
        window = window.filter(repository=repository)
    changes = list(window.select_related("author", "repository"))
    files: dict[int, list[ChangeFile]] = defaultdict(list)
    for f in ChangeFile.objects.filter(change__in=window).only("change_id", "path", "old_path"):
        files[f.change_id].append(f)
    services: dict[int, list[Service]] = defaultdict(list)
    for service in Service.objects.all():
        services[service.repository_id].append(service)
    return changes, files, services


@dataclass(frozen=True)
class _Decided:
    """What one policy asks of each replayed change, by change id: sign-offs and the owners among whom to pick."""

    sign_offs: dict[int, int]
    eligible: dict[int, frozenset[str]]
    rules: Counter[str]


def _decide_all(rules: Policy, changes: list[Change], files: dict[int, list[ChangeFile]], services, owners) -> _Decided:
    sign_offs: dict[int, int] = {}
    eligible: dict[int, frozenset[str]] = {}
    matched: Counter[str] = Counter()
    # Only rules that ask for a senior explain senior hours (a gates-only rule matches every change).
    asking = {r.name for r in rules.rules if not r.exempt and (r.require.sign_offs or r.require.owner)}
    for change in changes:
        repo_services = services.get(change.repository_id, ())
        decision = policy_decide_recorded(change, files.get(change.pk, []), rules, services=repo_services)
        sign_offs[change.pk] = decision.required_sign_offs
        if decision.required_sign_offs:
            matched.update(name for name in decision.matched_rules if name in asking)
        if decision.requires_owner:
            paths = decision.owner_paths or tuple(f.path for f in files.get(change.pk, []))
            ids = owners_of(paths, path_owners=change.path_owners or {}, services=repo_services, index=owners)
            eligible[change.pk] = frozenset(person_key(pk, "") for pk in ids)
    return _Decided(sign_offs=sign_offs, eligible=eligible, rules=matched)


def _apply(changes: list[ReplayChange], decided: _Decided) -> list[ReplayChange]:
    return [
        replace(c, sign_offs=decided.sign_offs.get(c.ref, 0), eligible=decided.eligible.get(c.ref, frozenset()))
        for c in changes
    ]


def _seniors(spec: str, inputs: ReplayInputs, levels: dict[str, int], senior_level: int) -> list[Senior]:
    k = top_k(spec)
    if k is not None:
        keys = top_authors(inputs.changes, k, leave_out=inputs.bots)
        return [inputs.engineers.get(key) or Senior(key=key, name=inputs.names.get(key, key)) for key in keys]
    return [s for key, s in inputs.engineers.items() if levels.get(key, 0) >= senior_level]


def _side(side: PolicySide, changes: list[ReplayChange], decided: _Decided, metrics: Metrics, seniors) -> dict:
    needing = [c for c in changes if c.sign_offs > 0]
    return {
        "label": side.label,
        "version": side.number,
        "senior_level": side.rules.settings.senior_level,
        "needs_senior": len(needing),
        "sign_offs": sum(c.sign_offs for c in needing),
        "reviews": len(metrics.reviews),
        "owner_required": sum(1 for c in needing if c.eligible),
        "seniors": len(seniors),
        "capacity_hours_per_week": round(sum(s.capacity_minutes for s in seniors) / 60, 1),
        "metrics": metrics.as_dict(),
        "rules": [{"rule": name, "changes": n} for name, n in decided.rules.most_common()],
    }


def replay_whatif(
    params: WhatIfParams,
    *,
    chosen: PolicySide,
    current: PolicySide,
    end: datetime,
    progress: Callable[[int], None] = lambda percent: None,
) -> dict[str, Any]:
    """Replay the `params.weeks` weeks before `end` under `chosen` and under `current`; the result as JSON data."""
    started = time.perf_counter()
    repository = None
    if params.repository_id is not None:
        repository = Repository.objects.filter(pk=params.repository_id).first()
        if repository is None:
            raise ServiceError("The repository of this what-if no longer exists.")
    chosen_rules, current_rules = chosen.rules, current.rules
    same = chosen_rules == current_rules
    start = end - timedelta(weeks=params.weeks)
    inputs = replay_inputs(repository, start=start, end=end, senior_level=chosen_rules.settings.senior_level)
    levels: dict[str, int] = {}
    teams: dict[str, str] = {}
    for pk, level, team in Engineer.objects.values_list("pk", "level", "team__name"):
        levels[person_key(pk, "")] = level
        teams[person_key(pk, "")] = team or NO_TEAM
    changes, files, services = decision_window(start=start, end=end, repository=repository)
    owners = owner_index()
    read = time.perf_counter()
    progress(30)

    decided = _decide_all(chosen_rules, changes, files, services, owners)
    decided_now = decided if same else _decide_all(current_rules, changes, files, services, owners)
    replay_new, replay_now = _apply(inputs.changes, decided), _apply(inputs.changes, decided_now)
    evaluated = time.perf_counter()
    progress(45)

    seniors = _seniors(params.seniors, inputs, levels, chosen_rules.settings.senior_level)
    seniors_now = _seniors(params.seniors, inputs, levels, current_rules.settings.senior_level)
    if not seniors:
        raise ServiceError(
            f"Nobody is at or above L{chosen_rules.settings.senior_level}, the senior level of "
            f"{chosen.label}: choose the most active authors (top:K) instead."
        )
    simulated = simulate(replay_new, seniors, strategy=params.strategy, history=inputs.history, end=end)
    progress(75)
    if same and seniors_now == seniors:
        simulated_now = simulated
    elif seniors_now:
        simulated_now = simulate(replay_now, seniors_now, strategy=params.strategy, history=inputs.history, end=end)
    else:
        simulated_now = simulate([], [], strategy=params.strategy, end=end)
    replayed = time.perf_counter()
    progress(95)

    reviewers = [Reviewer(s.key, s.name or s.key, teams.get(s.key, NO_TEAM), s.capacity_minutes) for s in seniors]
    starts = week_starts(end, params.weeks)
    team_rows = team_table(simulated.reviews, reviewers, starts)
    capacity_week = sum(r.capacity_minutes for r in reviewers) / 60
    weekly_new, weekly_now = weekly_hours(simulated.reviews, starts), weekly_hours(simulated_now.reviews, starts)
    series = [(f"Needed under {chosen.label}", weekly_new)]
    if not same or seniors_now != seniors:
        series.append((f"Needed under {current.label} (in force)", weekly_now))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weeks": params.weeks,
        "strategy": params.strategy,
        "repository": repository.name if repository else "",
        "seniors_spec": params.seniors,
        "changes": len(inputs.changes),
        "chosen": _side(chosen, replay_new, decided, simulated, seniors),
        "current": _side(current, replay_now, decided_now, simulated_now, seniors_now),
        "comparison": comparison(simulated.as_dict(), simulated_now.as_dict()),
        "weekly": {"chosen": weekly_new, "current": weekly_now, "capacity": round(capacity_week, 1)},
        "teams": team_rows,
        "seniors": senior_table(simulated.reviews, reviewers, params.weeks),
        "charts": {
            "weekly": weekly_chart(starts, series, capacity_week).as_dict(),
            "teams": team_chart(team_rows).as_dict(),
        },
        "timings_ms": {
            "read": round((read - started) * 1000),
            "policy": round((evaluated - read) * 1000),
            "replay": round((replayed - evaluated) * 1000),
            "total": round((time.perf_counter() - started) * 1000),
        },
    }
