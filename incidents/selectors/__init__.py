"""Read queries of the incidents app."""

from incidents.selectors.facts import SuspectFacts, candidates_of, suspect_facts, to_note
from incidents.selectors.pages import (
    action_items,
    engineers_for_choice,
    find_change,
    fix_trace,
    incident_detail,
    incident_for_update,
    incident_list,
    incidents_between,
    incidents_filtered,
    link_states,
    suspect_model,
    why_chains,
)

__all__ = [
    "SuspectFacts",
    "action_items",
    "candidates_of",
    "engineers_for_choice",
    "find_change",
    "fix_trace",
    "incident_detail",
    "incident_for_update",
    "incident_list",
    "incidents_filtered",
    "incidents_between",
    "link_states",
    "suspect_facts",
    "suspect_model",
    "to_note",
    "why_chains",
]
