import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from insights.services import knowledge_snapshot_build
from reviews.models import ChangeFile, Repository, Service, Team
from tests.insights.builders import W47, W48, change, confirm, refresh, verdict

H = timedelta(hours=1)
PERIOD = {"start": "2026-11-16", "end": "2026-11-23"}
DASHBOARDS = ["insights:dashboard", "insights:seniors", "insights:quality", "insights:knowledge"]


@pytest.fixture
def people(db, team, make_engineer, django_user_model):
    other = Team.objects.create(name="Other", slug="other")
    staff = django_user_model.objects.create_user(username="staff", password="x", is_staff=True)
    return {
        "manager": make_engineer(7, is_manager=True),
        "other_manager": make_engineer(7, is_manager=True, team=other),
        "incident_reviewer": make_engineer(6, is_incident_reviewer=True),
        "senior": make_engineer(6),
        "author": make_engineer(4),
        "staff": staff,
        "team": team,
        "other": other,
    }


def _user(people, role):
    person = people[role]
    return person if role == "staff" else person.user


def _history(repo, people, n: int) -> None:
    """n deployed changes, each reviewed twice, every third one a confirmed cause, with files."""
    Service.objects.get_or_create(
        name="core", defaults={"repository": repo, "path_prefixes": ["src/"], "team": people["team"]}
    )
    for i in range(n):
        c = change(
            repo,
            author=people["author"],
            opened=W47 + H,
            merged=W47 + 5 * H,
            deployed=W47 + 6 * H,
            ai=i % 2 == 0,
            lines=10 + 60 * i,
            review_minutes=30,
            requires_owner=i % 4 == 0,
            owner_paths=[f"src/f{i}.py"] if i % 4 == 0 else [],
        )
        ChangeFile.objects.create(change=c, path=f"src/f{i}.py", status="added", lines_added=5)
        verdict(c, people["senior"], W47 + 2 * H, verdict="request_changes", head_sha="b" * 40)
        verdict(c, people["senior"], W47 + 4 * H, rubber_stamp=i % 3 == 0)
        if i % 3 == 0:
            confirm(c, W47 + 7 * H)
    change(repo, author=people["author"], opened=W47 + 2 * H)  # still in the queue
    knowledge_snapshot_build(as_of=W48, sole=True)
    refresh()


@pytest.fixture
def repo(db):
    return Repository.objects.create(name="acme/shop", clone_url="/nowhere")


ROLES = {
    # role: (pipeline, seniors, quality, knowledge)
    "manager": (200, 200, 200, 200),
    "staff": (200, 200, 200, 200),
    "incident_reviewer": (403, 403, 200, 403),
    "senior": (403, 403, 403, 403),
    "author": (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_dashboards(client, people, role):
    client.force_login(_user(people, role))
    got = tuple(client.get(reverse(name), PERIOD).status_code for name in DASHBOARDS)
    assert got == ROLES[role]


def test_anonymous_users_are_sent_to_log_in(client, db):
    for name in DASHBOARDS + ["insights:change-list", "insights:sole-list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "metric", "status"),
    [
        ("incident_reviewer", "failed", 200),
        ("incident_reviewer", "missing_sign_off", 200),
        ("incident_reviewer", "inflow", 403),
        ("senior", "failed", 403),
        ("author", "inflow", 403),
        ("manager", "inflow", 200),
        ("staff", "queued", 200),
    ],
)
def test_change_lists_follow_the_dashboards_permissions(client, people, role, metric, status):
    client.force_login(_user(people, role))
    assert client.get(reverse("insights:change-list"), {**PERIOD, "metric": metric}).status_code == status


def test_only_managers_see_the_sole_knowledge_list_and_may_rebuild(client, people):
    client.force_login(people["incident_reviewer"].user)
    assert client.get(reverse("insights:sole-list")).status_code == 403
    assert client.post(reverse("insights:knowledge-rebuild")).status_code == 403
    client.force_login(people["manager"].user)
    assert client.get(reverse("insights:sole-list")).status_code == 200


def test_dashboards_and_a_rebuild_still_answer_while_the_broker_is_down(
    client, people, monkeypatch, django_capture_on_commit_callbacks
):
    from insights import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.refresh_facts, "delay", down)
    monkeypatch.setattr(tasks.rebuild_knowledge, "delay", down)
    client.force_login(people["manager"].user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client.get(reverse("insights:dashboard")).status_code == 200  # stale facts: a refresh is asked for
        assert client.post(reverse("insights:knowledge-rebuild")).status_code == 302
    assert len(callbacks) == 2


def test_a_manager_asks_for_a_knowledge_snapshot(client, people, django_capture_on_commit_callbacks):
    client.force_login(people["manager"].user)
    page = client.get(reverse("insights:knowledge")).content.decode()
    assert "No knowledge snapshot yet" in page and "Take a snapshot now" in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("insights:knowledge-rebuild"))
    assert response.status_code == 302 and response["Location"] == reverse("insights:knowledge")
    assert len(callbacks) == 1


def test_per_person_load_is_for_the_team_own_manager_and_staff(client, people, repo):
    _history(repo, people, 2)
    url = reverse("insights:seniors")
    own = {**PERIOD, "team": people["team"].slug}
    client.force_login(people["manager"].user)
    assert "Per senior" not in client.get(url, PERIOD).content.decode()
    page = client.get(url, own).content.decode()
    assert "Per senior" in page and people["senior"].display_name in page
    client.force_login(people["other_manager"].user)
    assert "Per senior" not in client.get(url, own).content.decode()
    reviewer_list = {**own, "metric": "reviewed", "reviewer": people["senior"].pk}
    assert client.get(reverse("insights:change-list"), reviewer_list).status_code == 403
    client.force_login(people["manager"].user)
    assert client.get(reverse("insights:change-list"), reviewer_list).status_code == 200
    client.force_login(people["staff"])
    assert "Per senior" in client.get(url, PERIOD).content.decode()


@pytest.mark.parametrize("name", DASHBOARDS)
def test_htmx_gets_the_partial_and_a_plain_request_the_page(client, people, repo, name):
    _history(repo, people, 3)
    client.force_login(people["manager"].user)
    full = client.get(reverse(name), PERIOD).content.decode()
    assert "<html" in full and 'id="dashboard-body"' in full
    part = client.get(reverse(name), PERIOD, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and part.lstrip().startswith('<div id="dashboard-body">')
    boosted = client.get(reverse(name), PERIOD, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" in boosted


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-13-01"}, "Enter a valid date"),
        ({"start": "2026-11-20", "end": "2026-11-10"}, "The start must be before the end."),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "at most 366 days"),
        ({"team": "no-such-team"}, "Select a valid choice"),
        ({"repository": "abc"}, "Select a valid choice"),
        ({"format": "xml"}, "Unknown format"),
    ],
)
def test_bad_filters_are_refused_with_a_message(client, people, params, message):
    client.force_login(people["manager"].user)
    for name in ("insights:dashboard", "insights:quality"):
        response = client.get(reverse(name), params)
        assert response.status_code == 400
        assert message in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"metric": "nonsense"},
        {"metric": "failed", "ai": "maybe"},
        {"metric": "failed", "bucket": "huge"},
        {"metric": "failed", "reviewer": "x"},
        {},
    ],
)
def test_bad_drill_down_parameters_are_refused(client, people, params):
    client.force_login(people["manager"].user)
    assert client.get(reverse("insights:change-list"), params).status_code == 400


def test_csv_of_an_unknown_table_is_refused(client, people):
    client.force_login(people["manager"].user)
    response = client.get(reverse("insights:dashboard"), {"format": "csv", "table": "nope"})
    assert response.status_code == 400 and b"Unknown table" in response.content


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("name", "table", "first"),
    [
        ("insights:dashboard", "weeks", "period"),
        ("insights:dashboard", "chart_flow", "label"),
        ("insights:seniors", "teams", "team"),
        ("insights:quality", "cfr", "changes"),
        ("insights:quality", "trend", "week"),
        ("insights:knowledge", "repositories", "repository"),
    ],
)
def test_every_table_exports_as_csv_with_a_safe_filename(client, people, repo, name, table, first):
    _history(repo, people, 3)
    client.force_login(people["manager"].user)
    response = client.get(reverse(name), {**PERIOD, "team": people["team"].slug, "format": "csv", "table": table})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="countersign-') and disposition.endswith('.csv"')
    filename = disposition.split('"')[1]
    assert all(ch.isalnum() or ch in "-._" for ch in filename)
    rows = _csv(response)
    assert rows[0][0] == first and len(rows) > 1


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, people, repo):
    for title in ('=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "plain"):
        change(repo, author=people["author"], opened=W47 + H, merged=W47 + 2 * H, ai=True, needs=1, title=title)
    refresh()
    client.force_login(people["manager"].user)
    response = client.get(reverse("insights:change-list"), {**PERIOD, "metric": "missing_sign_off", "format": "csv"})
    titles = {row[1] for row in _csv(response)[1:]}
    assert titles == {'\'=HYPERLINK("http://x")', "'+1+2", "'-2+3", "'@SUM(A1)", "plain"}
    response = client.get(reverse("insights:quality"), {**PERIOD, "format": "csv", "table": "missing"})
    assert "'@SUM(A1)" in {row[1] for row in _csv(response)[1:]}


def test_change_list_is_paginated(client, people, repo):
    _history(repo, people, 55)
    client.force_login(people["manager"].user)
    page1 = client.get(reverse("insights:change-list"), {**PERIOD, "metric": "deployed"}).content.decode()
    assert "55 changes" in page1 and "page 1 of 2" in page1
    page2 = client.get(reverse("insights:change-list"), {**PERIOD, "metric": "deployed", "page": 2})
    assert page2.status_code == 200 and "page 2 of 2" in page2.content.decode()


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("insights:dashboard", {}),
    ("insights:seniors", {}),
    ("insights:quality", {}),
    ("insights:knowledge", {}),
    ("insights:change-list", {"metric": "failed"}),
    ("insights:change-list", {"metric": "non_owner"}),
    ("insights:change-list", {"metric": "signed_off"}),
    ("insights:sole-list", {}),
]


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_query_count_does_not_grow_with_the_data(client, people, repo, name, extra, django_assert_max_num_queries):
    client.force_login(people["staff"])
    url, params = reverse(name), {**PERIOD, **extra}
    _history(repo, people, 4)
    small = _queries(client, url, params)
    _history(repo, people, 40)
    with django_assert_max_num_queries(small):
        client.get(url, params)
    assert small <= 20
