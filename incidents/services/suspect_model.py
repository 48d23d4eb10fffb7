"""The suspect ranking's weights fitted on the organisation's confirmed links, stored as the newest model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents import selectors
from incidents.models import Incident, IncidentChangeLink, SuspectModel
from incidents.ranking.features import features
from incidents.ranking.fitting import fit
from incidents.ranking.model import MIN_LINKS_TO_FIT
from incidents.services.ranking import ranking_knobs
from incidents.suspects import model_inputs
from reviews.audit import audit_record

MAX_INCIDENTS = 2000  # the newest incidents with a confirmed link; enough to fit, bounded in time


@dataclass(frozen=True)
class Refit:
    """What a refit learnt from: links used, links passed over (the culprit not among the candidates)."""

    weights: dict[str, float]
    links: int
    passed_over: int
    fitted: bool


def suspect_model_refit(*, store: bool = True) -> tuple[Refit, SuspectModel | None]:
    """Fit the ranking's weights on every confirmed link (one per confirmed change of an incident), with the
    candidates and facts the portal had while the cause was being looked for (as of the incident's mitigation,
    else its resolution, else the confirmation; never later deployments, reverts or fixes); fewer than
    MIN_LINKS_TO_FIT links keep the defaults."""
    knobs = ranking_knobs()
    now = timezone.now()
    confirmed: dict[int, set[int]] = {}
    confirmed_at: dict[int, datetime] = {}
    for incident_id, change_id, at in IncidentChangeLink.objects.filter(
        state=IncidentChangeLink.State.CONFIRMED
    ).values_list("incident_id", "change_id", "updated_at"):
        confirmed.setdefault(incident_id, set()).add(change_id)
        confirmed_at[incident_id] = min(at, confirmed_at.get(incident_id, at))
    incidents = (
        Incident.objects.filter(pk__in=confirmed).prefetch_related("services").order_by("-started_at")[:MAX_INCIDENTS]
    )
    links, passed_over = [], 0
    for incident in incidents:
        as_of = min(now, incident.mitigated_at or incident.resolved_at or confirmed_at[incident.pk])
        facts = selectors.suspect_facts(incident, knobs=knobs, now=max(as_of, incident.started_at))
        model_incident, suspects, _ = model_inputs(
            facts.scope, facts.candidates, facts.deploys, facts.notes, facts.blame, knobs
        )
        rows = features(model_incident, suspects)
        keys = [s.key for s in suspects]
        for change_id in sorted(confirmed[incident.pk]):
            if change_id in keys:
                links.append((rows, keys.index(change_id)))
            else:
                passed_over += 1
    weights = fit(links)
    result = Refit(weights, len(links), passed_over, len(links) >= MIN_LINKS_TO_FIT)
    if not store:
        return result, None
    note = (
        f"fitted on {result.links} confirmed links"
        if result.fitted
        else f"defaults kept: {result.links} confirmed links, {MIN_LINKS_TO_FIT} needed"
    )
    if passed_over:
        note += f"; {passed_over} link(s) passed over (not among the incident's candidates)"
    with transaction.atomic():
        model = SuspectModel.objects.create(weights=weights, trained_on=result.links, fitted=result.fitted, note=note)
        audit_record(
            actor=None,
            action="suspect_model.fitted",
            target=model,
            payload={"links": result.links, "passed_over": passed_over, "fitted": result.fitted},
        )
    return result, model
