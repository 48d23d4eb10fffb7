"""HTML views of the reviews app, one module per area."""

from reviews.views.changes import change_attest, change_declare_ai, change_detail, change_override_gate, change_review
from reviews.views.operations import delivery_list, delivery_redeliver, policy_detail, policy_version
from reviews.views.queue import my_changes, queue

__all__ = [
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
