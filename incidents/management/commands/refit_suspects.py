"""Fit the suspect ranking's weights on the confirmed incident links and store them as the newest model."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from incidents.ranking.model import DEFAULT_WEIGHTS, MIN_LINKS_TO_FIT
from incidents.services import suspect_model_refit


class Command(BaseCommand):
    help = (
        "Fit the suspect ranking's weights (conditional logit, shrunk toward the defaults) on every confirmed "
        f"incident link; with fewer than {MIN_LINKS_TO_FIT} links the defaults are kept. Stores the result as "
        "the newest suspect model unless --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Fit and report, store nothing")

    def handle(self, *args, dry_run: bool, **options) -> None:
        result, model = suspect_model_refit(store=not dry_run)
        self.stdout.write(f"links: {result.links} confirmed (passed over: {result.passed_over})")
        self.stdout.write("fitted" if result.fitted else f"defaults kept (fewer than {MIN_LINKS_TO_FIT} links)")
        for name, weight in result.weights.items():
            if weight != DEFAULT_WEIGHTS[name]:
                self.stdout.write(f"  {name}: {DEFAULT_WEIGHTS[name]:+.2f} -> {weight:+.2f}")
        self.stdout.write("dry run: nothing stored" if model is None else f"stored suspect model {model.pk}")
