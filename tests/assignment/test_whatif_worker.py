"""A what-if goes through a real Celery worker consuming from the real Redis broker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from assignment import tasks
from policy.services.policies import policy_current, policy_publish
from reviews.models import WhatIfRun
from reviews.tasks import sweep_unprocessed
from tests.assignment.whatif_history import EVERY_CHANGE, build
from tests.test_flow import _wait_for, celery_worker  # noqa: F401 - the worker fixture

pytestmark = pytest.mark.worker

PASSWORD = "pw-for-tests-only"


def test_a_managers_what_if_runs_on_the_worker_and_running_it_twice_changes_nothing(
    celery_worker,  # noqa: F811
    client,
    make_engineer,
):
    build(make_engineer, end=timezone.now())
    make_engineer(5, username="manny", is_manager=True)
    client.login(username="manny", password=PASSWORD)
    policy_current()
    policy_publish(data=EVERY_CHANGE, actor=None)  # v1 (the default) is replayed against v2 in force

    response = client.post(
        "/whatif/",
        {"policy": "1", "strategy": "balanced", "weeks": "2", "repository": "", "seniors": "org", "top": ""},
    )

    run = WhatIfRun.objects.get()
    assert response.status_code == 302
    _wait_for(lambda: WhatIfRun.objects.get(pk=run.pk).is_finished)
    run.refresh_from_db()
    assert run.status == WhatIfRun.Status.DONE and run.progress == 100, run.error
    assert run.result["changes"] == 4 and run.result["chosen"]["needs_senior"] == 2
    assert run.started_at >= run.created_at and run.finished_at >= run.started_at

    page = client.get(f"/whatif/{run.pk}/").content.decode()
    # The finished run stops polling (the header's inbox bell polls on its own).
    main = page.split("<main", 1)[1]
    assert "Senior hours needed per week against capacity" in page and "hx-trigger" not in main


def test_the_task_leaves_a_finished_run_alone_and_says_when_a_run_is_missing(db, make_engineer):
    build(make_engineer, end=timezone.now())
    run = WhatIfRun.objects.create(params={}, params_key="x", policy_version=None, proposed_policy={"rules": []})
    WhatIfRun.objects.filter(pk=run.pk).update(status=WhatIfRun.Status.DONE, result={"changes": 1}, progress=100)

    assert tasks.whatif_run(run.pk) == "done"
    assert tasks.whatif_run(run.pk + 1000) == "missing"
    assert WhatIfRun.objects.get(pk=run.pk).result == {"changes": 1}


def test_the_sweeper_resends_a_run_queued_while_the_broker_was_down(db, monkeypatch):
    run = WhatIfRun.objects.create(params={}, params_key="x", policy_version=None, proposed_policy={"rules": []})
    WhatIfRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = WhatIfRun.objects.create(params={}, params_key="y", policy_version=None, proposed_policy={"rules": []})
    cache.delete_many([f"sent:reviews.whatif_run:{pk}" for pk in (run.pk, fresh.pk)])  # no lease from earlier runs
    sent = []
    monkeypatch.setattr(tasks.whatif_run, "delay", sent.append)

    sweep_unprocessed(older_than_seconds=60)
    sweep_unprocessed(older_than_seconds=60)  # within the lease: not sent twice

    assert sent == [run.pk] and fresh.pk not in sent
