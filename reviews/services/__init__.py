"""Every write of the reviews app, one function per action."""

from assignment.services.assign import change_assign
from assignment.services.queue import assignment_claim, assignment_hand_back, engineer_set_away, reroute_stale
from intake.mirrors import git_config, repository_mirror
from intake.services.deliveries import change_apply_host, delivery_receive, delivery_redeliver, parse_delivery
from intake.services.deployments import deployment_record, deployment_record_for_sha
from intake.services.diffs import change_pull_diff
from intake.services.repositories import (
    ImportResult,
    change_new_revision,
    enqueue_diffs,
    repository_import,
    repository_poll,
    repository_register,
)
from policy.services.evaluation import change_reevaluate
from portal.enqueue import enqueue
from reviews.audit import NotAllowed, ServiceError, audit_record
from reviews.services.comments import (
    can_comment,
    can_resolve_thread,
    comment_add,
    comment_reopen,
    comment_reply,
    comment_resolve,
)
from reviews.services.signoff import (
    can_sign_off,
    change_attest,
    change_declare_ai,
    gate_override,
    gate_record_external,
    review_import,
    review_submit,
)

__all__ = [
    "ImportResult",
    "NotAllowed",
    "ServiceError",
    "assignment_claim",
    "assignment_hand_back",
    "audit_record",
    "can_comment",
    "can_resolve_thread",
    "comment_add",
    "comment_reopen",
    "comment_reply",
    "comment_resolve",
    "can_sign_off",
    "change_apply_host",
    "change_assign",
    "change_attest",
    "change_declare_ai",
    "change_reevaluate",
    "change_new_revision",
    "change_pull_diff",
    "delivery_receive",
    "delivery_redeliver",
    "deployment_record",
    "deployment_record_for_sha",
    "engineer_set_away",
    "enqueue_diffs",
    "enqueue",
    "gate_override",
    "gate_record_external",
    "git_config",
    "parse_delivery",
    "repository_import",
    "repository_mirror",
    "repository_poll",
    "repository_register",
    "reroute_stale",
    "review_import",
    "review_submit",
]
