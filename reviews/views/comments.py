"""Inline comment threads on the change page: the new-comment form, and opening, replying, resolving, reopening.

With htmx (not boosted) each action answers with the thread's fragment and an out-of-band update of the
thread summary; without it, with a redirect back to the thread on the change page.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal.htmx import is_fragment
from reviews import selectors
from reviews.audit import NotAllowed, ServiceError
from reviews.models import Change, Engineer, ReviewComment
from reviews.people import current_engineer
from reviews.services import comments as comments_services
from reviews.services.comments import MAX_BODY_CHARS, MAX_LINE, can_resolve_thread, comment_add

_LINE_RE = re.compile(r"[0-9]{1,10}")


def thread_context(change: Change, engineer: Engineer | None) -> dict[str, Any]:
    """What a page that shows a change's threads needs: by line for the diff, open ones, outdated ones."""
    threads = selectors.change_threads(change)
    _mark(threads.all, change, engineer)
    return {
        "comment_threads": threads.all,
        "threads_by_line": threads.by_line,
        "open_threads": threads.open,
        "outdated_threads": threads.outdated,
        "senior_open_threads": threads.open_by_seniors,
        "can_comment": comments_services.can_comment(engineer, change),
        "comment_max_chars": MAX_BODY_CHARS,
    }


@login_required
@require_GET
def comment_new(request: HttpRequest, change_id: int) -> HttpResponse:
    """The form that opens a thread on one line: ?path=...&line=N&side=new|old."""
    change, engineer = _load(request, change_id)
    if not comments_services.can_comment(engineer, change):
        return HttpResponseForbidden("Only engineers can comment.")
    path, line, side, error = _position(request.GET)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain")
    if selectors.change_file(change, path) is None:
        raise Http404("The change has no file at that path.")
    return _form(request, change, path, line, side)


@login_required
@require_POST
def comment_create(request: HttpRequest, change_id: int) -> HttpResponse:
    """Open a thread on a line of the current revision."""
    change, engineer = _load(request, change_id)
    if not comments_services.can_comment(engineer, change):
        return HttpResponseForbidden("Only engineers can comment.")
    path, line, side, error = _position(request.POST)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain")
    if selectors.change_file(change, path) is None:
        raise Http404("The change has no file at that path.")
    body = request.POST.get("body", "")
    try:
        comment = comment_add(
            change=change,
            author=engineer,
            path=path,
            line=line,
            side=side,
            body=body,
            head_sha=request.POST.get("head_sha", ""),
        )
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        return _form(request, change, path, line, side, body=body, error=str(exc), status=400)
    return _thread_response(request, change, comment.pk, engineer)


@login_required
@require_POST
def comment_reply(request: HttpRequest, change_id: int, comment_id: int) -> HttpResponse:
    """Reply to a thread."""
    change, engineer = _load(request, change_id)
    thread = _thread_or_404(change, comment_id)
    if not comments_services.can_comment(engineer, change):
        return HttpResponseForbidden("Only engineers can reply.")
    try:
        comments_services.comment_reply(thread=thread, author=engineer, body=request.POST.get("body", ""))
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        return _thread_response(request, change, thread.pk, engineer, error=str(exc), status=400)
    return _thread_response(request, change, thread.pk, engineer)


@login_required
@require_POST
def comment_resolve(request: HttpRequest, change_id: int, comment_id: int) -> HttpResponse:
    """Resolve a thread: its author, the change's author or a senior; only a senior for a senior's thread."""
    return _set_resolved(request, change_id, comment_id, comments_services.comment_resolve)


@login_required
@require_POST
def comment_reopen(request: HttpRequest, change_id: int, comment_id: int) -> HttpResponse:
    """Reopen a resolved thread; the same people may as may resolve it."""
    return _set_resolved(request, change_id, comment_id, comments_services.comment_reopen)


def _set_resolved(request: HttpRequest, change_id: int, comment_id: int, action: Any) -> HttpResponse:
    change, engineer = _load(request, change_id)
    thread = _thread_or_404(change, comment_id)
    if not can_resolve_thread(engineer, thread, change):
        return HttpResponseForbidden(
            "Only a senior can resolve or reopen a senior's thread."
            if thread.author.is_senior
            else "Only the thread's author, the change's author or a senior can resolve or reopen this thread."
        )
    try:
        action(thread=thread, engineer=engineer)
    except NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except ServiceError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    return _thread_response(request, change, thread.pk, engineer)


def _load(request: HttpRequest, change_id: int) -> tuple[Change, Engineer | None]:
    change = selectors.change_for_comments(change_id)
    if change is None:
        raise Http404("No such change.")
    return change, current_engineer(request)


def _thread_or_404(change: Change, comment_id: int) -> ReviewComment:
    thread = selectors.thread_root(change, comment_id)
    if thread is None:
        raise Http404("No such thread on this change.")
    return thread


def _position(data: QueryDict) -> tuple[str, int, str, str]:
    """(path, line, side, error) read from a request; the error is empty when line and side are well-formed."""
    path = data.get("path", "")
    raw_line, side = data.get("line", "").strip(), data.get("side", "")
    line = int(raw_line) if _LINE_RE.fullmatch(raw_line) else 0
    if not 1 <= line <= MAX_LINE:
        return path, 0, side, "line must be a line number, 1 or more."
    if side not in ReviewComment.Side.values:
        return path, line, side, "side must be old or new."
    return path, line, side, ""


def _mark(threads: list[ReviewComment], change: Change, engineer: Engineer | None) -> None:
    """What the viewer may do with each thread, decided by the services' predicates (the services check again)."""
    may_comment = comments_services.can_comment(engineer, change)
    for thread in threads:
        thread.can_reply = may_comment
        thread.can_resolve = can_resolve_thread(engineer, thread, change)


def _form(
    request: HttpRequest,
    change: Change,
    path: str,
    line: int,
    side: str,
    *,
    body: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "change": change,
        "path": path,
        "line": line,
        "side": side,
        "body": body,
        "error": error,
        "comment_max_chars": MAX_BODY_CHARS,
        # Paths may hold any character; the form's ids must not.
        "form_id": f"comment-{hashlib.sha256(path.encode()).hexdigest()[:12]}-{side}-{line}",
    }
    return render(request, "reviews/_comment_form.html", context, status=status)


def _thread_response(
    request: HttpRequest,
    change: Change,
    thread_id: int,
    engineer: Engineer | None,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    if not is_fragment(request) and not error:
        return redirect(reverse("reviews:change-detail", args=[change.pk]) + f"#thread-{thread_id}")
    context = thread_context(change, engineer)
    thread = next(t for t in context["comment_threads"] if t.pk == thread_id)
    context.update({"change": change, "thread": thread, "reply_error": error})
    return render(request, "reviews/_comment_response.html", context, status=status)
