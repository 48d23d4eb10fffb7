"""Celery entry points of the insights app: rebuild the rollups the dashboards read."""

from __future__ import annotations

from celery import shared_task

from insights import services


@shared_task(name="insights.rebuild_knowledge", acks_late=True)
def rebuild_knowledge(weeks: int = 13) -> int:
    """Knowledge snapshots for the last `weeks` weeks and now; idempotent (snapshots are replaced)."""
    return services.knowledge_rebuild(weeks=weeks)


@shared_task(name="insights.refresh_facts", acks_late=True)
def refresh_facts() -> dict[str, int]:
    """Bring the change and verdict facts up to date; idempotent (rows are replaced)."""
    return services.facts_refresh()
