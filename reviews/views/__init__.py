"""HTML views of the reviews app, one module per area."""

from reviews.views.changes import (
    change_attest,
    change_declare_ai,
    change_detail,
    change_override_gate,
    change_review,
    change_set_author,
    change_signoff_summary,
)
from reviews.views.comments import comment_create, comment_new, comment_reopen, comment_reply, comment_resolve
from reviews.views.diff import change_interdiff, file_context, file_detail, file_viewed
from reviews.views.operations import delivery_list, delivery_redeliver, policy_detail, policy_version
from reviews.views.profile import profile, profile_token
from reviews.views.queue import assignment_hand_back, change_claim, engineer_away, my_changes, queue, team_queue
from reviews.views.whatif import whatif, whatif_run

__all__ = [
    "change_interdiff",
    "file_context",
    "file_detail",
    "file_viewed",
    "comment_create",
    "comment_new",
    "comment_reopen",
    "comment_reply",
    "comment_resolve",
    "assignment_hand_back",
    "change_claim",
    "engineer_away",
    "team_queue",
    "change_attest",
    "change_declare_ai",
    "change_detail",
    "change_override_gate",
    "change_review",
    "change_set_author",
    "change_signoff_summary",
    "delivery_list",
    "delivery_redeliver",
    "my_changes",
    "policy_detail",
    "profile",
    "profile_token",
    "policy_version",
    "queue",
    "whatif",
    "whatif_run",
]
