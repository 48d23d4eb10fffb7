"""The ranking's features as people read them on the incident page and in the API."""

from __future__ import annotations

from collections.abc import Mapping

FEATURE_LABELS: Mapping[str, str] = {
    "recency": "Recent",
    "order": "Among the latest",
    "folder_order": "Latest in the affected paths",
    "in_folders": "In the affected paths",
    "named_paths": "Touches a named path",
    "size": "Size",
    "code": "Code, not docs or tests",
    "config": "Configuration",
    "migration": "Migration",
    "ai": "AI-assisted",
    "risk": "Risk score",
    "author_reverts": "Author's recent reverts",
    "is_revert": "Is a revert",
    "reverted_before": "Already reverted",
    "deployed": "Deployed",
    "deploy_recency": "Deployed just before",
    "later_deploys": "Deploys after it",
    "deployed_after": "Deployed only after the start",
    "gates": "Gate warnings",
    "overrides": "Gate overridden",
    "unreviewed": "Not reviewed",
    "rubber_stamp": "Rubber-stamped",
    "careful_review": "Carefully reviewed",
    "reverted_after": "Reverted after the start",
    "fixed_after": "Fixed after the start",
    "fixed_before": "Fixed before",
    "hotfix_after": "Hotfix after the start",
    "blame_share": "Lines the fix changed",
    "blame_any": "Touched by the fix",
    "fix_files": "Files the fix changes",
}
