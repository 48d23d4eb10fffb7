"""Who wrote a change: taken from every host event, asked of the host's API, else set by an admin; unknown blocks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assignment.services.assign import change_assign
from assignment.services.queue import assignment_claim
from intake.hostapi import Metadata
from intake.services import hostchanges
from intake.services.repositories import repository_register
from policy.services.evaluation import signoff_of
from policy.signoff_rules import UNKNOWN_AUTHOR
from reviews.audit import NotAllowed
from reviews.models import AuditEvent, Change, Review
from reviews.services.authors import change_set_author
from reviews.services.signoff import can_sign_off, review_submit
from tests.intake.test_webhooks import GL_HEAD2, load, post_gitlab


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = "gl-webhook-token-for-tests"


@pytest.fixture
def billing(db, work_repo):
    return repository_register(name="platform/billing", url=str(work_repo.path), provider="gitlab")


@pytest.fixture
def grace(make_engineer):
    """A senior reviewer; in the fixtures she approves and merges (GitLab user 6)."""
    return make_engineer(6, username="grace", gitlab_username="grace.hopper", gitlab_user_id=6)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="root", password="pw-for-tests-only", is_staff=True)


def _deliver(client, fixture: str) -> Change:
    response = post_gitlab(client, "Merge Request Hook", load(f"gitlab/{fixture}"))
    assert response.status_code == 202, response.json()
    return Change.objects.get(external_id="mr:7")


# --- the author from every event --------------------------------------------------------------------------------


def test_merge_request_whose_open_event_was_lost_takes_its_author_from_the_update(client, billing, make_engineer):
    ada = make_engineer(4, username="ada", gitlab_username="ada.lovelace")  # no user id on record: by name

    change = _deliver(client, "merge_request.update_commits.json")

    assert (change.author, change.author_name) == (ada, "ada.lovelace")


@pytest.mark.parametrize("fixture", ["merge_request.merge.json", "merge_request.approved.json"])
def test_author_is_found_by_gitlab_user_id_in_an_event_someone_else_triggered(
    client, billing, grace, make_engineer, fixture
):
    ada = make_engineer(4, username="ada", gitlab_username="ada.lovelace", gitlab_user_id=51)

    change = _deliver(client, fixture)

    assert change.author == ada  # object_attributes.author_id, not the user who merged or approved


def test_the_acting_user_is_not_taken_for_the_author(client, billing, grace):
    change = _deliver(client, "merge_request.approved.json")  # Grace approves; the author (51) is nobody known

    assert change.author is None and change.author_name == ""
    assert change.is_author_unknown


def test_a_change_with_no_known_author_asks_the_host_api(client, billing, grace, make_engineer, monkeypatch):
    billing.api_token = "glpat-for-tests"
    billing.save(update_fields=["api_token"])
    change = _deliver(client, "merge_request.approved.json")
    ada = make_engineer(4, username="ada", gitlab_username="ada.lovelace")

    class Client:
        def pull_request(self, repository, number):
            return Metadata(
                title="Retry failed payment runs",
                body="",
                labels=("payments",),
                author_login="ada.lovelace",
                draft=False,
                author_host_id=51,
            )

    monkeypatch.setattr("intake.hostapi.client_for", lambda *args, **kwargs: Client())
    hostchanges.change_refresh_metadata(change_id=change.pk)

    change.refresh_from_db()
    assert (change.author, change.author_name, change.diff_state) == (ada, "ada.lovelace", Change.DiffState.PENDING)


# --- nobody signs off a change whose author is unknown ----------------------------------------------------------


@pytest.fixture
def lost_open(client, billing, grace, make_engineer):
    """A senior's merge request whose open event was lost; the update that arrived was pushed by Grace (user 6)."""
    sam = make_engineer(7, username="sam", gitlab_username="sam.senior")  # opened it; no GitLab id on record
    payload = load("gitlab/merge_request.update_commits.json")
    payload["user"] = {"id": 6, "name": "Grace Hopper", "username": "grace.hopper"}
    payload["object_attributes"]["author_id"] = 77  # Sam's GitLab id, known to nobody in the portal
    assert post_gitlab(client, "Merge Request Hook", payload).status_code == 202
    change = Change.objects.get(external_id="mr:7")
    # Policy has run: one senior sign-off needed.
    Change.objects.filter(pk=change.pk).update(
        diff_state=Change.DiffState.DONE, required_sign_offs=1, review_state=Change.ReviewState.NEEDS_SIGN_OFF
    )
    change.refresh_from_db()
    return change, sam


def test_nobody_can_sign_off_a_change_whose_author_is_unknown(lost_open, grace):
    change, sam = lost_open
    assert change.is_author_unknown

    for senior in (sam, grace):
        assert not can_sign_off(senior, change)
        with pytest.raises(NotAllowed, match=UNKNOWN_AUTHOR.replace(";", ".")):
            review_submit(change=change, reviewer=senior, verdict="approve", head_sha=GL_HEAD2, seconds_spent=600)
    assert not Review.objects.exists()
    assert change_assign(change=change) is None  # any senior picked might be the author
    with pytest.raises(NotAllowed, match="unknown"):
        assignment_claim(change=change, engineer=grace)


def test_an_approval_from_the_host_does_not_count_while_the_author_is_unknown(client, lost_open, grace):
    change, _ = lost_open

    payload = load("gitlab/merge_request.approved.json")
    payload["object_attributes"]["last_commit"]["id"] = GL_HEAD2
    payload["object_attributes"]["author_id"] = 77
    assert post_gitlab(client, "Merge Request Hook", payload).status_code == 202

    assert Review.objects.get().reviewer == grace  # on record, as the host reported it
    status = signoff_of(Change.objects.get(pk=change.pk))
    assert (status.approved, status.counting) == (False, ())
    assert status.missing[0] == UNKNOWN_AUTHOR


def test_the_change_page_says_why_nobody_can_sign_off(client, lost_open, grace):
    change, _ = lost_open
    client.force_login(grace.user)

    page = client.get(reverse("reviews:change-detail", args=[change.pk])).content.decode()

    assert UNKNOWN_AUTHOR.capitalize() in page
    assert 'id="review-form"' not in page
    assert reverse("reviews:change-set-author", args=[change.pk]) not in page  # the form is for admins


def test_an_admin_sets_the_author_then_another_senior_signs_off_and_the_author_cannot(client, lost_open, grace, staff):
    change, sam = lost_open
    client.force_login(staff)
    page = client.get(reverse("reviews:change-detail", args=[change.pk])).content.decode()
    assert reverse("reviews:change-set-author", args=[change.pk]) in page

    response = client.post(reverse("reviews:change-set-author", args=[change.pk]), {"engineer": "SAM@example.com"})

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.author == sam and not change.is_author_unknown
    event = AuditEvent.objects.get(action="change.author_set")
    assert (event.actor, event.target_id, event.payload["to"]) == (staff, str(change.pk), sam.pk)
    with pytest.raises(NotAllowed, match="own change"):
        review_submit(change=change, reviewer=sam, verdict="approve", head_sha=GL_HEAD2, seconds_spent=600)
    review = review_submit(change=change, reviewer=grace, verdict="approve", head_sha=GL_HEAD2, seconds_spent=600)
    assert review.verdict == Review.Verdict.APPROVE


def test_only_an_admin_can_set_the_author(client, lost_open, grace):
    change, sam = lost_open
    client.force_login(grace.user)

    response = client.post(reverse("reviews:change-set-author", args=[change.pk]), {"engineer": "sam"})

    assert response.status_code == 403
    assert Change.objects.get(pk=change.pk).author is None
    with pytest.raises(NotAllowed):
        change_set_author(change=change, author=sam, actor=grace.user)


def test_merged_history_with_an_unknown_author_is_not_held_up(lost_open):
    change, _ = lost_open
    Change.objects.filter(pk=change.pk).update(state=Change.State.MERGED, merged_at=change.opened_at)

    status = signoff_of(Change.objects.get(pk=change.pk))

    assert UNKNOWN_AUTHOR not in status.missing
