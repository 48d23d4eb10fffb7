"""The audit ledger against the real database: append-only rows, verification, anchors, alerts and the banner."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django.test.utils import CaptureQueriesContext

from reviews import tasks
from reviews.audit import audit_record
from reviews.ledger.chain import GENESIS_HASH, canonical_entry, entry_hash, parse_anchor_line
from reviews.models import AuditEvent, LedgerAlert, LedgerHead
from reviews.services.ledger import ledger_alert_resolve, ledger_anchor, ledger_check, ledger_verify

KEY = "anchor-key-for-tests"
ROW_FIELDS = ("id", "version", "created_at", "actor_id", "actor_label", "action", "payload", "prev_hash", "hash")


@pytest.fixture(autouse=True)
def _anchors(settings, tmp_path):
    settings.PORTAL_LEDGER_ANCHOR_DIR = tmp_path / "anchors"
    settings.PORTAL_LEDGER_ANCHOR_KEY = KEY
    settings.PORTAL_LEDGER_ANCHOR_RECIPIENTS = []


@pytest.fixture
def ledger(db, team):
    """Five entries by one actor, in a fresh chain."""
    LedgerHead.objects.update_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    actor = get_user_model().objects.create_user(username="bea", password="pw-for-tests-only")
    with transaction.atomic():
        events = [audit_record(actor=actor, action="team.touched", target=team, payload={"n": n}) for n in range(5)]
    return events


def drop_trigger() -> None:
    """What a database superuser could do: nothing in the portal ever drops it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER reviews_auditevent_append_only ON reviews_auditevent")


def rows() -> list[tuple]:
    return list(AuditEvent.objects.order_by("id").values_list(*ROW_FIELDS))


def test_new_entries_are_version_2_and_name_their_actor(ledger):
    event = AuditEvent.objects.get(pk=ledger[0].pk)

    assert (event.version, event.actor_label, event.actor.username) == (2, "bea", "bea")
    assert ledger_verify().is_intact


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE reviews_auditevent SET payload = '{\"n\": 99}' WHERE id = %s",
        "UPDATE reviews_auditevent SET actor_id = NULL WHERE id = %s",
        "DELETE FROM reviews_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_to_edit_or_delete_an_audit_row(ledger, statement):
    before = rows()

    with pytest.raises((InternalError, ProgrammingError), match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [ledger[2].pk])

    assert rows() == before


def test_an_edited_row_is_named_by_verify_ledger_once_the_trigger_is_dropped(ledger):
    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[2].pk).update(payload={"n": 99})

    with pytest.raises(CommandError, match=rf"entry #{ledger[2].pk}: its content does not match its hash"):
        call_command("verify_ledger")


def test_verify_ledger_exits_non_zero_on_a_broken_ledger_and_zero_on_an_intact_one(ledger, capsys, monkeypatch):
    # manage.py closes every connection when a command ends, which would end the test's transaction too.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    execute_from_command_line(["manage.py", "verify_ledger"])  # returns: exit status 0
    assert "ledger intact: 5 entries" in capsys.readouterr().out

    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[1].pk).update(action="team.forged")
    with pytest.raises(SystemExit) as broken:
        execute_from_command_line(["manage.py", "verify_ledger"])

    assert broken.value.code == 1
    assert f"entry #{ledger[1].pk}" in capsys.readouterr().err


def rechain_everything(*, forge_id: int) -> None:
    """Rewrite one entry and recompute every hash after it, consistently, head included."""
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id"):
        if event.pk == forge_id:
            event.payload = {"n": "forged"}
        fields = canonical_entry(
            version=event.version,
            created_at=event.created_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            payload=event.payload,
        )
        event.prev_hash, event.hash = prev, entry_hash(prev, fields)
        event.save(update_fields=["payload", "prev_hash", "hash"])
        prev = event.hash
    LedgerHead.objects.filter(pk=1).update(last_hash=prev)


def test_a_rechained_ledger_passes_its_links_but_verify_ledger_finds_it_through_the_anchors(ledger, team):
    ledger_anchor()
    audit_record(actor=None, action="team.touched", target=team, payload={"n": 5})
    ledger_anchor()
    drop_trigger()

    rechain_everything(forge_id=ledger[1].pk)

    report = ledger_verify()
    assert report.anchors == 2
    assert [p.key.split(":")[0] for p in report.problems] == ["anchor", "anchor"]
    with pytest.raises(CommandError, match=rf"entry #{ledger[-1].pk}: its hash differs from the one anchored"):
        call_command("verify_ledger")


def test_deleting_a_user_who_acted_leaves_the_rows_unchanged_and_the_chain_intact(ledger):
    before = rows()

    get_user_model().objects.get(username="bea").delete()

    assert rows() == before
    assert ledger_verify().is_intact
    assert AuditEvent.objects.get(pk=ledger[0].pk).actor_label == "bea"


def test_anchor_lines_are_appended_signed_and_verified(ledger, settings, team):
    first = ledger_anchor()
    audit_record(actor=None, action="team.touched", target=team, payload={})
    second = ledger_anchor()

    lines = (settings.PORTAL_LEDGER_ANCHOR_DIR / "ledger.anchors").read_text().splitlines()

    assert [parse_anchor_line(line) for line in lines] == [first, second]
    assert first.entry_id == ledger[-1].pk and first.entry_hash == ledger[-1].hash and first.is_signed
    assert ledger_verify().anchors == 2 and ledger_verify().is_intact


def test_a_forged_anchor_line_is_detected(ledger, settings):
    ledger_anchor()
    path = settings.PORTAL_LEDGER_ANCHOR_DIR / "ledger.anchors"
    genuine = path.read_text().strip()
    with path.open("a") as anchors:
        anchors.write(genuine.replace(ledger[-1].hash, ledger[-2].hash) + "\n")

    with pytest.raises(CommandError, match="ledger.anchors:2: signature does not verify"):
        call_command("verify_ledger")


def test_without_a_key_anchors_are_unsigned_with_a_warning_and_verification_says_so(ledger, settings, caplog):
    settings.PORTAL_LEDGER_ANCHOR_KEY = ""
    settings.DEBUG = False

    anchor = ledger_anchor()

    assert not anchor.is_signed
    assert "PORTAL_LEDGER_ANCHOR_KEY is not set" in caplog.text
    report = ledger_verify()
    assert report.is_intact and "unsigned" in report.notes[0]


def test_an_anchor_is_mailed_to_the_configured_recipients(ledger, settings):
    settings.PORTAL_LEDGER_ANCHOR_RECIPIENTS = ["audit@example.com"]

    anchor = ledger_anchor()

    assert [m.to for m in mail.outbox] == [["audit@example.com"]]
    assert f"#{anchor.entry_id}" in mail.outbox[0].subject and anchor.entry_hash in mail.outbox[0].body


def test_an_empty_ledger_writes_no_anchor(db, settings):
    assert ledger_anchor() is None
    assert not (settings.PORTAL_LEDGER_ANCHOR_DIR / "ledger.anchors").exists()


def test_older_v1_rows_still_verify_and_the_chain_goes_on_in_v2(db, team):
    LedgerHead.objects.update_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    actor = get_user_model().objects.create_user(username="old", password="pw-for-tests-only")
    prev = GENESIS_HASH
    for n in range(3):
        event = AuditEvent(
            version=1, actor=actor, action="team.touched", target_type="reviews.team", target_id=str(team.pk)
        )
        event.created_at, event.payload = ledger_time(n), {"n": n}
        # Exactly the dictionary audit_record hashed before entries had versions.
        old_entry = {
            "created_at": event.created_at.isoformat(),
            "actor_id": actor.pk,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "payload": event.payload,
        }
        event.prev_hash, event.hash = prev, entry_hash(prev, old_entry)
        event.save()
        prev = event.hash
    LedgerHead.objects.filter(pk=1).update(last_hash=prev)

    audit_record(actor=actor, action="team.touched", target=team, payload={"n": 3})

    assert list(AuditEvent.objects.values_list("version", flat=True)) == [1, 1, 1, 2]
    assert ledger_verify().is_intact


def ledger_time(n: int) -> datetime:
    return datetime(2026, 1, 5, 9, n, 0, 250000, tzinfo=UTC)


# --- the periodic check, its alerts and the banner -------------------------------------------------


@pytest.fixture
def admin_and_engineer(make_engineer):
    admin = make_engineer(7)
    admin.user.is_staff = True
    admin.user.save(update_fields=["is_staff"])
    return admin.user, make_engineer(5).user


def test_the_verify_task_on_an_intact_ledger_raises_no_alert_and_no_banner(ledger, client, admin_and_engineer):
    assert tasks.verify_ledger() == "intact"

    assert not LedgerAlert.objects.exists()
    client.force_login(admin_and_engineer[0])
    assert "ledger-alert" not in client.get("/me/").content.decode()


def test_the_verify_task_raises_an_alert_that_admins_see_on_every_page(ledger, client, admin_and_engineer, caplog):
    admin, engineer = admin_and_engineer
    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[3].pk).update(actor_label="eve")

    with caplog.at_level(logging.ERROR):
        assert tasks.verify_ledger() == "1 problems"

    alert = LedgerAlert.objects.get()
    assert alert.entry_id == ledger[3].pk and alert.resolved_at is None
    assert f"entry #{ledger[3].pk}" in caplog.text and "ERROR" in [r.levelname for r in caplog.records]
    client.force_login(admin)
    for page in ("/me/", "/"):
        body = client.get(page, follow=True).content.decode()
        assert 'class="ledger-alert"' in body and f"entry #{ledger[3].pk}" in body
    client.force_login(engineer)
    assert "ledger-alert" not in client.get("/me/").content.decode()


def test_the_same_problem_found_again_keeps_one_alert(ledger):
    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[3].pk).update(action="team.forged")

    ledger_check()
    ledger_check()

    assert LedgerAlert.objects.count() == 1


def test_a_resolved_alert_stays_quiet_and_the_banner_goes(ledger, client, admin_and_engineer):
    admin, _ = admin_and_engineer
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[3].pk).update(action="team.forged")
    ledger_check()
    alert = LedgerAlert.objects.get()
    client.force_login(admin)

    response = client.post(
        "/admin/reviews/ledgeralert/", {"action": "resolve", "_selected_action": [alert.pk]}, follow=True
    )

    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by == admin
    assert AuditEvent.objects.filter(action="ledger_alert.resolved", actor=admin).exists()
    ledger_check()
    assert LedgerAlert.objects.get().resolved_at is not None
    assert "ledger-alert" not in client.get("/me/").content.decode()


def test_resolving_twice_keeps_the_first_resolution(ledger, admin_and_engineer):
    admin, _ = admin_and_engineer
    drop_trigger()
    AuditEvent.objects.filter(pk=ledger[3].pk).update(action="team.forged")
    ledger_check()
    alert = LedgerAlert.objects.get()

    first = ledger_alert_resolve(alert=alert, user=admin, resolution="investigated")
    second = ledger_alert_resolve(alert=alert, user=admin, resolution="again")

    assert first.resolved_at == second.resolved_at and second.resolution == "investigated"


def test_the_banner_costs_admins_one_query_and_others_none(ledger, client, admin_and_engineer):
    admin, engineer = admin_and_engineer

    def queries(user) -> list[str]:
        client.force_login(user)
        client.get("/me/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/me/")
        return [q["sql"] for q in captured.captured_queries if "reviews_ledgeralert" in q["sql"]]

    assert len(queries(admin)) == 1
    assert queries(engineer) == []
