"""The columns the generator writes and one chunk's rows of every table (COPY in dependency order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from demo.generate.db import copy_rows

CHANGE_COLUMNS = [
    "id",
    "external_id",
    "title",
    "description",
    "author_name",
    "author_email",
    "source_branch",
    "base_sha",
    "head_sha",
    "state",
    "review_state",
    "diff_state",
    "diff_error",
    "diff_sha",
    "lines_added",
    "lines_removed",
    "files_count",
    "ai_assisted",
    "ai_confidence",
    "ai_evidence",
    "risk_score",
    "risk_reasons",
    "review_minutes",
    "required_sign_offs",
    "requires_owner",
    "requires_attestation",
    "policy_reasons",
    "opened_at",
    "merged_at",
    "deployed_at",
    "created_at",
    "updated_at",
    "author_id",
    "repository_id",
    "ai_declared",
    "ai_undeclared",
    "diff_truncated",
    "generated_lines",
    "host_updated_at",
    "is_draft",
    "labels",
    "merge_sha",
    "number",
    "target_branch",
    "gates_state",
    "last_pusher_email",
    "policy_missing",
    "policy_rules",
    "requires_gates",
    "policy_version_id",
    "owner_paths",
    "path_owners",
]
FILE_COLUMNS = [
    "id",
    "path",
    "old_path",
    "status",
    "lines_added",
    "lines_removed",
    "patch",
    "change_id",
    "is_generated",
    "fingerprint",
]
REVISION_COLUMNS = [
    "id",
    "number",
    "head_sha",
    "base_sha",
    "raw_diff",
    "raw_size",
    "truncated",
    "patch_id",
    "created_at",
    "change_id",
]
REVIEW_COLUMNS = [
    "id",
    "verdict",
    "head_sha",
    "seconds_spent",
    "comment",
    "ledger_hash",
    "created_at",
    "change_id",
    "reviewer_id",
    "source",
    "confirmed_fast",
    "files_total",
    "files_viewed",
    "rubber_stamp",
    "dismissed_at",
    "host_review_id",
]
ASSIGNMENT_COLUMNS = [
    "id",
    "state",
    "reason",
    "reasons",
    "estimated_minutes",
    "created_at",
    "completed_at",
    "change_id",
    "reviewer_id",
    "claimed_at",
    "due_at",
    "handback_reason",
]
CHANGE_FACT_COLUMNS = [
    "change_id",
    "opened_at",
    "merged_at",
    "deployed_at",
    "is_closed",
    "needs_sign_off",
    "approvals_needed",
    "ai_assisted",
    "ai_undeclared",
    "lines",
    "bucket",
    "review_minutes",
    "first_review_at",
    "first_approval_at",
    "approvals_before_merge",
    "rounds",
    "failed",
    "refreshed_at",
    "repository_id",
    "team_id",
]
REVIEW_FACT_COLUMNS = [
    "review_id",
    "created_at",
    "verdict",
    "seconds_spent",
    "estimated_minutes",
    "rubber_stamp",
    "owner_required",
    "by_non_owner",
    "change_id",
    "repository_id",
    "reviewer_id",
    "team_id",
    "dismissed",
    "time_unknown",
]
LINK_COLUMNS = ["id", "deployment_id", "change_id"]
# fmt: skip


def at(ts: float | None) -> datetime | None:
    """A timestamp in seconds as an aware UTC datetime (whole seconds: the ledger hashes its ISO form)."""
    return None if ts is None else datetime.fromtimestamp(int(ts), UTC)


@dataclass
class Rows:
    """One chunk's rows of every table."""

    changes: list = field(default_factory=list)
    files: list = field(default_factory=list)
    revisions: list = field(default_factory=list)
    reviews: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    change_facts: list = field(default_factory=list)
    review_facts: list = field(default_factory=list)
    links: list = field(default_factory=list)

    def write(self) -> None:
        copy_rows("reviews_change", CHANGE_COLUMNS, self.changes)
        copy_rows("reviews_changefile", FILE_COLUMNS, self.files)
        copy_rows("reviews_revision", REVISION_COLUMNS, self.revisions)
        copy_rows("reviews_review", REVIEW_COLUMNS, self.reviews)
        copy_rows("reviews_assignment", ASSIGNMENT_COLUMNS, self.assignments)
        copy_rows("insights_changefact", CHANGE_FACT_COLUMNS, self.change_facts)
        copy_rows("insights_reviewfact", REVIEW_FACT_COLUMNS, self.review_facts)
        copy_rows("reviews_deployment_changes", LINK_COLUMNS, self.links)
