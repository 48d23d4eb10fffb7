"""A NUL anywhere in a request (portal.middleware) is a 400 with a message, never a database error."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from reviews.models import PolicyVersion

CHANGELISTS = sorted(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry)


def test_a_nul_in_an_admin_filter_is_a_bad_request_with_a_message(admin_client):
    response = admin_client.get("/admin/reviews/change/?state__exact=%00")

    assert response.status_code == 400
    assert "the query string contains a NUL character" in response.content.decode()


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_a_nul_in_any_admin_search_is_a_bad_request(admin_client, changelist):
    response = admin_client.get(reverse(changelist), {"q": "a\x00b"})

    assert response.status_code == 400


def test_a_nul_in_the_address_is_a_bad_request(admin_client):
    response = admin_client.get("/admin/reviews/repository/1%00/change/")

    assert response.status_code == 400
    assert "the address contains a NUL character" in response.content.decode()


def test_a_nul_in_a_header_is_a_bad_request(client, db):
    response = client.post(
        reverse("webhook-github"), b"{}", content_type="application/json", HTTP_X_GITHUB_DELIVERY="a\x00"
    )

    assert response.status_code == 400
    assert "a header contains a NUL character" in response.content.decode()


def test_a_nul_in_a_policy_reason_is_refused_with_a_message_and_nothing_is_published(admin_client):
    draft = admin_client.post("/policy/drafts/new/")
    draft_url = draft.headers["Location"]

    response = admin_client.post(f"{draft_url}publish/", {"reason": "note\x00"})

    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not PolicyVersion.objects.filter(number__gt=1).exists()


def test_an_ordinary_admin_filter_still_works(admin_client):
    assert admin_client.get("/admin/reviews/change/?state__exact=open").status_code == 200


def test_a_nul_in_an_api_query_is_a_json_error_in_the_apis_shape(admin_client):
    response = admin_client.get("/api/v1/changes/?repository=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert "the query string contains a NUL character" in body["message"]
    assert body["detail"] == body["message"] and body["errors"] == {}


def test_an_api_address_no_route_matches_is_a_json_404(admin_client):
    response = admin_client.get("/api/v1/changes/-5/")

    assert response.status_code == 404
    assert response.json()["message"] == "No such API endpoint."
    assert "<html" in admin_client.get("/no/such/page/").content.decode().lower()


# --- signed endpoints (portal.middleware.SignedEndpointMiddleware) ---------------------------------------------


@pytest.mark.parametrize("name", ["webhook-github", "webhook-gitlab"])
def test_a_webhook_skips_the_browser_middleware_but_keeps_the_request_id(client, db, name):
    response = client.post(reverse(name), b"{}", content_type="application/json")

    assert response.status_code == 401  # the view answered: unsigned
    assert response.has_header("X-Request-ID")
    assert not response.has_header("Content-Security-Policy")
    assert not response.cookies
    assert "user" not in response.wsgi_request.__dict__  # no session, no login looked up


def test_a_webhook_for_a_host_not_allowed_is_a_bad_request(client, db):
    response = client.post(reverse("webhook-github"), b"{}", content_type="application/json", HTTP_HOST="evil.example")

    assert response.status_code == 400


def test_pages_still_get_the_whole_chain(client, db):
    response = client.get(reverse("login"))

    assert response.has_header("Content-Security-Policy")
    assert response.has_header("X-Frame-Options")
