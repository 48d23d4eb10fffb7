"""What follows the changes: deployments, incidents with their links, the showcase changes the benchmark opens,
the hash-chained audit ledger, and the fact rollups' watermark."""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import zlib
from datetime import UTC, datetime

import psycopg
from django.conf import settings
from django.db import connection

from demo.generate.db import copy_rows
from demo.generate.history import DAY, HOUR, History
from demo.generate.org import Org
from demo.generate.rows import CHANGE_COLUMNS, CHANGE_FACT_COLUMNS, FILE_COLUMNS, REVISION_COLUMNS, at
from insights.services.figures import day_figures_refresh
from insights.stats import size_bucket
from intake.diffparse import parse_diff
from reviews.ledger.chain import CURRENT_VERSION, GENESIS_HASH, canonical_entry, entry_hash

SHOWCASE = {"bench-300": (3, 50), "bench-5000": (10, 250)}  # external id -> (files, lines replaced per file)


def write_deployments(history: History, org: Org) -> None:
    """One deployment per service and release slot that carried a change (the links are already written)."""
    rows = []
    for (service, slot), pk in history.deployments.items():
        digest = hashlib.sha1(f"{service}:{slot}".encode(), usedforsecurity=False).hexdigest()
        rows.append((pk, "production", digest, at(slot), org.services[service][0]))
    copy_rows("reviews_deployment", ["id", "environment", "sha", "deployed_at", "service_id"], rows)


def write_incidents(rng: random.Random, history: History, org: Org, *, count: int, start: float, end: float) -> int:
    """Incidents on (mostly busy) services, each with a confirmed cause among the changes deployed to it in the
    three days before, a few suspects and one ruled out; returns the links written."""
    incidents, services, links = [], [], []
    confirmed = []
    busy = sorted(history.deployed, key=lambda s: -len(history.deployed[s]))
    for deployed in history.deployed.values():
        deployed.sort()
    for pk in range(1, count + 1):
        service = rng.choice(busy[: max(1, len(busy) // 5)]) if rng.random() < 0.7 else rng.choice(busy)
        started = float(int(rng.uniform(start + 10 * DAY, end - HOUR)))
        recent = history.deployed[service]
        window = recent[bisect.bisect(recent, (started - 3 * DAY, 0)) : bisect.bisect(recent, (started, 0))]
        resolved = started + rng.uniform(1, 12) * HOUR
        status = "resolved" if resolved < end else "open"
        sid, repository, _, _ = org.services[service]
        incidents.append(
            (
                pk, f"Errors on {sid}: incident {pk}", rng.choice(("SEV1", "SEV2", "SEV3", "SEV3", "SEV4")), status,
                "", at(started), at(started + 300), at(started + HOUR) if status == "resolved" else None,
                at(resolved) if status == "resolved" else None, at(started), None, rng.choice(org.seniors), "", "",
                None, "", "", "[]", repository, at(min(resolved, end - 1)),
            )
        )  # fmt: skip
        services.append((pk, pk, sid))
        picked = rng.sample(window, min(len(window), 4))
        for index, (_, change) in enumerate(picked):
            state = "confirmed" if index == 0 else ("ruled_out" if index == 3 else "suspected")
            links.append((len(links) + 1, state, "", at(started + HOUR), at(started + 2 * HOUR), change, None, pk))
            if state == "confirmed":
                confirmed.append(change)
    copy_rows(
        "incidents_incident",
        ["id", "title", "severity", "status", "summary", "started_at", "detected_at", "mitigated_at", "resolved_at",
         "created_at", "created_by_id", "commander_id", "external_id", "external_source", "external_updated_at",
         "external_url", "fix_sha", "paths", "repository_id", "updated_at"],
        incidents,
    )  # fmt: skip
    copy_rows("incidents_incident_services", ["id", "incident_id", "service_id"], services)
    copy_rows(
        "incidents_incidentchangelink",
        ["id", "state", "reason", "created_at", "updated_at", "change_id", "decided_by_id", "incident_id"],
        links,
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE insights_changefact SET failed = true WHERE change_id = ANY(%s)", [confirmed])
    return len(links)


def _showcase_diff(files: int, per_file: int) -> bytes:
    """A unified diff replacing `per_file` lines in each of `files` files (2 x per_file changed lines each)."""
    parts = []
    for f in range(files):
        path = f"svc0/core/showcase_{f:02d}.py"
        old = [f"value_{n} = compute({n})" for n in range(per_file)]
        new = [f"value_{n} = compute_faster({n}, cache=True)" for n in range(per_file)]
        body = [f"-{line}" for line in old] + [f"+{line}" for line in new]
        parts.append(
            f"diff --git a/{path} b/{path}\nindex {f:07x}a..{f:07x}b 100644\n--- a/{path}\n+++ b/{path}\n"
            f"@@ -1,{per_file + 2} +1,{per_file + 2} @@\n import math\n" + "\n".join(body) + "\n return_value = None\n"
        )
    return "".join(parts).encode()


def write_showcase(rng: random.Random, org: Org, *, first_id: int, end: float) -> list[int]:
    """Two open changes needing sign-off with real, stored diffs (300 and 5,000 changed lines)."""
    ids = []
    senior = next(s for s in org.seniors if s != org.bench_senior)
    author = next(e for e in org.level if org.level[e] < 6)
    now = datetime.now(UTC).replace(microsecond=0)
    for offset, (external_id, (files, per_file)) in enumerate(SHOWCASE.items()):
        pk = first_id + offset
        raw = _showcase_diff(files, per_file)
        parsed = parse_diff(raw)
        added, removed = parsed.lines_added, parsed.lines_removed
        head, base = f"{rng.getrandbits(160):040x}", f"{rng.getrandbits(160):040x}"
        opened = end - 2 * HOUR
        minutes = (added + removed) // 25 + 5
        row = [None] * len(CHANGE_COLUMNS)
        values = {
            "id": pk, "external_id": external_id, "title": f"Showcase: {added + removed} changed lines",
            "description": "", "author_name": "", "author_email": "", "source_branch": f"feature/{external_id}",
            "base_sha": base, "head_sha": head, "state": "open", "review_state": "needs_sign_off",
            "diff_state": "done", "diff_error": "", "diff_sha": head, "lines_added": added, "lines_removed": removed,
            "files_count": len(parsed.files), "ai_assisted": True, "ai_confidence": 0.9, "ai_evidence": "[]",
            "risk_score": 0.5, "risk_reasons": "[]", "review_minutes": minutes, "required_sign_offs": 1,
            "requires_owner": False, "requires_attestation": False, "policy_reasons": "[]", "opened_at": at(opened),
            "merged_at": None, "deployed_at": None, "created_at": at(opened), "updated_at": at(opened),
            "author_id": author, "repository_id": 1, "ai_declared": True, "ai_undeclared": False,
            "diff_truncated": False, "generated_lines": 0, "host_updated_at": None, "is_draft": False, "labels": "[]",
            "merge_sha": "", "number": 900_000 + offset, "target_branch": "main", "gates_state": "pass",
            "last_pusher_email": "", "policy_missing": "[]", "policy_rules": "[]", "requires_gates": False,
            "policy_version_id": None, "owner_paths": "[]", "path_owners": "{}",
        }  # fmt: skip
        for index, name in enumerate(CHANGE_COLUMNS):
            row[index] = values[name]
        copy_rows("reviews_change", CHANGE_COLUMNS, [row])
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM reviews_changefile")
            file_id = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM reviews_revision")
            revision_id = cursor.fetchone()[0]
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM reviews_assignment")
            assignment_id = cursor.fetchone()[0]
        copy_rows(
            "reviews_changefile",
            FILE_COLUMNS,
            [
                (file_id + n + 1, f.path, f.old_path, f.status, f.lines_added, f.lines_removed, f.patch, pk, False,
                 hashlib.sha256(f.patch.encode()).hexdigest())
                for n, f in enumerate(parsed.files)
            ],
        )  # fmt: skip
        copy_rows(
            "reviews_revision",
            REVISION_COLUMNS,
            [(revision_id + 1, 1, head, base, zlib.compress(raw, 6), len(raw), False, "", at(opened), pk)],
        )
        copy_rows(
            "reviews_assignment",
            ["id", "state", "reason", "reasons", "estimated_minutes", "created_at", "completed_at", "change_id",
             "reviewer_id", "claimed_at", "due_at", "handback_reason"],
            [(assignment_id + 1, "active", "Owns the service's paths", "[]", minutes, at(opened), None, pk, senior,
              None, at(opened + 2 * DAY), "")],
        )  # fmt: skip
        copy_rows(
            "insights_changefact",
            CHANGE_FACT_COLUMNS,
            [(pk, at(opened), None, None, False, True, 1, True, False, added + removed, size_bucket(added + removed),
              minutes, None, None, 0, 0, False, now, 1, org.team_of[author])],
        )  # fmt: skip
        ids.append(pk)
    return ids


def write_ledger(org: Org) -> int:
    """The audit ledger: one hash-chained entry per verdict, in the order they were given (read back from the
    database, so the whole history never sits in memory)."""
    db = settings.DATABASES["default"]
    dsn = psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or None
    )
    prev = GENESIS_HASH
    count = 0

    def entries():
        nonlocal prev, count
        with psycopg.connect(dsn) as conn, conn.cursor(name="ledger") as cursor:
            cursor.itersize = 20_000
            cursor.execute(
                "SELECT id, change_id, reviewer_id, verdict, head_sha, seconds_spent, files_viewed, files_total,"
                " rubber_stamp, created_at FROM reviews_review ORDER BY created_at, id"
            )
            for review_id, change, reviewer, verdict, sha, seconds, viewed, total, stamp, created in cursor:
                user_id, username = org.user_of[reviewer]
                payload = {
                    "review_id": review_id, "sha": sha, "seconds_spent": seconds, "files_viewed": viewed,
                    "files_total": total, "rubber_stamp": stamp, "at": created.isoformat(),
                }  # fmt: skip
                created = created.astimezone(UTC)
                action = f"review.{verdict}"
                entry = canonical_entry(
                    version=CURRENT_VERSION, created_at=created, actor_id=user_id, actor_label=username,
                    action=action, target_type="reviews.change", target_id=str(change), payload=payload,
                )  # fmt: skip
                digest = entry_hash(prev, entry)
                count += 1
                yield (count, created, CURRENT_VERSION, user_id, username, action, "reviews.change", str(change),
                       json.dumps(payload), prev, digest)  # fmt: skip
                prev = digest

    copy_rows(
        "reviews_auditevent",
        ["id", "created_at", "version", "actor_id", "actor_label", "action", "target_type", "target_id", "payload",
         "prev_hash", "hash"],
        entries(),
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reviews_ledgerhead (id, last_hash) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET last_hash ="
            " EXCLUDED.last_hash",
            [prev],
        )
    return count


def write_watermark() -> None:
    """The fact rollups and the day figures read from them are complete as of now: later refreshes are incremental."""
    day_figures_refresh()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO insights_factswatermark (refreshed_at, changes_updated_at, links_updated_at, last_review_id,"
            " last_deployment_link_id) SELECT now(), (SELECT MAX(updated_at) FROM reviews_change),"
            " COALESCE((SELECT MAX(updated_at) FROM incidents_incidentchangelink), now()),"
            " COALESCE((SELECT MAX(id) FROM reviews_review), 0),"
            " COALESCE((SELECT MAX(id) FROM reviews_deployment_changes), 0)"
        )
