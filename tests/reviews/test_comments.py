"""Inline comment threads (reviews.services.comments, reviews.views.comments): who may do what, validation,
fragments, the sign-off block by a senior's open thread, revisions, and the change page's query count."""

from __future__ import annotations

import itertools
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.services.repositories import change_new_revision
from reviews import selectors
from reviews.audit import NotAllowed, ServiceError
from reviews.models import Assignment, Attestation, AuditEvent, Change, ChangeFile, Review, ReviewComment
from reviews.services.comments import comment_add, comment_reopen, comment_reply, comment_resolve
from reviews.services.signoff import review_submit

HEAD = "a" * 40
NEWER = "c" * 40
BASE = "b" * 40
PATH = "payments/client.py"
# Old file lines 1-3, new file lines 1-3: line 2 replaced, lines 1 and 3 context.
PATCH = (
    "diff --git a/payments/client.py b/payments/client.py\n"
    "--- a/payments/client.py\n"
    "+++ b/payments/client.py\n"
    "@@ -1,3 +1,3 @@\n"
    " def charge():\n"
    "-    return gateway.charge()\n"
    "+    return retry(gateway.charge)\n"
    " # end\n"
)

_ids = itertools.count(1)


@pytest.fixture
def people(make_engineer):
    """A junior author of the change, another junior, two seniors."""
    return {
        "author": make_engineer(4),
        "junior": make_engineer(4),
        "senior": make_engineer(7),
        "other_senior": make_engineer(6),
    }


def make_change(repository, author, *, head_sha: str = HEAD, patch: str = PATCH, path: str = PATH) -> Change:
    """An open, attested change whose diff is in and whose policy asks for one senior sign-off."""
    n = next(_ids)
    change = Change.objects.create(
        repository=repository,
        external_id=f"branch:comments-{n}",
        title=f"Retry payment calls, part {n}",
        author=author,
        source_branch=f"comments-{n}",
        base_sha=BASE,
        head_sha=head_sha,
        diff_sha=head_sha,
        state=Change.State.OPEN,
        review_state=Change.ReviewState.NEEDS_SIGN_OFF,
        diff_state=Change.DiffState.DONE,
        required_sign_offs=1,
        requires_attestation=True,
        ai_assisted=True,
        lines_added=1,
        lines_removed=1,
        files_count=1,
        opened_at=timezone.now(),
    )
    ChangeFile.objects.create(
        change=change, path=path, status=ChangeFile.Status.MODIFIED, lines_added=1, lines_removed=1, patch=patch
    )
    Attestation.objects.create(change=change, author=author, head_sha=head_sha)
    return change


def open_thread(change: Change, author, *, line: int = 2, side: str = "new", body: str = "Why retry here?"):
    return comment_add(
        change=change, author=author, path=PATH, line=line, side=side, body=body, head_sha=change.head_sha
    )


def url(change: Change, action: str = "", comment: ReviewComment | None = None) -> str:
    if comment is None:
        return f"/changes/{change.pk}/comments/{action}"
    return f"/changes/{change.pk}/comments/{comment.pk}/{action}/"


def new_comment(change: Change, **overrides) -> dict:
    data = {"path": PATH, "line": "2", "side": "new", "head_sha": change.head_sha, "body": "Why retry here?"}
    data.update(overrides)
    return data


def page_token(client, change: Change) -> str:
    response = client.get(f"/changes/{change.pk}/")
    assert response.status_code == 200
    return response.context["review_form"].initial["page_token"]


def actions() -> list[str]:
    return list(AuditEvent.objects.filter(action__startswith="comment.").values_list("action", flat=True))


# --- anonymous visitors ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["new", "create", "reply", "resolve", "reopen"])
def test_anonymous_visitor_is_sent_to_the_login_page_and_nothing_changes(client, repository, people, action):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    if action == "new":
        response = client.get(url(change, "new/"), {"path": PATH, "line": "2", "side": "new"})
    elif action == "create":
        response = client.post(url(change), new_comment(change))
    else:
        response = client.post(url(change, action, thread), {"body": "me too"})

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert ReviewComment.objects.count() == 1
    assert not ReviewComment.objects.get().resolved


# --- who may comment and reply -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["author", "junior", "senior"])
def test_every_engineer_may_open_a_thread_and_reply(client, repository, people, role):
    change = make_change(repository, people["author"])
    client.force_login(people[role].user)

    form = client.get(url(change, "new/"), {"path": PATH, "line": "2", "side": "new"})
    created = client.post(url(change), new_comment(change, body="  Why retry here?\r\nTwice?  "))
    thread = ReviewComment.objects.get(parent=None)
    replied = client.post(url(change, "reply", thread), {"body": "Because the gateway times out."})

    assert form.status_code == 200
    assert created.status_code == 302
    assert replied.status_code == 302
    assert (thread.author, thread.path, thread.line, thread.side) == (people[role], PATH, 2, "new")
    assert thread.head_sha == HEAD
    assert thread.body == "Why retry here?\nTwice?"
    assert thread.replies.get().body == "Because the gateway times out."
    assert actions() == ["comment.added", "comment.added"]


def test_user_without_an_engineer_profile_may_not_comment(client, repository, people):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["senior"])
    client.force_login(get_user_model().objects.create_user(username="visitor", password="pw-for-tests-only"))

    assert client.get(url(change, "new/"), {"path": PATH, "line": "2", "side": "new"}).status_code == 403
    assert client.post(url(change), new_comment(change)).status_code == 403
    assert client.post(url(change, "reply", thread), {"body": "hi"}).status_code == 403
    assert client.post(url(change, "resolve", thread)).status_code == 403
    assert ReviewComment.objects.count() == 1


# --- who may resolve and reopen ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened_by", "actor", "allowed"),
    [
        ("junior", "junior", True),  # the thread's author
        ("junior", "author", True),  # the change's author
        ("junior", "senior", True),
        ("junior", "other_junior", False),
        ("senior", "senior", True),
        ("senior", "other_senior", True),
        ("senior", "author", False),  # the author cannot close a senior's objection
        ("senior", "junior", False),
        ("author", "author", True),
        ("author", "junior", False),
    ],
)
@pytest.mark.parametrize("action", ["resolve", "reopen"])
def test_resolve_and_reopen_permissions(client, repository, people, make_engineer, opened_by, actor, allowed, action):
    people["other_junior"] = make_engineer(5)
    change = make_change(repository, people["author"])
    thread = open_thread(change, people[opened_by])
    if action == "reopen":
        comment_resolve(thread=thread, engineer=people["other_senior"])
    client.force_login(people[actor].user)

    response = client.post(url(change, action, thread))

    thread.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert thread.resolved is (action == "resolve")
        assert actions()[-1] == ("comment.resolved" if action == "resolve" else "comment.reopened")
    else:
        assert response.status_code == 403
        assert thread.resolved is (action == "reopen")


def test_service_refuses_the_author_closing_a_seniors_thread(repository, people):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["senior"])

    with pytest.raises(NotAllowed, match="only be resolved by a senior"):
        comment_resolve(thread=thread, engineer=people["author"])

    thread.refresh_from_db()
    assert not thread.resolved


def test_resolving_records_who_and_when_and_reopening_clears_it(repository, people):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])

    comment_resolve(thread=thread, engineer=people["author"])
    thread.refresh_from_db()
    assert (thread.resolved, thread.resolved_by, thread.resolved_at is not None) == (True, people["author"], True)

    comment_reopen(thread=thread, engineer=people["junior"])
    thread.refresh_from_db()
    assert (thread.resolved, thread.resolved_by, thread.resolved_at) == (False, None, None)
    assert actions() == ["comment.added", "comment.resolved", "comment.reopened"]


def test_resolving_a_resolved_thread_again_records_nothing(client, repository, people):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    client.force_login(people["senior"].user)

    first = client.post(url(change, "resolve", thread), headers={"HX-Request": "true"})
    second = client.post(url(change, "resolve", thread), headers={"HX-Request": "true"})

    assert (first.status_code, second.status_code) == (200, 200)
    assert actions() == ["comment.added", "comment.resolved"]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"line": "0"}, id="line 0"),
        pytest.param({"line": "-3"}, id="negative line"),
        pytest.param({"line": "two"}, id="line not a number"),
        pytest.param({"line": ""}, id="no line"),
        pytest.param({"line": "99999999999"}, id="line past the database integer"),
        pytest.param({"line": "1_0"}, id="line with an underscore"),
        pytest.param({"side": "x"}, id="side x"),
        pytest.param({"side": ""}, id="no side"),
    ],
)
def test_bad_line_or_side_is_a_bad_request(client, repository, people, params):
    change = make_change(repository, people["author"])
    client.force_login(people["senior"].user)
    query = {"path": PATH, "line": "2", "side": "new", **params}

    form = client.get(url(change, "new/"), query)
    created = client.post(url(change), new_comment(change, **params))

    assert (form.status_code, created.status_code) == (400, 400)
    assert not ReviewComment.objects.exists()


@pytest.mark.parametrize("path", ["payments/other.py", "", "payments/client.py\x00", "x" * 5000])
def test_path_not_in_the_change_is_not_found(client, repository, people, path):
    change = make_change(repository, people["author"])
    client.force_login(people["senior"].user)

    form = client.get(url(change, "new/"), {"path": path, "line": "2", "side": "new"})
    created = client.post(url(change), new_comment(change, path=path))

    # A NUL in the query string is refused as a bad request before any view runs.
    assert (form.status_code, created.status_code) == (400 if "\x00" in path else 404, 404)
    assert not ReviewComment.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param("", "write a comment first", id="empty"),
        pytest.param(" \r\n\t ", "write a comment first", id="blank"),
        pytest.param("x" * 10_001, "at most 10,000 characters", id="too long"),
        pytest.param("a\x00b", "NUL", id="NUL character"),
    ],
)
def test_invalid_body_is_refused_with_the_form_and_its_reason(client, repository, people, body, message):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    client.force_login(people["senior"].user)

    created = client.post(url(change), new_comment(change, body=body), headers={"HX-Request": "true"})
    replied = client.post(url(change, "reply", thread), {"body": body}, headers={"HX-Request": "true"})

    assert created.status_code == 400
    assert message in created.content.decode()
    assert 'class="comment-form' in created.content.decode()
    assert replied.status_code == 400
    assert message in replied.content.decode()
    assert ReviewComment.objects.count() == 1
    assert actions() == ["comment.added"]


def test_body_of_exactly_ten_thousand_characters_is_kept(client, repository, people):
    change = make_change(repository, people["author"])
    client.force_login(people["junior"].user)

    response = client.post(url(change), new_comment(change, body="y" * 10_000))

    assert response.status_code == 302
    assert len(ReviewComment.objects.get().body) == 10_000


def test_comment_on_an_older_revision_than_the_current_one_is_refused(client, repository, people):
    change = make_change(repository, people["author"], head_sha=NEWER)
    client.force_login(people["senior"].user)

    response = client.post(url(change), new_comment(change, head_sha=HEAD))

    assert response.status_code == 400
    assert "newer revision" in response.content.decode()
    assert not ReviewComment.objects.exists()


def test_comment_while_the_diff_of_the_new_revision_is_pending_is_refused(repository, people):
    change = make_change(repository, people["author"])
    change_new_revision(change=change, head_sha=NEWER, base_sha=BASE)
    change.refresh_from_db()

    with pytest.raises(ServiceError, match="not in yet"):
        open_thread(change, people["senior"])


def test_thread_ids_are_scoped_to_their_change_and_to_root_comments(client, repository, people):
    change, other = make_change(repository, people["author"]), make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    reply = comment_reply(thread=thread, author=people["author"], body="done")
    client.force_login(people["senior"].user)

    assert client.post(url(other, "resolve", thread)).status_code == 404
    assert client.post(url(change, "resolve", reply)).status_code == 404
    assert client.post(f"/changes/{change.pk}/comments/999999/reply/", {"body": "hi"}).status_code == 404
    assert client.get("/changes/999999/comments/new/", {"path": PATH, "line": "2", "side": "new"}).status_code == 404
    assert client.get(url(change, "new/"), {"path": PATH, "line": "2", "side": "new"}).status_code == 200
    assert client.post(url(change, "resolve", thread), {}).status_code == 302


def test_comment_endpoints_refuse_the_wrong_method(client, repository, people):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    client.force_login(people["senior"].user)

    assert client.post(url(change, "new/"), {"path": PATH, "line": "2", "side": "new"}).status_code == 405
    assert client.get(url(change, "resolve", thread)).status_code == 405


# --- fragments and full pages ---------------------------------------------------------------------


def test_new_comment_form_is_a_fragment_for_the_line(client, repository, people):
    change = make_change(repository, people["author"])
    client.force_login(people["senior"].user)

    response = client.get(
        url(change, "new/"), {"path": PATH, "line": "2", "side": "old"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith("<form")
    assert f'hx-post="/changes/{change.pk}/comments/"' in body
    assert '<input type="hidden" name="side" value="old">' in body
    assert f'<input type="hidden" name="head_sha" value="{HEAD}">' in body


def test_htmx_comment_gets_the_thread_fragment_and_the_summary_out_of_band(client, repository, people):
    change = make_change(repository, people["author"])
    client.force_login(people["senior"].user)

    response = client.post(
        url(change), new_comment(change, body="<b>bold</b>\nsecond line"), headers={"HX-Request": "true"}
    )

    thread = ReviewComment.objects.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith(f'<article class="thread" id="thread-{thread.pk}"')
    assert "&lt;b&gt;bold&lt;/b&gt;<br>second line" in body
    assert "<b>bold</b>" not in body
    assert 'id="thread-summary" class="thread-summary" hx-swap-oob="true"' in body
    assert "Blocks sign-off" in body
    assert f'hx-post="/changes/{change.pk}/comments/{thread.pk}/resolve/"' in body


@pytest.mark.parametrize("action", ["reply", "resolve", "reopen"])
def test_htmx_thread_actions_get_the_updated_thread_fragment(client, repository, people, action):
    change = make_change(repository, people["author"])
    thread = open_thread(change, people["junior"])
    if action == "reopen":
        comment_resolve(thread=thread, engineer=people["senior"])
    client.force_login(people["senior"].user)

    response = client.post(url(change, action, thread), {"body": "Fine by me."}, headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert f'id="thread-{thread.pk}"' in body
    if action == "reply":
        assert "Fine by me." in body
    elif action == "resolve":
        assert "Resolved by" in body and "Reopen thread" in body
    else:
        assert "Resolve thread" in body and "Resolved by" not in body


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true", "HX-Boosted": "true"}])
def test_without_htmx_or_boosted_the_action_redirects_to_the_thread_on_the_change_page(
    client, repository, people, headers
):
    change = make_change(repository, people["author"])
    client.force_login(people["junior"].user)

    response = client.post(url(change), new_comment(change), headers=headers)

    thread = ReviewComment.objects.get()
    assert response.status_code == 302
    assert response.url == f"/changes/{change.pk}/#thread-{thread.pk}"


def test_change_page_counts_and_links_the_open_threads(client, repository, people):
    change = make_change(repository, people["author"])
    blocking = open_thread(change, people["senior"], body="Retry without a budget can stampede the gateway.")
    minor = open_thread(change, people["junior"], line=3, body="Nit: name")
    done = open_thread(change, people["junior"], line=1, body="Resolved one")
    comment_resolve(thread=done, engineer=people["author"])
    client.force_login(people["author"].user)

    response = client.get(f"/changes/{change.pk}/")

    body = response.content.decode()
    assert [t.pk for t in response.context["open_threads"]] == [blocking.pk, minor.pk]
    assert response.context["threads_by_line"] == {PATH: {"new:2": [blocking], "new:3": [minor], "new:1": [done]}}
    assert '<strong class="num">2</strong> open threads' in body
    assert "1 opened by senior: sign-off waits until it is resolved" in body
    assert f'<a href="#thread-{blocking.pk}">' in body
    assert f'<a href="#thread-{minor.pk}">' in body
    assert f'<a href="#thread-{done.pk}">' not in body
    for thread in (blocking, minor, done):  # each shown once, in the diff at its line, where its link leads
        assert body.count(f'id="thread-{thread.pk}"') == 1
    assert "1 unresolved comment thread by a senior" in body


# --- sign-off blocked by a senior's open thread --------------------------------------------------


def test_senior_threads_block_approval_until_resolved(repository, people):
    change = make_change(repository, people["author"])
    first = open_thread(change, people["senior"])
    open_thread(change, people["other_senior"], line=3)
    reviewer = people["other_senior"]

    with pytest.raises(ServiceError, match="^2 unresolved threads opened by seniors: resolve them first$"):
        review_submit(change=change, reviewer=reviewer, verdict="approve", head_sha=HEAD, seconds_spent=300)
    comment_resolve(thread=first, engineer=reviewer)
    with pytest.raises(ServiceError, match="^1 unresolved thread opened by a senior: resolve it first$"):
        review_submit(change=change, reviewer=reviewer, verdict="approve", head_sha=HEAD, seconds_spent=300)
    assert not Review.objects.exists()

    comment_resolve(thread=ReviewComment.objects.get(resolved=False), engineer=people["senior"])
    review_submit(change=change, reviewer=reviewer, verdict="approve", head_sha=HEAD, seconds_spent=300)

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED


def test_request_for_changes_is_not_held_up_by_open_threads(repository, people):
    change = make_change(repository, people["author"])
    open_thread(change, people["senior"])

    review = review_submit(
        change=change, reviewer=people["senior"], verdict="request_changes", head_sha=HEAD, seconds_spent=300
    )

    assert review.verdict == Review.Verdict.REQUEST_CHANGES


def test_approval_through_the_page_is_refused_with_the_reason_then_allowed_after_resolve(client, repository, people):
    senior = people["senior"]
    change = make_change(repository, people["author"])
    Assignment.objects.create(change=change, reviewer=senior, reason="least open review load")
    client.force_login(senior.user)
    client.post(url(change), new_comment(change))
    thread = ReviewComment.objects.get()
    data = {"verdict": "approve", "head_sha": HEAD, "page_token": page_token(client, change), "active_seconds": "0"}

    refused = client.post(f"/changes/{change.pk}/review/", {**data, "comment": "Looks right to me"})

    # The page comes back at once, with the reason, the typed comment and the review time kept.
    assert refused.status_code == 409
    assert "1 unresolved thread opened by a senior: resolve it first" in refused.content.decode()
    assert "Looks right to me</textarea>" in refused.content.decode()
    assert not Review.objects.exists()

    assert client.post(url(change, "resolve", thread)).status_code == 302
    allowed = client.post(f"/changes/{change.pk}/review/", data)

    assert allowed.status_code == 302
    assert Review.objects.get().verdict == Review.Verdict.APPROVE
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED


def test_a_juniors_open_thread_does_not_block_sign_off(repository, people):
    change = make_change(repository, people["author"])
    open_thread(change, people["junior"])
    open_thread(change, people["author"], line=3)

    review_submit(change=change, reviewer=people["senior"], verdict="approve", head_sha=HEAD, seconds_spent=300)

    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED
    assert change.policy_missing == []


def test_what_is_missing_follows_the_seniors_threads(repository, people):
    change = make_change(repository, people["author"])
    review_submit(change=change, reviewer=people["senior"], verdict="approve", head_sha=HEAD, seconds_spent=60)
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.APPROVED

    first = open_thread(change, people["other_senior"])
    open_thread(change, people["senior"], line=3)
    change.refresh_from_db()
    assert change.review_state == Change.ReviewState.NEEDS_SIGN_OFF
    assert change.policy_missing == ["2 unresolved comment threads by seniors"]

    comment_resolve(thread=first, engineer=people["senior"])
    change.refresh_from_db()
    assert change.policy_missing == ["1 unresolved comment thread by a senior"]

    comment_resolve(thread=ReviewComment.objects.get(resolved=False), engineer=people["senior"])
    change.refresh_from_db()
    assert (change.review_state, change.policy_missing) == (Change.ReviewState.APPROVED, [])

    comment_reopen(thread=first, engineer=people["other_senior"])
    change.refresh_from_db()
    assert change.policy_missing == ["1 unresolved comment thread by a senior"]


# --- revisions ------------------------------------------------------------------------------------


def new_revision(change: Change, patch: str) -> Change:
    """A new head whose diff has been pulled: the state change_pull_diff leaves, without git."""
    change_new_revision(change=change, head_sha=NEWER, base_sha=BASE)
    Change.objects.filter(pk=change.pk).update(diff_state=Change.DiffState.DONE, diff_sha=NEWER)
    ChangeFile.objects.filter(change=change).update(patch=patch)
    Attestation.objects.create(change=change, author=change.author, head_sha=NEWER)
    change.refresh_from_db()
    return change


def test_threads_carry_over_to_a_new_revision_and_still_block(client, repository, people):
    change = make_change(repository, people["author"])
    kept = open_thread(change, people["senior"], line=2)
    gone = open_thread(change, people["junior"], line=3)
    # The new revision's diff shows new lines 1-2 only: line 3 is no longer in the diff.
    change = new_revision(change, "@@ -1,2 +1,2 @@\n def charge():\n-    return gateway.charge()\n+    return x\n")

    with pytest.raises(ServiceError, match="1 unresolved thread opened by a senior"):
        review_submit(
            change=change, reviewer=people["other_senior"], verdict="approve", head_sha=NEWER, seconds_spent=60
        )
    client.force_login(people["author"].user)
    response = client.get(f"/changes/{change.pk}/")

    body = response.content.decode()
    assert response.context["threads_by_line"] == {PATH: {"new:2": [kept]}}
    assert response.context["outdated_threads"] == [gone]
    assert [t.pk for t in response.context["open_threads"]] == [kept.pk, gone.pk]
    assert body.count(f'id="thread-{kept.pk}"') == 1  # in the diff, at line 2
    assert body.count(f'id="thread-{gone.pk}"') == 1  # in full among the outdated, so its link has a target
    assert "outdated" in body
    assert f"<code>{HEAD[:10]}</code>" in body
    assert "earlier revision" in body

    reply = comment_reply(thread=kept, author=people["author"], body="Fixed in the new revision.")
    assert reply.head_sha == NEWER
    assert (reply.path, reply.line, reply.side) == (kept.path, kept.line, kept.side)


def test_threads_on_merged_changes_do_not_hold_up_history(repository, people):
    change = make_change(repository, people["author"])
    open_thread(change, people["senior"])
    Change.objects.filter(pk=change.pk).update(state=Change.State.MERGED, merged_at=timezone.now())
    change.refresh_from_db()

    from policy.services.evaluation import signoff_of

    assert "1 unresolved comment thread by a senior" not in signoff_of(change).missing


# --- where threads sit in the diff ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patch", "keys"),
    [
        (PATCH, {"new:1", "old:2", "new:2", "new:3"}),
        ("@@ -10 +10,2 @@\n-a\n+b\n+c\n", {"old:10", "new:10", "new:11"}),
        ("@@ -5,2 +5,2 @@\n x\n-y\n\\ No newline at end of file\n+z\n", {"new:5", "old:6", "new:6"}),
        # A removed line that looks like a file header is content, because the hunk's count says so.
        ("@@ -1,2 +1,1 @@\n--- not a header\n keep\n", {"old:1", "new:1"}),
        ("Binary files a/x.png and b/x.png differ\n", set()),
        ("", set()),
    ],
)
def test_diff_line_keys(patch, keys):
    assert selectors.diff_line_keys(patch) == keys


def test_diff_line_keys_stop_at_the_rendered_limit():
    patch = "@@ -0,0 +1,5 @@\n" + "".join(f"+line {i}\n" for i in range(5))

    assert selectors.diff_line_keys(patch, limit=3) == {"new:1", "new:2", "new:3"}


# --- query count ----------------------------------------------------------------------------------


def test_change_page_loads_every_thread_in_one_query_however_many(client, repository, people, make_engineer):
    change = make_change(repository, people["author"])
    # Thread authors, repliers and resolvers differ, so that each has to be loaded.
    writers = [people["junior"], people["senior"], make_engineer(5), make_engineer(8), people["author"]]
    client.force_login(people["other_senior"].user)

    def page_with(threads: int) -> tuple[int, int]:
        for n in range(ReviewComment.objects.filter(parent=None).count(), threads):
            thread = open_thread(change, writers[n % 5], line=1 + n % 3, body=f"thread {n}")
            comment_reply(thread=thread, author=writers[(n + 1) % 5], body="reply")
            if n % 3 == 0:
                comment_resolve(thread=thread, engineer=writers[3])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/changes/{change.pk}/")
        assert response.status_code == 200
        comments = [q for q in ctx.captured_queries if "reviews_reviewcomment" in q["sql"]]
        return len(ctx.captured_queries), len(comments)

    none, one, fifteen = page_with(0), page_with(1), page_with(15)
    body = client.get(f"/changes/{change.pk}/").content.decode()

    assert none == one == fifteen
    assert fifteen[1] == 1
    assert len(re.findall(r'<a href="#thread-\d+">', body)) == 10  # 15 threads, 5 resolved
