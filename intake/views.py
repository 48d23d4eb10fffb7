"""Admin-facing pages of intake: the webhook delivery log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.http import require_GET

from intake import selectors
from portal.access.rules import may
from reviews.models import Delivery


@login_required
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    """The webhook delivery log (admins only), newest first, filterable by status."""
    if not may(request.user, "intake.view_deliveries"):
        return HttpResponseForbidden("Only admins can read the delivery log.")
    status = request.GET.get("status", "")
    deliveries = selectors.deliveries(status=status if status in Delivery.Status.values else "")
    context = {"deliveries": deliveries, "status": status, "statuses": Delivery.Status.choices}
    return render(request, "reviews/delivery_list.html", context)
