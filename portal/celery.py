"""Celery application; tasks are discovered in the Django apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# DjangoTask gives every task delay_on_commit, so work is enqueued only once
# the transaction that created it has committed.
app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Heartbeats and held-task notes, so the sweeper notices a killed worker (see portal.worker_liveness).
from portal import worker_liveness  # noqa: E402, F401

# Task metrics, request ids carried into tasks, beat's last send, and logging left to settings.LOGGING.
from portal.ops import tasksignals  # noqa: E402, F401
