"""Helpers shared by the HTML views."""

from __future__ import annotations

from django.http import Http404

from reviews import selectors
from reviews.models import Change


def change_or_404(change_id: int) -> Change:
    """The change with everything its page shows, or a 404."""
    change = selectors.change_detail(change_id)
    if change is None:
        raise Http404("No such change.")
    return change
