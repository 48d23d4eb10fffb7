"""Which channels and timing apply to a person for a kind of notification: theirs, else the organisation's."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from reviews.models import Engineer, NotificationKind, NotificationPreference, OutboundMessage


@dataclass(frozen=True)
class Choice:
    """Channels and timing for one person and kind."""

    email: bool
    chat: bool
    mode: str


# The organisation's defaults until an admin stores their own (a preference row without a person).
BUILTIN = Choice(email=True, chat=False, mode=OutboundMessage.Mode.INSTANT)


def choices_for(engineer: Engineer) -> dict[str, Choice]:
    """Every kind's choice for this person, in one query: their rows over the organisation's over the built-in."""
    rows = NotificationPreference.objects.filter(engineer__isnull=True) | NotificationPreference.objects.filter(
        engineer=engineer
    )
    chosen = {kind: BUILTIN for kind in NotificationKind.values}
    for row in sorted(rows, key=lambda r: r.engineer_id is not None):  # defaults first, then the person's own
        chosen[row.kind] = Choice(email=row.email, chat=row.chat, mode=row.mode)
    return chosen


def zone_of(engineer: Engineer) -> ZoneInfo:
    """The person's time zone; the portal's when unset or unknown (an admin typo must not stop the mail)."""
    try:
        return ZoneInfo(engineer.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)
