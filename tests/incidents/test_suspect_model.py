"""The portal ranks with the shared suspect model: its window, stored fitted weights, and the refit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from incidents import services
from incidents.models import Incident, SuspectModel
from incidents.ranking.model import DEFAULT_WEIGHTS, MIN_LINKS_TO_FIT
from incidents.tasks import suspect_model_refit
from reviews.audit import ServiceError
from reviews.models import AuditEvent, Change, Service

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def merged(repository, n: int, at: datetime, path: str = "checkout/cart.py", lines: int = 10) -> Change:
    change = Change.objects.create(
        repository=repository,
        external_id=f"{n:040x}",
        head_sha=f"{n:040x}",
        title=f"Change {n}",
        state=Change.State.MERGED,
        opened_at=at - timedelta(hours=1),
        merged_at=at,
        lines_added=lines,
    )
    change.files.create(path=path, status="modified")
    return change


def incident(actor, service: Service, start: datetime = START, **fields) -> Incident:
    return services.incident_create(
        actor=actor, title="Checkout down", severity="SEV2", started_at=start, services=[service], **fields
    )


@pytest.fixture
def checkout(repository):
    return Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])


def ids(rows) -> list[int]:
    return [r.change.pk for r in rows]


def test_changes_weeks_old_are_suspects_and_the_known_good_time_narrows_the_window(repository, checkout, make_engineer):
    actor = make_engineer(6).user
    old = merged(repository, 1, START - timedelta(days=40))
    fresh = merged(repository, 2, START - timedelta(hours=2))
    merged(repository, 3, START - timedelta(days=95))

    assert ids(services.incident_suspects(incident=incident(actor, checkout))) == [fresh.pk, old.pk]
    narrowed = incident(actor, checkout, known_good_at=START - timedelta(days=3))
    assert ids(services.incident_suspects(incident=narrowed)) == [fresh.pk]


def test_a_known_good_time_after_the_start_is_refused(checkout, make_engineer):
    with pytest.raises(ServiceError, match="after the start"):
        incident(make_engineer(6).user, checkout, known_good_at=START + timedelta(minutes=1))


def test_the_newest_stored_model_weights_rank_the_incident(repository, checkout, make_engineer):
    big_old = merged(repository, 1, START - timedelta(days=6), lines=3000)
    small_new = merged(repository, 2, START - timedelta(hours=1), lines=2)
    recorded = incident(make_engineer(6).user, checkout)

    assert ids(services.incident_suspects(incident=recorded)) == [small_new.pk, big_old.pk]
    SuspectModel.objects.create(weights={"size": 9.0, "unknown": 1, "order": "x"}, trained_on=30, fitted=True)
    assert ids(services.incident_suspects(incident=recorded)) == [big_old.pk, small_new.pk]


def confirmed_incidents(repository, checkout, actor, count: int, *, culprit_is_old: bool) -> None:
    """Incidents whose confirmed cause is always the older of two changes (or always the newer)."""
    for n in range(count):
        start = START - timedelta(days=3 * n)
        old = merged(repository, 100 + 2 * n, start - timedelta(hours=30), path=f"checkout/o{n}.py")
        new = merged(repository, 101 + 2 * n, start - timedelta(hours=1), path=f"checkout/n{n}.py")
        recorded = incident(actor, checkout, start=start, known_good_at=start - timedelta(hours=40))
        services.incident_link_change(
            actor=actor, incident=recorded, change=old if culprit_is_old else new, state="confirmed", reason="found"
        )


def test_the_refit_keeps_the_defaults_below_the_minimum(repository, checkout, make_engineer):
    confirmed_incidents(repository, checkout, make_engineer(6).user, 3, culprit_is_old=True)

    result, model = services.suspect_model_refit()

    assert (result.links, result.fitted) == (3, False)
    assert model.weights == dict(DEFAULT_WEIGHTS)
    assert "defaults kept" in model.note
    assert AuditEvent.objects.filter(action="suspect_model.fitted").exists()


def test_the_refit_learns_from_confirmed_links_and_the_task_and_command_store_it(repository, checkout, make_engineer):
    confirmed_incidents(repository, checkout, make_engineer(6).user, MIN_LINKS_TO_FIT + 2, culprit_is_old=True)

    result, _ = services.suspect_model_refit(store=False)
    assert result.fitted and result.links == MIN_LINKS_TO_FIT + 2
    # The confirmed cause was always the older change: recency loses weight.
    assert result.weights["recency"] < DEFAULT_WEIGHTS["recency"]
    assert SuspectModel.objects.count() == 0

    assert "links" in suspect_model_refit()
    out = StringIO()
    call_command("refit_suspects", stdout=out)
    assert "fitted" in out.getvalue() and "stored suspect model" in out.getvalue()
    assert SuspectModel.objects.count() == 2
    call_command("refit_suspects", "--dry-run", stdout=StringIO())
    assert SuspectModel.objects.count() == 2


def test_a_confirmed_change_outside_the_candidates_is_passed_over(repository, checkout, make_engineer):
    actor = make_engineer(6).user
    later = merged(repository, 1, START + timedelta(hours=1))
    recorded = incident(actor, checkout)
    services.incident_link_change(actor=actor, incident=recorded, change=later, state="confirmed", reason="x")

    result, _ = services.suspect_model_refit(store=False)

    assert (result.links, result.passed_over) == (0, 1)


def test_every_feature_has_a_label_people_can_read():
    from incidents.ranking.labels import FEATURE_LABELS
    from incidents.ranking.model import FEATURES

    assert set(FEATURE_LABELS) == set(FEATURES)
    assert all(label and "_" not in label for label in FEATURE_LABELS.values())


def test_the_refit_sees_each_incident_as_of_its_mitigation_never_a_later_revert(repository, checkout, make_engineer):
    actor = make_engineer(6).user
    confirmed_incidents(repository, checkout, actor, MIN_LINKS_TO_FIT + 2, culprit_is_old=True)
    for n, recorded in enumerate(Incident.objects.order_by("pk")):
        Incident.objects.filter(pk=recorded.pk).update(mitigated_at=recorded.started_at + timedelta(hours=1))
        culprit = recorded.links.get(state="confirmed").change
        # Reverted two days after the mitigation: the investigators never saw it, so the refit must not either.
        revert = merged(repository, 900 + n, recorded.started_at + timedelta(days=2), path=f"checkout/o{n}.py")
        Change.objects.filter(pk=revert.pk).update(description=f"This reverts commit {culprit.head_sha}.")

    result, _ = services.suspect_model_refit(store=False)

    assert result.fitted
    assert result.weights["reverted_after"] == pytest.approx(DEFAULT_WEIGHTS["reverted_after"])
