"""Read queries of intake."""

from __future__ import annotations

from django.db.models import QuerySet

from reviews.models import Delivery


def deliveries(*, status: str = "", limit: int = 200) -> QuerySet[Delivery]:
    """The newest webhook deliveries, without their payloads."""
    queryset = Delivery.objects.select_related("repository").defer("payload").order_by("-received_at")
    if status:
        queryset = queryset.filter(status=status)
    return queryset[:limit]
