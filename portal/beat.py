"""The periodic schedule of every domain's beat tasks (task names only: no domain is imported here)."""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab


def beat_schedule(*, poll_seconds: int, reconcile_minutes: int) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule; the weekly report's entry is added by settings (it needs the report's time zone)."""
    every = {
        # Every minute: with the heartbeat's 30 s, a killed worker's tasks are sent again within about 90 s.
        "reviews.sweep_unprocessed": crontab(minute="*"),
        "reviews.reroute_stale": crontab(minute="*/10"),
        # Changes left waiting with nobody assigned (no senior was free, the author was unknown): one batch.
        "assignment.assign_waiting": crontab(minute="*/5"),
        "reviews.poll_repositories": poll_seconds,
        # The dashboards' knowledge rollups every night (and on demand: manage.py rebuild_insights); facts often.
        "insights.rebuild_knowledge": crontab(hour=2, minute=30),
        "insights.refresh_facts": crontab(minute="*/5"),
        # Host write-back: the outbox swept often, what the hosts show compared with what Countersign wants.
        "hostsync.sweep": 30.0,
        "hostsync.reconcile": crontab(minute=f"*/{reconcile_minutes}"),
        # The audit ledger: its head written outside the database every hour, and the whole chain checked every hour.
        "reviews.anchor_ledger": crontab(minute=5),
        "reviews.verify_ledger": crontab(minute=35),
        # The suspect ranking's weights refitted on the confirmed incident links, every Sunday night.
        "incidents.suspect_model_refit": crontab(day_of_week=0, hour=3, minute=15),
        # Notifications: due messages (digests, quiet hours, retries) every minute; review deadlines every 5 minutes.
        "notifications.dispatch_due": crontab(minute="*"),
        "notifications.scan_deadlines": crontab(minute="*/5"),
    }
    return {name: {"task": name, "schedule": schedule} for name, schedule in every.items()}
