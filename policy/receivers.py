"""Receivers of intake's signals, connected in PolicyConfig.ready: each calls one service."""

from __future__ import annotations

from typing import Any

from policy.services.evaluation import change_evaluate_diff
from reviews.models import Change, ChangeFile


def evaluate_stored_diff(
    sender: Any, *, change: Change, files: list[ChangeFile], codeowners: str | None, **kwargs: Any
) -> None:
    """A new diff was stored: owners, gates, risk and the policy decision, in the same transaction."""
    change_evaluate_diff(change=change, files=files, codeowners=codeowners)
