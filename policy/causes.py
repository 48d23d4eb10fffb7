"""Which changes caused incidents, as the incidents app tells it: risk learns from them, but policy sits below
incidents and never imports it.

The incidents app registers its provider at start-up (IncidentsConfig.ready). Without one, no change is known to
have caused an incident, and risk learns from reverts alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.db.models import Q, QuerySet

from reviews.models import Change


class CauseProvider(Protocol):
    """What the incidents app answers about confirmed causes of incidents."""

    def caused_before(self, at: datetime) -> Q:
        """Rows whose `change_id` was confirmed, as known at `at`, to have caused an incident that started before."""

    def first_caused(self, changes: QuerySet[Change]) -> dict[int, datetime]:
        """For each of `changes` confirmed as a cause: the start of the earliest incident it caused."""


_provider: CauseProvider | None = None


def register_cause_provider(provider: CauseProvider) -> None:
    """Called once at start-up by the app that records incidents."""
    global _provider
    _provider = provider


def caused_before(at: datetime) -> Q:
    """A filter on rows with a `change_id`: the change caused an incident that started before `at`."""
    return _provider.caused_before(at) if _provider else Q(pk__in=[])


def first_caused(changes: QuerySet[Change]) -> dict[int, datetime]:
    """Change id -> start of the earliest incident it was confirmed to have caused."""
    return _provider.first_caused(changes) if _provider else {}
