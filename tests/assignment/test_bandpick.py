"""Picking for a batch of changes (assignment.bandpick, assignment.knowledge): the same picks as the single path."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from assignment.bandpick import ChangeKnowledge, PersonWork, knowing_candidate, pick_in_batch, seniors_prepare
from assignment.expertise import assignment_candidates
from assignment.knowledge import batch_picks, changes_knowledge
from assignment.picking import Candidate, Rule, pick_reviewer
from reviews.models import Assignment, Repository
from tests.assignment.test_expertise import NOW, change, review


def _world(seed: int) -> tuple[list[Candidate], ChangeKnowledge]:
    """Seniors with loads that often tie, and a change whose files some of them and some others know."""
    rng = random.Random(seed)
    seniors = [
        Candidate(
            engineer_id=n,
            name=f"s{n}",
            level=rng.choice([5, 6, 7]),
            is_away=rng.random() < 0.1,
            capacity_minutes=rng.choice([0, 120, 240, 240]),
            open_minutes=rng.choice([0, 0, 20, 40]),
            reviewed_minutes_7d=rng.choice([0, 0, 30, 300]),
            reviewed_minutes_balance=rng.choice([0, 10, 25, 60, 200]),
            open_count=rng.choice([0, 1, 8]),
            max_open=rng.choice([None, 8]),
        )
        for n in range(1, 41)
    ]
    paths = tuple(sorted(rng.sample(["a/x.py", "a/y.py", "b/z.py", "top.py", "b/c/w.py"], rng.randint(1, 4))))
    people = [f"e:{n}" for n in rng.sample(range(1, 41), 8)] + ["m:someone@example.com", "e:99"]
    work = {}
    for person in rng.sample(people, 6):
        known = rng.sample(paths, rng.randint(0, len(paths)))
        work[person] = PersonWork(
            files={p: rng.choice([0.2, 0.7, 1.5]) for p in known},
            directories={p.rpartition("/")[0]: rng.choice([0.0, 0.5, 2.0]) for p in paths if "/" in p},
            files_reviewed_recent=rng.randint(0, len(known)),
        )
    knowers = {p: {k for k, w in work.items() if p in w.files and rng.random() < 0.8} for p in paths}
    author = rng.choice(people)
    return seniors, ChangeKnowledge(paths=paths, work=work, active_knowers=knowers, author=author)


@pytest.mark.parametrize("seed", range(300))
@pytest.mark.parametrize("rule", [Rule(), Rule(band_minutes=0), Rule(band_minutes=100, spread=False)])
def test_the_batch_pick_is_pick_reviewer_on_every_senior_scored(seed, rule):
    seniors, knowledge = _world(seed)
    rng = random.Random(-seed)
    author_id, exclude = rng.choice([None, 1, 2, 3]), frozenset(rng.sample(range(1, 41), rng.randint(0, 5)))
    owners = frozenset(rng.sample(range(1, 41), 6)) if seed % 3 == 0 else frozenset()
    keys = {c.engineer_id: f"e:{c.engineer_id}" for c in seniors}
    scored = [replace(knowing_candidate(c, keys[c.engineer_id], knowledge), owns_paths=c.engineer_id in owners)
              for c in seniors]  # fmt: skip

    expected = pick_reviewer(
        scored,
        author_id=author_id,
        exclude_ids=exclude,
        owner_required=bool(owners),
        touched_files=len(knowledge.paths),
        rule=rule,
        owner_label="a/**" if owners else "",
    )
    got = pick_in_batch(
        seniors_prepare(seniors, senior_level=6, keys=keys),
        knowledge,
        author_id=author_id,
        exclude_ids=exclude,
        owner_ids=owners,
        owner_required=bool(owners),
        rule=rule,
        owner_label="a/**" if owners else "",
    )

    assert got == expected


@pytest.fixture
def world(db, make_engineer, repository):
    """Eight seniors (one away, one back from away, one the author of a change), a year of history, open changes."""
    juniors = [make_engineer(4), make_engineer(5)]
    seniors = [make_engineer(6 + n % 3, weekly_capacity_minutes=240 + 60 * (n % 2)) for n in range(8)]
    seniors[0].is_away = True
    seniors[0].save()
    seniors[1].is_away, seniors[1].away_until = True, date(2026, 11, 1)  # the date has passed: back
    seniors[1].save()
    other_repo = Repository.objects.create(name="acme/other", clone_url="/nowhere")
    rng = random.Random(7)
    files = ["src/pay.py", "src/cart.py", "src/deep/tax.py", "web/view.py", "web/form.py", "README"]
    people = juniors + seniors
    for n in range(60):
        author = rng.choice(people)
        at = NOW - timedelta(days=rng.randint(1, 400))
        touched = {p: rng.randint(1, 40) for p in rng.sample(files, rng.randint(1, 3))}
        email = "ghost@example.com" if n % 11 == 0 else ""
        made = change(repository if n % 9 else other_repo, None if email else author, at, touched, email=email)
        for reviewer in rng.sample(seniors, rng.randint(0, 2)):
            review(made, reviewer, at + timedelta(hours=5), seconds=rng.randint(60, 3600))
    targets = [
        change(repository, juniors[0], NOW, {"src/pay.py": 3, "web/view.py": 2}, state="open"),
        change(repository, seniors[3], NOW, {"src/deep/tax.py": 10}, state="open"),  # a senior's own change
        change(repository, juniors[1], NOW, {"new/file.py": 1}, state="open"),  # nobody knows it
        change(
            repository,
            juniors[1],
            NOW,
            [("web/form2.py", 5, {"status": "renamed", "old_path": "web/form.py"})],
            state="open",
        ),  # fmt: skip
        change(other_repo, juniors[0], NOW, {"src/cart.py": 2, "README": 1}, state="open"),
    ]
    review(targets[0], seniors[4], NOW - timedelta(hours=1))  # a verdict on the change itself does not count
    Assignment.objects.create(change=targets[2], reviewer=seniors[5], reason="x", estimated_minutes=45)
    Assignment.objects.create(change=targets[4], reviewer=seniors[6], reason="x", estimated_minutes=20)
    return seniors, targets


def test_batch_picks_are_the_single_paths_picks_on_a_realistic_organisation(world):
    seniors, targets = world
    owners = {targets[0].pk: {seniors[2].pk, seniors[7].pk}}
    exclude = {targets[1].pk: {seniors[4].pk}, targets[4].pk: {seniors[2].pk}}

    expected = {}
    for target in targets:
        candidates, touched = assignment_candidates(
            target, senior_level=6, now=NOW, owner_ids=owners.get(target.pk, ())
        )
        expected[target.pk] = pick_reviewer(
            candidates,
            author_id=target.author_id,
            exclude_ids=frozenset(exclude.get(target.pk, ())),
            owner_required=target.pk in owners,
            touched_files=touched,
        )
    got = batch_picks(targets, senior_level=6, now=NOW, exclude=exclude, owners=owners)
    alone = {t.pk: batch_picks([t], senior_level=6, now=NOW, exclude=exclude, owners=owners)[t.pk] for t in targets}

    assert got == expected == alone
    assert {p.engineer_id for p in got.values() if p} - {seniors[0].pk} == {p.engineer_id for p in got.values() if p}
    assert len({p.reasons for p in got.values() if p}) > 1


def test_a_batch_reads_in_queries_that_grow_neither_with_its_changes_nor_with_the_seniors(
    world, make_engineer, django_assert_num_queries
):
    seniors, targets = world
    with django_assert_num_queries(5):
        batch_picks(targets[:1], senior_level=6, now=NOW)
    for n in range(20):
        make_engineer(6 + n % 3)
    with django_assert_num_queries(5):
        batch_picks(targets, senior_level=6, now=NOW)
    with django_assert_num_queries(4):
        changes_knowledge(targets, now=NOW)
