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
from django.db import connection
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone
from django.utils.text import slugify

from assignment.services.queue import assignment_claim
from demo.commits import fast_import_commit
from demo.conversations import deliver_seeded_notifications, seed_conversations
from demo.history import RepoPlan, plan_repository
from demo.organisation import PEOPLE, REPOSITORIES, SEED, TEAMS, Person, deploy_time, history_span
from demo.outages import seed_incidents
from incidents.suspect_facts import parse_references
from intake.gitrepo import Mirror
from intake.mirrors import git_config
from intake.services.deployments import deployment_record
from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import, repository_register
from policy.services.evaluation import change_reevaluate
from policy.services.riskmodels import risk_model_fit
from reviews.audit import ServiceError
from reviews.models import Change, Engineer, Repository, Review, RiskModel, Service, Team
from reviews.rubberstamp import Floor, check_sign_off, floor_seconds
from reviews.services.signoff import change_attest, review_import, review_submit

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
    """Teams, engineers and the admin; new accounts get the demo password, existing ones keep theirs."""
    users = get_user_model()
    # One hash for everyone: the demo password is shared and published anyway, and hashing it 31 times is slow.
    hashed = make_password(password)
    today = _anchor().date()
    teams = {name: Team.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0] for name in TEAMS}
    engineers = {}
    for person in PEOPLE:
        # Existing accounts keep their password (and so their sessions): reseeding logs nobody out.
        user, _ = users.objects.get_or_create(
            username=person.username,
            defaults={"first_name": person.name.split()[0], "email": person.email, "password": hashed},
        )
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
                # Away: on leave for a few days from today, or gone for good (left partway through the history).
                "is_away": bool(person.away_days) or person.left is not None,
                "away_until": today + timedelta(days=person.away_days) if person.away_days else None,
            },
        )
        engineers[person.username] = engineer
    admin, _ = users.objects.get_or_create(
        username="admin", defaults={"email": "admin@countersign.example", "password": hashed}
    )
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
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
    mirror = Mirror(path, git_config())
    if not mirror.exists():
        start, end = history_span(_anchor().date())
        plan = plan_repository(name, seed=SEED, start=start, end=end, cutoff=_anchor())
        write_history(mirror, plan)
    repository = repository_register(name=f"demo/{name}", url=str(path), default_branch="main")
    if repository.sensitive_paths != spec["sensitive"]:
        repository.sensitive_paths = spec["sensitive"]
        repository.save(update_fields=["sensitive_paths"])
    teams = {t.name: t for t in Team.objects.all()}
    for service_name, (team, prefixes) in spec["services"].items():
        Service.objects.update_or_create(
            name=service_name, defaults={"repository": repository, "path_prefixes": prefixes, "team": teams[team]}
        )
    repository_import(repository=repository)
    # Diffs are normally pulled by workers; the demo pulls what is still pending here so it is complete at once.
    for change_id in (
        Change.objects.filter(repository=repository)
        .exclude(diff_state=Change.DiffState.DONE)
        .values_list("pk", flat=True)
    ):
        change_pull_diff(change_id=change_id)
    return repository


def _seniors(engineers: dict[str, Engineer]) -> list[Engineer]:
    return sorted((e for e in engineers.values() if e.is_senior), key=lambda e: e.pk)


def _repo_of(engineer: Engineer) -> str:
    return next(p.repo for p in PEOPLE if p.username == engineer.user.username)


def _rng(key: str) -> random.Random:
    """A random stream of its own for a key, so reruns make the same choices whatever ran before."""
    return random.Random(f"{SEED}:{key}")


def defect_shas(repository: Repository) -> set[str]:
    """The commits (full or abbreviated SHAs) that later commits of the repository revert or say they fix."""
    descriptions = Change.objects.filter(repository=repository, state=Change.State.MERGED).values_list(
        "description", flat=True
    )
    return {sha for text in descriptions for _, sha in parse_references(text)}


def _is_defect(change: Change, refs: set[str]) -> bool:
    return any(change.head_sha.startswith(ref) for ref in refs)


def _history_week(at: datetime) -> int:
    return (at - history_span(_anchor().date())[0]).days // 7


def _reviewer(change: Change, pool: list[Engineer], people: dict[str, Person], rng: random.Random) -> Engineer | None:
    """A senior still there at the time, likelier one who works on the change's code and sits in its team."""
    week = _history_week(change.opened_at)
    area = change.files.all()[0].path.rsplit("/", 1)[0] if change.files.all() else ""
    weighted = []
    for senior in pool:
        person = people.get(senior.user.username)
        if senior.pk == change.author_id or (person and not person.is_active_in(week)):
            continue
        weight = 1.0
        if person and any(area.startswith(a) for a in person.areas):
            weight *= 4.0
        if change.author and senior.team_id == change.author.team_id:
            weight *= 2.0
        weighted.append((senior, weight))
    if not weighted:
        return None
    return rng.choices([s for s, _ in weighted], weights=[w for _, w in weighted])[0]


def seed_history_reviews(repository: Repository, engineers: dict[str, Engineer]) -> int:
    """Review records of merged changes that needed a sign-off: requested soon after the change opened, looked at
    hours later, sometimes sent back once before the approval; some approvals fast enough to be rubber stamps, more
    often on the changes that later broke something; a few merged without the sign-off they needed."""
    if Review.objects.filter(change__repository=repository).exists():
        return 0
    people = {p.username: p for p in PEOPLE}
    pool = [e for e in _seniors(engineers) if people[e.user.username].repo == repository.name.removeprefix("demo/")]
    floor = Floor(
        seconds_per_10_lines=settings.PORTAL_REVIEW_FLOOR_SECONDS_PER_10_LINES,
        min_seconds=settings.PORTAL_REVIEW_FLOOR_MIN_SECONDS,
    )
    refs = defect_shas(repository)
    start = history_span(_anchor().date())[0]
    count = 0
    changes = (
        Change.objects.filter(repository=repository, state=Change.State.MERGED, required_sign_offs__gt=0)
        .select_related("author")
        .prefetch_related("files")
    )
    for change in changes.order_by("merged_at"):
        # Keyed by the time into the history, not the SHA, so a week later the same change gets the same review.
        rng = _rng(f"review:{repository.name}:{int((change.opened_at - start).total_seconds())}")
        bad = _is_defect(change, refs)
        if rng.random() < (0.08 if bad else 0.03):
            continue  # merged without the required sign-off: the dashboards must find these
        reviewer = _reviewer(change, pool, people, rng)
        if reviewer is None:
            continue
        lines = change.lines_changed
        opened, merged = change.opened_at, change.merged_at or change.opened_at
        assigned = opened + min((merged - opened) / 10, timedelta(minutes=rng.uniform(1, 15)))
        approved = assigned + (merged - assigned) * rng.uniform(0.55, 0.95)
        careful = int(min(5400, max(300, lines * rng.uniform(8, 20))) + rng.uniform(0, 300))
        if rng.random() < (0.2 if change.ai_assisted else 0.1):
            # A first round: changes requested, the author pushes a fix, then the approval.
            first = assigned + (approved - assigned) * rng.uniform(0.2, 0.6)
            review_import(
                change=change,
                reviewer=reviewer,
                verdict=Review.Verdict.REQUEST_CHANGES,
                seconds_spent=careful,
                at=first,
                assigned_at=assigned,
            )
            assigned, careful = None, int(careful * rng.uniform(0.3, 0.7))
            count += 1
        stamp = rng.random() < (0.4 if bad else 0.07)
        # A rubber stamp: a glance, under the portal's floor for the change's size.
        glance = int(floor_seconds(lines, floor) * rng.uniform(0.35, 0.95))
        seconds = glance if stamp else careful
        too_fast = check_sign_off(
            seconds_spent=seconds, lines_changed=lines, files_viewed=0, files_total=0, floor=floor
        )
        review_import(
            change=change,
            reviewer=reviewer,
            verdict=Review.Verdict.APPROVE,
            seconds_spent=seconds,
            at=approved,
            rubber_stamp=too_fast.too_fast,
            assigned_at=assigned,
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
    now = timezone.now()
    for (service_id, deployed_at), batch in sorted(batches.items(), key=lambda kv: kv[0][1]):
        if deployed_at > now:
            continue  # the next train has not left yet
        head = max(batch, key=lambda c: c.merged_at)
        deployment_record(
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
            change_attest(change=change, engineer=change.author, note="Read every line; ran the tests locally.")
    if Review.objects.filter(change__repository=repository, change__state=Change.State.OPEN).exists():
        return
    waiting = Change.objects.filter(
        repository=repository, state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF
    )
    for change in waiting.order_by("pk")[:1]:
        assignment = change.assignments.filter(state="active").select_related("reviewer").first()
        if assignment and not change.reviews.exists():
            review_submit(
                change=change,
                reviewer=assignment.reviewer,
                verdict=Review.Verdict.REQUEST_CHANGES,
                head_sha=change.head_sha,
                seconds_spent=540,
                comment="Please add a test for the empty-cart case before this ships.",
            )


def seed_over_capacity(engineers: dict[str, Engineer]) -> None:
    """Ines, whose incidents leave her little review time, claims waiting work past her weekly capacity.

    The balanced picker never assigns past a capacity, so the demo's "over capacity" senior is one who took work on
    herself (claims are not capped): what a manager's seniors dashboard is there to catch.
    """
    ines = engineers.get("ines")
    if ines is None:
        return

    def load() -> float:
        open_minutes = ines.assignments.filter(state="active").aggregate(m=Sum("estimated_minutes"))["m"] or 0
        week = timezone.now() - timedelta(days=7)
        seconds = ines.reviews.filter(created_at__gte=week).aggregate(s=Sum("seconds_spent"))["s"] or 0
        return open_minutes + seconds / 60

    waiting = (
        Change.objects.filter(state=Change.State.OPEN, review_state=Change.ReviewState.NEEDS_SIGN_OFF)
        .exclude(author=ines)
        .exclude(assignments__reviewer=ines)
        .order_by("pk")
    )
    for change in waiting[:5]:
        if load() >= ines.weekly_capacity_minutes:
            return
        try:
            assignment_claim(change=change, engineer=ines)
        except ServiceError:
            continue


def seed_risk_model() -> None:
    """Fit the risk model on the demo's history once, and score the open changes with it."""
    if RiskModel.objects.exists():
        return
    try:
        risk_model_fit()
    except ServiceError:
        return
    for change in Change.objects.filter(state=Change.State.OPEN, diff_state=Change.DiffState.DONE).select_related(
        "repository", "author", "policy_version"
    ):
        change_reevaluate(change=change)


def seed_demo() -> dict[str, int]:
    """Create or complete the whole demo organisation; safe to run again."""
    # The seed's own notifications are delivered to memory (recorded as sent, not printed by the thousand);
    # what happens once the portal runs goes to the configured backend (the console in `make run`).
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        return _seed_demo()


def _seed_demo() -> dict[str, int]:
    if connection.vendor == "sqlite":
        # Seeding commits thousands of small transactions; waiting for each to reach the disk is most of the
        # time on SQLite. A crash mid-seed only loses demo data that the next run writes again.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    engineers = seed_people(settings.PORTAL_DEMO_PASSWORD)
    stats = {"reviews": 0, "deployments": 0, "incidents": 0}
    for name in REPOSITORIES:
        repository = seed_repository(name, engineers)
        stats["reviews"] += seed_history_reviews(repository, engineers)
        stats["deployments"] += seed_deployments(repository)
        seed_open_work(repository, engineers)
        stats["conversations"] = stats.get("conversations", 0) + seed_conversations(
            repository, engineers, str(Path(settings.DATA_DIR) / "demo-repos" / f"{name}.git")
        )
        reviewer = next(e for e in engineers.values() if e.is_incident_reviewer and _repo_of(e) == name)
        stats["incidents"] += seed_incidents(repository, reviewer, _anchor())
    seed_risk_model()
    seed_over_capacity(engineers)
    stats["notifications"] = deliver_seeded_notifications()
    stats["changes"] = Change.objects.count()
    stats["open"] = Change.objects.filter(state=Change.State.OPEN).count()
    return stats
