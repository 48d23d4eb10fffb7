"""Fit the risk score's weights from merged history and store them as the newest risk model."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from reviews.models import Repository, RiskModel
from reviews.risk import fit_weights
from reviews.risk_history import training_rows
from reviews.services import audit_record

HOLDOUT = 0.25


class Command(BaseCommand):
    help = (
        "Fit the risk weights on merged changes (bad: a confirmed incident or a revert), report the ROC AUC "
        "on the later quarter of history, and store them unless --dry-run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repo", metavar="NAME", help="Only this repository's history (default: all)")
        parser.add_argument("--dry-run", action="store_true", help="Fit and report, store nothing")

    def handle(self, *args, repo: str | None, dry_run: bool, **options) -> None:
        repository = None
        if repo:
            repository = Repository.objects.filter(name=repo).first()
            if repository is None:
                raise CommandError(f"no repository named {repo!r}")
        rows = training_rows(repository)
        try:
            result = fit_weights(rows, holdout=HOLDOUT)
        except ValueError as exc:
            raise CommandError(f"cannot fit risk weights: {exc}") from None
        scope = repository.name if repository else "all repositories"
        auc = f"{result.auc:.2f}" if result.auc is not None else "not measurable (a part has only one class)"
        self.stdout.write(f"trained_on: {result.trained_on} merged changes of {scope}")
        self.stdout.write(f"positives: {result.positives} (confirmed incident or reverted)")
        self.stdout.write(f"held_out: {result.held_out}")
        self.stdout.write(f"ROC AUC on the held-out later {HOLDOUT:.0%} of history: {auc}")
        if dry_run:
            self.stdout.write("dry run: nothing stored")
            return
        note = (
            f"refit_risk on {scope}: {result.trained_on} changes, {result.positives} positive, "
            f"{result.held_out} held out"
        )
        with transaction.atomic():
            model = RiskModel.objects.create(
                weights=dict(result.weights.weights),
                intercept=result.weights.intercept,
                auc=result.auc,
                trained_on=result.trained_on,
                note=note[:500],
            )
            audit_record(
                actor=None,
                action="risk_model.fitted",
                target=model,
                payload={"auc": result.auc, "trained_on": result.trained_on, "positives": result.positives},
            )
        self.stdout.write(f"stored risk model {model.pk}")
