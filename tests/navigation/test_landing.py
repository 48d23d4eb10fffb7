import re

import pytest
from django.urls import reverse

from reviews import people as capabilities

HOMES = {
    "senior": "/",  # the queue itself, at the root
    "author": "/changes/mine/",
    "manager": "/dashboards/",
    "incident_reviewer": "/incidents/",
    "admin": "/overview/",
    "no_profile": "/policy/",
}


@pytest.mark.parametrize("role", HOMES)
def test_each_role_lands_where_its_work_is(client, people, role):
    client.force_login(people[role])

    response = client.get("/")

    if role == "senior":
        assert response.status_code == 200
        assert 'id="queue-table"' in response.content.decode()
    else:
        assert response.status_code == 302
        assert response.url == HOMES[role]
        assert client.get(response.url).status_code == 200


def test_login_leads_to_the_start_page(client, people):
    response = client.post(reverse("login"), {"username": "root", "password": "pw-for-tests-only"})

    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").url == "/overview/"


def test_the_queue_keeps_its_old_address_and_has_its_own(client, people):
    client.force_login(people["senior"])

    assert client.get("/queue/").status_code == 200
    assert 'id="queue-table"' in client.get("/", headers={"HX-Request": "true"}).content.decode()


NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def _menu(client) -> list[str]:
    body = client.get("/policy/").content.decode()
    return re.findall(r'href="([^"]+)"', NAV.search(body).group(1))


@pytest.mark.parametrize("role", HOMES)
def test_every_link_in_the_menu_opens_for_its_reader(client, people, role):
    client.force_login(people[role])

    for url in _menu(client):
        if url.startswith("/admin/"):
            continue
        response = client.get(url, follow=True)
        assert response.status_code == 200, (role, url, response.status_code)


MAY_NOT = {
    "/incidents/reports/weekly/": {"senior", "author", "no_profile"},
    "/dashboards/": {"senior", "author", "incident_reviewer", "no_profile"},
    "/whatif/": {"senior", "author", "incident_reviewer", "no_profile"},
    "/deliveries/": {"senior", "author", "manager", "incident_reviewer", "no_profile"},
    "/overview/": {"senior", "author", "manager", "incident_reviewer", "no_profile"},
}


@pytest.mark.parametrize("role", HOMES)
def test_the_menu_hides_exactly_the_pages_that_would_be_refused(client, people, role):
    client.force_login(people[role])
    menu = _menu(client)

    for url, refused in MAY_NOT.items():
        assert (url in menu) is (role not in refused), (role, url)
        assert (client.get(url).status_code == 403) is (role in refused), (role, url)


def test_nobody_without_a_senior_level_is_offered_a_queue(client, people):
    for role in ("author", "no_profile", "admin"):  # the demo manager is L7: a senior, with a queue
        client.force_login(people[role])
        assert "/queue/" not in _menu(client), role
    assert capabilities.can_review(people["senior"]) and not capabilities.can_review(people["author"])


def test_the_overview_counts_open_changes_the_queue_failed_deliveries_and_the_ledger(
    client, people, repository, django_assert_max_num_queries
):
    from reviews.models import Delivery
    from tests.reviews.api_fixtures import make_change

    make_change(repository)
    Delivery.objects.create(
        provider="github", delivery_id="d-1", event="push", status=Delivery.Status.FAILED, payload={}
    )
    client.force_login(people["admin"])

    with django_assert_max_num_queries(16):
        body = client.get("/overview/").content.decode()

    assert "Overview" in body
    assert re.search(r'tile-figure">1</span> open change<', body)
    assert re.search(r'tile-figure">1</span> with nobody assigned', body)
    assert re.search(r'tile-figure">1</span> failed webhook delivery', body)
    assert "Audit ledger" in body
