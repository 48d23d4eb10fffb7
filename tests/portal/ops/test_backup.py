"""`make backup` / `make restore`: a dump restored into a fresh database holds the same, verifiable ledger."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction

from reviews.audit import audit_record
from reviews.models import AuditEvent

BASE_DIR = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(BASE_DIR / "scripts"))
import pgbackup  # noqa: E402


def _url(name: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _manage(database_url: str, anchors: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_LEDGER_ANCHOR_DIR": str(anchors),
        "PORTAL_LOG_FORMAT": "text",
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, timeout=300, capture_output=True, text=True
    )


def test_a_url_is_split_into_options_with_the_password_kept_out_of_argv():
    target = pgbackup.parse_url("postgres://app:s%40cret@db.internal:6432/countersign")
    assert target.argv() == [
        "--host", "db.internal", "--port", "6432", "--username", "app", "--dbname", "countersign",
    ]  # fmt: skip
    assert "s@cret" not in " ".join(target.argv()) and target.env()["PGPASSWORD"] == "s@cret"
    with pytest.raises(SystemExit, match="PostgreSQL"):
        pgbackup.parse_url("sqlite:///var/countersign.sqlite3")


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_verifies_its_ledger(team, tmp_path):
    with transaction.atomic():
        for n in range(25):
            audit_record(actor=None, action="team.touched", target=team, payload={"n": n})
    source = _url(connection.settings_dict["NAME"])
    anchors = tmp_path / "anchors"
    assert _manage(source, anchors, "anchor_ledger").returncode == 0

    dump = tmp_path / "countersign.dump"
    started = time.monotonic()
    assert pgbackup.main(["--database-url", source, "backup", "--out", str(dump)]) == 0
    backed_up_in = time.monotonic() - started
    assert dump.stat().st_size > 0

    fresh = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    target = pgbackup.parse_url(_url(fresh))
    admin = ["--host", target.host, "--port", target.port, "--username", target.user]
    subprocess.run(["createdb", *admin, fresh], env=target.env(), check=True, timeout=60)  # noqa: S603, S607
    try:
        started = time.monotonic()
        assert pgbackup.main(["--database-url", _url(fresh), "restore", str(dump)]) == 0
        restored_in = time.monotonic() - started

        verified = _manage(_url(fresh), anchors, "verify_ledger")
        assert verified.returncode == 0, verified.stderr
        assert verified.stdout.startswith(f"ledger intact: {AuditEvent.objects.count()} entries, 1 anchors checked")

        # A second restore into the now full database is refused rather than mixed in.
        with pytest.raises(SystemExit, match="not empty"):
            pgbackup.main(["--database-url", _url(fresh), "restore", str(dump)])

        # And the check is real: one rewritten entry in the restored copy fails it.
        psql = ["psql", "--no-psqlrc", *target.argv(), "--command"]
        rewrite = (  # past the table's append-only trigger, as someone holding the owner role could
            "ALTER TABLE reviews_auditevent DISABLE TRIGGER USER; UPDATE reviews_auditevent"
            " SET payload = '{\"n\": 99}' WHERE id = (SELECT min(id) FROM reviews_auditevent)"
        )
        subprocess.run([*psql, rewrite], env=target.env(), check=True, timeout=60, capture_output=True)  # noqa: S603, S607
        assert _manage(_url(fresh), anchors, "verify_ledger").returncode != 0
    finally:
        subprocess.run(["dropdb", *admin, "--if-exists", fresh], env=target.env(), timeout=60)  # noqa: S603, S607
    print(f"backup {dump.stat().st_size} bytes in {backed_up_in:.1f} s, restored in {restored_in:.1f} s")  # noqa: T201
