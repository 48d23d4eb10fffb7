"""Writes of the insights app: the rollups the dashboards read, rebuilt by workers and on demand."""

from insights.services.facts import facts_refresh, facts_refresh_if_stale
from insights.services.knowledge import knowledge_rebuild, knowledge_snapshot_build

__all__ = ["facts_refresh", "facts_refresh_if_stale", "knowledge_rebuild", "knowledge_snapshot_build"]
