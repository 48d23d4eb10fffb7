"""The host-write outbox: mark a change's host state as changed, in the transaction that changed it.

Every service that changes what a change needs (a new revision, gates, attestation, a verdict, an override, a
policy, an assignment) calls `host_sync_mark` inside its own transaction: the mark commits or rolls back with the
change of state, so the host is never told of a state that was not recorded, and never misses one that was. The
worker (`hostsync.change_push`) computes the desired host state from the records and sends it; it lives in the
hostsync app, above every domain, because only there is everything a summary needs importable.
"""

from __future__ import annotations

from django.db import connection

from portal.enqueue import enqueue

PUSH_TASK = "hostsync.change_push"

_UPSERT = """
INSERT INTO reviews_hostsyncstate
    (change_id, repository_id, generation, sent_generation, marked_at, reason, attempts, head_sha, sent_state,
     sent_title, sent_fingerprint, check_run_sha, annotations_fingerprint, comment_fingerprint, last_error)
SELECT c.id, c.repository_id, 1, 0, CURRENT_TIMESTAMP, %s, 0, '', '', '', '', '', '', '', ''
FROM reviews_change c JOIN reviews_repository r ON r.id = c.repository_id
WHERE c.id = %s AND c.number IS NOT NULL AND r.provider IN ('github', 'gitlab')
ON CONFLICT (change_id) DO UPDATE
SET generation = reviews_hostsyncstate.generation + 1, marked_at = CURRENT_TIMESTAMP, reason = EXCLUDED.reason,
    next_attempt_at = NULL, attempts = 0
RETURNING change_id
"""


def host_sync_mark(*, change_id: int, reason: str) -> bool:
    """Record that the change's host state must be (re)written; the push is enqueued after commit. False: no host."""
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [reason[:100], change_id])
        marked = cursor.fetchone() is not None
    if marked:
        enqueue(PUSH_TASK, change_id)
    return marked
