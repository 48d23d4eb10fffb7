"""Knowledge snapshots: who knows which files, per repository and week."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from assignment.expertise import ACTIVE_DAYS, person_key
from insights.models import KnowledgeSnapshot, SoleKnowledge
from insights.selectors.scope import local_date, local_midnight
from insights.stats import bus_factor, directory_knowers
from intake.gitnames import canonical_address, is_bot_author
from reviews.models import Change, ChangeFile, Engineer, Repository, Review, Service


def _knowers(repository: Repository, as_of: datetime, names: dict[str, str]) -> dict[str, set[str]]:
    """Each live file of the repository as of a moment, with everyone who authored or reviewed a change to it.

    Grouped in SQL to one row per (file, person); generated files are left out. A file is gone when its newest
    touch was a deletion, or a rename away from it. A person's renamed GitHub logins are one person.
    """
    touches = ChangeFile.objects.filter(
        change__repository=repository, is_generated=False, change__merged_at__lte=as_of
    ).order_by()
    knowers: dict[str, set[str]] = defaultdict(set)
    last_touch: dict[str, datetime] = {}
    for path, author_id, email, name, last in (
        touches.exclude(status=ChangeFile.Status.DELETED)
        .values_list("path", "change__author_id", "change__author_email", "change__author_name")
        .annotate(last=Max("change__merged_at"))
    ):
        last_touch[path] = max(last, last_touch.get(path, last))
        if author_id is None and is_bot_author(name, email):
            # A bot knows nothing: a file only dependabot or pre-commit-ci touched is known by nobody.
            knowers.setdefault(path, set())
            continue
        key = person_key(author_id, canonical_address(email))
        names.setdefault(key, name or email)
        knowers[path].add(key)
    reviewed = (
        Review.objects.filter(change__repository=repository, created_at__lte=as_of, change__files__is_generated=False)
        .order_by()
        .values_list("change__files__path", "reviewer_id")
        .distinct()
    )
    for path, reviewer_id in reviewed:
        if path in knowers:
            knowers[path].add(person_key(reviewer_id, ""))
    gone = touches.filter(Q(status=ChangeFile.Status.DELETED) | Q(status=ChangeFile.Status.RENAMED))
    for path, last in (
        gone.filter(status=ChangeFile.Status.DELETED).values_list("path").annotate(last=Max("change__merged_at"))
    ):
        if path in last_touch and last >= last_touch[path]:
            knowers.pop(path, None)  # deleted and renamed away in one history: gone once
    for path, last in (
        gone.filter(status=ChangeFile.Status.RENAMED)
        .exclude(old_path="")
        .values_list("old_path")
        .annotate(last=Max("change__merged_at"))
    ):
        if path in last_touch and last >= last_touch[path]:
            knowers.pop(path, None)  # deleted and renamed away in one history: gone once
    return knowers


def _active(as_of: datetime) -> set[str]:
    """People who authored or reviewed anything in the 90 days up to the moment (assignment.expertise's window)."""
    since = as_of - timedelta(days=ACTIVE_DAYS)
    authors = (
        Change.objects.filter(opened_at__gte=since, opened_at__lte=as_of)
        .order_by()
        .values_list("author_id", "author_email")
        .distinct()
    )
    active = {person_key(author_id, canonical_address(email)) for author_id, email in authors}
    reviewers = (
        Review.objects.filter(created_at__gte=since, created_at__lte=as_of)
        .order_by()
        .values_list("reviewer_id", flat=True)
    )
    active |= {person_key(reviewer_id, "") for reviewer_id in reviewers.distinct()}
    return active


def _figures(knowers: dict[str, set[str]]) -> dict[str, int]:
    directories = directory_knowers(knowers)
    return {
        "files": len(knowers),
        "files_single": sum(1 for people in knowers.values() if len(people) == 1),
        "files_none": sum(1 for people in knowers.values() if not people),
        "directories": len(directories),
        "directories_single": sum(1 for people in directories.values() if len(people) == 1),
        "people": len(set().union(*knowers.values())) if knowers else 0,
        "bus_factor": bus_factor(knowers),
    }


def knowledge_snapshot_build(*, as_of: datetime, sole: bool = False) -> int:
    """Compute and store the knowledge snapshots of every repository (and each team's paths in it) as of a
    moment; with `sole`, also replace the list of files and directories only one person knows. Idempotent."""
    active = _active(as_of)
    services = list(Service.objects.exclude(team=None).values_list("repository_id", "team_id", "path_prefixes"))
    engineers = {f"e:{pk}": (pk, name) for pk, name in Engineer.objects.values_list("pk", "display_name")}
    now = timezone.now()
    written = 0
    for repository in Repository.objects.order_by("pk"):
        names: dict[str, str] = {}
        knowers = {path: people & active for path, people in _knowers(repository, as_of, names).items()}
        scopes: dict[int | None, dict[str, set[str]]] = {None: knowers}
        prefixes_of: dict[int, list[str]] = defaultdict(list)
        for repo_id, team_id, prefixes in services:
            if repo_id == repository.pk:
                prefixes_of[team_id].extend(prefixes or [])
        for team_id, prefixes in prefixes_of.items():
            scopes[team_id] = {p: k for p, k in knowers.items() if prefixes and p.startswith(tuple(prefixes))}
        with transaction.atomic():
            for team_id, team_knowers in scopes.items():
                KnowledgeSnapshot.objects.update_or_create(
                    repository=repository,
                    team_id=team_id,
                    as_of=as_of,
                    defaults={**_figures(team_knowers), "computed_at": now},
                )
                written += 1
            if sole:
                SoleKnowledge.objects.filter(repository=repository).delete()
                rows = []
                entries = [(p, k, False) for p, k in knowers.items()]
                entries += [(d, k, True) for d, k in directory_knowers(knowers).items()]
                for path, people, is_directory in entries:
                    if len(people) != 1:
                        continue
                    (key,) = people
                    engineer_id, name = engineers.get(key, (None, names.get(key, key[2:])))
                    rows.append(
                        SoleKnowledge(
                            repository=repository,
                            path=path,
                            is_directory=is_directory,
                            person_key=key,
                            person_name=name,
                            engineer_id=engineer_id,
                            as_of=as_of,
                        )
                    )
                SoleKnowledge.objects.bulk_create(rows, batch_size=1000)
    return written


def knowledge_rebuild(*, weeks: int = 13, now: datetime | None = None) -> int:
    """Snapshots at the start of each of the last `weeks` weeks and now (with the sole-knowledge list)."""
    now = now or timezone.now()
    monday = local_date(now) - timedelta(days=local_date(now).weekday())
    written = 0
    for i in reversed(range(weeks)):
        written += knowledge_snapshot_build(as_of=local_midnight(monday - timedelta(days=7 * i)))
    # Drop earlier "now" snapshots of this week so the trend has one point per week plus the latest.
    KnowledgeSnapshot.objects.filter(as_of__gt=local_midnight(monday), as_of__lt=now).delete()
    written += knowledge_snapshot_build(as_of=now, sole=True)
    return written
