"""Celery entry points of the incidents app: load by id, call one service, retry here."""

from __future__ import annotations

from celery import shared_task

from incidents import services
from reviews.gitrepo import GitError

RETRY = {"autoretry_for": (GitError,), "retry_backoff": 5, "retry_backoff_max": 300, "max_retries": 8}


@shared_task(name="incidents.fix_trace", acks_late=True, **RETRY)
def fix_trace(incident_id: int) -> str:
    """Trace an incident's fix commit back to the changes that last touched the lines it fixed (SZZ)."""
    trace = services.fix_trace_run(incident_id=incident_id)
    return "no fix commit" if trace is None else trace.state
