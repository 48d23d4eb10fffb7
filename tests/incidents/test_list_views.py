"""The incidents list: filters kept in the address, 25 to a page, searching; the new-incident form's defaults."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Incident
from reviews.models import Service


@pytest.fixture
def many(db, repository):
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday of 2026-W45
    made = []
    for n in range(60):
        incident = Incident.objects.create(
            title=f"Outage {n}" + (" payment gateway" if n % 10 == 0 else ""),
            severity=("SEV1", "SEV2", "SEV3", "SEV4")[n % 4],
            status="resolved" if n % 3 else "open",
            started_at=start + timedelta(hours=6 * n),
        )
        if n % 2 == 0:
            incident.services.add(checkout)
        made.append(incident)
    return made


def _rows(body: str) -> int:
    return body.count('<span class="sev ')


def test_the_list_shows_25_a_page_with_pages(client, make_engineer, many, django_assert_max_num_queries):
    client.force_login(make_engineer(5).user)

    with django_assert_max_num_queries(10):
        first = client.get("/incidents/").content.decode()
    third = client.get("/incidents/?page=3").content.decode()

    assert _rows(first) == 25 and "page 1 of 3" in first and 'href="?page=2"' in first
    assert _rows(third) == 10 and "Outage 0" in third


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=SEV1", 15),
        ("service=checkout", 30),
        ("state=open", 20),
        ("week=2026-W45", 27),  # 09:00 Monday, every 6 h until Monday 00:00
        ("q=payment", 6),
        ("q=INC-{first}", 1),
        ("severity=SEV1&service=checkout&state=open", 5),
    ],
)
def test_filters_narrow_the_list(client, make_engineer, many, query, expected):
    client.force_login(make_engineer(5).user)

    body = client.get("/incidents/?" + query.format(first=many[0].pk)).content.decode()

    assert _rows(body) == min(expected, 25)
    assert f"{expected} incident" in body


def test_filters_stay_in_the_page_links(client, make_engineer, many):
    client.force_login(make_engineer(5).user)

    body = client.get("/incidents/?service=checkout&q=Outage").content.decode()

    assert 'href="?service=checkout&amp;q=Outage&amp;page=2"' in body
    assert 'value="checkout" selected' in body


@pytest.mark.parametrize("query", ["week=2026-W60", "week=garbage", "severity=SEV9", "service=nope", "page=x"])
def test_a_bad_filter_is_said_not_ignored_or_a_500(client, make_engineer, many, query):
    client.force_login(make_engineer(5).user)

    response = client.get("/incidents/?" + query)

    assert response.status_code in (200, 400)
    if query != "page=x":
        assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_a_new_incident_starts_at_sev3_and_now_with_a_filterable_service_list(client, make_engineer, repository):
    Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    client.force_login(make_engineer(6, is_incident_reviewer=True).user)

    with time_machine.travel(datetime(2026, 11, 17, 10, 15, 42, tzinfo=UTC), tick=False):
        body = client.get("/incidents/new/").content.decode()

    assert '<option value="SEV3" selected>' in body
    assert 'value="2026-11-17 10:15:00"' in body
    assert 'data-filter-for="id_services"' in body and 'type="checkbox" name="services"' in body
