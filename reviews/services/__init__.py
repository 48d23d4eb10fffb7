"""Every write of the reviews app, one function per action."""

from reviews.services.base import NotAllowed, ServiceError, audit_record, enqueue, git_config, repository_mirror
from reviews.services.changes import change_assign, change_pull_diff
from reviews.services.deployments import deployment_record
from reviews.services.intake import ImportResult, change_new_revision, repository_import, repository_register
from reviews.services.signoff import can_sign_off, change_attest, review_import, review_submit

__all__ = [
    "ImportResult",
    "NotAllowed",
    "ServiceError",
    "audit_record",
    "can_sign_off",
    "change_assign",
    "change_attest",
    "change_new_revision",
    "change_pull_diff",
    "deployment_record",
    "enqueue",
    "git_config",
    "repository_import",
    "repository_mirror",
    "repository_register",
    "review_import",
    "review_submit",
]
