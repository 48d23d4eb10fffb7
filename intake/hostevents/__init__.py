"""Parse and authenticate git host webhooks (GitHub, GitLab) into plain events (pure)."""

from intake.hostevents.github import ACTED_ON, INSTALLATION_EVENTS, PULL_REQUEST_ACTIONS, parse_github
from intake.hostevents.gitlab import GITLAB_MR_ACTIONS, parse_gitlab
from intake.hostevents.shapes import MAX_TEXT, HostChange, HostCommit, HostEvent, PayloadError, parse_time

__all__ = [
    "ACTED_ON",
    "GITLAB_MR_ACTIONS",
    "INSTALLATION_EVENTS",
    "MAX_TEXT",
    "PULL_REQUEST_ACTIONS",
    "HostChange",
    "HostCommit",
    "HostEvent",
    "PayloadError",
    "parse_github",
    "parse_gitlab",
    "parse_time",
]
