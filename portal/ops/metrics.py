"""Prometheus metrics: defined once here, observed by the web processes and the workers, served at /metrics.

With PROMETHEUS_MULTIPROC_DIR set (several gunicorn processes, prefork worker children), every process writes
its samples to files in that directory and /metrics adds them up; queue depths are read from Redis at scrape time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import redis
from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from portal.conf.queues import QUEUE_NAMES

TASK_SECONDS = Histogram(
    "countersign_task_duration_seconds",
    "Time a Celery task took to run, by task and outcome.",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
TASK_WAIT = Histogram(
    "countersign_task_queue_wait_seconds",
    "Time a Celery task waited from being sent to starting (tasks sent with a countdown or ETA left out), by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
TASK_FAILURES = Counter("countersign_task_failures_total", "Celery task runs that raised, by task.", ["task"])
TASK_RETRIES = Counter("countersign_task_retries_total", "Celery task runs that asked to be retried.", ["task"])
WEBHOOKS = Counter(
    "countersign_webhook_deliveries_total",
    "Webhook deliveries by host and outcome (received: all; accepted: 2xx; rejected: the rest).",
    ["host", "outcome"],
)
REVIEW_LATENCY = Histogram(
    "countersign_review_latency_seconds",
    "Time from a senior's assignment to their verdict, by verdict.",
    ["verdict"],
    buckets=(300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600, 7 * 24 * 3600),
)
REVIEW_SECONDS_SPENT = Histogram(
    "countersign_review_time_spent_seconds",
    "Time a senior spent on a review before the verdict.",
    buckets=(30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)


class QueueDepthCollector(Collector):
    """Messages waiting in each Celery queue, and messages taken by a worker but not yet acknowledged."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Read the Redis lists at scrape time (nothing to report when tasks run in-process)."""
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        depth = GaugeMetricFamily("countersign_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        unacked = GaugeMetricFamily(
            "countersign_queue_unacked", "Messages a worker has taken and not yet acknowledged (all queues)."
        )
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            pipe = client.pipeline()
            for name in QUEUE_NAMES:
                pipe.llen(name)
            pipe.hlen("unacked")
            *lengths, held = pipe.execute()
        except redis.RedisError:
            return  # the broker is down: /readyz says so; no made-up zeros here
        finally:
            client.close()
        for name, length in zip(QUEUE_NAMES, lengths, strict=True):
            depth.add_metric([name], length)
        unacked.add_metric([], held)
        yield depth
        yield unacked


def exposition() -> bytes:
    """The text exposition of every metric: this process's (or all processes', in multiprocess mode) and queues."""
    registry = CollectorRegistry()
    registry.register(QueueDepthCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY) + generate_latest(registry)
