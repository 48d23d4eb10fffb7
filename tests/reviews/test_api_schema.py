"""The OpenAPI schema is valid without warnings, documents every API view, and its page renders under our CSP."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.test_browser import log_in


def test_the_schema_is_valid_without_warnings(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    assert '"openapi": "3.1.0"' in out.getvalue()


def test_every_operation_has_responses_and_every_write_an_example(client, make_engineer):
    client.force_login(make_engineer(6).user)
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]

    assert len(operations) >= 12
    for path, method, op in operations:
        assert op["responses"], (path, method)
        if method == "post":
            body = op["requestBody"]["content"]["application/json"]
            assert body.get("examples"), f"{method.upper()} {path} has no example"


def test_the_schema_needs_a_login(client, db):
    assert client.get("/api/v1/schema/").status_code in (401, 403)


@pytest.mark.browser
def test_the_docs_page_renders_from_local_files_without_csp_errors(live_server, page: Page, make_engineer):
    engineer = make_engineer(6)
    log_in(page, live_server.url, engineer.user.username)
    problems: list[str] = []  # console errors (CSP refusals among them), failed responses, requests elsewhere
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(r.url) if not r.url.startswith(live_server.url) else None)

    page.goto(live_server.url + "/api/v1/docs/")

    expect(page.get_by_role("heading", name="Countersign API")).to_be_visible()
    expect(page.get_by_text("/api/v1/changes/{change_id}/reviews/").first).to_be_visible()
    page.screenshot(path="/tmp/api-docs.png")
    assert problems == []
