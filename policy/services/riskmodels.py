"""Risk models fitted from the organisation's own history."""

from __future__ import annotations

from django.db import transaction

from policy.risk import FitResult, fit_weights
from policy.risk_history import training_rows
from reviews.audit import ServiceError, audit_record
from reviews.models import Repository, RiskModel

HOLDOUT = 0.25


def risk_model_fit(*, repository: Repository | None = None, store: bool = True) -> tuple[FitResult, RiskModel | None]:
    """Fit weights on merged changes (bad: confirmed incident or reverted); store them as the newest model."""
    rows = training_rows(repository)
    try:
        result = fit_weights(rows, holdout=HOLDOUT)
    except ValueError as exc:
        raise ServiceError(f"cannot fit risk weights: {exc}") from None
    if not store:
        return result, None
    scope = repository.name if repository else "all repositories"
    note = f"fitted on {scope}: {result.trained_on} changes, {result.positives} positive, {result.held_out} held out"
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
    return result, model
