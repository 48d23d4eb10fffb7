"""Read queries of the inbox, a fixed number per page."""

from __future__ import annotations

from django.db.models import QuerySet

from reviews.models import Engineer, Notification, OutboundMessage


def inbox_for(engineer: Engineer, *, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's notifications, newest first, with the change and repository they are about."""
    queryset = Notification.objects.filter(recipient=engineer).select_related("change__repository")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-pk")


def unread_count(engineer: Engineer) -> int:
    """How many notifications the person has not opened."""
    return Notification.objects.filter(recipient=engineer, read_at__isnull=True).count()


def failed_message_count() -> int:
    """Outgoing messages that failed for good: admins see the count in the inbox."""
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count()
