"""Writes around the audit ledger: anchors of its head outside the database, and alerts when it is broken."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from reviews.audit import audit_record
from reviews.ledger.chain import Anchor, AnchorSource, LedgerReport, anchor_line, make_anchor, verify_ledger
from reviews.ledger.selectors import ledger_entries, ledger_last_entry
from reviews.models import LedgerAlert

log = logging.getLogger(__name__)

ANCHOR_FILE = "ledger.anchors"


def _anchor_key() -> bytes | None:
    key = settings.PORTAL_LEDGER_ANCHOR_KEY
    return key.encode() if key else None


def _anchor_dir() -> Path:
    return Path(settings.PORTAL_LEDGER_ANCHOR_DIR)


def anchor_sources() -> Iterator[AnchorSource]:
    """Every line of every *.anchors file in the anchor directory, with its file and line number."""
    directory = _anchor_dir()
    if not directory.is_dir():
        return
    for path in sorted(directory.glob("*.anchors")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, start=1):
                yield AnchorSource(where=f"{path.name}:{number}", line=line)


def ledger_anchor(*, now: datetime | None = None) -> Anchor | None:
    """Append the ledger's current head to the anchor file (signed when a key is set) and mail it; None if empty."""
    head = ledger_last_entry()
    if head is None:
        log.info("audit ledger is empty: nothing to anchor")
        return None
    key = _anchor_key()
    if key is None and not settings.DEBUG:
        log.warning("PORTAL_LEDGER_ANCHOR_KEY is not set: the ledger anchor is written unsigned")
    anchor = make_anchor(entry_id=head[0], entry_hash=head[1], anchored_at=now or timezone.now(), key=key)
    line = anchor_line(anchor) + "\n"
    directory = _anchor_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # O_APPEND: one write() per line lands whole at the end even with two writers; fsync so a crash keeps it.
    fd = os.open(directory / ANCHOR_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    recipients = settings.PORTAL_LEDGER_ANCHOR_RECIPIENTS
    if recipients:
        try:
            send_mail(
                subject=f"Countersign audit ledger anchor: entry #{anchor.entry_id}",
                message=line,
                from_email=None,
                recipient_list=recipients,
            )
        except Exception:  # noqa: BLE001 - the file holds the anchor; the mail is a second copy
            log.warning("could not e-mail the ledger anchor of entry #%s", anchor.entry_id, exc_info=True)
    return anchor


def ledger_verify() -> LedgerReport:
    """Check the whole chain, streamed in id order, and every anchor against it (reads only)."""
    # Anchors are read before the entries, so every anchored entry is already committed when they are streamed.
    anchors = list(anchor_sources())
    return verify_ledger(ledger_entries(), anchors, key=_anchor_key())


def ledger_check(*, now: datetime | None = None) -> LedgerReport:
    """Verify the ledger and raise (or refresh) an alert for every problem not already resolved by an admin."""
    report = ledger_verify()
    now = now or timezone.now()
    for problem in report.problems:
        with transaction.atomic():
            alert, created = LedgerAlert.objects.select_for_update().get_or_create(
                key=problem.key,
                defaults={
                    "entry_id": problem.entry_id,
                    "message": problem.message,
                    "created_at": now,
                    "last_seen_at": now,
                },
            )
            if not created:
                alert.last_seen_at = now
                alert.save(update_fields=["last_seen_at"])
        if alert.resolved_at is None:
            log.error("audit ledger verification failed: %s", problem.message)
        else:
            # Ledger rows cannot be repaired; an admin who investigated a break resolves it once.
            log.warning("audit ledger problem already resolved by an admin: %s", problem.message)
    for note in report.notes:
        log.warning("audit ledger: %s", note)
    return report


def ledger_alert_resolve(*, alert: LedgerAlert, user, resolution: str) -> LedgerAlert:
    """Mark an alert as investigated; the same problem found again stays quiet."""
    with transaction.atomic():
        locked = LedgerAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.resolved_at is None:
            locked.resolved_at = timezone.now()
            locked.resolved_by = user
            locked.resolution = resolution
            locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
            audit_record(
                actor=user,
                action="ledger_alert.resolved",
                target=locked,
                payload={"key": locked.key, "entry_id": locked.entry_id, "resolution": resolution},
            )
    return locked
