"""Fit the risk score's weights from merged history and store them as the newest risk model."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from policy.services.riskmodels import HOLDOUT, risk_model_fit
from reviews.audit import ServiceError
from reviews.models import Repository


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
        try:
            result, model = risk_model_fit(repository=repository, store=not dry_run)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        scope = repository.name if repository else "all repositories"
        auc = f"{result.auc:.2f}" if result.auc is not None else "not measurable (a part has only one class)"
        self.stdout.write(f"trained_on: {result.trained_on} merged changes of {scope}")
        self.stdout.write(f"positives: {result.positives} (confirmed incident or reverted)")
        self.stdout.write(f"held_out: {result.held_out}")
        self.stdout.write(f"ROC AUC on the held-out later {HOLDOUT:.0%} of history: {auc}")
        self.stdout.write("dry run: nothing stored" if model is None else f"stored risk model {model.pk}")
