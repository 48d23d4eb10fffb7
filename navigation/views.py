"""The landing page (`/`), the admin overview and the header search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from navigation import selectors
from navigation.query import parse_query
from reviews.people import home_name, is_admin
from reviews.views import queue as queue_views

QUEUE = "reviews:queue"


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where each person's work is: a senior's queue is shown here; everyone else is sent to theirs."""
    name = home_name(request.user)
    if name == QUEUE:
        return queue_views.queue(request)
    return redirect(name)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The admin's start page: open changes, the queue, failed deliveries and the ledger, with links."""
    if not is_admin(request.user):
        raise PermissionDenied("The overview is for admins.")
    return render(request, "navigation/overview.html", {"counts": selectors.overview_counts()})


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """One box for changes, PR numbers, SHAs, titles, authors, incidents and report weeks; one match opens it."""
    query = parse_query(request.GET.get("q", ""))
    hits = selectors.search(query, request.user)
    if len(hits) == 1 and request.GET.get("list") != "1":
        return redirect(hits[0].url)
    return render(request, "navigation/search_results.html", {"query": query, "hits": hits, "search_text": query.text})
