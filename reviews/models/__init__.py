"""Schema of changes, their diffs, policy decisions, assignments and sign-offs."""

from reviews.models.ai import AiFinding, AiVocabularyEntry
from reviews.models.audit import AuditEvent, LedgerAlert, LedgerHead
from reviews.models.changes import Change, ChangeFile, Delivery, Deployment, Revision
from reviews.models.hostsync import HostConnection, HostInstallation, HostSyncState
from reviews.models.knowledge import DirectoryKnowledge, PathKnowers, PathKnowledge, PersonActivity
from reviews.models.notifications import (
    AttentionEntry,
    Channel,
    ChatWebhook,
    MessageItem,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundMessage,
)
from reviews.models.org import Engineer, Repository, Service, Team
from reviews.models.policy import GateOverride, GateResult, PolicyDraft, PolicyVersion, RiskModel
from reviews.models.review import Assignment, Attestation, FileView, Review, ReviewComment, ReviewerDay, ReviewerWeek
from reviews.models.tokens import ApiToken
from reviews.models.whatif import WhatIfRun

__all__ = [
    "PathKnowledge",
    "PathKnowers",
    "PersonActivity",
    "DirectoryKnowledge",
    "Team",
    "Engineer",
    "Repository",
    "Service",
    "Change",
    "ChangeFile",
    "Revision",
    "PolicyDraft",
    "PolicyVersion",
    "GateResult",
    "GateOverride",
    "RiskModel",
    "Delivery",
    "Attestation",
    "Assignment",
    "Review",
    "ReviewComment",
    "ReviewerDay",
    "ReviewerWeek",
    "FileView",
    "Deployment",
    "AuditEvent",
    "LedgerHead",
    "LedgerAlert",
    "WhatIfRun",
    "ApiToken",
    "HostInstallation",
    "HostConnection",
    "HostSyncState",
    "AttentionEntry",
    "Channel",
    "ChatWebhook",
    "MessageItem",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "OutboundMessage",
    "AiVocabularyEntry",
    "AiFinding",
]
