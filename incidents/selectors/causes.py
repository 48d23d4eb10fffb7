"""The confirmed causes of incidents, as the policy app's risk model asks for them (registered at start-up)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from incidents.models import IncidentChangeLink
from reviews.models import Change

_CONFIRMED = IncidentChangeLink.State.CONFIRMED


class ConfirmedCauses:
    """policy.causes.CauseProvider over the incident links a reviewer confirmed."""

    def caused_before(self, at: datetime) -> Q:
        confirmed = IncidentChangeLink.objects.filter(
            change_id=OuterRef("change_id"), state=_CONFIRMED, incident__started_at__lt=at
        )
        return Q(Exists(confirmed))

    def first_caused(self, changes: QuerySet[Change]) -> dict[int, datetime]:
        incident_at: dict[int, datetime] = {}
        for change_id, started_at in IncidentChangeLink.objects.filter(
            change__in=changes, state=_CONFIRMED
        ).values_list("change_id", "incident__started_at"):
            incident_at[change_id] = min(started_at, incident_at.get(change_id, started_at))
        return incident_at
