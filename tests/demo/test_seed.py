"""The demo organisation is complete, realistic enough to mean something, and safe to seed twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.seed import seed_demo
from incidents.models import Incident, IncidentChangeLink
from reviews.models import Assignment, AuditEvent, Change, Engineer, Review


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    settings.DATA_DIR = tmp_path_factory.mktemp("demo-data")
    with django_db_blocker.unblock():
        try:
            first = seed_demo()
            counts = _counts()
            second = seed_demo()
            yield first, second, counts
        finally:
            # The seed commits outside any test transaction: leave nothing behind for the other tests.
            call_command("flush", "--noinput")


def _counts() -> dict[str, int]:
    return {
        "changes": Change.objects.count(),
        "reviews": Review.objects.count(),
        "assignments": Assignment.objects.count(),
        "incidents": Incident.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.django_db
def test_seeding_twice_adds_nothing(seeded):
    first, second, counts = seeded

    assert _counts() == counts
    assert second["reviews"] == second["incidents"] == 0
    assert first["changes"] == counts["changes"] > 300


@pytest.mark.django_db
def test_demo_has_about_thirty_engineers_across_levels(seeded):
    levels = set(Engineer.objects.values_list("level", flat=True))

    assert 28 <= Engineer.objects.count() <= 32
    assert levels == {3, 4, 5, 6, 7, 8}


@pytest.mark.django_db
def test_demo_senior_has_a_queue_and_history_has_a_realistic_ai_share(seeded):
    merged = Change.objects.filter(state=Change.State.MERGED)
    share = merged.filter(ai_assisted=True).count() / merged.count()

    assert Assignment.objects.filter(reviewer__user__username="maya", state="active").exists()
    assert 0.2 <= share <= 0.6


@pytest.mark.django_db
def test_demo_incidents_are_confirmed_against_reverted_changes(seeded):
    confirmed = IncidentChangeLink.objects.filter(state=IncidentChangeLink.State.CONFIRMED).select_related("change")

    assert confirmed.count() >= 4
    for link in confirmed:
        assert Change.objects.filter(description__contains=f"This reverts commit {link.change.head_sha}").exists()


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
