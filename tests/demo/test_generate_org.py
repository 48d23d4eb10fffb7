"""generate_org: a consistent, deterministic organisation written in bulk, never over real data; and the pages a
benchmark opens answer in the same number of queries at two sizes."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo.generate.org import BENCH_SENIOR, ORG_ADMIN
from insights.models import ChangeFact, DayFigure, ReviewFact
from insights.services.facts import facts_refresh
from reviews.models import Assignment, Change, Review
from tests.assignment.test_activity import activity_matches_rebuild
from tests.assignment.test_reviewer_week import rollups_match_reviews

pytestmark = pytest.mark.django_db(transaction=True)  # the ledger is read back on a connection of its own
SMALL = ["--engineers", "60", "--seniors", "12", "--repositories", "3", "--incidents", "12", "--until", "2026-06-01"]
CHANGE_FACT = [
    "change_id", "repository_id", "team_id", "opened_at", "merged_at", "deployed_at", "is_closed", "needs_sign_off",
    "approvals_needed", "ai_assisted", "ai_undeclared", "lines", "bucket", "review_minutes", "first_review_at",
    "first_approval_at", "approvals_before_merge", "rounds", "failed",
]  # fmt: skip
REVIEW_FACT = [
    "review_id", "change_id", "repository_id", "team_id", "reviewer_id", "created_at", "verdict", "seconds_spent",
    "estimated_minutes", "rubber_stamp", "time_unknown", "dismissed", "owner_required", "by_non_owner",
]  # fmt: skip
DAY_FIGURE = [f.attname for f in DayFigure._meta.concrete_fields if f.attname != "id"]


def generate(changes: int, *extra: str, seed: int = 3) -> str:
    out = io.StringIO()
    call_command("generate_org", "--changes", str(changes), "--seed", str(seed), *SMALL, *extra, stdout=out)
    return out.getvalue()


def digest() -> str:
    """A fingerprint of the generated history (everything but the moment it was written)."""
    rows = [
        list(Change.objects.order_by("pk").values_list("pk", "title", "head_sha", "state", "opened_at", "merged_at")),
        list(Review.objects.order_by("pk").values_list("pk", "change_id", "reviewer_id", "verdict", "created_at")),
        list(Assignment.objects.order_by("pk").values_list("pk", "change_id", "reviewer_id", "state")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_written_facts_are_what_the_rollup_computes_and_the_ledger_verifies():
    generate(1500)
    assert Change.objects.count() == 1500
    assert Change.objects.filter(state="open").exists() and Change.objects.filter(state="merged").exists()
    assert Review.objects.exists() and Assignment.objects.filter(state="active").exists()
    written = {r[0]: r[1:] for r in ChangeFact.objects.values_list(*CHANGE_FACT)}
    reviews = {r[0]: r[1:] for r in ReviewFact.objects.values_list(*REVIEW_FACT)}
    assert any(fact[-1] for fact in written.values()), "confirmed incident causes are marked failed"
    figures = sorted(DayFigure.objects.values_list(*DAY_FIGURE))
    assert figures, "the dashboards' day figures are written with the facts"

    rollups_match_reviews()  # the load's rollups, written by a bulk load without the trigger that keeps them
    activity_matches_rebuild()
    facts_refresh(full=True)

    assert sorted(DayFigure.objects.values_list(*DAY_FIGURE)) == figures

    assert {r[0]: r[1:] for r in ChangeFact.objects.values_list(*CHANGE_FACT)} == written
    assert {r[0]: r[1:] for r in ReviewFact.objects.values_list(*REVIEW_FACT)} == reviews
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert "ledger intact" in out.getvalue()
    # New rows after the generated ones get fresh ids (the sequences were moved past them).
    assert Review.objects.order_by("-pk").first().pk == Review.objects.count()


def test_the_same_seed_gives_the_same_organisation_and_another_seed_another():
    generate(400)
    first = digest()
    generate(400, "--replace")
    assert digest() == first
    generate(400, "--replace", seed=4)
    assert digest() != first


def test_refuses_a_database_with_real_data_unless_told():
    get_user_model().objects.create_user("someone-real")
    with pytest.raises(CommandError, match="already holds"):
        generate(100)
    assert Change.objects.count() == 0
    generate(100, "--replace")
    assert Change.objects.count() == 100
    assert not get_user_model().objects.filter(username="someone-real").exists()
    with pytest.raises(CommandError, match="already holds a generated organisation"):
        generate(100)


@pytest.mark.parametrize("bad", [["--changes", "5"], ["--changes", "100", "--seniors", "70", "--engineers", "60"]])
def test_rejects_impossible_sizes(bad):
    with pytest.raises(CommandError):
        call_command("generate_org", *bad, "--until", "2026-06-01", stdout=io.StringIO())


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_pages_answer_in_the_same_number_of_queries_at_two_sizes(client, settings):
    settings.PORTAL_SSL_REDIRECT = False
    counts = []
    for size in (1500, 4000):
        generate(size, "--replace")
        users = get_user_model().objects
        senior = users.get(username=BENCH_SENIOR).engineer
        waiting = Assignment.objects.filter(reviewer=senior, state="active", change__review_state="needs_sign_off")
        assert 1 <= waiting.count() <= 25  # the benchmark's senior has a queue at both sizes (25 at 10,000+)
        client.force_login(users.get(username=BENCH_SENIOR))
        showcase = {c.external_id: c.pk for c in Change.objects.filter(external_id__startswith="bench-")}
        queue = _queries(client, "/queue/")
        pages = [_queries(client, f"/changes/{showcase[key]}/") for key in ("bench-300", "bench-5000")]
        client.force_login(users.get(username=ORG_ADMIN))
        dashboards = [_queries(client, f"/dashboards/{p}?start=2026-03-01&end=2026-06-01") for p in ("", "quality/")]
        counts.append((queue, *pages, *dashboards))
    # Pages and dashboards: the same count at both sizes. The queue: Django skips a section's prefetch query when the
    # section is empty (e.g. nothing recently signed off in the smaller organisation), so it may be one lower there,
    # never higher at the larger size.
    assert counts[0][1:] == counts[1][1:]
    assert counts[1][0] - 1 <= counts[0][0] <= counts[1][0]
    assert Change.objects.get(external_id="bench-300").lines_changed == 300
    assert Change.objects.get(external_id="bench-5000").lines_changed == 5000
