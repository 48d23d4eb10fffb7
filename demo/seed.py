"""Build the demo organisation through the portal's own services; deterministic and idempotent."""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from demo.history import RepoPlan, fast_import_commit, plan_repository
from demo.organisation import PEOPLE, REPOSITORIES, TEAMS, WEEKS, deploy_time
from incidents import services as incident_services
from incidents.models import Incident, IncidentChangeLink
from reviews import services
from reviews.gitrepo import Mirror
from reviews.models import Change, Engineer, Repository, Review, RiskModel, Service, Team
from reviews.services.riskmodels import risk_model_fit

SEED = 20261125
DEMO_LOGINS = {
    "senior": "maya",
    "author": "leo",
    "manager": "rosa",
    "incident reviewer": "ines",
    "admin": "admin",
}


def _anchor() -> datetime:
    """Today at midnight UTC: the history ends here, so a day's reruns see the same dates."""
    today = timezone.now().astimezone(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def seed_people(password: str) -> dict[str, Engineer]:
    """Teams, engineers and the admin; passwords reset to the demo password."""
    users = get_user_model()
    # One hash for everyone: the demo password is shared and published anyway, and hashing it 31 times is slow.
    hashed = make_password(password)
    teams = {name: Team.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0] for name in TEAMS}
    engineers = {}
    for person in PEOPLE:
        user, _ = users.objects.get_or_create(
            username=person.username, defaults={"first_name": person.name.split()[0], "email": person.email}
        )
        user.password = hashed
        user.save(update_fields=["password"])
        engineer, _ = Engineer.objects.update_or_create(
            user=user,
            defaults={
                "display_name": person.name,
                "email": person.email,
                "level": person.level,
                "team": teams[person.team],
                "weekly_capacity_minutes": person.capacity,
                "is_manager": person.manager,
                "is_incident_reviewer": person.incident_reviewer,
            },
        )
        engineers[person.username] = engineer
    admin, _ = users.objects.get_or_create(username="admin", defaults={"email": "admin@countersign.example"})
    admin.is_staff = admin.is_superuser = True
    admin.password = hashed
    admin.save()
    return engineers


def write_history(mirror: Mirror, plan: RepoPlan) -> None:
    """Write a planned history with git fast-import, in segments so that reverts and fixes can name real SHAs."""
    targets = {c.revert_of for c in plan.commits if c.revert_of is not None}
    targets |= {c.fix_of for c in plan.commits if c.fix_of is not None}
    shas: dict[int, str] = {}
    stream: list[bytes] = []
    parent: str | None = None
    for index, spec in enumerate(plan.commits):
        message = re.sub(r"\{sha:(\d+)\}", lambda m: shas[int(m[1])], spec.message)
        message = re.sub(r"\{short:(\d+)\}", lambda m: shas[int(m[1])][:12], message)
        stream.append(fast_import_commit(replace(spec, message=message), "refs/heads/main", parent, index + 1))
        parent = f":{index + 1}"
        if index in targets:
            mirror.fast_import(b"".join(stream) + b"done\n")
            stream = []
            parent = shas[index] = mirror.resolve("main")
    if stream:
        mirror.fast_import(b"".join(stream) + b"done\n")
    main_sha = mirror.resolve("main")
    stream = []
    mark = 0
    for branch, specs in plan.branches.items():
        parent = main_sha
        for spec in specs:
            mark += 1
            stream.append(fast_import_commit(spec, f"refs/heads/{branch}", parent, mark))
            parent = f":{mark}"
    mirror.fast_import(b"".join(stream) + b"done\n")


def seed_repository(name: str, engineers: dict[str, Engineer]) -> Repository:
    """Generate (once) the demo repository on disk and import it through the normal intake path."""
    spec = REPOSITORIES[name]
    path = Path(settings.DATA_DIR) / "demo-repos" / f"{name}.git"
    mirror = Mirror(path, services.git_config())
    if not mirror.exists():
        end = _anchor()
        plan = plan_repository(name, seed=SEED, start=end - timedelta(weeks=WEEKS), end=end)
        write_history(mirror, plan)
    repository = services.repository_register(name=f"demo/{name}", url=str(path), default_branch="main")
    if repository.sensitive_paths != spec["sensitive"]:
        repository.sensitive_paths = spec["sensitive"]
        repository.save(update_fields=["sensitive_paths"])
    teams = {t.name: t for t in Team.objects.all()}
    for service_name, (team, prefixes) in spec["services"].items():
        Service.objects.update_or_create(
            name=service_name, defaults={"repository": repository, "path_prefixes": prefixes, "team": teams[team]}
        )
    services.repository_import(repository=repository)
    # Diffs are normally pulled by workers; the demo pulls what is still pending here so it is complete at once.
    for change_id in (
        Change.objects.filter(repository=repository)
        .exclude(diff_state=Change.DiffState.DONE)
        .values_list("pk", flat=True)
    ):
        services.change_pull_diff(change_id=change_id)
    return repository


def _seniors(engineers: dict[str, Engineer]) -> list[Engineer]:
    return sorted((e for e in engineers.values() if e.is_senior), key=lambda e: e.pk)


def seed_history_reviews(repository: Repository, engineers: dict[str, Engineer], rng: random.Random) -> int:
    """Sign-offs for merged changes that needed one; some fast enough to be rubber stamps."""
    if Review.objects.filter(change__repository=repository).exists():
        return 0
    seniors = _seniors(engineers)
    same_repo = [
        e for e in seniors if any(p.username == e.user.username and p.repo == repository.name[5:] for p in PEOPLE)
    ]
    count = 0
    changes = Change.objects.filter(repository=repository, state=Change.State.MERGED, required_sign_offs__gt=0)
    for change in changes.order_by("merged_at"):
        if rng.random() < 0.05:
            continue  # merged without the required sign-off: the dashboards must find these
        pool = [e for e in same_repo if e.pk != change.author_id] or [e for e in seniors if e.pk != change.author_id]
        reviewer = rng.choice(pool)
        lines = change.lines_changed
        careful = min(2700, max(60, int(lines * rng.uniform(2.0, 6.0))))
        seconds = int(rng.uniform(15, 50)) if rng.random() < 0.12 else careful
        at = (change.merged_at or change.opened_at) - timedelta(minutes=rng.randint(5, 600))
        services.review_import(
            change=change, reviewer=reviewer, verdict=Review.Verdict.APPROVE, seconds_spent=seconds, at=at
        )
        count += 1
    return count


def seed_deployments(repository: Repository) -> int:
    """Deploy merged changes to the services they touch, in batches every four hours."""
    batches: dict[tuple[int, datetime], list[Change]] = defaultdict(list)
    service_list = list(repository.services.all())
    changes = Change.objects.filter(repository=repository, state=Change.State.MERGED).prefetch_related("files")
    for change in changes.order_by("merged_at"):
        paths = [f.path for f in change.files.all()]
        for service in service_list:
            if any(p.startswith(tuple(service.path_prefixes)) for p in paths):
                batches[(service.pk, deploy_time(change.merged_at))].append(change)
    by_id = {s.pk: s for s in service_list}
    for (service_id, deployed_at), batch in sorted(batches.items(), key=lambda kv: kv[0][1]):
        head = max(batch, key=lambda c: c.merged_at)
        services.deployment_record(
            service=by_id[service_id],
            environment="production",
            sha=head.head_sha,
            deployed_at=deployed_at,
            changes=batch,
        )
    return len(batches)


def _chance(key: str) -> float:
    """A stable number in [0, 1) for a key, so reruns make the same choices whatever ran before."""
    return int.from_bytes(hashlib.sha256(f"{SEED}:{key}".encode()).digest()[:8], "big") / 2**64


def seed_open_work(repository: Repository, engineers: dict[str, Engineer]) -> None:
    """Attestations by most authors, and a verdict already given on one open change."""
    for change in Change.objects.filter(repository=repository, state=Change.State.OPEN).select_related("author"):
        awaiting = change.review_state == Change.ReviewState.AWAITING_ATTESTATION
        if awaiting and change.author and _chance(f"attest:{change.external_id}") < 0.8:
            services.change_attest(
                change=change, engineer=change.author, note="Read every line; ran the tests locally."
            )
    if Review.objects.filter(change__repository=repository, change__state=Change.State.OPEN).exists():
        return
    waiting = Change.objects.filter(
        repository=repository, state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF
    )
    for change in waiting.order_by("pk")[:1]:
        assignment = change.assignments.filter(state="active").select_related("reviewer").first()
        if assignment and not change.reviews.exists():
            services.review_submit(
                change=change,
                reviewer=assignment.reviewer,
                verdict=Review.Verdict.REQUEST_CHANGES,
                head_sha=change.head_sha,
                seconds_spent=540,
                comment="Please add a test for the empty-cart case before this ships.",
            )


def seed_incidents(repository: Repository, engineers: dict[str, Engineer], rng: random.Random) -> int:
    """An incident for each reverted change, confirmed, with another change suspected and ruled out."""
    reviewer = next(e for e in engineers.values() if e.is_incident_reviewer)
    created = 0
    reverts = Change.objects.filter(repository=repository, state=Change.State.MERGED, title__startswith='Revert "')
    for revert in reverts.order_by("merged_at"):
        match = re.search(r"This reverts commit ([0-9a-f]{40})", revert.description)
        bad = match and Change.objects.filter(repository=repository, head_sha=match[1]).first()
        if not bad or not bad.deployed_at:
            continue
        title = f"Errors in {bad.title.split(' in ')[-1]} after deploy"
        if Incident.objects.filter(title=title, started_at__gte=bad.deployed_at).exists():
            continue
        started = bad.deployed_at + timedelta(minutes=rng.randint(10, 90))
        if revert.merged_at and started >= revert.merged_at:
            started = revert.merged_at - timedelta(minutes=30)
        if started < bad.deployed_at:
            continue
        touched = list(bad.deployments.values_list("service_id", flat=True))
        with transaction.atomic():
            incident = incident_services.incident_create(
                actor=reviewer.user,
                title=title,
                severity=rng.choice(("SEV1", "SEV2", "SEV2", "SEV3", "SEV3")),
                started_at=started,
                detected_at=started + timedelta(minutes=rng.randint(2, 25)),
                resolved_at=(revert.merged_at or started) + timedelta(minutes=rng.randint(10, 60)),
                services=list(Service.objects.filter(pk__in=touched)),
                summary=f"Elevated error rate after the deployment that carried {bad.short_sha}; resolved by revert.",
            )
            incident_services.incident_link_change(
                actor=reviewer.user,
                incident=incident,
                change=bad,
                state=IncidentChangeLink.State.CONFIRMED,
                reason=f"Reverted by {revert.short_sha}; errors stopped after the revert was deployed.",
            )
            other = (
                Change.objects.filter(repository=repository, deployed_at__lt=started, deployed_at__isnull=False)
                .exclude(pk=bad.pk)
                .order_by("-deployed_at")
                .first()
            )
            if other:
                incident_services.incident_link_change(
                    actor=reviewer.user,
                    incident=incident,
                    change=other,
                    state=IncidentChangeLink.State.RULED_OUT,
                    reason="Deployed shortly before, but touches none of the failing paths.",
                )
        created += 1
    return created


def seed_risk_model() -> None:
    """Fit the risk model on the demo's history once, and score the open changes with it."""
    if RiskModel.objects.exists():
        return
    try:
        risk_model_fit()
    except services.ServiceError:
        return
    for change in Change.objects.filter(state=Change.State.OPEN, diff_state=Change.DiffState.DONE).select_related(
        "repository", "author", "policy_version"
    ):
        services.change_reevaluate(change=change)


def seed_demo() -> dict[str, int]:
    """Create or complete the whole demo organisation; safe to run again."""
    rng = random.Random(SEED)
    engineers = seed_people(settings.PORTAL_DEMO_PASSWORD)
    stats = {"reviews": 0, "deployments": 0, "incidents": 0}
    for name in REPOSITORIES:
        repository = seed_repository(name, engineers)
        stats["reviews"] += seed_history_reviews(repository, engineers, rng)
        stats["deployments"] += seed_deployments(repository)
        seed_open_work(repository, engineers)
        stats["incidents"] += seed_incidents(repository, engineers, rng)
    seed_risk_model()
    stats["changes"] = Change.objects.count()
    stats["open"] = Change.objects.filter(state=Change.State.OPEN).count()
    return stats
