"""The history rollups (assignment.rollup, kept by triggers) read what a scan of the history reads."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection

from assignment.knowledge import _scan_work, changes_knowledge
from assignment.rollup import rollup_work
from reviews.models import Change, ChangeFile, DirectoryKnowledge, PathKnowers, PathKnowledge, Repository, Review
from tests.assignment.test_expertise import NOW, change, review

SENIOR = 6


@pytest.fixture
def history(db, make_engineer, repository):
    """Three repositories sharing path names, renames and deletions, e-mail authors, history older than the
    recent window, and a batch that holds a merged change and changes with verdicts of their own."""
    people = [make_engineer(4), make_engineer(5)] + [make_engineer(6 + n % 3) for n in range(6)]
    repositories = [
        repository,
        Repository.objects.create(name="acme/other", clone_url="/nowhere"),
        Repository.objects.create(name="acme/third", clone_url="/nowhere"),
    ]
    rng = random.Random(11)
    files = ["src/pay.py", "src/cart.py", "src/deep/tax.py", "web/view.py", "web/form.py", "README", "gen/api.py"]
    made = []
    for n in range(90):
        at = NOW - timedelta(days=rng.randint(1, 500), hours=rng.randint(0, 23))
        rows = []
        for path in rng.sample(files, rng.randint(1, 3)):
            more = {}
            if path == "gen/api.py":
                more = {"is_generated": True}
            elif rng.random() < 0.1:
                more = {"status": "renamed", "old_path": path.replace(".py", "_old.py")}
            elif rng.random() < 0.1:
                more = {"status": "deleted"}
            rows.append((path, rng.randint(1, 40), more))
        email = rng.choice(["ghost@example.com", "Ghost@example.com"]) if n % 13 == 0 else ""
        author = None if email else rng.choice(people)
        state = "merged" if n % 7 else rng.choice(["open", "closed"])
        done = change(rng.choice(repositories), author, at, rows, state=state, email=email)
        for reviewer in rng.sample(people[2:], rng.randint(0, 3)):
            review(done, reviewer, at + timedelta(hours=rng.randint(1, 30)))
        made.append(done)
    merged = next(c for c in made if c.state == "merged" and c.repository == repository)
    batch = [
        change(repository, people[0], NOW, {"src/pay.py": 3, "web/view.py": 2}, state="open"),
        change(
            repository,
            people[3],
            NOW,
            [("src/tax2.py", 5, {"status": "renamed", "old_path": "src/deep/tax.py"})],
            state="open",
        ),  # fmt: skip
        change(repositories[1], people[1], NOW, {"src/cart.py": 2, "README": 1, "new/file.py": 1}, state="open"),
        merged,  # its own merge and verdicts do not count
    ]
    for target in batch[:2]:
        review(target, people[4], NOW - timedelta(hours=2))
        review(target, people[4], NOW - timedelta(hours=1))
    return people, batch


def _normalised(found, seniors: set[str], only: set[str] | None = None):
    """Weights rounded, and directory work kept for seniors and e-mail people only (what the rollup reads);
    with `only`, the work of those people alone."""
    out = {}
    for change_id, (work, knowers) in found.items():
        people = {}
        for key, w in work.items():
            if only is not None and key not in only:
                continue
            directories = {d: round(v, 9) for d, v in w.directories.items()}
            if not (key in seniors or key.startswith("m:")):
                directories = {}
            if not w.files and not directories:
                continue
            people[key] = (
                {p: round(v, 9) for p, v in w.files.items()},
                directories,
                sorted(w.authored_recent),
                sorted(w.reviewed_recent),
            )
        out[change_id] = (people, {p: sorted(k) for p, k in knowers.items() if k})
    return out


def _both(batch, now, people=None):
    touched_of = {}
    own = []
    for c in batch:
        touched = {}
        for f in ChangeFile.objects.filter(change=c, is_generated=False):
            touched[f.path] = f.path
            if f.old_path:
                touched.setdefault(f.old_path, f.path)
        touched_of[c.pk] = touched
    from assignment.rollup import OwnFile

    for f in ChangeFile.objects.filter(change__in=batch, is_generated=False).select_related("change"):
        c = f.change
        own.append(OwnFile(c.pk, c.repository_id, f.path, c.state, c.merged_at, c.author_id, c.author_email))
    read = rollup_work(batch, touched_of, own, now=now, senior_level=SENIOR, people=people)
    return read, _scan_work(batch, touched_of, now)


def _seniors(people):
    return {f"e:{p.pk}" for p in people if p.level >= SENIOR}


def test_the_rollup_reads_what_the_scan_of_the_history_reads(history):
    people, batch = history
    read, scanned = _both(batch, NOW)

    assert read is not None
    assert _normalised(read[0], _seniors(people)) == _normalised(scanned[0], _seniors(people))
    assert {k: v for k, v in read[1].items() if v} == {k: v for k, v in scanned[1].items() if v}
    assert any(w.directories for work, _ in read[0].values() for w in work.values())
    assert any(w.reviewed_recent for work, _ in read[0].values() for w in work.values())


def test_the_work_of_some_seniors_alone_and_who_knows_each_file(history):
    people, batch = history
    some = [p.pk for p in people[3:6]]
    read, scanned = _both(batch, NOW, people=some)
    only = {f"e:{pk}" for pk in some}

    assert _normalised(read[0], _seniors(people), only) == _normalised(scanned[0], _seniors(people), only)
    assert {k for work, _ in read[0].values() for k in work} <= only
    assert any(len(knowers) > 1 for _, found in read[0].items() for knowers in found[1].values())


def test_the_rollup_follows_merges_new_files_deleted_verdicts_and_moves(history):
    people, batch = history
    opened = Change.objects.filter(state="open").exclude(pk__in=[c.pk for c in batch]).first()
    Change.objects.filter(pk=opened.pk).update(state="merged", merged_at=NOW - timedelta(days=3))
    ChangeFile.objects.create(change=batch[3], path="web/new.py", status="added", lines_added=4)
    Review.objects.filter(pk__in=Review.objects.order_by("pk").values("pk")[:10]).delete()
    Change.objects.filter(pk=batch[3].pk).update(author=people[5])
    moved = Change.objects.filter(state="merged").exclude(pk=batch[3].pk).last()
    Change.objects.filter(pk=moved.pk).update(repository=batch[0].repository)
    ChangeFile.objects.filter(change_id=opened.pk).update(is_generated=True)
    batch = [Change.objects.get(pk=c.pk) for c in batch]

    read, scanned = _both(batch, NOW)

    assert _normalised(read[0], _seniors(people)) == _normalised(scanned[0], _seniors(people))


def _rows(model, *fields):
    return sorted(model.objects.values_list(*fields), key=str)


def test_a_rebuild_writes_what_the_triggers_kept(history):
    kept = _rows(PathKnowledge, "repository_id", "path", "kind", "engineer_id", "email", "events", "last_at")
    directories = _rows(DirectoryKnowledge, "repository_id", "directory", "engineer_id", "email", "events")
    knowers = _rows(PathKnowers, "repository_id", "path", "knowers", "events", "last_at")
    with connection.cursor() as cursor:
        cursor.execute("SELECT countersign_knowledge_rebuild()")

    assert kept
    assert kept == _rows(PathKnowledge, "repository_id", "path", "kind", "engineer_id", "email", "events", "last_at")
    assert directories == _rows(DirectoryKnowledge, "repository_id", "directory", "engineer_id", "email", "events")
    assert knowers == _rows(PathKnowers, "repository_id", "path", "knowers", "events", "last_at")


def test_a_reading_of_the_past_scans_the_history(history, django_assert_num_queries):
    people, batch = history
    past = NOW - timedelta(days=30)

    read, _ = _both(batch, past)
    # the rollups' rows, then the scan's two, and the activity of those whose latest is after the reading
    with django_assert_num_queries(7):
        knowledge = changes_knowledge(batch, now=past)

    assert read is None
    assert knowledge[batch[0].pk].paths == ("src/pay.py", "web/view.py")


def test_the_history_is_read_in_four_queries_whatever_the_batch(history, django_assert_num_queries):
    people, batch = history
    with django_assert_num_queries(4):
        changes_knowledge(batch[:1], now=NOW)
    with django_assert_num_queries(4):
        changes_knowledge(batch, now=NOW)
