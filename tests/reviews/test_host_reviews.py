"""Reviews given on the git host: recorded once by their host id, withdrawn when the host dismisses them, and
counted for sign-off only where the policy says so (reviews.services.deliveries, hostreviews, signoff)."""

from __future__ import annotations

import copy
import threading

import pytest
from django.db import connection
from django.test import Client

from intake.services.repositories import repository_register
from policy.document import DEFAULT_POLICY_DATA
from policy.services.evaluation import signoff_of
from policy.services.policies import policy_publish
from reviews.models import Assignment, AuditEvent, Change, Delivery, Review
from tests.intake.test_webhooks import GITHUB_SECRET, GITLAB_TOKEN, load, opened, post_github, post_gitlab

APPROVED = "github/pull_request_review.approved.json"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.PORTAL_GITHUB_WEBHOOK_SECRET = GITHUB_SECRET
    settings.PORTAL_GITLAB_WEBHOOK_TOKEN = GITLAB_TOKEN


@pytest.fixture
def shop(db, work_repo):
    return repository_register(name="octo/shop", url=str(work_repo.path), provider="github")


@pytest.fixture
def billing(db, work_repo):
    return repository_register(name="platform/billing", url=str(work_repo.path), provider="gitlab")


@pytest.fixture
def ada(make_engineer):
    return make_engineer(4, username="ada", github_login="ada-lovelace", gitlab_username="ada.lovelace")


@pytest.fixture
def grace(make_engineer):
    return make_engineer(6, username="grace", github_login="Grace-Hopper", gitlab_username="grace.hopper")


def dismissed_payload() -> dict:
    """GitHub's `dismissed` delivery of the review in APPROVED: same review id, state `dismissed`."""
    payload = load(APPROVED)
    payload["action"] = "dismissed"
    payload["review"]["state"] = "dismissed"
    return payload


def host_approvals_count() -> None:
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["settings"]["host_approvals_count"] = True
    policy_publish(data=data, actor=None, note="host approvals count")


def needing_one_sign_off(change: Change) -> Change:
    """As the policy would leave it once the diff is in: one senior sign-off, nothing else."""
    Change.objects.filter(pk=change.pk).update(required_sign_offs=1, diff_state=Change.DiffState.DONE)
    return Change.objects.get(pk=change.pk)


def approvals_in_ledger() -> int:
    return AuditEvent.objects.filter(action="review.approve").count()


# --- one review, many deliveries ---------------------------------------------------------------------------


def test_a_review_delivered_under_three_delivery_ids_is_recorded_once(client, shop, ada, grace):
    opened(client)

    responses = [post_github(client, "pull_request_review", load(APPROVED), delivery=f"d-{n}") for n in range(3)]

    assert [r.status_code for r in responses] == [202, 202, 202]
    assert Delivery.objects.filter(event="pull_request_review").count() == 3
    assert Review.objects.count() == 1
    assert Review.objects.get().host_review_id == "1487395120"
    assert approvals_in_ledger() == 1
    assert Delivery.objects.get(delivery_id="d-2").error == "review already recorded"


@pytest.mark.django_db(transaction=True)
def test_deliveries_of_one_review_at_the_same_moment_record_it_once(transactional_db, shop, ada, grace):
    opened(Client())
    start = threading.Barrier(3)
    errors: list[BaseException] = []
    statuses: list[int] = []

    def deliver(n: int) -> None:
        try:
            start.wait(timeout=30)
            statuses.append(
                post_github(Client(), "pull_request_review", load(APPROVED), delivery=f"at-once-{n}").status_code
            )
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert statuses == [202, 202, 202]
    assert Delivery.objects.filter(event="pull_request_review").count() == 3
    assert Review.objects.count() == 1
    assert approvals_in_ledger() == 1


def test_two_reviews_of_one_reviewer_are_two_reviews(client, shop, ada, grace):
    opened(client)
    post_github(client, "pull_request_review", load(APPROVED))
    second = load(APPROVED)
    second["review"]["id"] += 7

    post_github(client, "pull_request_review", second)

    assert Review.objects.count() == 2


def test_gitlab_approval_delivered_twice_is_recorded_once(client, billing, ada, grace):
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))

    for _ in range(2):
        post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.approved.json"))

    assert Review.objects.count() == 1
    assert approvals_in_ledger() == 1


# --- dismissed on the host ---------------------------------------------------------------------------------


def test_a_dismissed_github_approval_no_longer_counts_and_the_ledger_records_the_dismissal(client, shop, ada, grace):
    host_approvals_count()
    change = needing_one_sign_off(opened(client))
    post_github(client, "pull_request_review", load(APPROVED))
    assert Change.objects.get(pk=change.pk).review_state == Change.ReviewState.APPROVED

    response = post_github(client, "pull_request_review", dismissed_payload())

    assert response.status_code == 202
    review = Review.objects.get()
    assert review.dismissed_at is not None
    change = Change.objects.get(pk=change.pk)
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert signoff_of(change).counting == ()
    entry = AuditEvent.objects.get(action="review.dismissed")
    assert entry.payload["review_id"] == review.pk
    assert entry.payload["host_review_id"] == "1487395120"
    assert Delivery.objects.get(action="dismissed").status == Delivery.Status.PROCESSED


def test_a_dismissal_delivered_twice_is_recorded_once(client, shop, ada, grace):
    opened(client)
    post_github(client, "pull_request_review", load(APPROVED))

    for _ in range(2):
        post_github(client, "pull_request_review", dismissed_payload())

    assert AuditEvent.objects.filter(action="review.dismissed").count() == 1


def test_a_dismissal_that_arrives_before_its_review_keeps_the_late_review_from_counting(client, shop, ada, grace):
    host_approvals_count()
    change = needing_one_sign_off(opened(client))

    post_github(client, "pull_request_review", dismissed_payload())
    post_github(client, "pull_request_review", load(APPROVED))

    review = Review.objects.get()
    assert (review.verdict, review.dismissed_at is not None) == (Review.Verdict.COMMENT, True)
    assert approvals_in_ledger() == 0
    assert signoff_of(Change.objects.get(pk=change.pk)).counting == ()


def test_a_dismissal_leaves_the_reviewers_other_reviews_alone(client, shop, ada, grace):
    opened(client)
    post_github(client, "pull_request_review", load(APPROVED))
    other = load(APPROVED)
    other["review"]["id"] += 1
    post_github(client, "pull_request_review", other)

    post_github(client, "pull_request_review", dismissed_payload())

    assert list(Review.objects.order_by("pk").values_list("dismissed_at", flat=True))[1] is None


@pytest.mark.parametrize("action", ["unapproved", "unapproval"])
def test_a_gitlab_approval_withdrawn_no_longer_counts(client, billing, ada, grace, action):
    host_approvals_count()
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.open.json"))
    change = needing_one_sign_off(Change.objects.get())
    post_gitlab(client, "Merge Request Hook", load("gitlab/merge_request.approved.json"))
    assert Change.objects.get(pk=change.pk).review_state == Change.ReviewState.APPROVED
    payload = load("gitlab/merge_request.approved.json")
    payload["object_attributes"]["action"] = action

    post_gitlab(client, "Merge Request Hook", payload)

    assert Review.objects.get().dismissed_at is not None
    assert Change.objects.get(pk=change.pk).review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert AuditEvent.objects.filter(action="review.dismissed").count() == 1


# --- host approvals and the policy -------------------------------------------------------------------------


def test_a_host_approval_does_not_count_under_the_default_policy(client, shop, ada, grace):
    change = needing_one_sign_off(opened(client))

    post_github(client, "pull_request_review", load(APPROVED))

    change = Change.objects.get(pk=change.pk)
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert signoff_of(change).counting == ()
    assert Review.objects.get().source == Review.Source.HOST  # recorded all the same


def test_a_host_approval_counts_where_the_policy_says_host_approvals_count(client, shop, ada, grace):
    host_approvals_count()
    change = needing_one_sign_off(opened(client))

    post_github(client, "pull_request_review", load(APPROVED))

    change = Change.objects.get(pk=change.pk)
    assert change.review_state == Change.ReviewState.APPROVED
    assert signoff_of(change).counting == (grace.pk,)


def test_a_host_request_for_changes_holds_under_the_default_policy(client, shop, ada, grace):
    change = needing_one_sign_off(opened(client))

    post_github(client, "pull_request_review", load("github/pull_request_review.changes_requested.json"))

    assert Change.objects.get(pk=change.pk).review_state == Change.ReviewState.CHANGES_REQUESTED


def test_an_uncounted_host_approval_leaves_the_seniors_assignment_open(client, shop, ada, grace):
    change = needing_one_sign_off(opened(client))
    assignment = Assignment.objects.create(change=change, reviewer=grace, reason="test")

    post_github(client, "pull_request_review", load(APPROVED))

    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.ACTIVE  # their sign-off in Countersign is still due


def test_a_counted_host_approval_closes_the_seniors_assignment(client, shop, ada, grace):
    host_approvals_count()
    change = needing_one_sign_off(opened(client))
    assignment = Assignment.objects.create(change=change, reviewer=grace, reason="test")

    post_github(client, "pull_request_review", load(APPROVED))

    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.DONE
