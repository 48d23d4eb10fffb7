"""The demo's incidents, through the incident services: one for each defect of the generated history (reverted
or fixed forward), a few that no change caused, each with its timeline; and correction-of-error reviews with
their "5 whys" and action items, some done, some open and some overdue."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from demo.organisation import SEED
from incidents import services as incident_services
from incidents.models import ActionItem, Incident, IncidentChangeLink
from incidents.suspect_facts import parse_references
from reviews.models import Change, Deployment, Engineer, Repository, Review, Service

SYMPTOMS = {
    "payments-api": ("card payments failing with 502", "refunds stuck in pending", "duplicate ledger entries"),
    "checkout-api": ("cart updates returning 500", "wrong totals at checkout", "checkout latency above 5 s"),
    "catalog": ("product pages missing stock levels", "catalog API timeouts", "prices shown as zero"),
    "search": ("search returning no results", "search latency above 3 s", "results in the wrong order"),
    "storefront-web": ("blank cart page in Safari", "checkout button not responding", "broken product images"),
    "gateway": ("requests rejected with 429", "gateway 5xx above 2%", "connections dropped under load"),
    "observability": ("metrics missing from dashboards", "traces dropped", "log pipeline backlog"),
    "infrastructure": ("database failover loop", "pods evicted on deploy", "pipeline deploys stuck"),
}
ACTIONS = (
    "Add a regression test for the failing case in {service}",
    "Alert on the error rate of {service} within five minutes",
    "Canary deployments for {service}: 5% of traffic for 30 minutes first",
    "Split changes over 500 lines before review in {service}",
    "Require the owner's sign-off for changes to this code in {service}",
    "Dashboard panel for the failing path of {service}",
)


@dataclass(frozen=True)
class Outage:
    """An incident that no change of the repository caused."""

    repo: str
    service: str
    title: str
    severity: str
    cause: str
    open: bool = False
    caused_by_last_deploy: bool = False  # the change deployed last before it turned out to have caused it


def _rng(key: str) -> random.Random:
    return random.Random(f"{SEED}:{key}")


def _outages(anchor: datetime) -> list[tuple[Outage, datetime]]:
    """The outages with no change to blame, with their start: two in the previous ISO week, one still open."""
    monday = anchor - timedelta(days=anchor.weekday())
    previous = monday - timedelta(days=7)
    return [
        (
            Outage("shop", "payments-api", "Card processor timeouts", "SEV2", "the card processor's outage"),
            anchor - timedelta(days=61, hours=-14, minutes=-7),
        ),
        (
            Outage("platform", "infrastructure", "Cloud region network degradation", "SEV2", "the provider"),
            anchor - timedelta(days=118, hours=-9, minutes=-41),
        ),
        (
            Outage("shop", "search", "Search latency from an overloaded index node", "SEV3", "a noisy neighbour"),
            previous + timedelta(days=1, hours=10, minutes=12),
        ),
        (
            Outage(
                "platform",
                "gateway",
                "Edge certificate renewal failed",
                "SEV3",
                "a gateway change that dropped the renewal hook",
                caused_by_last_deploy=True,
            ),
            previous + timedelta(days=3, hours=15, minutes=48),
        ),
        (
            Outage("shop", "storefront-web", "Product images slow to load", "SEV4", "the CDN", open=True),
            anchor - timedelta(hours=5, minutes=25),
        ),
    ]


def _commander(service: Service, rng: random.Random) -> Engineer | None:
    seniors = list(Engineer.objects.filter(team=service.team, level__gte=6, is_away=False).order_by("pk"))
    return rng.choice(seniors) if seniors else None


def _moments(started: datetime, detected: datetime, mitigated: datetime | None, resolved: datetime | None):
    """Mitigation and resolution not yet reached are left out."""
    now = timezone.now()
    if mitigated is not None and mitigated > now:
        mitigated = resolved = None
    if resolved is not None and resolved > now:
        resolved = None
    return started, min(detected, now), mitigated, resolved


def seed_incidents(repository: Repository, reviewer: Engineer, anchor: datetime) -> int:
    """An incident for each reverted or fixed-forward change, and the outages no change caused; idempotent."""
    created = 0
    merged = Change.objects.filter(repository=repository, state=Change.State.MERGED)
    repairs = merged.filter(Q(title__startswith='Revert "') | Q(description__contains="Fixes: "))
    for repair in repairs.order_by("merged_at"):
        references = parse_references(repair.description)
        if not references:
            continue
        kind, ref = references[0]
        bad = merged.filter(head_sha__startswith=ref).first()
        if bad is None or bad.deployed_at is None:
            continue
        if IncidentChangeLink.objects.filter(change=bad, state=IncidentChangeLink.State.CONFIRMED).exists():
            continue
        created += _defect_incident(repository, reviewer, bad, repair, reverted=kind == "revert")
    for outage, started in _outages(anchor):
        if outage.repo != repository.name.removeprefix("demo/"):
            continue
        if Incident.objects.filter(title=outage.title, started_at=started).exists():
            continue
        created += _outage_incident(repository, reviewer, outage, started)
    return created


def _defect_incident(repository: Repository, reviewer: Engineer, bad: Change, repair: Change, *, reverted: bool) -> int:
    """The failure shows after a later deployment (the load or a later change exercises the bad code), is paged,
    mitigated when the revert or fix ships, and written up."""
    rng = _rng(f"incident:{repository.name}:{bad.merged_at.weekday()}:{bad.merged_at.time()}:{bad.title}")
    affected = list(Service.objects.filter(deployments__changes=bad).distinct().order_by("name"))
    if not affected:
        return 0
    later = (
        Deployment.objects.filter(
            service__in=affected, deployed_at__gt=bad.deployed_at, deployed_at__lt=repair.opened_at
        )
        .order_by("-deployed_at")
        .first()
    )
    trigger = later.deployed_at if later else bad.deployed_at
    started = trigger + timedelta(minutes=rng.randint(3, 60), seconds=rng.randint(0, 59))
    started = max(bad.deployed_at, min(started, repair.opened_at - timedelta(minutes=12)))
    detected = started + timedelta(minutes=rng.randint(2, 10), seconds=rng.randint(0, 59))
    shipped = repair.deployed_at or repair.merged_at + timedelta(minutes=20)
    mitigated = max(shipped, detected)
    resolved = mitigated + timedelta(minutes=rng.randint(15, 150))
    started, detected, mitigated, resolved = _moments(started, detected, mitigated, resolved)
    service = affected[0]
    symptom = rng.choice(SYMPTOMS.get(service.name, ("errors after a deployment",)))
    how = "reverted" if reverted else "fixed forward"
    with transaction.atomic():
        incident = incident_services.incident_create(
            actor=reviewer.user,
            title=f"{service.name}: {symptom}",
            severity=rng.choice(("SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4")),
            started_at=started,
            detected_at=detected,
            mitigated_at=mitigated,
            resolved_at=resolved,
            services=affected,
            summary=f"{symptom.capitalize()} after a deployment of {service.name}; {how} by {repair.short_sha}.",
            repository=repository,
            fix_sha=repair.head_sha,
            commander=_commander(service, rng),
        )
        incident_services.incident_link_change(
            actor=reviewer.user,
            incident=incident,
            change=bad,
            state=IncidentChangeLink.State.CONFIRMED,
            reason=f"{how.capitalize()} by {repair.short_sha}; the errors stopped once that shipped.",
        )
        other = (
            Change.objects.filter(
                repository=repository, deployments__service__in=affected, deployments__deployed_at__lte=started
            )
            .exclude(pk=bad.pk)
            .order_by("-deployments__deployed_at", "-merged_at")
            .first()
        )
        if other is not None:
            incident_services.incident_link_change(
                actor=reviewer.user,
                incident=incident,
                change=other,
                state=IncidentChangeLink.State.RULED_OUT,
                reason="Deployed last before the start, but the failing requests never reach the code it changed.",
            )
        entries = [
            (started, f"Error rate of {service.name} starts to climb (reconstructed from the dashboards)."),
            (detected, f"Alert fired: {symptom}. On-call paged."),
            (repair.opened_at, f"{'Revert' if reverted else 'Fix'} {repair.short_sha} opened: {repair.title[:120]}"),
        ]
        if mitigated:
            entries.append((mitigated, f"{repair.short_sha} deployed to {service.name}; error rate back to normal."))
        if resolved:
            entries.append((resolved, "Resolved after an hour of normal traffic."))
        for at, text in entries:
            incident_services.timeline_add(actor=reviewer.user, incident=incident, at=max(at, started), text=text)
        if resolved:
            _write_review(incident, reviewer, bad, repair, service, symptom, reverted=reverted, rng=rng)
    return 1


def _outage_incident(repository: Repository, reviewer: Engineer, outage: Outage, started: datetime) -> int:
    rng = _rng(f"outage:{outage.title}")
    service = Service.objects.get(name=outage.service)
    detected = started + timedelta(minutes=rng.randint(3, 15))
    mitigated = None if outage.open else detected + timedelta(minutes=rng.randint(30, 120))
    resolved = None if outage.open else mitigated + timedelta(minutes=rng.randint(20, 90))
    started, detected, mitigated, resolved = _moments(started, detected, mitigated, resolved)
    with transaction.atomic():
        incident = incident_services.incident_create(
            actor=reviewer.user,
            title=outage.title,
            severity=outage.severity,
            started_at=started,
            detected_at=detected,
            mitigated_at=mitigated,
            resolved_at=resolved,
            services=[service],
            summary=f"Caused by {outage.cause}."
            + ("" if outage.caused_by_last_deploy else " No change of ours was involved."),
            commander=_commander(service, rng),
        )
        incident_services.timeline_add(
            actor=reviewer.user, incident=incident, at=detected, text=f"Alert fired on {service.name}; paged."
        )
        if mitigated:
            incident_services.timeline_add(
                actor=reviewer.user, incident=incident, at=mitigated, text=f"Worked around {outage.cause}."
            )
        last = (
            Change.objects.filter(deployments__service=service, deployments__deployed_at__lte=started)
            .order_by("-deployments__deployed_at", "-merged_at")
            .first()
        )
        if outage.caused_by_last_deploy and last is not None:
            incident_services.incident_link_change(
                actor=reviewer.user,
                incident=incident,
                change=last,
                state=IncidentChangeLink.State.CONFIRMED,
                reason="The deployment before the failure carried this change; it removed the renewal hook.",
            )
    return 1


def _write_review(
    incident: Incident,
    reviewer: Engineer,
    bad: Change,
    repair: Change,
    service: Service,
    symptom: str,
    *,
    reverted: bool,
    rng: random.Random,
) -> None:
    """The correction-of-error review: text, one or two "5 whys" chains, and action items in every state."""
    actor = reviewer.user
    sign_off = bad.reviews.filter(verdict=Review.Verdict.APPROVE).select_related("reviewer").first()
    if sign_off is None:
        review_line = "It merged without the sign-off it needed."
    elif sign_off.rubber_stamp:
        review_line = (
            f"{sign_off.reviewer.display_name} signed it off in {sign_off.seconds_spent} s for "
            f"{bad.lines_changed} changed lines: a rubber stamp."
        )
    else:
        review_line = f"{sign_off.reviewer.display_name} reviewed it for {sign_off.seconds_spent // 60} min."
    ai = " The change was AI-assisted." if bad.ai_assisted else ""
    minutes = int(((incident.mitigated_at or incident.started_at) - incident.started_at).total_seconds() // 60)
    incident_services.coe_save(
        actor=actor,
        incident=incident,
        summary=f"{symptom.capitalize()} for {minutes} minutes after change {bad.short_sha} shipped to {service.name}.",
        customer_impact=f"About {rng.randint(2, 30)}% of requests to {service.name} failed for {minutes} minutes.",
        root_cause=(
            f"{bad.short_sha} (*{bad.title}*, {bad.lines_changed} changed lines) removed a check the callers relied "
            f"on.{ai} {review_line}"
        ),
        went_well=f"The alert fired within minutes; the {'revert' if reverted else 'fix'} was small and shipped on "
        "the next train.",
        went_wrong="Other changes shipped in between, so the latest deployment was suspected first.",
    )
    chains = [
        (
            f"{symptom.capitalize()}",
            [
                f"{bad.short_sha} changed how {service.name} handles the failing case",
                "the tests did not cover that case",
                "the change was large and the review did not reach that part",
                "nothing asked for it to be split",
            ],
        ),
        (
            "It took a while to find the cause",
            ["the latest deployment was rolled back first", "several changes had shipped since the bad one"],
        ),
    ]
    for problem, whys in chains[: rng.choice((1, 2))]:
        incident_services.why_chain_save(actor=actor, incident=incident, problem=problem, whys=whys)
    today = timezone.now().date()
    owners = [e for e in (bad.author, incident.commander) if e is not None] or [reviewer]
    for title in rng.sample(ACTIONS, k=rng.choice((1, 2, 3))):
        due = (incident.started_at + timedelta(days=rng.randint(10, 40))).date()
        item = incident_services.action_item_add(
            actor=actor,
            incident=incident,
            title=title.format(service=service.name),
            owner=rng.choice(owners),
            due_date=due,
        )
        roll = rng.random()
        if due < today:
            status = ActionItem.Status.DONE if roll < 0.6 else ActionItem.Status.WONT_DO if roll < 0.7 else None
        else:
            status = ActionItem.Status.IN_PROGRESS if roll < 0.35 else ActionItem.Status.DONE if roll < 0.5 else None
        if status:
            incident_services.action_item_update(actor=actor, item=item, status=status)
