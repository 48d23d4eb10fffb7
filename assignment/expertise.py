"""What the assignment engine and the replay need from the database (reads only, constant queries).

A person is an engineer, or for commits by someone the portal does not know, their e-mail address. A person
knows a file they authored (a merged change touching it) or reviewed (a verdict on a change touching it).
Expertise decays with time (assignment.picking.decay); knowledge does not. Generated files are left out.

At scale the history reads filter ChangeFile by path; they want an index on ChangeFile.path
(`varchar_pattern_ops`, for the directory prefixes too).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Sum,
    Value,
)

from assignment.history import FileTouch, ReplayChange, Senior
from assignment.picking import (
    HALF_LIFE_DAYS,
    RECENT_DAYS,
    Candidate,
    decay,
    directory_of,
    expertise_score,
    spreads_count,
)
from assignment.selectors import seniors_with_load
from intake.gitnames import is_bot_author
from policy.risk import estimate_review_minutes
from reviews.models import Change, ChangeFile, Engineer, Repository, Review

ACTIVE_DAYS = 90  # active: authored or reviewed something in the last 90 days


def person_key(engineer_id: int | None, email: str) -> str:
    """The replay's and the knowledge map's name for a person: their engineer id, else their e-mail."""
    return f"e:{engineer_id}" if engineer_id is not None else f"m:{email.strip().lower()}"


def _decay(field_name: str, now: datetime) -> Func:
    """SQL for assignment.picking.decay of the age of a timestamp column at `now`."""
    return Func(
        Value(now, output_field=DateTimeField()),
        F(field_name),
        arg_joiner=" - ",
        template=(
            "POWER(0.5::float8, GREATEST(EXTRACT(EPOCH FROM (%(expressions)s))::float8, 0) / "
            f"{86400.0 * HALF_LIFE_DAYS})"
        ),
        output_field=FloatField(),
    )


def _grouped(queryset, keys: list[str], time_field: str, now: datetime, recent: datetime) -> list[dict]:
    """Rows grouped by keys with their decayed weight and recent count: summed in SQL on PostgreSQL,
    in Python on the embedded SQLite default (which has no interval arithmetic)."""
    if connection.vendor == "postgresql":
        return list(
            queryset.values(*keys).annotate(
                weight=Sum(_decay(time_field, now)), recent=Count("pk", filter=Q(**{f"{time_field}__gte": recent}))
            )
        )
    grouped: dict[tuple, dict] = {}
    for row in queryset.values(*keys, time_field):
        at = row.pop(time_field)
        entry = grouped.setdefault(tuple(row[k] for k in keys), {**row, "weight": 0.0, "recent": 0})
        entry["weight"] += decay(max(0.0, (now - at).total_seconds() / 86400))
        entry["recent"] += at >= recent
    return list(grouped.values())


def _path_filter(field_name: str, paths: Collection[str], directories: Collection[str]) -> Q:
    condition = Q(**{f"{field_name}__in": list(paths)})
    for directory in directories:
        condition |= Q(**{f"{field_name}__startswith": f"{directory}/"})
    return condition


@dataclass
class _Work:
    """One person's decayed work on the touched files and their directories."""

    files: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    directories: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    authored_recent: set[str] = field(default_factory=set)
    reviewed_recent: set[str] = field(default_factory=set)


def _is_away(engineer: Engineer, now: datetime) -> bool:
    """Away while the flag is set, unless the date they said they would be back has passed."""
    return engineer.is_away and not (engineer.away_until and engineer.away_until < now.date())


def assignment_candidates(
    change: Change, *, senior_level: int, now: datetime, owner_ids: Collection[int] = frozenset()
) -> tuple[list[Candidate], int]:
    """Every senior as an engine candidate for the change, and the number of touched files. Five queries.

    Load: estimated minutes of active assignments, and minutes spent on verdicts in the last 7 days (against the
    weekly capacity) and in the last BALANCE_DAYS days (for the load band). Expertise
    and knowledge: the repository's merged changes and verdicts other than this change's, up to `now`.
    """
    touched: dict[str, str] = {}  # path in history -> path of this change (old names of renamed files too)
    for path, old_path in ChangeFile.objects.filter(change_id=change.pk, is_generated=False).values_list(
        "path", "old_path"
    ):
        touched[path] = path
        if old_path:
            touched.setdefault(old_path, path)
    paths = sorted(set(touched.values()))
    directories = {directory_of(p) for p in paths} - {""}
    recent = now - timedelta(days=RECENT_DAYS)

    seniors = list(seniors_with_load(senior_level=senior_level, now=now))

    work: dict[str, _Work] = defaultdict(_Work)
    knowers: dict[str, set[str]] = defaultdict(set)
    emails: dict[str, str] = {}
    if paths:
        scope = _path_filter("path", touched, directories)
        authored = ChangeFile.objects.filter(
            scope,
            is_generated=False,
            change__repository_id=change.repository_id,
            change__state=Change.State.MERGED,
            change__merged_at__lte=now,
        ).exclude(change_id=change.pk)
        authored = _grouped(
            authored, ["change__author_id", "change__author_email", "path"], "change__merged_at", now, recent
        )
        for row in authored:
            key = person_key(row["change__author_id"], row["change__author_email"])
            if row["change__author_id"] is None:
                emails[key] = row["change__author_email"]
            _add(work[key], knowers, key, row["path"], row["weight"], touched, directories)
            if row["recent"] and row["path"] in touched:
                work[key].authored_recent.add(touched[row["path"]])
        reviewed = Review.objects.filter(
            _path_filter("change__files__path", touched, directories),
            change__repository_id=change.repository_id,
            change__files__is_generated=False,
            created_at__lte=now,
        ).exclude(change_id=change.pk)
        reviewed = _grouped(reviewed, ["reviewer_id", "change__files__path"], "created_at", now, recent)
        for row in reviewed:
            key = person_key(row["reviewer_id"], "")
            _add(work[key], knowers, key, row["change__files__path"], row["weight"], touched, directories)
            if row["recent"] and row["change__files__path"] in touched:
                work[key].reviewed_recent.add(touched[row["change__files__path"]])

    author = person_key(change.author_id, change.author_email)
    active = _active(knowers, emails, now) | {author}
    active_knowers = {p: {k for k in knowers.get(p, ()) if k in active} for p in paths}
    candidates = []
    for senior in seniors:
        key = person_key(senior.pk, "")
        mine = work.get(key) or _Work()
        candidates.append(
            Candidate(
                engineer_id=senior.pk,
                name=senior.display_name,
                level=senior.level,
                is_away=_is_away(senior, now),
                capacity_minutes=senior.weekly_capacity_minutes,
                open_minutes=senior.open_minutes,
                reviewed_minutes_7d=math.ceil(senior.reviewed_seconds_7d / 60),
                reviewed_minutes_balance=math.ceil(senior.reviewed_seconds_balance / 60),
                open_count=senior.open_count,
                max_open=senior.max_open_assignments,
                owns_paths=senior.pk in owner_ids,
                expertise=round(expertise_score(paths, mine.files, mine.directories), 6),
                files_known=sum(1 for p in paths if key in knowers.get(p, ())),
                spreads_files=spreads_count(key, paths, active_knowers, author=author),
                files_reviewed_recent=len(mine.reviewed_recent),
                files_authored_recent=len(mine.authored_recent),
            )
        )
    return candidates, len(paths)


def _add(
    mine: _Work,
    knowers: dict[str, set[str]],
    key: str,
    path: str,
    weight: float,
    touched: dict[str, str],
    directories: Collection[str],
) -> None:
    """Count one person's work on one path of the history: the file itself, or a neighbour in its directory."""
    if path in touched:
        mine.files[touched[path]] += weight
        knowers[touched[path]].add(key)
    directory = directory_of(path)
    if directory in directories:
        mine.directories[directory] += weight


def _active(knowers: dict[str, set[str]], emails: dict[str, str], now: datetime) -> set[str]:
    """Which of the people who know the touched files authored or reviewed anything in the last 90 days."""
    people = set().union(*knowers.values()) if knowers else set()
    return active_people(people, [emails[k] for k in people if k in emails], now)


def active_people(people: set[str], addresses: Collection[str], now: datetime) -> set[str]:
    """Which of `people` (person keys; `addresses` their e-mails) authored or reviewed anything in the last 90 days.

    One query. On PostgreSQL, each person's latest activity (reviews_personactivity, kept by triggers) answers
    for all but those whose latest is after `now` (a reading of the past): those are probed (a second query).
    """
    if not people:
        return set()
    if connection.vendor != "postgresql":
        return _active_probed(people, addresses, now)
    since = now - timedelta(days=ACTIVE_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT engineer_id, email, last_at > %(now)s FROM reviews_personactivity "
            "WHERE ((engineer_id = ANY(%(ids)s::bigint[]) AND email = '') "
            "OR (engineer_id IS NULL AND email = ANY(%(emails)s::text[]))) AND last_at >= %(since)s",
            {"ids": [int(k[2:]) for k in people if k.startswith("e:")], "emails": list(addresses), "since": since,
             "now": now},
        )  # fmt: skip
        rows = cursor.fetchall()
    active = {person_key(engineer_id, email) for engineer_id, email, later in rows if not later}
    later = [(engineer_id, email) for engineer_id, email, is_later in rows if is_later]
    if later:
        addresses = [email for engineer_id, email in later if engineer_id is None]
        active |= _active_probed({person_key(*p) for p in later}, addresses, now)
    return active


def _active_probed(people: set[str], addresses: Collection[str], now: datetime) -> set[str]:
    """active_people from the history: for each engineer, whether a change or a verdict of theirs falls in the
    window (an index probe each, change_author_opened_idx and review_reviewer_time_idx), and the addresses
    seen in the window. One query."""
    engineer_ids = [int(k[2:]) for k in people if k.startswith("e:")]
    since = now - timedelta(days=ACTIVE_DAYS)
    authored = Change.objects.filter(author_id=OuterRef("pk"), opened_at__gte=since, opened_at__lte=now)
    reviewed = Review.objects.filter(reviewer_id=OuterRef("pk"), created_at__gte=since, created_at__lte=now)
    engineers = (
        Engineer.objects.filter(Exists(authored) | Exists(reviewed), pk__in=engineer_ids)
        .annotate(no_email=Value(""))
        .order_by()
        .values_list("pk", "no_email")
    )
    by_address = (
        Change.objects.filter(author__isnull=True, author_email__in=list(addresses))
        .filter(opened_at__gte=since, opened_at__lte=now)
        .order_by()
        .values_list("author_id", "author_email")
    )
    return {person_key(engineer_id, email) for engineer_id, email in engineers.union(by_address)}


# --- the replay's inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayInputs:
    """A repository's merged history, split at the replay's start, and the people who may review."""

    history: list[ReplayChange]
    changes: list[ReplayChange]
    names: dict[str, str]  # person key -> display name
    seniors: list[Senior]  # engineers at senior level active in the repository around the replay (the default)
    engineers: dict[str, Senior]  # every engineer as a possible stand-in, by person key
    aliases: dict[str, str]  # e-mail, login and username (lower case) -> person key
    bots: frozenset[str] = frozenset()  # authors who are automation accounts: never stand-in seniors


def replay_inputs(
    repository: Repository | None, *, start: datetime | None, end: datetime | None, senior_level: int
) -> ReplayInputs:
    """Merged changes up to `end` with their files and review minutes, and the engineers. Four queries (five
    with no repository).

    Review minutes are estimated from the stored size and risk score (policy.risk.estimate_review_minutes).
    The default seniors authored or reviewed a change of the repository from 90 days before `start` to `end`.
    With no repository, every repository's changes are replayed together, each path named `repository/path`
    so that files of different repositories stay apart. Each replayed change's `ref` is its primary key.
    """
    merged = Change.objects.filter(state=Change.State.MERGED)
    if repository is not None:
        merged = merged.filter(repository=repository)
    if end is not None:
        merged = merged.filter(opened_at__lte=end)
    rows = list(
        merged.order_by("opened_at", "pk").values_list(
            "pk", "opened_at", "author_id", "author_email", "author_name", "lines_added", "lines_removed", "risk_score"
        )
    )
    prefix: dict[int, str] = {}
    if repository is None:
        prefix = {pk: f"{name}/" for pk, name in merged.values_list("pk", "repository__name")}
    files: dict[int, list[FileTouch]] = defaultdict(list)
    for change_id, path, old_path, status, added in (
        ChangeFile.objects.filter(change__in=merged, is_generated=False)
        .order_by("change_id", "path")
        .values_list("change_id", "path", "old_path", "status", "lines_added")
    ):
        top = prefix.get(change_id, "")
        files[change_id].append(
            FileTouch(path=top + path, lines_added=added, status=status, old_path=top + old_path if old_path else "")
        )
    names: dict[str, str] = {}
    bots: set[str] = set()
    history: list[ReplayChange] = []
    changes: list[ReplayChange] = []
    for pk, opened_at, author_id, email, name, added, removed, risk_score in rows:
        key = person_key(author_id, email)
        names.setdefault(key, name or email)
        if author_id is None and is_bot_author(name, email):
            bots.add(key)
        touched = tuple(files.get(pk, ()))
        replay = ReplayChange(
            at=opened_at,
            author=key,
            files=touched,
            minutes=estimate_review_minutes(added + removed, len(touched), risk_score),
            ref=pk,
        )
        (history if start is not None and opened_at < start else changes).append(replay)

    engineers: dict[str, Senior] = {}
    aliases: dict[str, str] = {}
    levels: dict[str, int] = {}
    for engineer in Engineer.objects.select_related("user").order_by("pk"):
        key = person_key(engineer.pk, "")
        names[key] = engineer.display_name
        engineers[key] = Senior(
            key=key,
            name=engineer.display_name,
            capacity_minutes=engineer.weekly_capacity_minutes,
            max_open=engineer.max_open_assignments,
        )
        levels[key] = engineer.level
        for alias in (engineer.email, engineer.github_login, engineer.gitlab_username, engineer.user.username):
            if alias:
                aliases[alias.lower()] = key

    first = start or (changes[0].at if changes else None)
    window_start = first - timedelta(days=ACTIVE_DAYS) if first else None
    in_window = [c for c in history + changes if window_start is None or c.at >= window_start]
    active = {c.author for c in in_window}
    reviews = Review.objects.all() if repository is None else Review.objects.filter(change__repository=repository)
    if window_start is not None:
        reviews = reviews.filter(created_at__gte=window_start)
    if end is not None:
        reviews = reviews.filter(created_at__lte=end)
    active |= {person_key(r, "") for r in reviews.values_list("reviewer_id", flat=True).distinct()}
    seniors = [s for key, s in engineers.items() if levels[key] >= senior_level and key in active]
    return ReplayInputs(
        history=history,
        changes=changes,
        names=names,
        seniors=seniors,
        engineers=engineers,
        aliases=aliases,
        bots=frozenset(bots),
    )
