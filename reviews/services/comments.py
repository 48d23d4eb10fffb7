"""Inline comment threads on a change's diff: open one, reply, resolve, reopen.

A thread is its root comment with the replies under it; it is resolved or reopened as a whole. An unresolved
thread opened by a senior blocks sign-off (see `unresolved_senior_threads`), so every action that can change
that count refreshes the change's review state and what it still needs.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.services.turns import turn_record
from policy.services.evaluation import review_state_of
from portal.access.rules import may
from reviews.attention import Event, Move
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.models import Change, ChangeFile, Engineer, ReviewComment

MAX_BODY_CHARS = 10_000
# The column is a PostgreSQL integer: a larger number must be refused here, not fail in the database.
MAX_LINE = 2_147_483_647


def can_comment(engineer: Engineer | None, change: Change) -> bool:
    """Whether this engineer may open a thread on the change or reply to one (the rule `reviews.comment_change`)."""
    return engineer is not None and may(engineer.user, "reviews.comment_change", change)


def can_resolve_thread(engineer: Engineer | None, thread: ReviewComment, change: Change) -> bool:
    """Whether this engineer may resolve or reopen a thread (the rule `reviews.resolve_thread`)."""
    return engineer is not None and may(engineer.user, "reviews.resolve_thread", thread)


def clean_body(body: str) -> str:
    """The comment as stored: line breaks normalised, surrounding blank space removed; refused if empty or long."""
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ServiceError("write a comment first")
    if len(text) > MAX_BODY_CHARS:
        raise ServiceError(f"a comment is at most {MAX_BODY_CHARS:,} characters; this one has {len(text):,}")
    if "\x00" in text:
        raise ServiceError("a comment cannot contain NUL characters")
    return text


def comment_add(
    *, change: Change, author: Engineer, path: str, line: int, side: str, body: str, head_sha: str
) -> ReviewComment:
    """Open a thread on one line of the current revision's diff; `head_sha` is the revision the author saw."""
    text = clean_body(body)
    if side not in ReviewComment.Side.values:
        raise ServiceError("side must be old or new")
    if not 1 <= line <= MAX_LINE:
        raise ServiceError("line must be a line number, 1 or more")
    with transaction.atomic():
        change = _lock(change.pk)
        if not can_comment(author, change):
            raise NotAllowed("only engineers can comment")
        if head_sha != change.head_sha:
            raise ServiceError(
                f"the change has a newer revision ({change.head_sha[:10]}); reload the page to comment on it"
            )
        if change.diff_state != Change.DiffState.DONE or change.diff_sha != change.head_sha:
            raise ServiceError("the diff of the current revision is not in yet; comment once it is")
        if "\x00" in path or not ChangeFile.objects.filter(change=change, path=path).exists():
            raise ServiceError("the change has no file at that path")
        comment = ReviewComment.objects.create(
            change=change, head_sha=change.head_sha, path=path, line=line, side=side, author=author, body=text
        )
        _audit(author, "comment.added", change, comment, thread=comment)
        if author.is_senior:
            _refresh_review_state(change)
        _turn_after_comment(change, author, comment)
    return comment


def comment_reply(*, thread: ReviewComment, author: Engineer, body: str) -> ReviewComment:
    """Reply to a thread (resolved or not); the reply records the revision it was written against."""
    text = clean_body(body)
    with transaction.atomic():
        change = _lock(thread.change_id)
        root = _root(change, thread.pk, for_update=False)
        if not can_comment(author, change):
            raise NotAllowed("only engineers can reply")
        reply = ReviewComment.objects.create(
            change=change,
            head_sha=change.head_sha,
            path=root.path,
            line=root.line,
            side=root.side,
            parent=root,
            author=author,
            body=text,
        )
        _audit(author, "comment.added", change, reply, thread=root)
        _turn_after_comment(change, author, reply)
    return reply


def _turn_after_comment(change: Change, author: Engineer, comment: ReviewComment) -> None:
    """An author's answer gives the seniors the move; a waiting senior's answer gives it back to the author."""
    if change.state != Change.State.OPEN:
        return
    event = Event.AUTHOR_REPLIED if author.pk == change.author_id else Event.REVIEWER_REPLIED
    turn_record(change=change, move=Move(event, actor=author.pk, review_state=change.review_state), ref=str(comment.pk))


def comment_resolve(*, thread: ReviewComment, engineer: Engineer) -> ReviewComment:
    """Mark a thread resolved; resolving a resolved thread changes nothing."""
    return _set_resolved(thread, engineer, resolved=True)


def comment_reopen(*, thread: ReviewComment, engineer: Engineer) -> ReviewComment:
    """Reopen a resolved thread; the same people may as may resolve it."""
    return _set_resolved(thread, engineer, resolved=False)


def _set_resolved(thread: ReviewComment, engineer: Engineer, *, resolved: bool) -> ReviewComment:
    with transaction.atomic():
        change = _lock(thread.change_id)
        root = _root(change, thread.pk, for_update=True)
        if not can_resolve_thread(engineer, root, change):
            verb = "resolve" if resolved else "reopen"
            if root.author.is_senior:
                raise NotAllowed(f"a thread opened by a senior can only be {verb}d by a senior")
            raise NotAllowed(f"only the thread's author, the change's author or a senior can {verb} this thread")
        if root.resolved == resolved:
            return root  # a second click, or someone else was quicker: nothing to record
        root.resolved = resolved
        root.resolved_by = engineer if resolved else None
        root.resolved_at = timezone.now() if resolved else None
        root.save(update_fields=["resolved", "resolved_by", "resolved_at"])
        _audit(engineer, "comment.resolved" if resolved else "comment.reopened", change, root, thread=root)
        if root.author.is_senior:
            _refresh_review_state(change)
    return root


def _lock(change_id: int) -> Change:
    """The change, locked: comment actions and sign-offs on one change run one at a time."""
    return Change.objects.select_for_update(of=("self",)).select_related("repository", "author").get(pk=change_id)


def _root(change: Change, comment_id: int, *, for_update: bool) -> ReviewComment:
    queryset = ReviewComment.objects.select_related("author")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    root = queryset.filter(pk=comment_id, change=change, parent__isnull=True).first()
    if root is None:
        raise ServiceError("no such thread on this change")
    return root


def _audit(actor: Engineer, action: str, change: Change, comment: ReviewComment, *, thread: ReviewComment) -> None:
    audit_record(
        actor=actor.user,
        action=action,
        target=change,
        payload={
            "comment_id": comment.pk,
            "thread_id": thread.pk,
            "path": thread.path,
            "line": thread.line,
            "side": thread.side,
            "sha": comment.head_sha,
        },
    )


def _refresh_review_state(change: Change) -> None:
    """Apply the sign-off rules again: a senior's thread opened, resolved or reopened changes what is missing."""
    if change.state != Change.State.OPEN or change.diff_state != Change.DiffState.DONE:
        return  # merged history is not awaited; a pending diff gets its state when policy runs
    change.review_state = review_state_of(change)
    change.save(update_fields=["review_state", "policy_missing", "updated_at"])
    turn_record(change=change, move=Move(Event.EVALUATED, review_state=change.review_state))
