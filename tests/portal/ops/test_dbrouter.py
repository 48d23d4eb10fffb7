"""The dashboards' read replica: without DATABASE_REPLICA_URL everything reads the default database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from portal.ops.dbrouter import ReplicaRouter, read_database, replica_reads
from reviews.models import Change

BASE_DIR = Path(__file__).resolve().parents[3]


def test_without_the_variable_there_is_no_replica_and_no_router():
    assert "replica" not in settings.DATABASES
    assert settings.DATABASE_ROUTERS == []
    with replica_reads():
        assert router.db_for_read(Change) == "default"
        assert read_database() == "default"


@pytest.mark.django_db
def test_a_dashboard_reads_the_default_database_without_a_replica(client, make_engineer):
    manager = make_engineer(level=7)
    manager.user.is_staff = True
    manager.user.save(update_fields=["is_staff"])
    client.force_login(manager.user)
    with CaptureQueriesContext(connections["default"]) as queries:
        response = client.get("/dashboards/")
    assert response.status_code == 200
    assert any("reviews_change" in q["sql"] for q in queries)  # the dashboard's reads went to the default database


def test_the_router_sends_only_reads_inside_replica_reads_to_the_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    chosen = ReplicaRouter()
    assert chosen.db_for_read(Change) is None
    with replica_reads():
        assert chosen.db_for_read(Change) == "replica"
        assert chosen.db_for_write(Change) == "default"
    assert chosen.db_for_read(Change) is None
    assert chosen.allow_migrate("default", "reviews") and not chosen.allow_migrate("replica", "reviews")


@pytest.mark.django_db
def test_with_the_variable_dashboard_reads_go_to_the_replica():
    # A fresh process configured with a replica (here the same database under another alias).
    db = connections["default"].settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = (
        "import django; django.setup()\n"
        "from django.db import router\n"
        "from portal.ops.dbrouter import replica_reads\n"
        "from reviews.models import Change\n"
        "with replica_reads():\n"
        "    inside = router.db_for_read(Change)\n"
        "    Change.objects.count()  # the replica answers\n"
        "print(inside, router.db_for_read(Change), router.db_for_write(Change))\n"
    )
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, check=True, timeout=120, capture_output=True, text=True
    ).stdout.split()
    assert out == ["replica", "default", "default"]
