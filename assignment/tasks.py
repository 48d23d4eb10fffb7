"""Celery entry points of assignment: load by id, call one service (task names keep their "reviews." prefix)."""

from __future__ import annotations

from celery import shared_task

from assignment.services.assign import changes_assign_waiting
from assignment.services.queue import reroute_stale as reroute
from assignment.services.whatif import whatif_run_execute


@shared_task(name="reviews.reroute_stale")
def reroute_stale() -> int:
    """Re-route assignments past their deadline or held by someone away."""
    return reroute()


@shared_task(name="assignment.assign_waiting")
def assign_waiting() -> int:
    """Assign every change left waiting for a sign-off with nobody assigned, in one batch."""
    return changes_assign_waiting()


@shared_task(name="reviews.whatif_run", acks_late=True)
def whatif_run(run_id: int) -> str:
    """Replay a manager's what-if and store its result; a finished run is left alone."""
    run = whatif_run_execute(run_id=run_id)
    return run.status if run else "missing"
