"""Read queries of the incidents app."""

from incidents.selectors.facts import SuspectFacts, candidate_queryset, suspect_facts, to_candidate, to_note
from incidents.selectors.pages import (
    action_items,
    engineers_for_choice,
    find_change,
    fix_trace,
    incident_detail,
    incident_for_update,
    incident_list,
    incidents_between,
    link_states,
    suspect_model,
    why_chains,
)

__all__ = [
    "SuspectFacts",
    "action_items",
    "candidate_queryset",
    "engineers_for_choice",
    "find_change",
    "fix_trace",
    "incident_detail",
    "incident_for_update",
    "incident_list",
    "incidents_between",
    "link_states",
    "suspect_facts",
    "suspect_model",
    "to_candidate",
    "to_note",
    "why_chains",
]
