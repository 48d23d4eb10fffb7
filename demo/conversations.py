"""Review conversations in the demo: threads, replies, requests for changes, new revisions pushed in answer, and
re-review; every step through the portal's services, so the attention set and the notifications are the real ones.
"""

from __future__ import annotations

import time
from pathlib import Path

from assignment.services.queue import assignment_claim
from intake.gitrepo import Mirror
from intake.mirrors import git_config
from intake.services.diffs import change_pull_diff
from intake.services.repositories import repository_import
from notifications.services.delivery import due_messages, message_deliver
from reviews.audit import ServiceError
from reviews.models import Assignment, Change, Engineer, Repository, ReviewComment
from reviews.selectors import diff_line_keys
from reviews.services.comments import comment_add, comment_reply, comment_resolve
from reviews.services.fileviews import file_view_mark
from reviews.services.signoff import change_attest, review_submit

# (thread the senior opens, the author's reply or "", whether the senior resolves it after the new revision)
THREADS = (
    ("What happens here with an empty cart? I do not see a test for it.", "Good catch: r2 adds one.", False),
    ("Nit: name this after what it returns, not how.", "", True),
)
REQUEST = "Please add a test for the empty-cart case and answer the thread on naming before this ships."
APPROVAL = "The new test covers it. Thanks for the quick turn-around."


def _lines(change: Change) -> list[tuple[str, int]]:
    """Two commentable (path, line) places of the change's current diff."""
    places = []
    for file in change.files.exclude(patch="").order_by("path"):
        keys = sorted(k for k in diff_line_keys(file.patch) if k.startswith("new:"))
        if keys:
            places.append((file.path, int(keys[0].split(":")[1])))
    return (places * 2)[:2]


def _push_revision(repository: Repository, change: Change, author: Engineer, mirror_path: str) -> None:
    """The author answers with a new commit on the change's branch (a test file), written to the demo's git
    repository and picked up by the normal import."""
    mirror = Mirror(Path(mirror_path), git_config())
    slug = change.source_branch.replace("/", "_")[:40]
    content = (
        f"def test_{slug}_handles_an_empty_cart():\n    assert total([]) == 0\n".encode()
        if slug.isidentifier()
        else b"def test_handles_an_empty_cart():\n    assert total([]) == 0\n"
    )
    message = b"Add a test for the empty-cart case\n"
    when = int(time.time())
    stream = b"".join(
        [
            f"commit refs/heads/{change.source_branch}\n".encode(),
            f"author {author.display_name} <{author.email}> {when} +0000\n".encode(),
            f"committer {author.display_name} <{author.email}> {when} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message,
            f"from {change.head_sha}\n".encode(),
            f"M 100644 inline tests/test_{slug or 'change'}_empty_cart.py\n".encode(),
            f"data {len(content)}\n".encode() + content,
            b"\ndone\n",
        ]
    )
    mirror.fast_import(stream)
    repository_import(repository=repository)
    change_pull_diff(change_id=change.pk)


def _converse(change: Change, senior: Engineer, mirror_path: str, *, approve: bool) -> None:
    author = change.author
    if change.review_state == Change.ReviewState.AWAITING_ATTESTATION:
        change_attest(change=change, engineer=author, note="Read every line; ran the tests locally.")
        change.refresh_from_db()
    if not change.assignments.filter(reviewer=senior, state=Assignment.State.ACTIVE).exists():
        assignment_claim(change=change, engineer=senior)
    threads = []
    for (path, line), (body, reply, _) in zip(_lines(change), THREADS, strict=False):
        thread = comment_add(
            change=change, author=senior, path=path, line=line, side="new", body=body, head_sha=change.head_sha
        )
        threads.append(thread)
        if reply:
            comment_reply(thread=thread, author=author, body=reply)
    change.refresh_from_db()
    review_submit(
        change=change,
        reviewer=senior,
        verdict="request_changes",
        head_sha=change.head_sha,
        seconds_spent=780,
        comment=REQUEST,
    )
    _push_revision(change.repository, change, author, mirror_path)
    change.refresh_from_db()
    if change.review_state == Change.ReviewState.AWAITING_ATTESTATION:
        change_attest(change=change, engineer=author, note="Re-read after adding the test.")
    for thread, (_, _, resolve) in zip(threads, THREADS, strict=False):
        if resolve or approve:
            comment_resolve(thread=thread, engineer=senior)
    change.refresh_from_db()
    if approve and change.review_state in (Change.ReviewState.NEEDS_SIGN_OFF, Change.ReviewState.CHANGES_REQUESTED):
        for file in change.files.all():
            file_view_mark(change_file=file, reviewer=senior, viewed=True)
        review_submit(
            change=change,
            reviewer=senior,
            verdict="approve",
            head_sha=change.head_sha,
            seconds_spent=60 + change.lines_changed * 2,
            comment=APPROVAL,
        )


def seed_conversations(repository: Repository, engineers: dict[str, Engineer], mirror_path: str) -> int:
    """Two of the author's open changes in conversation with the senior (one back in the senior's turn with a
    new revision, one signed off on its second revision); returns how many. Idempotent."""
    senior, author = engineers.get("maya"), engineers.get("leo")
    if senior is None or author is None:
        return 0
    if ReviewComment.objects.filter(change__repository=repository, change__state=Change.State.OPEN).exists():
        return 0
    open_changes = (
        Change.objects.filter(
            repository=repository,
            state=Change.State.OPEN,
            review_state__in=[Change.ReviewState.NEEDS_SIGN_OFF, Change.ReviewState.AWAITING_ATTESTATION],
            author__isnull=False,
        )
        .exclude(source_branch="")
        .exclude(author=senior)
        .exclude(last_pusher_email__iexact=senior.email)
    )
    # The demo's author first, so that logging in as them shows their side of the conversation.
    candidates = [
        *open_changes.filter(author=author).order_by("pk")[:1],
        *open_changes.exclude(author=author).order_by("pk"),
    ]
    candidates = candidates[:2]
    done = 0
    for index, change in enumerate(candidates):
        try:
            _converse(change, senior, mirror_path, approve=index == 1)
        except ServiceError:
            continue  # a change the policy holds up (a gate, no owner): the other one still shows the loop
        done += 1
    return done


def deliver_seeded_notifications() -> int:
    """Send what the seeding queued (to the e-mail backend the seed runs with); returns how many messages."""
    return sum(message_deliver(message_id=pk) == "sent" for pk in due_messages(limit=10_000))
