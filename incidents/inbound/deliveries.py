"""Applying a stored webhook delivery again, whoever sent it: the git host's (intake) or PagerDuty's (incidents).

It lives in incidents, the one app that knows both kinds (intake must not import incidents).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from incidents.services.pagerduty import pagerduty_redeliver
from intake.services.deliveries import delivery_redeliver as host_redeliver
from portal.access.rules import may
from reviews.models import Delivery


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    """Apply a stored delivery again (admins only)."""
    if not may(request.user, "incidents.redeliver"):
        return HttpResponseForbidden("Only admins can redeliver.")
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery.")
    if delivery.provider == Delivery.Provider.PAGERDUTY:
        delivery = pagerduty_redeliver(delivery=delivery, actor=request.user)
    else:
        delivery = host_redeliver(delivery=delivery, actor=request.user)
    messages.success(request, f"Delivery {delivery.delivery_id} applied again: {delivery.get_status_display()}.")
    return redirect("reviews:delivery-list")
