"""Who worked on a batch of changes' files, read from the history rollups (reviews.models.knowledge). Two queries.

The rollups sum each person's merged changes and verdicts per (repository, path) and per (repository,
directory), with the decayed weight stored separable (KNOWLEDGE_EPOCH), so that a batch reads a row per person
and key instead of every row of the history. What they cannot say alone is read with the batch's own rows:
a change's own merge and verdicts are taken out of the sums (a change never counts its own history), and a
person's latest event of another change says whether they worked on a file in the last RECENT_DAYS. When the
rollups hold an event after `now` (a reading of the past), they cannot answer: the caller scans the history.
The result is that of the scan in assignment.knowledge (tests/assignment/test_rollup.py), except that the
directory work of engineers below `senior_level` is left out: only seniors are scored on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from assignment.expertise import person_key
from assignment.picking import HALF_LIFE_DAYS, RECENT_DAYS, directory_of
from reviews.models import Change, PathKnowledge, Review

EPOCH = datetime.fromisoformat(PathKnowledge.EPOCH)
HALF_LIFE_SECONDS = 86400.0 * HALF_LIFE_DAYS

# Recency and "after now" are answered in SQL: no timestamp crosses to Python. Of the engineers whose work is
# not wanted, only who knows a path matters: reviews_pathknowers holds them, one row per path.
_ROWS_SQL = """
SELECT k.repository_id, k.path, k.kind, k.engineer_id, k.email, k.events, k.weight, k.last_change_id,
       k.last_at >= %(recent)s, k.other_last_at >= %(recent)s, k.last_at > %(now)s, NULL, NULL
FROM unnest(%(path_repositories)s::bigint[], %(paths)s::text[]) AS u(r, p)
JOIN reviews_pathknowledge k ON k.repository_id = u.r AND k.path = u.p
WHERE k.engineer_id IS NULL OR {wanted}
UNION ALL
SELECT k.repository_id, k.path, 'k', NULL, NULL, NULL, NULL, NULL, NULL, NULL, k.last_at > %(now)s, k.knowers,
       k.events
FROM unnest(%(path_repositories)s::bigint[], %(paths)s::text[]) AS u(r, p)
JOIN reviews_pathknowers k ON k.repository_id = u.r AND k.path = u.p
UNION ALL
SELECT d.repository_id, d.directory, 'd', d.engineer_id, d.email, d.events, d.weight, NULL, NULL, NULL,
       d.last_at > %(now)s, NULL, NULL
FROM unnest(%(directory_repositories)s::bigint[], %(directories)s::text[]) AS u(r, p)
CROSS JOIN LATERAL (
  SELECT * FROM reviews_directoryknowledge d
  WHERE d.repository_id = u.r AND d.directory = u.p AND (d.engineer_id IS NULL OR {people})
  OFFSET 0  -- a probe of the (repository, directory) index per key, whatever the planner guesses of the keys
) d
"""
_SENIORS = "d.engineer_id IN (SELECT id FROM reviews_engineer WHERE level >= %(senior_level)s)"
_PEOPLE = "d.engineer_id = ANY(%(people)s::bigint[])"


@dataclass
class Work:
    """One person's decayed work on a change's touched files and their directories."""

    files: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    directories: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    authored_recent: set[str] = field(default_factory=set)
    reviewed_recent: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OwnFile:
    """A non-generated file of a batch change, with what the change's merge wrote into the rollups."""

    change_id: int
    repository_id: int
    path: str
    state: str
    merged_at: datetime | None
    author_id: int | None
    author_email: str


Found = dict[int, tuple[dict[str, Work], dict[str, set[str]]]]  # change id -> (person key -> work, path -> knowers)


def stored_weight(at: datetime) -> float:
    """The rollups' unit of one event at `at` (the SQL's power(2, epoch seconds / half-life))."""
    return 2.0 ** ((at - EPOCH).total_seconds() / HALF_LIFE_SECONDS)


def rollup_work(
    changes: Sequence[Change],
    touched_of: Mapping[int, Mapping[str, str]],
    own_files: Iterable[OwnFile],
    *,
    now: datetime,
    senior_level: int,
    people: Collection[int] | None = None,
) -> tuple[Found, dict[str, set[str]]] | None:
    """Each change's people and their work, and the e-mails of people known by address; None when the rollups
    hold events after `now`. Work is read for the engineers in `people` only (every senior and person known
    by address when None); who knows each file, for everyone. Two queries: the verdicts on the batch's
    changes, and the rollups' rows."""
    ids = [c.pk for c in changes]
    # (change, rollup key) -> [events, weight] of the change's own merge and verdicts
    own: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    files_of: dict[int, list[OwnFile]] = defaultdict(list)
    for f in own_files:
        files_of[f.change_id].append(f)
        if f.state == Change.State.MERGED and f.merged_at is not None:
            email = f.author_email if f.author_id is None else ""
            _add_own(own, f, "a", f.author_id, email, f.merged_at)
    for change_id, reviewer_id, at in Review.objects.filter(change_id__in=ids, created_at__lte=now).values_list(
        "change_id", "reviewer_id", "created_at"
    ):
        for f in files_of.get(change_id, ()):
            _add_own(own, f, "r", reviewer_id, "", at)

    path_keys = {(c.repository_id, p) for c in changes for p in touched_of[c.pk]}
    directory_keys = {(c.repository_id, directory_of(p)) for c in changes for p in touched_of[c.pk].values()}
    directory_keys = {k for k in directory_keys if k[1]}
    wanted = None if people is None else set(people)
    with connection.cursor() as cursor:
        cursor.execute(
            _ROWS_SQL.format(
                people=_SENIORS if wanted is None else _PEOPLE,
                wanted="TRUE" if wanted is None else "k.engineer_id = ANY(%(people)s::bigint[])",
            ),
            {
                "path_repositories": [r for r, _ in path_keys],
                "paths": [p for _, p in path_keys],
                "directory_repositories": [r for r, _ in directory_keys],
                "directories": [d for _, d in directory_keys],
                "recent": now - timedelta(days=RECENT_DAYS),
                "now": now,
                "senior_level": senior_level,
                "people": sorted(wanted or ()),
            },
        )
        rows = cursor.fetchall()
    if any(row[10] for row in rows):
        return None

    by_key: dict[tuple[int, str, bool], list[tuple]] = defaultdict(list)
    emails: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_key[row[0], row[1], row[2] == "d"].append(row)
        if row[3] is None and row[2] in ("a", "d"):
            emails[person_key(None, row[4])].add(row[4])

    # (change, path) -> person key -> events of the change's own, for the engineers of the "k" rows
    own_people: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (change_id, _, path, kind, engineer_id, _), (events, _) in own.items():
        if kind != "d" and engineer_id is not None:
            own_people[change_id, path][person_key(engineer_id, "")] += events
    factor = 0.5 ** ((now - EPOCH).total_seconds() / HALF_LIFE_SECONDS)
    found: Found = {}
    for change in changes:
        touched = touched_of[change.pk]
        work: dict[str, Work] = defaultdict(Work)
        knowers: dict[str, set[str]] = defaultdict(set)
        for path, new_path in touched.items():
            for row in by_key.get((change.repository_id, path, False), ()):
                kind, engineer_id, email, events, weight, last_change, is_recent, other_recent = row[2:10]
                if kind == "k":  # who else knows the path
                    knowers[new_path].update(_still_knowing(row[11], row[12], own_people.get((change.pk, path), {})))
                    continue
                mine_own = own.get((change.pk, change.repository_id, path, kind, engineer_id, email))
                if mine_own is not None:
                    events -= mine_own[0]
                    weight -= mine_own[1]
                    if last_change == change.pk:
                        is_recent = other_recent
                if events <= 0:
                    continue
                key = person_key(engineer_id, email)
                knowers[new_path].add(key)
                if wanted is not None and engineer_id not in wanted:
                    continue
                mine = work[key]
                mine.files[new_path] += weight * factor
                if is_recent:
                    (mine.authored_recent if kind == "a" else mine.reviewed_recent).add(new_path)
        for directory in {directory_of(p) for p in touched.values()} - {""}:
            for _, _, _, engineer_id, email, events, weight, *_ in by_key.get(
                (change.repository_id, directory, True), ()
            ):
                if wanted is not None and engineer_id not in wanted:
                    continue
                mine_own = own.get((change.pk, change.repository_id, directory, "d", engineer_id, email))
                if mine_own is not None:
                    events -= mine_own[0]
                    weight -= mine_own[1]
                if events <= 0:
                    continue
                work[person_key(engineer_id, email)].directories[directory] += weight * factor
        found[change.pk] = (work, knowers)
    return found, emails


def _still_knowing(keys: str, counts: str, own: Mapping[str, int]) -> Iterable[str]:
    """The person keys of a "k" row, less those whose every event there is the change's own."""
    known = keys.split()
    if not own:
        return known
    # Only the change's own people may drop out: look their counts up rather than walk every knower.
    mine = [i for i, k in enumerate(known) if k in own]
    if not mine:
        return known
    events = counts.split()
    dropped = {known[i] for i in mine if int(events[i]) <= own[known[i]]}
    return [k for k in known if k not in dropped] if dropped else known


def _add_own(own: dict[tuple, list], f: OwnFile, kind: str, engineer_id: int | None, email: str, at: datetime) -> None:
    """One event of a change's own history, on its file and on the file's directory."""
    weight = stored_weight(at)
    for key in (
        (f.change_id, f.repository_id, f.path, kind, engineer_id, email),
        (f.change_id, f.repository_id, directory_of(f.path), "d", engineer_id, email),
    ):
        entry = own[key]
        entry[0] += 1
        entry[1] += weight
