"""Reading the engine's and the replay's inputs from the database (assignment.expertise) and the simulate command."""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from assignment.expertise import assignment_candidates, person_key, replay_inputs
from assignment.picking import decay
from policy.risk import estimate_review_minutes
from reviews.models import Assignment, Change, ChangeFile, Repository, Review

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
_numbers = itertools.count(1)


def change(repository, author, at, files, *, state="merged", email="", risk=0.0, **extra) -> Change:
    """A change with its files: {path: lines} or [(path, lines, extra fields)]."""
    n = next(_numbers)
    rows = [(p, lines, {}) for p, lines in files.items()] if isinstance(files, dict) else files
    authored = [(p, lines) for p, lines, more in rows if not more.get("is_generated")]
    made = Change.objects.create(
        repository=repository,
        external_id=f"commit-{n}",
        title=f"change {n}",
        author=author,
        author_email=email or (author.email if author else ""),
        head_sha=f"{n:040x}",
        state=state,
        opened_at=at,
        merged_at=at if state == "merged" else None,
        lines_added=sum(lines for _, lines in authored),
        risk_score=risk,
        **extra,
    )
    ChangeFile.objects.bulk_create(
        [
            ChangeFile(change=made, path=p, status=more.pop("status", "modified"), lines_added=lines, **more)
            for p, lines, more in rows
        ]
    )
    return made


def review(change_, reviewer, at, seconds=600) -> Review:
    return Review.objects.create(
        change=change_,
        reviewer=reviewer,
        verdict="approve",
        head_sha=change_.head_sha,
        seconds_spent=seconds,
        created_at=at,
    )


def by_id(candidates):
    return {c.engineer_id: c for c in candidates}


@pytest.fixture
def org(db, make_engineer, repository):
    """A repository, a junior author, three seniors and an open change of the junior's to src/pay.py."""
    junior = make_engineer(4)
    seniors = [make_engineer(6), make_engineer(7), make_engineer(8)]
    return repository, junior, seniors


def test_load_is_open_estimated_minutes_and_minutes_reviewed_in_the_last_seven_and_365_days(org):
    repository, junior, (s1, s2, _) = org
    other = change(repository, junior, NOW - timedelta(days=1), {"a.py": 1}, state="open")
    another = change(repository, junior, NOW - timedelta(days=1), {"b.py": 1}, state="open")
    Assignment.objects.create(change=other, reviewer=s1, reason="x", estimated_minutes=30)
    Assignment.objects.create(change=another, reviewer=s1, reason="x", estimated_minutes=15)
    Assignment.objects.create(change=another, reviewer=s2, reason="x", estimated_minutes=99, state="done")
    review(other, s2, NOW - timedelta(days=2), seconds=610)
    review(other, s2, NOW - timedelta(days=8), seconds=6000)  # more than 7 days ago: the band's year only
    review(other, s2, NOW - timedelta(days=366), seconds=60000)  # more than a year ago: nowhere
    target = change(repository, junior, NOW, {"a.py": 3}, state="open")

    candidates = by_id(assignment_candidates(target, senior_level=6, now=NOW)[0])

    assert (candidates[s1.pk].open_minutes, candidates[s1.pk].open_count) == (45, 2)
    assert candidates[s1.pk].reviewed_minutes_7d == 0
    assert (candidates[s2.pk].open_minutes, candidates[s2.pk].open_count) == (0, 0)
    assert candidates[s2.pk].reviewed_minutes_7d == 11  # 610 seconds, rounded up
    assert (candidates[s1.pk].reviewed_minutes_balance, candidates[s2.pk].reviewed_minutes_balance) == (0, 111)
    assert candidates[s2.pk].balance_minutes == 111
    assert candidates[s1.pk].max_open == 8 and candidates[s1.pk].capacity_minutes == 240


def test_only_seniors_are_candidates_and_owners_are_marked(org):
    repository, junior, seniors = org
    target = change(repository, junior, NOW, {"a.py": 3}, state="open")

    candidates, touched = assignment_candidates(target, senior_level=7, now=NOW, owner_ids={seniors[2].pk})

    assert touched == 1
    assert [c.engineer_id for c in candidates] == [seniors[1].pk, seniors[2].pk]
    assert [c.owns_paths for c in candidates] == [False, True]


@pytest.mark.parametrize(
    ("is_away", "away_until", "away"),
    [(False, None, False), (True, None, True), (True, date(2026, 11, 25), True), (True, date(2026, 11, 19), False)],
)
def test_away_until_a_date_that_has_passed_is_back(org, is_away, away_until, away):
    repository, junior, (senior, _, _) = org
    senior.is_away, senior.away_until = is_away, away_until
    senior.save()
    target = change(repository, junior, NOW, {"a.py": 3}, state="open")

    assert by_id(assignment_candidates(target, senior_level=6, now=NOW)[0])[senior.pk].is_away is away


def test_expertise_counts_authored_and_reviewed_files_decayed_and_their_directories(org, make_engineer):
    repository, junior, (writer, reviewer, neighbour) = org
    other_repo = Repository.objects.create(name="acme/other", clone_url="/nowhere")
    written = change(repository, writer, NOW - timedelta(days=90), {"src/pay.py": 10})
    review(written, reviewer, NOW - timedelta(days=10))
    change(repository, neighbour, NOW - timedelta(days=1), {"src/other.py": 10, "src/deep/x.py": 4})
    change(other_repo, neighbour, NOW, {"src/pay.py": 10})  # another repository's history does not count
    change(repository, neighbour, NOW, [("src/pay.py", 100, {"is_generated": True})])  # nor generated files
    target = change(repository, junior, NOW, {"src/pay.py": 3, "README": 1}, state="open")

    candidates = by_id(assignment_candidates(target, senior_level=6, now=NOW)[0])

    w, r, n = candidates[writer.pk], candidates[reviewer.pk], candidates[neighbour.pk]
    # Two touched files; only pay.py is known. The writer wrote it 90 days ago (worth 1/2): (1 - e^-0.5) / 2.
    assert w.expertise == pytest.approx((1 - math.exp(-0.5)) / 2, abs=1e-5)
    assert (w.files_known, w.files_authored_recent, w.files_reviewed_recent) == (1, 1, 0)
    assert r.expertise == pytest.approx((1 - math.exp(-decay(10))) / 2, abs=1e-5)
    assert (r.files_known, r.files_authored_recent, r.files_reviewed_recent) == (1, 0, 1)
    # The neighbour changed another file of src/ yesterday: half of that, for pay.py only.
    assert n.expertise == pytest.approx(0.5 * (1 - math.exp(-decay(1))) / 2, abs=1e-5)
    assert (n.files_known, n.files_authored_recent, n.files_reviewed_recent) == (0, 0, 0)


def test_the_old_name_of_a_renamed_file_carries_its_history(org):
    repository, junior, (writer, _, _) = org
    change(repository, writer, NOW - timedelta(days=3), {"old/name.py": 10})
    target = change(
        repository, junior, NOW, [("new/name.py", 3, {"old_path": "old/name.py", "status": "renamed"})], state="open"
    )

    candidates, touched = assignment_candidates(target, senior_level=6, now=NOW)

    assert touched == 1
    assert by_id(candidates)[writer.pk].files_known == 1


def test_files_known_by_one_active_person_are_spread_to_those_who_do_not_know_them(org):
    repository, junior, (only, s2, s3) = org
    change(repository, only, NOW - timedelta(days=20), {"lib/tokens.py": 10})
    change(repository, s3, NOW - timedelta(days=200), {"lib/old.py": 10})  # s3 is not active any more
    change(repository, s2, NOW - timedelta(days=5), {"lib/shared.py": 10})
    change(repository, only, NOW - timedelta(days=5), {"lib/shared.py": 10})
    target = change(repository, junior, NOW, {"lib/tokens.py": 1, "lib/old.py": 1, "lib/shared.py": 1}, state="open")

    candidates = by_id(assignment_candidates(target, senior_level=6, now=NOW)[0])

    # tokens.py: only `only` knows it, so s2 and s3 would spread it; old.py: its one knower left (nobody active);
    # shared.py: two people know it.
    assert candidates[only.pk].spreads_files == 0
    assert candidates[s2.pk].spreads_files == 1
    assert candidates[s3.pk].spreads_files == 1


def test_a_file_the_author_alone_knows_is_spread_by_anyone(org):
    repository, junior, seniors = org
    change(repository, junior, NOW - timedelta(days=3), {"mine.py": 10})
    target = change(repository, junior, NOW, {"mine.py": 1}, state="open")

    candidates = assignment_candidates(target, senior_level=6, now=NOW)[0]

    assert [c.spreads_files for c in candidates] == [1, 1, 1]


def test_an_author_the_portal_does_not_know_is_a_person_by_e_mail(org):
    repository, junior, seniors = org
    change(repository, None, NOW - timedelta(days=3), {"ext.py": 10}, email="Someone@Elsewhere.example")
    target = change(repository, junior, NOW, {"ext.py": 1}, state="open")

    candidates = assignment_candidates(target, senior_level=6, now=NOW)[0]

    assert [c.spreads_files for c in candidates] == [1, 1, 1]
    assert person_key(None, "Someone@Elsewhere.example") == "m:someone@elsewhere.example"


def test_the_number_of_queries_does_not_grow_with_history_or_seniors(org, make_engineer, django_assert_max_num_queries):
    repository, junior, seniors = org
    target = change(repository, junior, NOW, {"src/a.py": 1, "src/b.py": 1, "lib/c.py": 1}, state="open")
    with django_assert_max_num_queries(5):
        assignment_candidates(target, senior_level=6, now=NOW)

    for n in range(6):
        senior = make_engineer(6 + n % 3)
        written = change(repository, senior, NOW - timedelta(days=n), {"src/a.py": 5, f"src/n{n}.py": 5})
        review(written, seniors[n % 3], NOW - timedelta(days=n))
        Assignment.objects.create(change=written, reviewer=senior, reason="x", estimated_minutes=10)
    with django_assert_max_num_queries(5):
        candidates, _ = assignment_candidates(target, senior_level=6, now=NOW)
    assert len(candidates) == 9


# --- the replay's inputs and the command --------------------------------------------------------------------------


def test_replay_inputs_split_history_estimate_minutes_and_find_the_active_seniors(
    org, make_engineer, django_assert_max_num_queries
):
    repository, junior, (s1, s2, s3) = org
    idle = make_engineer(7)
    early = change(repository, s1, NOW - timedelta(days=300), {"a.py": 10})
    change(repository, junior, NOW - timedelta(days=30), [("b.py", 40, {}), ("gen.lock", 900, {"is_generated": True})])
    late = change(repository, junior, NOW - timedelta(days=10), {"a.py": 20, "c.py": 30}, risk=0.5)
    change(repository, junior, NOW - timedelta(days=1), {"open.py": 1}, state="open")
    review(late, s2, NOW - timedelta(days=9))
    review(early, s3, NOW - timedelta(days=299))  # long before the replay: not active around it

    with django_assert_max_num_queries(4):
        inputs = replay_inputs(repository, start=NOW - timedelta(days=60), end=NOW, senior_level=6)

    assert [c.author for c in inputs.history] == [f"e:{s1.pk}"]
    assert [c.author for c in inputs.changes] == [f"e:{junior.pk}"] * 2
    assert [f.path for f in inputs.changes[0].files] == ["b.py"]  # generated files are left out
    assert inputs.changes[0].minutes == estimate_review_minutes(40, 1, 0.0)
    assert inputs.changes[1].minutes == estimate_review_minutes(50, 2, 0.5)
    assert [s.key for s in inputs.seniors] == [f"e:{s2.pk}"]
    assert f"e:{idle.pk}" in inputs.engineers
    assert inputs.aliases[s1.email.lower()] == f"e:{s1.pk}"


@pytest.fixture
def replayable(org):
    repository, junior, seniors = org
    for n in range(12):
        author = junior if n % 3 else seniors[n % 2]
        change(repository, author, NOW - timedelta(days=40 - n), {f"src/f{n % 4}.py": 10 + n})
        if n % 2:
            review(Change.objects.latest("pk"), seniors[2], NOW - timedelta(days=40 - n))
    return repository, junior, seniors


def test_the_command_prints_every_strategy_as_json(replayable, capsys):
    repository, _, _ = replayable

    call_command("simulate_assignment", "--repo", repository.name, "--strategy", "all", "--json")

    rows = json.loads(capsys.readouterr().out)
    assert [r["strategy"] for r in rows] == ["balanced", "round_robin", "load_balance", "expertise", "random"]
    assert all(r["changes"] == 12 for r in rows)
    assert set(rows[0]) == {
        "strategy",
        "changes",
        "expertise",
        "workload_gini",
        "max_share",
        "files_at_risk",
        "senior_hours",
        "p90_queue_hours",
    }


def test_the_command_with_one_strategy_a_period_and_stand_in_seniors(replayable, capsys):
    repository, _, _ = replayable

    call_command(
        "simulate_assignment",
        "--repo",
        repository.name,
        "--from",
        (NOW - timedelta(days=35)).date().isoformat(),
        "--to",
        (NOW - timedelta(days=30)).date().isoformat(),
        "--seniors",
        "top:2",
        "--strategy",
        "round_robin",
        "--json",
    )

    row = json.loads(capsys.readouterr().out)
    assert row["strategy"] == "round_robin" and row["changes"] == 6


def test_the_command_reads_seniors_from_a_file_and_prints_a_table(replayable, tmp_path, capsys):
    repository, junior, seniors = replayable
    listing = tmp_path / "seniors.txt"
    listing.write_text(f"# the reviewers\n{seniors[0].email}\n{seniors[1].user.username}  # by username\n")

    call_command("simulate_assignment", "--repo", repository.name, "--seniors-file", str(listing))

    out = capsys.readouterr().out
    assert f"seniors: {seniors[0].display_name}, {seniors[1].display_name}" in out
    assert "workload_gini" in out and "load_balance" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "nope/nope"], "no repository"),
        (["--seniors", "top:x"], "top:K"),
        (["--seniors", "top:1"], "top:K"),
        (["--from", "2026-13-01"], "not a date"),
        (["--from", "2026-11-10", "--to", "2026-11-01"], "before"),
        (["--from", "2030-01-01"], "no merged changes"),
    ],
)
def test_the_command_refuses_bad_arguments(replayable, args, message):
    repository, _, _ = replayable
    if "--repo" not in args:
        args = ["--repo", repository.name, *args]

    with pytest.raises(CommandError, match=message):
        call_command("simulate_assignment", *args)


def test_the_command_refuses_an_unknown_senior_in_the_file(replayable, tmp_path):
    repository, _, _ = replayable
    listing = tmp_path / "seniors.txt"
    listing.write_text("nobody-by-that-name\n")

    with pytest.raises(CommandError, match="nobody called"):
        call_command("simulate_assignment", "--repo", repository.name, "--seniors-file", str(listing))


def test_stand_in_seniors_are_never_bots(replayable, capsys):
    # As aio-libs/aiohttp: --seniors top:4 named dependabot[bot] among the four reviewers.
    repository, _, _ = replayable
    for n in range(20):
        change(
            repository,
            None,
            NOW - timedelta(days=39 - n / 2),
            {"requirements/lint.txt": 2},
            email="49699333+dependabot[bot]@users.noreply.github.com",
            author_name="dependabot[bot]",
        )

    call_command("simulate_assignment", "--repo", repository.name, "--seniors", "top:2", "--strategy", "round_robin")

    seniors = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("seniors:"))
    assert "dependabot" not in seniors
    assert replay_inputs(repository, start=None, end=None, senior_level=6).bots == {
        person_key(None, "49699333+dependabot[bot]@users.noreply.github.com")
    }
