"""HTML views of the reviews app, one module per area."""

from reviews.views.changes import change_attest, change_declare_ai, change_detail, change_override_gate, change_review
from reviews.views.operations import delivery_list, delivery_redeliver, policy_detail, policy_version
from reviews.views.queue import assignment_hand_back, change_claim, engineer_away, my_changes, queue, team_queue

__all__ = [
    "assignment_hand_back",
    "change_claim",
    "engineer_away",
    "team_queue",
    "change_attest",
    "change_declare_ai",
    "change_detail",
    "change_override_gate",
    "change_review",
    "delivery_list",
    "delivery_redeliver",
    "my_changes",
    "policy_detail",
    "policy_version",
    "queue",
]
