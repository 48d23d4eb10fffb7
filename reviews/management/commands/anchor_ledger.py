"""Write the audit ledger's head (last id and hash, now) to the anchor file, as the beat task does."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reviews.ledger.chain import anchor_line
from reviews.services.ledger import ledger_anchor


class Command(BaseCommand):
    help = "Append the audit ledger's current head to PORTAL_LEDGER_ANCHOR_DIR/ledger.anchors (signed with the key)."

    def handle(self, *args, **options) -> None:
        anchor = ledger_anchor()
        self.stdout.write("the ledger is empty: nothing to anchor" if anchor is None else anchor_line(anchor))
