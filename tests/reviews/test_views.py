"""HTML views of the reviews app (reviews.views): pages, fragments, permissions and query counts."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.services.diffs import change_pull_diff
from intake.services.repositories import change_new_revision, repository_import
from reviews.models import Assignment, Attestation, AuditEvent, Change, ChangeFile, Review

HEAD = "a" * 40
NEWER = "c" * 40
BASE = "b" * 40
SERVED_AT = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
POLICY_REASON = "AI-assisted change by an L4 author: one senior sign-off and the author's self-review attestation"
PATCH = "@@ -1,2 +1,2 @@\n def charge():\n-    return gateway.charge()\n+    return retry(gateway.charge)\n"

# Session, user, engineer and the two navigation counts, then the page's own selector queries:
# assignments and recent verdicts for the queue; the change and its four prefetches for the change page.
QUEUE_MAX_QUERIES = 12  # + the senior's latest verdicts, for "new since your review"
CHANGE_PAGE_MAX_QUERIES = 18  # + whose turn it is, the viewer's latest verdict (since-your-review), AI findings

_ids = itertools.count(1)


def make_change(repository, author, **fields) -> Change:
    """An open change whose diff is in and whose policy asks for one senior sign-off."""
    n = next(_ids)
    values = {
        "repository": repository,
        "external_id": f"branch:topic-{n}",
        "title": f"Retry payment calls, part {n}",
        "author": author,
        "source_branch": f"topic-{n}",
        "base_sha": BASE,
        "head_sha": HEAD,
        "diff_sha": HEAD,
        "state": Change.State.OPEN,
        "review_state": Change.ReviewState.NEEDS_SIGN_OFF,
        "diff_state": Change.DiffState.DONE,
        "required_sign_offs": 1,
        "requires_attestation": True,
        "ai_assisted": True,
        "ai_confidence": 0.95,
        "ai_evidence": ["trailer Co-Authored-By: Claude <noreply@anthropic.com>"],
        "policy_reasons": [POLICY_REASON],
        "risk_score": 0.4,
        "risk_reasons": [[0.2, "AI-assisted"], [0.2, "touches payments"]],
        "lines_added": 1,
        "lines_removed": 1,
        "files_count": 1,
        "opened_at": timezone.now(),
    }
    values.update(fields)
    change = Change.objects.create(**values)
    if change.requires_attestation and change.review_state == Change.ReviewState.NEEDS_SIGN_OFF and change.author:
        # A change in a senior's queue has been attested by its author, as the policy requires.
        Attestation.objects.create(change=change, author=change.author, head_sha=change.head_sha)
    return change


def add_files(change: Change, count: int) -> None:
    ChangeFile.objects.bulk_create(
        ChangeFile(
            change=change,
            path=f"payments/client_{i:02d}.py",
            status=ChangeFile.Status.MODIFIED,
            lines_added=1,
            lines_removed=1,
            patch=PATCH,
        )
        for i in range(count)
    )


def assign(change: Change, reviewer) -> Assignment:
    return Assignment.objects.create(change=change, reviewer=reviewer, reason="least open review load")


def page_token(client, change: Change) -> str:
    """Serve the change page and return the signed token its sign-off form carries."""
    response = client.get(f"/changes/{change.pk}/")
    assert response.status_code == 200
    return response.context["review_form"].initial["page_token"]


def review_post(change: Change, token: str, **overrides) -> dict:
    data = {"verdict": "approve", "head_sha": change.head_sha, "page_token": token, "active_seconds": "0"}
    data.update(overrides)
    return data


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- login --------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/changes/mine/", "/changes/1/"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("action", ["review", "attest"])
def test_anonymous_post_is_sent_to_the_login_page_and_stores_nothing(client, repository, make_engineer, action):
    change = make_change(repository, make_engineer(4), review_state=Change.ReviewState.AWAITING_ATTESTATION)

    response = client.post(f"/changes/{change.pk}/{action}/", {"verdict": "approve", "confirm": "on"})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Review.objects.exists()
    assert not Attestation.objects.exists()


# --- the queue ----------------------------------------------------------------------------------


def test_queue_page_lists_the_changes_assigned_to_the_senior(client, repository, make_engineer):
    senior, other_senior, author = make_engineer(7), make_engineer(7), make_engineer(4)
    mine = [make_change(repository, author, title=title) for title in ("Retry payment calls", "Rotate API keys")]
    for change in mine:
        assign(change, senior)
    assign(make_change(repository, author, title="Someone else's review"), other_senior)
    client.force_login(senior.user)

    response = client.get("/queue/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert 'id="queue-table"' in body
    assert "Retry payment calls" in body
    assert "Rotate API keys" in body
    assert "Someone else&#x27;s review" not in body
    assert "Someone else's review" not in body


def test_queue_page_leaves_out_finished_assignments_and_closed_changes(client, repository, make_engineer):
    senior, author = make_engineer(7), make_engineer(4)
    done = assign(make_change(repository, author, title="Already reviewed"), senior)
    Assignment.objects.filter(pk=done.pk).update(state=Assignment.State.DONE)
    assign(make_change(repository, author, title="Closed meanwhile", state=Change.State.CLOSED), senior)
    client.force_login(senior.user)

    body = client.get("/queue/").content.decode()

    assert "Already reviewed" not in body
    assert "Closed meanwhile" not in body
    assert "Nothing waits for you" in body


def test_queue_htmx_request_gets_only_the_queue_table_fragment(client, repository, make_engineer):
    senior = make_engineer(7)
    assign(make_change(repository, make_engineer(4), title="Retry payment calls"), senior)
    client.force_login(senior.user)

    response = client.get("/queue/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="queue-table"')
    assert "<html" not in body
    assert "Retry payment calls" in body
    assert "Recently signed off by me" not in body


def test_boosted_queue_navigation_gets_the_full_page(client, repository, make_engineer):
    senior = make_engineer(7)
    assign(make_change(repository, make_engineer(4)), senior)
    client.force_login(senior.user)

    response = client.get("/queue/", headers={"HX-Request": "true", "HX-Boosted": "true"})

    body = response.content.decode()
    assert "<html" in body
    assert 'id="queue-table"' in body


def test_queue_page_for_a_user_without_an_engineer_profile_is_empty(client, db):
    user = get_user_model().objects.create_user(username="visitor", password="pw-for-tests-only")
    client.force_login(user)

    response = client.get("/queue/")

    assert response.status_code == 200
    assert "Nothing waits for you" in response.content.decode()


def test_queue_page_query_count_does_not_grow_with_assignments(
    client, repository, make_engineer, django_assert_max_num_queries
):
    senior, author = make_engineer(7), make_engineer(4)
    client.force_login(senior.user)

    def queue_with(total: int) -> tuple[int, int]:
        while Assignment.objects.filter(reviewer=senior).count() < total:
            change = make_change(repository, author)
            assign(change, senior)
            Review.objects.create(
                change=make_change(repository, author),
                reviewer=senior,
                verdict=Review.Verdict.APPROVE,
                head_sha=HEAD,
                seconds_spent=300,
                created_at=timezone.now(),
            )
        return count_queries(client, "/queue/"), count_queries(client, "/queue/", **{"HX-Request": "true"})

    assert queue_with(2) == queue_with(12)
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        client.get("/queue/")


# --- the change page ----------------------------------------------------------------------------


def test_change_page_shows_the_diff_lines_and_the_policy_reasons(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    add_files(change, 1)
    client.force_login(make_engineer(7).user)

    response = client.get(f"/changes/{change.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "payments/client_00.py" in body
    assert '<td class="code">@@ -1,2 +1,2 @@</td>' in body
    # No mirror to read the file from: the lines are highlighted from the patch alone.
    text = re.sub(r'<span class="(?!mk)[^"]*">([^<]*)</span>', r"\1", body)
    assert '<tr class="del">' in body and '<span class="mk">−</span>    return gateway.charge()</td>' in text
    assert '<tr class="add">' in body and '<span class="mk">+</span>    return retry(gateway.charge)</td>' in text
    assert '<span class="k">return</span>' in body
    assert "AI-assisted change by an L4 author" in body
    assert "No gate results yet." in body


def host_approval(change: Change, reviewer, **fields) -> Review:
    """An approval given on the git host, as a webhook records it: never timed here."""
    values = {"verdict": Review.Verdict.APPROVE, "head_sha": HEAD, "seconds_spent": 0, "source": Review.Source.HOST}
    values.update(fields)
    return Review.objects.create(change=change, reviewer=reviewer, created_at=timezone.now(), **values)


def test_change_page_shows_a_host_approval_as_approved_on_the_host_never_after_0_s(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    host_approval(change, make_engineer(6, username="grace"))
    client.force_login(make_engineer(7).user)

    body = client.get(f"/changes/{change.pk}/").content.decode()

    assert "approved on the host" in body and "(time unknown)" in body
    assert "after 0 s" not in body
    assert "host approvals do not count under the policy" in body


def test_change_page_shows_a_dismissed_host_approval_as_not_counting(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    host_approval(change, make_engineer(6), dismissed_at=timezone.now())
    client.force_login(make_engineer(7).user)

    body = client.get(f"/changes/{change.pk}/").content.decode()

    assert "dismissed on the host" in body and "does not count" in body


def test_recent_verdicts_in_the_queue_show_a_host_approvals_time_as_unknown(client, repository, make_engineer):
    senior = make_engineer(7)
    host_approval(make_change(repository, make_engineer(4)), senior)
    client.force_login(senior.user)

    body = client.get("/queue/").content.decode()

    assert "unknown (on the host)" in body and '<td class="num">0 s</td>' not in body


def test_change_page_of_an_unknown_change_is_not_found(client, make_engineer):
    client.force_login(make_engineer(7).user)

    assert client.get("/changes/999999/").status_code == 404


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("senior reviewer", True),
        ("mid-level engineer", False),
        ("senior author", False),
        ("senior on a merged change", False),
        ("user without engineer profile", False),
    ],
)
def test_sign_off_form_is_shown_only_to_an_eligible_senior(client, repository, make_engineer, role, shown):
    author = make_engineer(7) if role == "senior author" else make_engineer(4)
    merged = role == "senior on a merged change"
    change = make_change(
        repository,
        author,
        state=Change.State.MERGED if merged else Change.State.OPEN,
        merged_at=timezone.now() if merged else None,
    )
    if role == "senior author":
        viewer = author.user
    elif role == "mid-level engineer":
        viewer = make_engineer(5).user
    elif role == "user without engineer profile":
        viewer = get_user_model().objects.create_user(username="visitor", password="pw-for-tests-only")
    else:
        viewer = make_engineer(7).user
    client.force_login(viewer)

    body = client.get(f"/changes/{change.pk}/").content.decode()

    assert ('id="review-form"' in body) is shown
    assert ("portal/review.js" in body) is shown


def test_attestation_form_is_shown_to_the_author_until_the_revision_is_attested(client, repository, make_engineer):
    author = make_engineer(4)
    change = make_change(repository, author, review_state=Change.ReviewState.AWAITING_ATTESTATION)
    client.force_login(author.user)
    attest_url = f'action="/changes/{change.pk}/attest/"'

    assert attest_url in client.get(f"/changes/{change.pk}/").content.decode()
    Attestation.objects.create(change=change, author=author, head_sha=change.head_sha)
    assert attest_url not in client.get(f"/changes/{change.pk}/").content.decode()


def test_change_page_query_count_does_not_grow_with_files_and_reviews(
    client, repository, make_engineer, django_assert_max_num_queries
):
    author = make_engineer(4)
    change = make_change(repository, author)
    client.force_login(make_engineer(7).user)

    def page_with(files: int, reviews: int) -> int:
        ChangeFile.objects.filter(change=change).delete()
        add_files(change, files)
        while change.reviews.count() < reviews:
            reviewer = make_engineer(7)
            assign(change, reviewer)
            Attestation.objects.get_or_create(
                change=change, head_sha=f"{change.reviews.count():040d}", defaults={"author": author}
            )
            Review.objects.create(
                change=change,
                reviewer=reviewer,
                verdict=Review.Verdict.COMMENT,
                head_sha=HEAD,
                seconds_spent=60,
                created_at=timezone.now(),
            )
        return count_queries(client, f"/changes/{change.pk}/")

    assert page_with(files=1, reviews=1) == page_with(files=15, reviews=8)
    with django_assert_max_num_queries(CHANGE_PAGE_MAX_QUERIES):
        client.get(f"/changes/{change.pk}/")


# --- sign-off -----------------------------------------------------------------------------------


def test_author_cannot_sign_off_own_change(client, repository, make_engineer):
    author = make_engineer(7)
    change = make_change(repository, author)
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    client.force_login(author.user)

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token))

    assert response.status_code == 403
    assert not Review.objects.exists()


def test_mid_level_engineer_cannot_sign_off(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    client.force_login(make_engineer(5).user)

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token))

    assert response.status_code == 403
    assert not Review.objects.exists()


def test_user_without_engineer_profile_cannot_sign_off(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    client.force_login(get_user_model().objects.create_user(username="visitor", password="pw-for-tests-only"))

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token))

    assert response.status_code == 403
    assert not Review.objects.exists()


def test_senior_sign_off_records_the_approval_with_the_active_time_on_the_page(client, repository, make_engineer):
    senior = make_engineer(7)
    change = make_change(repository, make_engineer(4))
    assignment = assign(change, senior)
    with time_machine.travel(SERVED_AT, tick=False) as clock:
        client.force_login(senior.user)
        token = page_token(client, change)
        clock.shift(timedelta(seconds=90))

        response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, active_seconds="75"))

    assert response.status_code == 302
    assert response.url == "/queue/"
    review = Review.objects.get()
    assert (review.change, review.reviewer, review.verdict) == (change, senior, Review.Verdict.APPROVE)
    assert review.head_sha == HEAD
    assert review.seconds_spent == 75
    assert review.created_at == SERVED_AT + timedelta(seconds=90)
    assert review.ledger_hash == AuditEvent.objects.get(action="review.approve").hash
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED
    assignment.refresh_from_db()
    assert assignment.state == Assignment.State.DONE


def test_forged_active_time_is_clamped_to_the_time_since_the_page_was_served(client, repository, make_engineer):
    senior = make_engineer(7)
    change = make_change(repository, make_engineer(4))
    with time_machine.travel(SERVED_AT, tick=False) as clock:
        client.force_login(senior.user)
        token = page_token(client, change)
        clock.shift(timedelta(seconds=90))

        response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, active_seconds="86400"))

    assert response.status_code == 302
    assert Review.objects.get().seconds_spent == 90


def test_sign_off_right_after_the_page_was_served_records_no_time(client, repository, make_engineer):
    senior = make_engineer(7)
    change = make_change(repository, make_engineer(4))
    with time_machine.travel(SERVED_AT, tick=False):
        client.force_login(senior.user)
        token = page_token(client, change)

        client.post(f"/changes/{change.pk}/review/", review_post(change, token, active_seconds="600"))

    assert Review.objects.get().seconds_spent == 0


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"verdict": "ship_it"}, id="unknown verdict"),
        pytest.param({"verdict": ""}, id="no verdict"),
        pytest.param({"head_sha": "not-a-sha"}, id="malformed head sha"),
        pytest.param({"head_sha": HEAD.upper()}, id="upper-case head sha"),
        pytest.param({"page_token": "tampered"}, id="tampered token"),
        pytest.param({"page_token": ""}, id="no token"),
        pytest.param({"active_seconds": "-5"}, id="negative active time"),
        pytest.param({"active_seconds": "lots"}, id="non-numeric active time"),
    ],
)
def test_invalid_review_is_rejected_and_nothing_is_stored(client, repository, make_engineer, tamper):
    senior = make_engineer(7)
    change = make_change(repository, make_engineer(4))
    client.force_login(senior.user)
    token = page_token(client, change)

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, **tamper))

    assert response.status_code == 400
    assert not Review.objects.exists()
    assert not AuditEvent.objects.exists()


def test_review_with_a_token_whose_signature_was_altered_is_rejected(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, forged))

    assert response.status_code == 400
    assert not Review.objects.exists()


def test_review_with_the_token_of_another_change_is_rejected(client, repository, make_engineer):
    author = make_engineer(4)
    change, other = make_change(repository, author), make_change(repository, author)
    client.force_login(make_engineer(7).user)
    token_of_other = page_token(client, other)

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token_of_other))

    assert response.status_code == 400
    assert not Review.objects.exists()


def test_review_of_an_outdated_revision_is_not_stored_and_says_why(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    change_new_revision(change=change, head_sha=NEWER, base_sha=BASE)

    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, head_sha=HEAD))

    assert response.status_code == 409
    assert "the change has a newer revision (cccccccccc)" in response.content.decode()
    assert not Review.objects.exists()


def test_review_claiming_a_newer_revision_than_the_page_showed_is_rejected(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4))
    client.force_login(make_engineer(7).user)
    token = page_token(client, change)
    change_new_revision(change=change, head_sha=NEWER, base_sha=BASE)

    # The page showed HEAD; submitting the new head's SHA would sign off a revision nobody was shown.
    response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, head_sha=NEWER))

    assert response.status_code == 400
    assert not Review.objects.exists()


# --- attestation --------------------------------------------------------------------------------


def test_only_the_author_can_attest_a_change(client, repository, make_engineer):
    change = make_change(repository, make_engineer(4), review_state=Change.ReviewState.AWAITING_ATTESTATION)
    client.force_login(make_engineer(7).user)

    response = client.post(f"/changes/{change.pk}/attest/", {"confirm": "on"})

    assert response.status_code == 403
    assert not Attestation.objects.exists()


def test_author_attestation_puts_the_change_in_a_seniors_queue(client, repository, make_engineer):
    author, senior = make_engineer(4), make_engineer(7)
    change = make_change(repository, author, review_state=Change.ReviewState.AWAITING_ATTESTATION)
    client.force_login(author.user)

    response = client.post(f"/changes/{change.pk}/attest/", {"confirm": "on", "note": "read every line"})

    assert response.status_code == 302
    assert response.url == f"/changes/{change.pk}/"
    attestation = Attestation.objects.get()
    assert (attestation.change, attestation.author, attestation.head_sha) == (change, author, HEAD)
    assert attestation.note == "read every line"
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.assignments.get(state=Assignment.State.ACTIVE).reviewer == senior
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["change.attested", "change.assigned"]


def test_attestation_without_the_confirmation_is_not_stored(client, repository, make_engineer):
    author = make_engineer(4)
    change = make_change(repository, author, review_state=Change.ReviewState.AWAITING_ATTESTATION)
    client.force_login(author.user)

    response = client.post(f"/changes/{change.pk}/attest/", {"note": "forgot the box"}, follow=True)

    assert "Tick the box to attest." in response.content.decode()
    assert not Attestation.objects.exists()
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION


# --- the whole path, from git ---------------------------------------------------------------------


def test_imported_ai_assisted_branch_goes_from_attestation_to_sign_off(client, work_repo, repository, make_engineer):
    author = make_engineer(4, username="ada", email="ada@example.com")
    senior = make_engineer(7, username="grace")
    work_repo.commit({"payments/client.py": "def charge():\n    return gateway.charge()\n"}, "Add payment client")
    work_repo.branch("retry-payments")
    work_repo.commit(
        {"payments/client.py": "def charge():\n    return retry(gateway.charge)\n"},
        "Retry payment calls\n\nCo-authored-by: Claude <noreply@anthropic.com>",
    )
    repository_import(repository=repository)
    # With REDIS_URL set the diff task is only enqueued; run its service here.
    change = change_pull_diff(change_id=Change.objects.get(source_branch="retry-payments").pk)
    assert change.review_state == Change.ReviewState.AWAITING_ATTESTATION

    client.force_login(author.user)
    client.post(f"/changes/{change.pk}/attest/", {"confirm": "on"})
    client.force_login(senior.user)
    queue = client.get("/queue/", headers={"HX-Request": "true"}).content.decode()
    assert "Retry payment calls" in queue
    with time_machine.travel(SERVED_AT, tick=False) as clock:
        client.force_login(senior.user)
        page = client.get(f"/changes/{change.pk}/")
        highlighted = '<span class="n">retry</span><span class="p">(</span><span class="n">gateway</span>'
        assert highlighted in page.content.decode()
        clock.shift(timedelta(minutes=4))
        token = page.context["review_form"].initial["page_token"]
        response = client.post(f"/changes/{change.pk}/review/", review_post(change, token, active_seconds="200"))

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED
    assert Review.objects.get(change=change).seconds_spent == 200
