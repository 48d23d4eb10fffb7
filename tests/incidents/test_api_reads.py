"""API reads: incidents (list with filters, detail with links and suspects), weekly reports and their exports,
dashboard figures as JSON, and a JSON 404 for any other address under /api/v1/."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import WeeklyReport
from reviews.services.accounts import api_token_create
from tests.incidents.report_data import WEEK, make_incident, seed_week


@pytest.fixture
def week(db, repository, make_engineer):
    return seed_week(repository, make_engineer)


@pytest.fixture
def people(make_engineer):
    staff = make_engineer(5, username="stella")
    staff.user.is_staff = True
    staff.user.save()
    return {
        "engineer": make_engineer(5, username="eve"),
        "manager": make_engineer(6, username="rosa", is_manager=True),
        "reviewer": make_engineer(6, username="ines", is_incident_reviewer=True),
        "staff": staff,
    }


def token(engineer, *scopes: str) -> dict[str, str]:
    _, key = api_token_create(user=engineer.user, actor=engineer.user, name="t", scopes=list(scopes or ["read"]))
    return {"Authorization": f"Token {key}"}


@pytest.fixture
def report(week, people) -> WeeklyReport:
    draft = services.weekly_report_draft(week=WEEK, actor=people["reviewer"].user, queue_build=False)
    return services.weekly_report_build(report_id=draft.pk)


def test_incident_list_filters_and_paginates(client, week, people):
    headers = token(people["engineer"])
    body = client.get("/api/v1/incidents/", headers=headers).json()
    assert [i["title"] for i in body["results"]] == [
        "Search is slow",
        "Checkout charges the wrong tax",
        "Last week's outage",
    ]
    sev1 = client.get("/api/v1/incidents/?severity=SEV1&service=checkout-api", headers=headers).json()["results"]
    assert [(i["id"], i["services"]) for i in sev1] == [(week.incident.pk, ["checkout-api"])]
    since = client.get("/api/v1/incidents/?started_after=2026-11-16T00:00:00Z&limit=1", headers=headers).json()
    assert len(since["results"]) == 1 and since["next"]
    assert client.get(since["next"], headers=headers).json()["results"][0]["title"] == "Checkout charges the wrong tax"


@pytest.mark.parametrize("query", ["severity=SEV9", "status=gone", "started_after=yesterday", "limit=abc"])
def test_incident_list_refuses_bad_filters_with_a_message(client, week, people, query):
    response = client.get(f"/api/v1/incidents/?{query}", headers=token(people["engineer"]))
    assert response.status_code in (200, 400)  # limit is clamped by DRF, the others refused
    if response.status_code == 400:
        assert response.json()["message"].startswith("Invalid input")


def test_incident_detail_has_links_and_suspects_and_an_etag(client, week, people):
    headers = token(people["engineer"])
    response = client.get(f"/api/v1/incidents/{week.incident.pk}/", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["links"] == [
        {
            "change": {
                "id": week.change.pk,
                "repository": week.change.repository.name,
                "sha": week.change.head_sha,
                "title": "Rewrite tax rounding",
                "ai_assisted": True,
                "merged_at": "2026-11-12T09:00:00+00:00",
            },
            "state": "confirmed",
            "reason": "the rounding it rewrote",
            "decided_by": None,
            "updated_at": body["links"][0]["updated_at"],
        }
    ]
    assert isinstance(body["suspects"], list) and body["services"] == ["checkout-api"]
    again = client.get(f"/api/v1/incidents/{week.incident.pk}/", headers={**headers, "If-None-Match": response["ETag"]})
    assert again.status_code == 304
    missing = client.get("/api/v1/incidents/999999/", headers=headers)
    assert missing.status_code == 404 and missing.json()["message"]


def test_an_incidents_post_still_needs_an_incident_reviewer_and_the_scope(client, week, people):
    body = {"title": "Down", "severity": "SEV2", "started_at": "2026-11-20T10:00:00Z"}
    refused = client.post(
        "/api/v1/incidents/", body, content_type="application/json", headers=token(people["reviewer"])
    )
    assert refused.status_code == 403
    created = client.post(
        "/api/v1/incidents/", body, content_type="application/json", headers=token(people["reviewer"], "incidents")
    )
    assert created.status_code == 201


@pytest.mark.parametrize(("role", "status"), [("engineer", 403), ("manager", 200), ("reviewer", 200), ("staff", 200)])
def test_weekly_reports_by_role(client, report, people, role, status):
    headers = token(people[role])
    for url in (
        "/api/v1/weekly-reports/",
        f"/api/v1/weekly-reports/{report.pk}/",
        f"/api/v1/weekly-reports/{report.pk}/markdown/",
    ):
        assert client.get(url, headers=headers).status_code == status, url


def test_weekly_report_list_detail_markdown_and_etag(client, report, people):
    headers = token(people["manager"])
    listed = client.get(f"/api/v1/weekly-reports/?week={WEEK}", headers=headers).json()["results"]
    assert [(r["id"], r["status"], r["revision"]) for r in listed] == [(report.pk, "draft", 1)]
    assert client.get("/api/v1/weekly-reports/?week=2026-47", headers=headers).status_code == 400
    detail = client.get(f"/api/v1/weekly-reports/{report.pk}/", headers=headers)
    assert detail.json()["snapshot"]["week"] == WEEK
    assert (
        client.get(detail.request["PATH_INFO"], headers={**headers, "If-None-Match": detail["ETag"]}).status_code == 304
    )
    markdown = client.get(
        f"/api/v1/weekly-reports/{report.pk}/markdown/", headers={**headers, "Accept": "text/markdown"}
    )
    assert markdown.status_code == 200 and markdown["Content-Type"].startswith("text/markdown")
    assert markdown.content.decode().startswith(f"# Weekly operations report {WEEK}")
    assert "Checkout charges the wrong tax" in markdown.content.decode()


def test_weekly_report_pdf(client, report, people):
    response = client.get(f"/api/v1/weekly-reports/{report.pk}/pdf/", headers=token(people["staff"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_an_unbuilt_report_is_a_409_and_an_unknown_one_a_404(client, week, people):
    draft = services.weekly_report_draft(week=WEEK, actor=people["reviewer"].user, queue_build=False)
    headers = token(people["reviewer"])
    for fmt in ("markdown", "pdf"):
        response = client.get(f"/api/v1/weekly-reports/{draft.pk}/{fmt}/", headers=headers)
        assert response.status_code == 409 and response.json()["message"] == "The report is not built yet."
        assert client.get(f"/api/v1/weekly-reports/99999/{fmt}/", headers=headers).status_code == 404
    # Asking for the file's own type does not turn an error into a file: it stays JSON, as the schema says.
    for fmt, accept in (("markdown", "text/markdown"), ("pdf", "application/pdf")):
        missing = client.get(f"/api/v1/weekly-reports/99999/{fmt}/", headers={**headers, "Accept": accept})
        assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
        assert missing.json()["message"] == "No such report."


@pytest.mark.parametrize("section", ["pipeline", "seniors", "quality", "knowledge"])
def test_dashboard_figures_as_json_for_managers(client, week, people, section):
    response = client.get(
        f"/api/v1/dashboards/{section}/?start=2026-11-01&end=2026-11-30", headers=token(people["manager"])
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["section"] == section and body["scope"]["start_date"] == "2026-11-01" and body["figures"]


@pytest.mark.parametrize(
    ("role", "section", "status"),
    [
        ("engineer", "pipeline", 403),
        ("reviewer", "pipeline", 403),
        ("reviewer", "quality", 200),
        ("staff", "seniors", 200),
    ],
)
def test_dashboard_roles(client, week, people, role, section, status):
    assert client.get(f"/api/v1/dashboards/{section}/", headers=token(people[role])).status_code == status


@pytest.mark.parametrize("query", ["start=nope", "start=2026-11-10&end=2026-11-01", "team=no-such-team"])
def test_dashboard_bad_scope_is_a_400_with_the_field(client, week, people, query):
    response = client.get(f"/api/v1/dashboards/pipeline/?{query}", headers=token(people["manager"]))
    assert response.status_code == 400 and response.json()["errors"]


def test_unknown_dashboard_and_unknown_api_paths_are_json_404s(client, people):
    headers = token(people["manager"])
    for method, url in [
        ("get", "/api/v1/dashboards/nope/"),
        ("get", "/api/v1/nope/"),
        ("post", "/api/v1/incidents/abc/"),
        ("delete", "/api/v1/v2/changes/"),
        ("get", "/api/v1"),
    ]:
        response = getattr(client, method)(url, headers=headers)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json" and response.json()["message"], url
    hint = client.get("/api/v1/changes", headers=headers).json()["message"]
    assert "/api/v1/changes/" in hint


def test_anonymous_callers_are_refused(client, week):
    for url in ("/api/v1/incidents/", "/api/v1/weekly-reports/", "/api/v1/dashboards/pipeline/"):
        assert client.get(url).status_code in (401, 403)


def test_list_queries_do_not_grow_with_the_rows(client, week, people, django_assert_max_num_queries):
    headers = token(people["manager"])
    client.get("/api/v1/incidents/", headers=headers)  # token's last use written once
    with django_assert_max_num_queries(6) as few:
        client.get("/api/v1/incidents/", headers=headers)
    for n in range(6):
        make_incident(f"Extra {n}", hours=n).services.add(week.service)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/incidents/", headers=headers).json()["results"]) == 9
