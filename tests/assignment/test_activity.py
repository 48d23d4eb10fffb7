"""Each person's latest activity (reviews_personactivity, kept by PostgreSQL triggers): equal to rebuilding it from
the changes and verdicts, whatever writes, moves or deletes them; and "active lately" read through it equal to
probing the history, readings of the past included."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection

from assignment.expertise import _active_probed, active_people, person_key
from reviews.models import Change, PersonActivity, Review
from tests.assignment.test_expertise import NOW, change, review


def _kept() -> set[tuple]:
    return set(PersonActivity.objects.values_list("engineer_id", "email", "last_at"))


def activity_matches_rebuild() -> None:
    """The rows the triggers kept are those a rebuild from scratch writes."""
    kept = _kept()
    with connection.cursor() as cursor:
        cursor.execute("SELECT countersign_activity_rebuild()")
    assert _kept() == kept


def test_the_rollup_follows_changes_and_verdicts_written_moved_and_deleted(db, make_engineer, repository):
    author, other, s1, s2 = make_engineer(4), make_engineer(4), make_engineer(6), make_engineer(7)
    first = change(repository, author, NOW - timedelta(days=100), {"a.py": 1})
    second = change(repository, author, NOW - timedelta(days=10), {"b.py": 1}, state="open")
    outside = change(repository, None, NOW - timedelta(days=5), {"c.py": 1}, email="Someone@Example.com")
    made = [review(first, s1, NOW - timedelta(days=99)), review(second, s2, NOW - timedelta(days=2))]
    activity_matches_rebuild()
    assert PersonActivity.objects.get(engineer_id=author.pk).last_at == second.opened_at

    Change.objects.filter(pk=second.pk).update(state="merged", merged_at=NOW)  # merged: nothing to recompute
    Change.objects.filter(pk=second.pk).update(author=other)  # reassigned to another author
    Change.objects.filter(pk=outside.pk).update(opened_at=NOW - timedelta(days=50))
    Review.objects.filter(pk=made[1].pk).update(reviewer=s1, created_at=NOW - timedelta(days=1))
    activity_matches_rebuild()
    assert PersonActivity.objects.get(engineer_id=author.pk).last_at == first.opened_at

    Review.objects.filter(pk=made[0].pk).delete()
    Change.objects.filter(pk=outside.pk).update(author=s2)  # the address is known now: an engineer's change
    activity_matches_rebuild()
    assert not PersonActivity.objects.filter(engineer_id__isnull=True).exists()
    Review.objects.filter(change=second).delete()
    Change.objects.filter(pk=second.pk).delete()
    activity_matches_rebuild()
    assert not PersonActivity.objects.filter(engineer_id=other.pk).exists()


def test_active_people_equals_probing_the_history_now_and_in_the_past(
    db, make_engineer, repository, django_assert_num_queries
):
    people = [make_engineer(5) for _ in range(6)]
    target = change(repository, people[0], NOW - timedelta(days=200), {"a.py": 1})
    change(repository, people[1], NOW - timedelta(days=30), {"b.py": 1})
    change(repository, people[2], NOW + timedelta(days=10), {"c.py": 1})  # later than the readings below
    change(repository, None, NOW - timedelta(days=80), {"d.py": 1}, email="old@example.com")
    change(repository, None, NOW + timedelta(days=3), {"e.py": 1}, email="New@Example.com")
    review(target, people[3], NOW - timedelta(days=89))
    review(target, people[4], NOW - timedelta(days=120))
    review(target, people[2], NOW - timedelta(days=60))
    keys = {person_key(p.pk, "") for p in people} | {"m:old@example.com", "m:new@example.com"}
    addresses = ["old@example.com", "New@Example.com"]
    for now in [NOW + timedelta(days=20), NOW, NOW - timedelta(days=45), NOW - timedelta(days=150)]:
        assert active_people(keys, addresses, now) == _active_probed(keys, addresses, now), now
    with django_assert_num_queries(1):  # nobody's latest activity is after the reading: the rollup alone
        assert active_people(keys, addresses, NOW + timedelta(days=20))
