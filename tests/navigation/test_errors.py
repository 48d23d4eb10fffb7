import pytest
from django.test import Client, override_settings
from django.urls import path

from navigation import errors
from portal import urls as portal_urls


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom), *portal_urls.urlpatterns]
handler500 = "navigation.errors.handler500"  # as portal.urls names it


def test_a_view_s_bare_403_becomes_a_page_that_says_why_and_where_to_go(client, people):
    client.force_login(people["author"])

    response = client.get("/incidents/reports/weekly/")

    body = response.content.decode()
    assert response.status_code == 403
    assert "<html" in body and 'class="topbar"' in body
    assert "Only incident reviewers, staff and managers can read the weekly report." in body
    assert 'href="/"' in body and "Where to go" in body


def test_permission_denied_raised_by_a_view_is_styled(client, people):
    client.force_login(people["author"])

    response = client.get("/overview/")

    assert response.status_code == 403
    assert "The overview is for admins." in response.content.decode()


def test_an_unknown_address_is_a_styled_404(client, people):
    client.force_login(people["senior"])

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode() and 'class="topbar"' in response.content.decode()


def test_a_missing_record_says_what_is_missing(client, people):
    client.force_login(people["senior"])

    response = client.get("/incidents/999999/")

    assert response.status_code == 404
    assert "No such incident." in response.content.decode()


def test_fragments_keep_their_short_answer(client, people):
    client.force_login(people["author"])

    response = client.get("/incidents/reports/weekly/", headers={"HX-Request": "true"})

    assert response.status_code == 403 and "<html" not in response.content.decode()


def test_the_api_and_webhooks_keep_json_errors(client, people):
    client.force_login(people["senior"])

    assert client.get("/api/v1/nothing-here/").headers["Content-Type"] == "application/json"
    response = errors.handler404(client.get("/api/v1/nothing-here/").wsgi_request)
    assert response.status_code == 404 and response.headers["Content-Type"] == "application/json"
    assert errors.csrf_failure(client.get("/webhooks/github/").wsgi_request).headers["Content-Type"] == (
        "application/json"
    )


def test_a_refused_csrf_token_is_a_styled_page_that_says_what_to_do(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["senior"])

    response = client.post("/me/away/", {"away": "yes"})

    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body and "reload the page" in body


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_is_a_styled_500_for_pages_and_json_for_the_api(people):
    client = Client(raise_request_exception=False)
    client.force_login(people["senior"])

    page = client.get("/boom/")
    api = client.get("/api/v1/boom/")

    assert page.status_code == 500 and "Something went wrong on our side" in page.content.decode()
    assert api.status_code == 500 and api.json() == {"detail": errors.DEFAULT_MESSAGES[500]}


@pytest.mark.parametrize("status", [403, 404, 500])
def test_error_pages_render_without_a_request(status):
    response = errors.error_page(None, status, "Message.")
    assert response.status_code == status and "Message." in response.content.decode()
