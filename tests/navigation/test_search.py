import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident
from reviews.models import Change
from tests.reviews.api_fixtures import make_change


@pytest.fixture
def found(repository, people):
    author = people["author"].engineer
    author.display_name = "Juniper Quill"
    author.save(update_fields=["display_name"])
    alpha = make_change(repository, author, title="Fix checkout timeout", number=4242, head_sha="abcdef1" + "0" * 33)
    beta = make_change(repository, None, title="Checkout retries", head_sha="abcdef2" + "0" * 33)
    incident = Incident.objects.create(title="Checkout down", severity="SEV2", started_at=timezone.now())
    return {"alpha": alpha, "beta": beta, "incident": incident}


def _search(client, text, **params):
    return client.get("/search/", {"q": text, **params})


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("#4242", "alpha"),
        ("4242", "alpha"),
        ("abcdef1", "alpha"),
        ("ABCDEF2", "beta"),
        ("timeout", "alpha"),
        ("juniper", "alpha"),
    ],
)
def test_a_single_match_opens_at_once(client, people, found, text, target):
    client.force_login(people["senior"])

    response = _search(client, text)

    assert response.status_code == 302
    assert response.url == f"/changes/{found[target].pk}/"


def test_a_change_is_found_by_its_own_number(client, people, found):
    client.force_login(people["senior"])

    assert _search(client, str(found["beta"].pk)).url == f"/changes/{found['beta'].pk}/"


def test_an_incident_id_opens_the_incident(client, people, found):
    client.force_login(people["author"])

    assert _search(client, f"INC-{found['incident'].pk}").url == f"/incidents/{found['incident'].pk}/"


def test_several_matches_are_listed_with_what_they_are(client, people, found):
    client.force_login(people["senior"])

    response = _search(client, "checkout")

    body = response.content.decode()
    assert response.status_code == 200
    assert "3 results" in body
    for target in ("alpha", "beta"):
        assert f'href="/changes/{found[target].pk}/"' in body
    assert f'href="/incidents/{found["incident"].pk}/"' in body
    assert "Incident" in body and "Change" in body


def test_a_report_week_opens_the_report_only_for_its_readers(client, people):
    client.force_login(people["manager"])
    assert _search(client, "2026-W49").url == "/incidents/reports/weekly/?week=2026-W49"

    client.force_login(people["author"])
    response = _search(client, "2026-W49")
    assert response.status_code == 200
    assert "Nothing you can open matches" in response.content.decode()
    assert "reports/weekly" not in response.content.decode().split('id="search-results"')[1]


def test_an_empty_or_hostile_search_answers_a_page_not_an_error(client, people, found):
    client.force_login(people["senior"])

    for text in ("", "   ", "%", "_", "'; drop table x; --", "x" * 5000, "\u202e", "INC-999999999"):
        response = _search(client, text)
        assert response.status_code in (200, 302), text
    assert client.get("/search/?q=%00").status_code == 400


def test_the_search_needs_a_login(client):
    response = client.get("/search/?q=x")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_search_queries_stay_few_however_many_match(client, people, repository, django_assert_max_num_queries):
    for n in range(30):
        make_change(repository, people["author"].engineer, title=f"Checkout step {n}")
    client.force_login(people["senior"])

    with django_assert_max_num_queries(12):
        response = _search(client, "checkout")

    assert response.status_code == 200
    assert response.content.decode().count('<span class="badge">Change</span>') == 20


@pytest.mark.django_db
def test_title_and_sha_searches_can_use_their_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for queryset in (
            Change.objects.filter(title__icontains="checkout"),
            Change.objects.filter(head_sha__startswith="abcdef1"),
        ):
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "change_title_trgm_idx" in plan or "change_head_sha_prefix_idx" in plan, plan
