"""The queue's sections, filters and actions: hand back, claim, away, re-routing what waited too long."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from assignment.services.queue import reroute_stale
from reviews.models import Assignment, AuditEvent, Change, Repository


def make_change(repository, author, **fields) -> Change:
    values = {
        "repository": repository,
        "external_id": f"branch:{Change.objects.count() + 1}",
        "title": "A change",
        "author": author,
        "head_sha": "c" * 40,
        "diff_sha": "c" * 40,
        "diff_state": "done",
        "state": "open",
        "review_state": "needs_sign_off",
        "required_sign_offs": 1,
        "review_minutes": 20,
        "opened_at": timezone.now(),
    }
    values.update(fields)
    return Change.objects.create(**values)


@pytest.fixture
def org(db, make_engineer, repository):
    author = make_engineer(4)
    first = make_engineer(6, weekly_capacity_minutes=600)
    second = make_engineer(7)
    return repository, author, first, second


def assign(change, reviewer, **extra) -> Assignment:
    return Assignment.objects.create(
        change=change, reviewer=reviewer, reason="least load", estimated_minutes=20, **extra
    )


def test_queue_sections_and_htmx_fragment(client, org):
    repository, author, senior, _ = org
    mine = make_change(repository, author, title="Mine to review")
    theirs = make_change(repository, author, title="Their turn", review_state="changes_requested")
    assign(mine, senior, due_at=timezone.now() - timedelta(hours=2))
    assign(theirs, senior)
    client.force_login(senior.user)

    page = client.get("/queue/").content.decode()
    fragment = client.get("/queue/", HTTP_HX_REQUEST="true").content.decode()

    assert "Mine to review" in page and "overdue by" in page
    assert "Waiting for the author" in page and "Their turn" in page
    assert 'id="queue-table"' in fragment and "<html" not in fragment and "Their turn" not in fragment


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"small", "risky", "ai"}),
        ("?risk=high", {"risky"}),
        ("?ai=yes", {"ai"}),
        ("?ai=no", {"small", "risky"}),
        ("?repo=acme/shop", {"small", "risky", "ai"}),
        ("?repo=other/repo", set()),
        ("?risk=bogus&sort=nonsense&page=abc", {"small", "risky", "ai"}),
    ],
)
def test_queue_filters_come_from_the_url(client, org, query, expected):
    repository, author, senior, _ = org
    Repository.objects.create(name="other/repo", clone_url="/tmp/x")
    for title, risk, ai in (("small", 0.1, False), ("risky", 0.8, False), ("ai", 0.2, True)):
        assign(make_change(repository, author, title=title, risk_score=risk, ai_assisted=ai), senior)
    client.force_login(senior.user)

    response = client.get("/queue/" + query, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    shown = {t for t in ("small", "risky", "ai") if f">{t}</a>" in response.content.decode()}
    assert shown == expected


def test_queue_sorts_by_risk(client, org):
    repository, author, senior, _ = org
    for title, risk in (("low one", 0.1), ("high one", 0.9)):
        assign(make_change(repository, author, title=title, risk_score=risk), senior)
    client.force_login(senior.user)

    body = client.get("/?sort=risk", HTTP_HX_REQUEST="true").content.decode()

    assert body.index("high one") < body.index("low one")


def test_queue_pages_and_keeps_filters_in_page_links(client, org):
    repository, author, senior, _ = org
    for n in range(30):
        assign(make_change(repository, author, title=f"change {n}", ai_assisted=True), senior)
    client.force_login(senior.user)

    body = client.get("/?ai=yes").content.decode()

    assert "page 1 of 2" in body and "ai=yes&page=2" in body


def test_hand_back_re_routes_to_another_senior_with_the_reason(client, org):
    repository, author, first, second = org
    change = make_change(repository, author)
    assignment = assign(change, first)
    client.force_login(first.user)

    response = client.post(f"/assignments/{assignment.pk}/hand-back/", {"reason": "I wrote the code it replaces"})

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.state == "handed_back" and assignment.handback_reason == "I wrote the code it replaces"
    new = change.assignments.get(state="active")
    assert new.reviewer == second and new.reason.startswith("re-routed:")
    assert AuditEvent.objects.filter(action="assignment.handed_back").exists()


def test_only_the_assignee_may_hand_back(client, org):
    repository, author, first, second = org
    assignment = assign(make_change(repository, author), first)
    client.force_login(second.user)

    assert client.post(f"/assignments/{assignment.pk}/hand-back/", {"reason": "not mine"}).status_code == 403
    assert Assignment.objects.get(pk=assignment.pk).state == "active"


def test_hand_back_needs_a_reason(client, org):
    repository, author, first, _ = org
    assignment = assign(make_change(repository, author), first)
    client.force_login(first.user)

    client.post(f"/assignments/{assignment.pk}/hand-back/", {"reason": "no"})

    assert Assignment.objects.get(pk=assignment.pk).state == "active"


def test_going_away_re_routes_my_queue_and_coming_back_does_not(client, org):
    repository, author, first, second = org
    for _ in range(2):
        assign(make_change(repository, author), first)
    client.force_login(first.user)

    client.post("/me/away/", {"away": "yes"})

    first.refresh_from_db()
    assert first.is_away
    assert not Assignment.objects.filter(reviewer=first, state="active").exists()
    assert Assignment.objects.filter(reviewer=second, state="active").count() == 2

    client.post("/me/away/", {"away": "no"})
    first.refresh_from_db()
    assert not first.is_away


def test_claim_moves_a_change_into_my_queue(client, org):
    repository, author, first, second = org
    change = make_change(repository, author)
    assign(change, first)
    client.force_login(second.user)

    client.post(f"/changes/{change.pk}/claim/")

    assert change.assignments.get(state="active").reviewer == second
    assert change.assignments.get(reviewer=first).state == "cancelled"


@pytest.mark.parametrize("who", ["author", "junior"])
def test_claim_is_refused_to_the_author_and_juniors(client, org, make_engineer, who):
    repository, author, first, _ = org
    change = make_change(repository, author)
    user = author if who == "author" else make_engineer(5)
    client.force_login(user.user)

    assert client.post(f"/changes/{change.pk}/claim/").status_code == 403


def test_stale_assignments_are_re_routed_with_the_reason(org):
    repository, author, first, second = org
    change = make_change(repository, author)
    assign(change, first, due_at=timezone.now() + timedelta(hours=1))

    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        moved = reroute_stale()

    assert moved == 1
    new = change.assignments.get(state="active")
    assert new.reviewer == second and "deadline" in new.reason


def test_team_queue_is_for_the_team_seniors(client, org, make_engineer):
    repository, author, first, _ = org
    assign(make_change(repository, author, title="Team work"), first)
    client.force_login(first.user)

    assert "Team work" in client.get("/team/").content.decode()
    client.force_login(author.user)
    assert client.get("/team/").status_code == 403
