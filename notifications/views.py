"""The inbox, its bell, a person's preferences, and the one-click unsubscribe of e-mails."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import selectors
from notifications.forms import PreferencesForm
from notifications.preferences import choices_for
from notifications.services.inbox import (
    email_unsubscribe,
    inbox_mark_all_read,
    notification_open,
    preferences_save,
)
from notifications.tokens import read_unsubscribe_token
from portal.access.rules import may
from portal.htmx import is_fragment
from reviews.models import ChatWebhook, Notification
from reviews.people import current_engineer

PAGE_SIZE = 30


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first; unread ones marked."""
    engineer = current_engineer(request)
    if engineer is None:
        return HttpResponseForbidden("Only engineers have an inbox.")
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(selectors.inbox_for(engineer, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "items": list(page.object_list),
        "unread_only": unread_only,
        "unread": selectors.unread_count(engineer),
        "failed": selectors.failed_message_count() if may(request.user, "notifications.view_failed_messages") else 0,
    }
    template = "notifications/inbox.html"
    if is_fragment(request):
        template += "#inbox-list"
    return render(request, template, context)


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The bell with the unread count, which the header polls."""
    engineer = current_engineer(request)
    count = selectors.unread_count(engineer) if engineer else 0
    return render(request, "notifications/_bell.html", {"unread": count})


@login_required
@require_GET
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open a notification: marked read, then on to the page it is about."""
    engineer = current_engineer(request)
    notification = Notification.objects.filter(pk=notification_id).first()
    # Someone else's notification is not there for the caller: a 403 would tell which ids exist.
    if (
        notification is None
        or engineer is None
        or not may(request.user, "notifications.open_notification", notification)
    ):
        raise Http404("No such notification.")
    notification_open(notification=notification, engineer=engineer)
    target = notification.url
    # Stored paths only, but checked anyway: never an open redirect to another site.
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/inbox/"
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark all my notifications read."""
    engineer = current_engineer(request)
    if engineer is None:
        return HttpResponseForbidden("Only engineers have an inbox.")
    count = inbox_mark_all_read(engineer=engineer)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """Channels and timing per kind of notification, time zone and quiet hours."""
    engineer = current_engineer(request)
    if engineer is None:
        return HttpResponseForbidden("Only engineers have notification preferences.")
    initial = {
        "time_zone": engineer.time_zone,
        "quiet_start": engineer.quiet_start,
        "quiet_end": engineer.quiet_end,
        "digest_hour": engineer.digest_hour,
    }
    form = PreferencesForm(request.POST or None, initial=initial, choices=choices_for(engineer))
    if request.method == "POST":
        if form.is_valid():
            preferences_save(engineer=engineer, choices=form.kind_choices(), profile=form.profile())
            messages.success(request, "Notification preferences saved.")
            return redirect("notifications:preferences")
        status = 400
    else:
        status = 200
    hook = ChatWebhook.objects.filter(engineer=engineer).first() or (
        ChatWebhook.objects.filter(team_id=engineer.team_id).first() if engineer.team_id else None
    )
    return render(request, "notifications/preferences.html", {"form": form, "hook": hook}, status=status)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a session or token; the signed link is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop e-mail of a kind from a link in an e-mail: GET asks, POST does it (mail clients POST directly)."""
    parsed = read_unsubscribe_token(token)
    if parsed is None:
        return HttpResponse("This unsubscribe link is not valid.", status=400, content_type="text/plain")
    engineer_id, kind = parsed
    if request.method == "POST":
        email_unsubscribe(engineer_id=engineer_id, kind=kind)
        return render(request, "notifications/unsubscribe.html", {"done": True, "kind": kind})
    return render(request, "notifications/unsubscribe.html", {"done": False, "kind": kind, "token": token})
