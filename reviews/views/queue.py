"""The senior's review queue and the author's own changes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reviews import selectors
from reviews.views.common import current_engineer


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The senior's review queue: assigned changes, oldest first, and recent verdicts."""
    engineer = current_engineer(request)
    context = {
        "assignments": list(selectors.queue_for(engineer)) if engineer else [],
        "recent": list(selectors.recently_signed_by(engineer)) if engineer else [],
    }
    template = "reviews/queue_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#queue-table"
    return render(request, template, context)


@login_required
@require_GET
def my_changes(request: HttpRequest) -> HttpResponse:
    """An author's open changes with what each still needs."""
    engineer = current_engineer(request)
    changes = list(selectors.changes_by_author(engineer)) if engineer else []
    return render(request, "reviews/change_mine.html", {"changes": changes})
