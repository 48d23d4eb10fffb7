"""Receivers of the policy app's signals, connected in AssignmentConfig.ready: each calls one service."""

from __future__ import annotations

from typing import Any

from assignment.services.assign import change_assign_if_waiting
from reviews.models import Change


def assign_evaluated_change(sender: Any, *, change: Change, **kwargs: Any) -> None:
    """A change was evaluated: assign a senior if it now waits for a sign-off."""
    change_assign_if_waiting(change=change)
