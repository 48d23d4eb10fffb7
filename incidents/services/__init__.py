"""Every write of the incidents app, one function per action."""

from incidents.services.coe import (
    action_item_add,
    action_item_update,
    coe_save,
    why_chain_delete,
    why_chain_save,
)
from incidents.services.deploys import GitUnavailable, deployment_report
from incidents.services.pagerduty import pagerduty_apply, pagerduty_receive, pagerduty_redeliver
from incidents.services.ranking import (
    RankedSuspect,
    fix_trace_run,
    incident_suspects,
    ranking_knobs,
    trace_fix,
)
from incidents.services.records import (
    clean_fix_sha,
    clean_paths,
    incident_create,
    incident_link_change,
    incident_update,
    is_incident_reviewer,
    timeline_add,
)
from incidents.services.report import (
    can_edit_reports,
    can_read_reports,
    weekly_report_build,
    weekly_report_draft,
    weekly_report_draft_scheduled,
    weekly_report_email,
    weekly_report_finalise,
    weekly_report_pdf_prepare,
    weekly_report_revise,
    weekly_report_save,
)
from incidents.services.suspect_model import Refit, suspect_model_refit

__all__ = [
    "GitUnavailable",
    "RankedSuspect",
    "Refit",
    "action_item_add",
    "action_item_update",
    "can_edit_reports",
    "can_read_reports",
    "clean_fix_sha",
    "clean_paths",
    "coe_save",
    "deployment_report",
    "fix_trace_run",
    "incident_create",
    "incident_link_change",
    "incident_suspects",
    "incident_update",
    "is_incident_reviewer",
    "pagerduty_apply",
    "pagerduty_receive",
    "pagerduty_redeliver",
    "ranking_knobs",
    "suspect_model_refit",
    "timeline_add",
    "trace_fix",
    "weekly_report_build",
    "weekly_report_draft",
    "weekly_report_draft_scheduled",
    "weekly_report_email",
    "weekly_report_pdf_prepare",
    "weekly_report_finalise",
    "weekly_report_revise",
    "weekly_report_save",
    "why_chain_delete",
    "why_chain_save",
]
