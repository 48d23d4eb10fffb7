"""The admins' page of host connections: per repository how writes go, and a resync button."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from hostsync.selectors import host_repositories
from hostsync.services.reconcile import repository_resync
from portal.access.rules import may
from reviews.models import Repository


@login_required
@require_GET
def connection_list(request: HttpRequest) -> HttpResponse:
    """Every GitHub and GitLab repository: connection, last write, last error, rate limit left, outbox."""
    if not may(request.user, "hostsync.view_connections"):
        return HttpResponseForbidden("Only admins can see the host connections.")
    context = {
        "repositories": host_repositories(),
        "app_configured": bool(settings.PORTAL_GITHUB_APP_ID and settings.PORTAL_GITHUB_APP_PRIVATE_KEY),
        "writes_on": settings.PORTAL_HOST_WRITES,
    }
    return render(request, "hostsync/connection_list.html", context)


@login_required
@require_POST
def connection_resync(request: HttpRequest, repository_id: int) -> HttpResponse:
    """Write every open change's state to the host again (after fixing a token, reinstalling the App)."""
    if not may(request.user, "hostsync.resync_repository"):
        return HttpResponseForbidden("Only admins can resync a repository.")
    repository = get_object_or_404(Repository, pk=repository_id)
    count = repository_resync(repository=repository, actor=request.user)
    messages.success(request, f"{repository.name}: {count} open changes queued to be written again.")
    return redirect("hostsync:connection-list")
