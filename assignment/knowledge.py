"""The assignment engine's inputs for a batch of changes, in a fixed number of queries (reads only).

The seniors' load is one query of plain rows, whatever the batch; the history of the batch's files is four:
the touched files, the verdicts on the batch's changes and the rollups' rows of the files and their
directories (assignment.rollup; no change counts its own history), and who of the people found is active.
Without the rollups (not PostgreSQL, or a reading of the past) the history is scanned (`_scan_work`).
The picks are those of assignment_candidates with pick_reviewer (tests/assignment/test_bandpick.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Case, F, IntegerField, Value, When

from assignment.bandpick import ChangeKnowledge, PersonWork, Seniors, load_band, pick_in_batch, seniors_prepare
from assignment.expertise import _grouped, _path_filter, active_people, person_key
from assignment.picking import RECENT_DAYS, Candidate, Pick, directory_of
from assignment.rollup import Found, OwnFile, Work, rollup_work
from assignment.selectors import seniors_with_load
from reviews.models import Change, ChangeFile, Review


def senior_candidates(*, senior_level: int, now: datetime) -> list[Candidate]:
    """Every senior as a candidate with their load and no knowledge yet, from plain rows. One query."""
    rows = seniors_with_load(senior_level=senior_level, now=now).values_list(
        "pk",
        "display_name",
        "level",
        "is_away",
        "away_until",
        "weekly_capacity_minutes",
        "open_minutes",
        "open_count",
        "reviewed_seconds_7d",
        "reviewed_seconds_balance",
        "max_open_assignments",
    )
    today = now.date()
    seniors = []
    for pk, name, level, is_away, until, capacity, open_minutes, open_count, seconds_7d, balance, max_open in rows:
        seniors.append(
            Candidate(
                engineer_id=pk,
                name=name,
                level=level,
                # Away while the flag is set, unless the date they said they would be back has passed.
                is_away=is_away and not (until and until < today),
                capacity_minutes=capacity,
                open_minutes=open_minutes,
                reviewed_minutes_7d=math.ceil(seconds_7d / 60),
                reviewed_minutes_balance=math.ceil(balance / 60),
                open_count=open_count,
                max_open=max_open,
            )
        )
    return seniors


def seniors_read(*, senior_level: int, now: datetime) -> Seniors:
    """The seniors, prepared for picking among them for a batch of changes. One query."""
    candidates = senior_candidates(senior_level=senior_level, now=now)
    keys = {c.engineer_id: person_key(c.engineer_id, "") for c in candidates}
    return seniors_prepare(candidates, senior_level=senior_level, keys=keys)


def changes_knowledge(
    changes: Sequence[Change],
    *,
    now: datetime,
    senior_level: int | None = None,
    people: Collection[int] | None = None,
) -> dict[int, ChangeKnowledge]:
    """What the history says of each change's files, by change id. Four queries, whatever the batch.

    Read from the rollups (assignment.rollup) on PostgreSQL; scanned from the history elsewhere, or when the
    rollups hold events after `now` (then seven: the scan, and who is active probed for the people whose latest
    activity is after `now`). Work is read for the engineers in `people` (the seniors a pick may choose), or
    every person when None (directory work then for engineers from `senior_level` up); who
    knows each file, for everyone.
    """
    ids = [c.pk for c in changes]
    touched_of: dict[int, dict[str, str]] = {pk: {} for pk in ids}  # path in history -> path of the change
    own_files: list[OwnFile] = []
    for row in ChangeFile.objects.filter(change_id__in=ids, is_generated=False).values_list(
        "change_id",
        "path",
        "old_path",
        "change__repository_id",
        "change__state",
        "change__merged_at",
        "change__author_id",
        "change__author_email",
    ):
        change_id, path, old_path = row[:3]
        own_files.append(OwnFile(change_id, row[3], path, *row[4:]))
        touched = touched_of[change_id]
        touched[path] = path
        if old_path:
            touched.setdefault(old_path, path)
    read = None
    if connection.vendor == "postgresql":
        level = settings.PORTAL_SENIOR_LEVEL if senior_level is None else senior_level
        read = rollup_work(changes, touched_of, own_files, now=now, senior_level=level, people=people)
    found, emails = read if read is not None else _scan_work(changes, touched_of, now)
    keys = None if people is None else {person_key(pk, "") for pk in people}

    people = {k for _, knowers in found.values() for ks in knowers.values() for k in ks}
    active = _active(people, emails, now)
    out = {}
    for change in changes:
        work, knowers = found[change.pk]
        paths = tuple(sorted(set(touched_of[change.pk].values())))
        author = person_key(change.author_id, change.author_email)
        out[change.pk] = ChangeKnowledge(
            paths=paths,
            work={
                key: PersonWork(
                    files=dict(w.files),
                    directories=dict(w.directories),
                    files_reviewed_recent=len(w.reviewed_recent),
                    files_authored_recent=len(w.authored_recent),
                )
                for key, w in work.items()
                if keys is None or key in keys
            },
            active_knowers={p: {k for k in knowers.get(p, ()) if k in active or k == author} for p in paths},
            author=author,
        )
    return out


def _scan_work(
    changes: Sequence[Change], touched_of: Mapping[int, Mapping[str, str]], now: datetime
) -> tuple[Found, dict[str, set[str]]]:
    """Each change's people and their work, scanned from every merged change and verdict on the files and
    their directories (each row keyed by the batch change it belongs to, if any). Two queries."""
    ids = [c.pk for c in changes]
    every_path = set().union(*touched_of.values()) if touched_of else set()
    every_directory = {directory_of(p) for t in touched_of.values() for p in t.values()} - {""}
    recent = now - timedelta(days=RECENT_DAYS)
    own = Case(When(change_id__in=ids, then=F("change_id")), default=Value(None), output_field=IntegerField())
    authored: list[dict] = []
    reviewed: list[dict] = []
    if every_path:
        repositories = {c.repository_id for c in changes}
        merged = ChangeFile.objects.filter(
            _path_filter("path", every_path, every_directory),
            is_generated=False,
            change__repository_id__in=repositories,
            change__state=Change.State.MERGED,
            change__merged_at__lte=now,
        ).annotate(own=own)
        keys = ["change__repository_id", "change__author_id", "change__author_email", "path", "own"]
        authored = _grouped(merged, keys, "change__merged_at", now, recent)
        verdicts = Review.objects.filter(
            _path_filter("change__files__path", every_path, every_directory),
            change__repository_id__in=repositories,
            change__files__is_generated=False,
            created_at__lte=now,
        ).annotate(own=own)
        keys = ["change__repository_id", "reviewer_id", "change__files__path", "own"]
        reviewed = _grouped(verdicts, keys, "created_at", now, recent)

    # (repository, path) and (repository, directory) -> rows: (person key, path, weight, recent, own, authored)
    by_path: dict[tuple, list[tuple]] = defaultdict(list)
    by_directory: dict[tuple, list[tuple]] = defaultdict(list)
    emails: dict[str, set[str]] = defaultdict(set)
    for row in authored:
        key = person_key(row["change__author_id"], row["change__author_email"])
        if row["change__author_id"] is None:
            emails[key].add(row["change__author_email"])
        item = (key, row["path"], row["weight"], row["recent"], row["own"], True)
        by_path[row["change__repository_id"], row["path"]].append(item)
        by_directory[row["change__repository_id"], directory_of(row["path"])].append(item)
    for row in reviewed:
        path = row["change__files__path"]
        item = (person_key(row["reviewer_id"], ""), path, row["weight"], row["recent"], row["own"], False)
        by_path[row["change__repository_id"], path].append(item)
        by_directory[row["change__repository_id"], directory_of(path)].append(item)

    found: Found = {}
    for change in changes:
        touched = touched_of[change.pk]
        directories = {directory_of(p) for p in touched.values()} - {""}
        work: dict[str, Work] = defaultdict(Work)
        knowers: dict[str, set[str]] = defaultdict(set)
        rows = [r for p in touched for r in by_path.get((change.repository_id, p), ())]
        rows += [r for d in directories for r in by_directory.get((change.repository_id, d), ()) if r[1] not in touched]
        for key, path, weight, is_recent, own_change, is_authored in rows:
            if own_change == change.pk:
                continue
            mine = work[key]
            if path in touched:
                mine.files[touched[path]] += weight
                knowers[touched[path]].add(key)
                if is_recent:
                    (mine.authored_recent if is_authored else mine.reviewed_recent).add(touched[path])
            directory = directory_of(path)
            if directory in directories:
                mine.directories[directory] += weight
        found[change.pk] = (work, knowers)
    return found, emails


def _active(people: set[str], emails: Mapping[str, set[str]], now: datetime) -> set[str]:
    """Which of `people` authored or reviewed anything in the last 90 days. One query, none without people."""
    return active_people(people, [e for k in people for e in emails.get(k, ())], now)


def batch_picks(
    changes: Sequence[Change],
    *,
    senior_level: int,
    now: datetime,
    exclude: Mapping[int, Collection[int]] | None = None,
    owners: Mapping[int, Collection[int]] | None = None,
) -> dict[int, Pick | None]:
    """The senior the picker prefers for each change, by change id, without writing. Five queries (more for a
    reading of the past: changes_knowledge).

    `exclude` and `owners` by change id; a change with owners needs one of them (as `owner_required`).
    """
    seniors = seniors_read(senior_level=senior_level, now=now)
    asks = {}
    for change in changes:
        needed = (owners or {}).get(change.pk) or ()
        asks[change.pk] = {
            "author_id": change.author_id,
            "exclude_ids": (exclude or {}).get(change.pk, ()),
            "owner_ids": needed,
            "owner_required": bool(needed),
        }
    # Whatever the history says, each pick is among its load band: the work of those seniors alone is read.
    bands = {pk: load_band(seniors, **ask) for pk, ask in asks.items()}
    people = {c.engineer_id for band in bands.values() for c in band}
    knowledge = changes_knowledge(changes, now=now, senior_level=senior_level, people=people)
    return {
        change.pk: pick_in_batch(seniors, knowledge[change.pk], band=bands[change.pk], **asks[change.pk])
        for change in changes
    }
