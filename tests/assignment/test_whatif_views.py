"""The what-if pages (assignment.views): who may see them, the form's answers, the fragment, query counts."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from assignment.services.whatif import WhatIfParams, whatif_run_execute, whatif_run_request
from policy.selectors import policy_latest_draft
from policy.services.drafts import policy_draft_create, policy_draft_save
from policy.services.policies import policy_current, policy_publish
from reviews.models import WhatIfRun
from tests.assignment.whatif_history import EVERY_CHANGE, build

PASSWORD = "pw-for-tests-only"  # what the make_engineer fixture sets
RUN_PAGE_MAX_QUERIES = 10  # the form also reads the latest policy draft


@pytest.fixture
def manager(make_engineer):
    return make_engineer(5, username="manny", is_manager=True)


@pytest.fixture
def as_manager(client, manager):
    client.login(username="manny", password=PASSWORD)
    return client


def queued_run() -> WhatIfRun:
    params = WhatIfParams(policy_version=policy_current().number, strategy="balanced", weeks=2)
    return whatif_run_request(params=params, actor=None)[0]


def valid_post(**overrides) -> dict:
    # The policy in force is what a run compares with, so the form's own choice is another policy.
    return {
        "policy": "proposed",
        "strategy": "balanced",
        "weeks": "8",
        "repository": "",
        "seniors": "org",
        "top": "",
        "proposed": json.dumps(EVERY_CHANGE),
        **overrides,
    }


# --- who may use it ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("author", 403), ("senior", 403), ("incident reviewer", 403), ("manager", 200), ("staff", 200)],
)
def test_only_managers_and_admins_may_use_the_what_if(client, make_engineer, role, status):
    run = queued_run()
    if role == "staff":
        get_user_model().objects.create_user(username="root", password=PASSWORD, is_staff=True)
        client.login(username="root", password=PASSWORD)
    else:
        level, extra = {
            "author": (4, {}),
            "senior": (6, {}),
            "incident reviewer": (6, {"is_incident_reviewer": True}),
            "manager": (7, {"is_manager": True}),
        }[role]
        make_engineer(level, username="someone", **extra)
        client.login(username="someone", password=PASSWORD)

    assert client.get("/whatif/").status_code == status
    assert client.get(f"/whatif/{run.pk}/").status_code == status
    assert client.get(f"/whatif/{run.pk}/", headers={"HX-Request": "true"}).status_code == status
    before = WhatIfRun.objects.count()
    assert client.post("/whatif/", valid_post(weeks="3")).status_code == (302 if status == 200 else 403)
    assert WhatIfRun.objects.count() == before + (status == 200)
    nav = client.get("/policy/").content.decode()
    assert ('href="/whatif/"' in nav) is (status == 200)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    run = queued_run()

    for url in ("/whatif/", f"/whatif/{run.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/whatif/", valid_post()).status_code == 302
    assert WhatIfRun.objects.count() == 1


def test_an_unknown_run_is_404(as_manager):
    assert as_manager.get("/whatif/999999/").status_code == 404


# --- the form ----------------------------------------------------------------------------------------------------


def test_with_no_draft_the_form_asks_for_one_and_never_starts_on_the_policy_in_force(as_manager, make_engineer):
    make_engineer(6, username="senior1", weekly_capacity_minutes=300)
    policy_current()
    policy_publish(data=EVERY_CHANGE, actor=None, note="a senior for everything")

    page = as_manager.get("/whatif/").content.decode()

    assert '<option value="2">v2 (in force)</option>' in page and '<option value="1">v1</option>' in page
    assert '<option value="proposed" selected>A proposed policy</option>' in page
    assert "There is no policy draft to compare with v2" in page and "Ask an admin to start a draft" in page
    assert 'name="weeks" value="8"' in page
    assert "5.0 h" in page  # the senior's capacity a week, in the team table
    assert "No what-if has been run yet." in page


def test_the_form_opens_on_the_latest_draft_against_the_policy_in_force(as_manager, django_user_model):
    admin = django_user_model.objects.create_user(username="root", password=PASSWORD, is_staff=True)
    older = policy_draft_create(actor=admin)
    draft = policy_draft_create(actor=admin)
    policy_draft_save(draft=draft, data=EVERY_CHANGE, actor=admin)
    assert policy_latest_draft() == draft != older

    page = as_manager.get("/whatif/").content.decode()
    response = as_manager.post("/whatif/", valid_post(policy="draft", proposed=""))

    assert f'<option value="draft" selected>The latest draft (draft {draft.pk})</option>' in page
    assert f'Opens on <a href="/policy/drafts/{draft.pk}/">draft {draft.pk}</a>' in page
    run = WhatIfRun.objects.get()
    assert response.status_code == 302 and run.policy_version is None
    assert run.proposed_policy == draft.data and run.params["current_version"] == 1


def test_a_draft_not_edited_yet_is_not_compared_and_the_page_asks_for_an_edit(as_manager, django_user_model):
    admin = django_user_model.objects.create_user(username="root", password=PASSWORD, is_staff=True)
    draft = policy_draft_create(actor=admin)

    page = as_manager.get("/whatif/").content.decode()
    response = as_manager.post("/whatif/", valid_post(policy="draft", proposed=""))

    assert '<option value="proposed" selected>A proposed policy</option>' in page
    assert f"draft {draft.pk}</a>, has the same rules as v1, the policy in force: edit it (an admin can)" in page
    assert response.status_code == 400
    refusal = f"Draft {draft.pk} has the same rules as v1, the policy in force: edit it first."
    assert refusal in response.content.decode()
    assert not WhatIfRun.objects.exists()


def test_the_policy_in_force_against_itself_is_refused(as_manager):
    response = as_manager.post("/whatif/", valid_post(policy=str(policy_current().number)))

    assert response.status_code == 400
    assert "v1 is the policy in force, and the what-if compares with it" in response.content.decode()
    assert not WhatIfRun.objects.exists()


def test_a_link_from_the_policy_page_preselects_a_version(as_manager):
    policy_current()
    policy_publish(data=EVERY_CHANGE, actor=None)

    assert '<option value="1" selected>v1</option>' in as_manager.get("/whatif/?policy=1").content.decode()
    policy_page = as_manager.get("/policy/").content.decode()
    assert 'href="/whatif/?policy=1"' in policy_page and 'href="/whatif/?policy=2"' not in policy_page
    assert "What would this version cost?" in as_manager.get("/policy/v1/").content.decode()


def test_a_valid_form_queues_a_run_and_shows_its_page(as_manager, manager):
    response = as_manager.post("/whatif/", valid_post(strategy="round_robin", weeks="4", seniors="top", top="3"))

    run = WhatIfRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/whatif/{run.pk}/"
    assert run.params["strategy"] == "round_robin" and run.params["weeks"] == 4 and run.params["seniors"] == "top:3"
    assert run.created_by == manager.user and run.status == WhatIfRun.Status.QUEUED
    page = as_manager.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in page and 'hx-trigger="every 1s"' in page


def test_the_same_form_twice_reuses_the_run_and_says_so(as_manager):
    first = as_manager.post("/whatif/", valid_post())
    second = as_manager.post("/whatif/", valid_post(), follow=True)

    assert WhatIfRun.objects.count() == 1
    assert second.redirect_chain[0][0] == first["Location"]
    assert "The same what-if was run a few minutes ago" in second.content.decode()


def test_a_proposed_policy_is_accepted_as_json(as_manager):
    response = as_manager.post("/whatif/", valid_post(policy="proposed", proposed=json.dumps(EVERY_CHANGE)))

    run = WhatIfRun.objects.get()
    assert response.status_code == 302 and run.policy_version is None and run.proposed_policy["rules"][-1]["name"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weeks": "0"}, "Weeks must be from 1 to 26."),
        ({"weeks": "27"}, "Weeks must be from 1 to 26."),
        ({"weeks": "eight"}, "Weeks must be a whole number from 1 to 26."),
        ({"strategy": "fastest"}, "Select a valid choice"),
        ({"policy": "99"}, "Select a valid choice"),
        ({"repository": "12345"}, "Select a valid choice"),
        ({"seniors": "top", "top": ""}, "Say how many authors stand in for seniors"),
        ({"seniors": "top", "top": "1"}, "K must be from 2 to 50."),
        ({"policy": "proposed", "proposed": ""}, "Paste the proposed policy as JSON."),
        ({"policy": "proposed", "proposed": "{not json"}, "The policy is not valid JSON"),
        ({"policy": "proposed", "proposed": '{"rules": [{"name": "\\u0000"}]}'}, "contains U+0000"),
        ({"policy": "proposed", "proposed": '{"rules": [{"name": "x"}]}'}, "The proposed policy is not valid"),
    ],
)
def test_bad_input_is_answered_400_with_a_message(as_manager, fields, message):
    response = as_manager.post("/whatif/", valid_post(**fields))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not WhatIfRun.objects.exists()


def test_an_unsupported_method_is_refused(as_manager):
    assert as_manager.put("/whatif/").status_code == 405


# --- the run page -------------------------------------------------------------------------------------------------


def test_the_fragment_polls_while_the_run_waits_and_stops_when_it_is_done(as_manager, make_engineer):
    build(make_engineer, end=timezone.now())
    run = queued_run()

    waiting = as_manager.get(f"/whatif/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert waiting.lstrip().startswith('<div id="whatif-result"') and "<html" not in waiting
    assert 'hx-trigger="every 1s"' in waiting and "0%" in waiting

    whatif_run_execute(run_id=run.pk)
    done = as_manager.get(f"/whatif/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "<html" not in done
    assert "Senior hours needed per week against capacity" in done and "<svg" in done
    assert "Beta" in done and "Tess" in done


def test_the_full_page_shows_the_result_the_charts_tables_and_recent_runs(as_manager, make_engineer):
    build(make_engineer, end=timezone.now())
    run = queued_run()
    whatif_run_execute(run_id=run.pk)

    page = as_manager.get(f"/whatif/{run.pk}/").content.decode()

    assert "<html" in page and 'id="whatif-result"' in page
    assert "Changes touching a sensitive path need 1 senior sign-off by a code owner." in page  # rules as sentences
    for text in (
        "Need a senior",
        "Senior hours",
        "Capacity",
        "Workload Gini",
        "Per team: hours needed against capacity",
        "Load per senior",
        "Table view: Senior hours per team over the period",
        "Recent what-ifs",
        "sensitive-paths",
    ):
        assert text in page
    assert page.count("<svg") == 2


def test_a_failed_run_shows_its_reason(as_manager):
    run = queued_run()
    WhatIfRun.objects.filter(pk=run.pk).update(status=WhatIfRun.Status.FAILED, error="Nobody is at or above L8")

    page = as_manager.get(f"/whatif/{run.pk}/").content.decode()

    assert "The replay failed" in page and "Nobody is at or above L8" in page


def test_a_boosted_navigation_gets_the_full_page(as_manager):
    run = queued_run()

    page = as_manager.get(f"/whatif/{run.pk}/", headers={"HX-Request": "true", "HX-Boosted": "true"}).content.decode()

    assert "<html" in page


@pytest.mark.parametrize(("seniors", "changes"), [(0, 0), (8, 40)])
def test_the_run_page_reads_the_same_number_of_queries_at_any_size(
    as_manager, make_engineer, django_assert_max_num_queries, seniors, changes
):
    build(make_engineer, end=timezone.now(), extra_seniors=seniors, extra_changes=changes)
    run = queued_run()
    whatif_run_execute(run_id=run.pk)
    for n in range(3):  # other runs in the recent list
        WhatIfRun.objects.create(params=run.params, params_key=f"k{n}", policy_version=run.policy_version)

    with django_assert_max_num_queries(RUN_PAGE_MAX_QUERIES):
        page = as_manager.get(f"/whatif/{run.pk}/")
    with django_assert_max_num_queries(RUN_PAGE_MAX_QUERIES):
        form = as_manager.get("/whatif/")

    assert page.status_code == 200 and form.status_code == 200
    assert page.content.decode().count("<tr>") >= 2 + seniors
