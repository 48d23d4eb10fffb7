"""The inbox's writes: marking read, and the preferences people set for themselves."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.preferences import choices_for
from reviews.models import Engineer, Notification, NotificationKind, NotificationPreference


def notification_open(*, notification: Notification, engineer: Engineer) -> Notification:
    """Mark a notification read as its person opens it."""
    if notification.recipient_id != engineer.pk:
        raise PermissionError("not your notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def inbox_mark_all_read(*, engineer: Engineer) -> int:
    """Mark every unread notification of the person read; returns how many."""
    return Notification.objects.filter(recipient=engineer, read_at__isnull=True).update(read_at=timezone.now())


def preferences_save(*, engineer: Engineer, choices: dict[str, dict], profile: dict) -> None:
    """Store a person's channel and timing per kind, and their zone, quiet hours and digest hour."""
    with transaction.atomic():
        for kind in NotificationKind.values:
            chosen = choices.get(kind)
            if chosen is None:
                continue
            NotificationPreference.objects.update_or_create(
                engineer=engineer,
                kind=kind,
                defaults={"email": chosen["email"], "chat": chosen["chat"], "mode": chosen["mode"]},
            )
        for field, value in profile.items():
            setattr(engineer, field, value)
        engineer.save(update_fields=list(profile))


def email_unsubscribe(*, engineer_id: int, kind: str) -> int:
    """Stop e-mail of one kind ("all": every kind) for a person, from an unsubscribe link; returns kinds changed."""
    kinds = NotificationKind.values if kind == "all" else [kind] if kind in NotificationKind.values else []
    engineer = Engineer.objects.filter(pk=engineer_id).first()
    if engineer is None:
        return 0
    current = choices_for(engineer)
    with transaction.atomic():
        for one in kinds:
            NotificationPreference.objects.update_or_create(
                engineer=engineer,
                kind=one,
                defaults={"email": False, "chat": current[one].chat, "mode": current[one].mode},
            )
    return len(kinds)
