"""Writes of the incidents app (incidents.services): validation, one link per change, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents import services
from incidents.models import CorrectionOfError, FixTrace, Incident, IncidentChangeLink
from incidents.selectors import facts
from incidents.tasks import fix_trace
from reviews.audit import ServiceError
from reviews.ledger.chain import GENESIS_HASH
from reviews.models import AuditEvent, Change, Review, Service

START = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def make_change(repository, author, head_sha: str) -> Change:
    return Change.objects.create(
        repository=repository,
        external_id=head_sha,
        head_sha=head_sha,
        title=f"Change {head_sha[:7]}",
        author=author,
        state=Change.State.MERGED,
        opened_at=START - timedelta(days=2),
        merged_at=START - timedelta(days=1),
    )


def create(actor, **overrides) -> Incident:
    values = {"title": "Checkout returns 502", "severity": "SEV2", "started_at": START, "services": []}
    values.update(overrides)
    return services.incident_create(actor=actor, **values)


# --- incident_create ----------------------------------------------------------------------------


def test_incident_create_records_the_incident_its_services_and_an_audit_event(repository, make_engineer):
    actor = make_engineer(6).user
    checkout = Service.objects.create(name="checkout", repository=repository)

    incident = create(actor, title="  Checkout returns 502  ", services=[checkout], detected_at=START)

    assert incident.title == "Checkout returns 502"
    assert incident.status == Incident.Status.OPEN
    assert incident.created_by == actor
    assert list(incident.services.all()) == [checkout]
    event = AuditEvent.objects.get()
    assert (event.action, event.target_type, event.target_id) == (
        "incident.created",
        "incidents.incident",
        str(incident.pk),
    )
    assert event.actor == actor
    assert event.prev_hash == GENESIS_HASH


def test_incident_create_with_a_resolution_time_marks_it_resolved(make_engineer):
    incident = create(make_engineer(6).user, resolved_at=START + timedelta(hours=1))

    assert incident.status == Incident.Status.RESOLVED


@pytest.mark.parametrize("moment", ["detected_at", "resolved_at"])
def test_incident_create_rejects_a_time_before_the_start(make_engineer, moment):
    with pytest.raises(ServiceError, match="before the start"):
        create(make_engineer(6).user, **{moment: START - timedelta(minutes=1)})

    assert not Incident.objects.exists()
    assert not AuditEvent.objects.exists()


def test_incident_create_accepts_a_resolution_at_the_very_start(make_engineer):
    incident = create(make_engineer(6).user, resolved_at=START)

    assert incident.resolved_at == START


def test_incident_create_rejects_an_unknown_severity(make_engineer):
    with pytest.raises(ServiceError, match="unknown severity"):
        create(make_engineer(6).user, severity="SEV9")

    assert not Incident.objects.exists()


# --- incident_link_change -----------------------------------------------------------------------


def test_incident_link_change_keeps_one_link_per_incident_and_change(repository, make_engineer):
    first, second = make_engineer(6).user, make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(first)

    services.incident_link_change(actor=first, incident=incident, change=change, state="suspected", reason="deployed")
    services.incident_link_change(actor=second, incident=incident, change=change, state="confirmed", reason="bisected")
    link = services.incident_link_change(actor=first, incident=incident, change=change, state="ruled_out")

    assert IncidentChangeLink.objects.count() == 1
    link.refresh_from_db()
    assert (link.state, link.reason, link.decided_by) == (IncidentChangeLink.State.RULED_OUT, "", first)


def test_incident_link_change_audits_every_decision_in_the_ledger(repository, make_engineer):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)

    for state in ("suspected", "confirmed", "confirmed", "ruled_out"):
        services.incident_link_change(actor=actor, incident=incident, change=change, state=state, reason=state)

    events = list(AuditEvent.objects.filter(action="incident.link").order_by("id"))
    assert [(e.payload["from"], e.payload["to"]) for e in events] == [
        (None, "suspected"),
        ("suspected", "confirmed"),
        ("confirmed", "confirmed"),
        ("confirmed", "ruled_out"),
    ]
    assert all(e.target_id == str(incident.pk) and e.payload["change_id"] == change.pk for e in events)
    chain = list(AuditEvent.objects.order_by("id"))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:], strict=False))


def test_incident_link_change_links_several_changes_and_incidents_separately(repository, make_engineer):
    actor = make_engineer(6).user
    author = make_engineer(4)
    one, two = make_change(repository, author, "a" * 40), make_change(repository, author, "b" * 40)
    outage, slowdown = create(actor), create(actor, title="Search is slow")

    for incident, change in [(outage, one), (outage, two), (slowdown, one)]:
        services.incident_link_change(actor=actor, incident=incident, change=change, state="suspected")

    assert IncidentChangeLink.objects.count() == 3
    assert set(one.incident_links.values_list("incident__title", flat=True)) == {
        "Checkout returns 502",
        "Search is slow",
    }


def test_incident_link_change_rejects_an_unknown_state(repository, make_engineer):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)

    with pytest.raises(ServiceError, match="unknown link state"):
        services.incident_link_change(actor=actor, incident=incident, change=change, state="guilty")

    assert not IncidentChangeLink.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.link").exists()


NOTIFY_ONE_QUERIES = 14


def test_incident_link_change_runs_in_a_fixed_number_of_queries(
    repository, make_engineer, django_assert_max_num_queries
):
    actor = make_engineer(6).user
    change = make_change(repository, make_engineer(4), "a" * 40)
    incident = create(actor)
    services.incident_link_change(actor=actor, incident=incident, change=change, state="suspected")

    # 8 for the link and its audit entry, the rest for telling the change's author (inbox item and e-mail outbox).
    with django_assert_max_num_queries(8 + NOTIFY_ONE_QUERIES):
        services.incident_link_change(actor=actor, incident=incident, change=change, state="confirmed")


# --- editing, the timeline and the review -------------------------------------------------------------------------


def test_incident_update_audits_what_changed_and_traces_a_new_fix_commit(
    repository, make_engineer, django_capture_on_commit_callbacks, monkeypatch
):
    actor = make_engineer(6).user
    incident = create(actor)
    queued = []
    monkeypatch.setattr("incidents.tasks.fix_trace.delay", lambda incident_id: queued.append(incident_id))

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update(
            actor=actor, incident=incident, title="Checkout 502s", fix_sha="ABCDEF1", repository=repository
        )

    incident.refresh_from_db()
    assert (incident.title, incident.fix_sha, incident.repository) == ("Checkout 502s", "abcdef1", repository)
    assert AuditEvent.objects.get(action="incident.updated").payload == {"fields": ["fix_sha", "repository", "title"]}
    assert queued == [incident.pk]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"severity": "SEV0"}, "unknown severity"),
        ({"status": "closed"}, "unknown status"),
        ({"resolved_at": START - timedelta(hours=1)}, "resolved time is before the start"),
        ({"fix_sha": "not-a-sha"}, "is not a commit SHA"),
        ({"created_by": None}, "cannot edit created_by"),
    ],
)
def test_incident_update_refuses_what_is_not_valid(make_engineer, fields, message):
    actor = make_engineer(6).user
    incident = create(actor)

    with pytest.raises(ServiceError, match=message):
        services.incident_update(actor=actor, incident=incident, **fields)

    assert not AuditEvent.objects.filter(action="incident.updated").exists()


def test_a_fix_commit_needs_a_repository_when_the_services_do_not_name_one(make_engineer):
    with pytest.raises(ServiceError, match="a fix commit needs its repository"):
        create(make_engineer(6).user, fix_sha="abcdef1")


def test_paths_are_cleaned_and_refused_when_they_leave_the_tree():
    assert services.clean_paths(["./a/", "/b", "a/", " ", "c/d.py"]) == ["a/", "b", "c/d.py"]
    with pytest.raises(ServiceError):
        services.clean_paths(["a/../../etc"])


def test_the_review_saves_only_changed_fields_and_audits_them(make_engineer):
    actor = make_engineer(6).user
    incident = create(actor)

    services.coe_save(actor=actor, incident=incident, summary="We double-charged.", root_cause="")
    services.coe_save(actor=actor, incident=incident, summary="We double-charged.", root_cause="A rate typo.")
    services.coe_save(actor=actor, incident=incident, summary="We double-charged.")

    assert CorrectionOfError.objects.get(incident=incident).root_cause == "A rate typo."
    payloads = [e.payload for e in AuditEvent.objects.filter(action="incident.coe_saved").order_by("id")]
    assert payloads == [{"fields": ["summary"]}, {"fields": ["root_cause"]}]
    with pytest.raises(ServiceError, match="no field"):
        services.coe_save(actor=actor, incident=incident, lessons="none")


def test_why_chains_keep_their_order_and_at_most_five_whys(make_engineer):
    actor = make_engineer(6).user
    incident = create(actor)

    first = services.why_chain_save(actor=actor, incident=incident, problem="Tax wrong", whys=["Typo", "", ""])
    second = services.why_chain_save(actor=actor, incident=incident, problem="Paged late", whys=[])

    assert (first.position, first.whys, second.position) == (0, ["Typo"], 1)
    with pytest.raises(ServiceError, match="at most 5 whys"):
        services.why_chain_save(actor=actor, incident=incident, problem="x", whys=["a"] * 6)
    with pytest.raises(ServiceError, match="starts from a problem"):
        services.why_chain_save(actor=actor, incident=incident, problem=" ", whys=[])


def test_action_item_updates_record_what_changed_and_when_it_closed(make_engineer):
    actor, owner = make_engineer(6).user, make_engineer(5)
    incident = create(actor)
    item = services.action_item_add(actor=actor, incident=incident, title="Add a test", owner=owner)

    item = services.action_item_update(actor=actor, item=item, status="done")
    item = services.action_item_update(actor=actor, item=item, status="done")
    item = services.action_item_update(actor=actor, item=item, status="open", owner=None)

    assert (item.status, item.owner, item.completed_at) == ("open", None, None)
    updates = [e.payload for e in AuditEvent.objects.filter(action="incident.action_item_updated").order_by("id")]
    assert updates == [
        {"item_id": item.pk, "status": ["open", "done"]},
        {"item_id": item.pk, "status": ["done", "open"], "owner_id": [owner.pk, None]},
    ]
    with pytest.raises(ServiceError, match="unknown status"):
        services.action_item_update(actor=actor, item=item, status="maybe")


def test_timeline_entries_need_text(make_engineer):
    actor = make_engineer(6).user
    incident = create(actor)

    entry = services.timeline_add(actor=actor, incident=incident, at=START, text="  Paged  ")

    assert entry.text == "Paged"
    with pytest.raises(ServiceError):
        services.timeline_add(actor=actor, incident=incident, at=START, text=" ")


# --- tracing the fix and ranking ----------------------------------------------------------------------------------


def test_a_fix_commit_that_cannot_be_traced_is_recorded_as_failed(repository, work_repo, make_engineer):
    work_repo.commit({"a.py": "x = 1\n"}, "Initial import")
    actor = make_engineer(6).user
    incident = create(actor, repository=repository, fix_sha="abcdef1234")

    trace = fix_trace(incident.pk)

    assert trace == FixTrace.State.FAILED
    assert "unknown revision" in FixTrace.objects.get().error


def test_the_fix_trace_task_is_idempotent(repository, work_repo, make_engineer):
    work_repo.commit({"a.py": "x = 1\ny = 2\n"}, "Initial import")
    fix = work_repo.commit({"a.py": "x = 1\ny = 3\n"}, "Fix y")
    incident = create(make_engineer(6).user, repository=repository, fix_sha=fix)

    assert fix_trace(incident.pk) == fix_trace(incident.pk) == FixTrace.State.DONE
    trace = FixTrace.objects.get()
    assert (trace.total_lines, trace.fix_title) == (1, "Fix y")
    assert fix_trace(999999) == "no fix commit"


def test_a_fix_that_only_adds_lines_still_points_at_the_change_to_its_file(repository, work_repo, make_engineer):
    """Nothing to blame (the fix adds a guard), yet the fix's file is evidence: the older change to it leads."""
    work_repo.commit({"checkout/cart.py": "def total(items):\n    return sum(items)\n"}, "Initial import")
    fix = work_repo.commit(
        {"checkout/cart.py": "def total(items):\n    items = items or []\n    return sum(items)\n"}, "Guard"
    )
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    incident = create(make_engineer(6).user, services=[checkout], repository=repository, fix_sha=fix)
    author = make_engineer(4)
    older = make_change(repository, author, "a" * 40)
    older.files.create(path="checkout/cart.py", status="modified")
    Change.objects.filter(pk=older.pk).update(merged_at=START - timedelta(days=6))
    newer = make_change(repository, author, "b" * 40)
    newer.files.create(path="checkout/tax.py", status="modified")

    assert fix_trace(incident.pk) == FixTrace.State.DONE
    trace = FixTrace.objects.get()
    assert (trace.total_lines, trace.fix_paths) == (0, ["checkout/cart.py"])
    first, second = services.incident_suspects(incident=incident)

    assert (first.change, second.change) == (older, newer)
    [evidence] = [e for e in first.suspect.evidence if e.kind == "fix_files"]
    assert evidence.detail == f"100% of its code files changed again by fix {fix[:10]} (checkout/cart.py)"


def test_without_recorded_deployments_merges_count_as_deployments_where_configured(repository, make_engineer, settings):
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    incident = create(make_engineer(6).user, services=[checkout])
    change = make_change(repository, make_engineer(4), "a" * 40)
    change.files.create(path="checkout/cart.py", status="modified")

    settings.PORTAL_IMPLIED_DEPLOYS = True
    [implied] = services.incident_suspects(incident=incident)
    settings.PORTAL_IMPLIED_DEPLOYS = False
    [merged] = services.incident_suspects(incident=incident)

    def deployed(row):
        return next((e for e in row.suspect.evidence if e.kind == "deployed"), None)

    assert deployed(implied).detail == (
        "merged 1 d before the start, 0 later change(s) there; no deployments recorded for checkout, "
        "so it shipped when merged"
    )
    assert deployed(merged) is None
    assert implied.suspect.score > merged.suspect.score


def test_ranking_reads_a_fixed_number_of_queries_whatever_the_candidates(
    repository, make_engineer, django_assert_max_num_queries
):
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    incident = create(make_engineer(6).user, services=[checkout])
    author, senior = make_engineer(4), make_engineer(7)
    for n in range(30):
        change = make_change(repository, author, f"{n:040x}")
        change.files.create(path="checkout/cart.py", status="modified")
        change.gate_results.create(head_sha=change.head_sha, name="tests", status="warn", message="no tests")
        Review.objects.create(
            change=change,
            reviewer=senior,
            verdict="approve",
            head_sha=change.head_sha,
            seconds_spent=30,
            created_at=START,
        )

    with django_assert_max_num_queries(14):
        rows = services.incident_suspects(incident=incident)

    assert len(rows) == 30


def test_a_busy_service_ranks_the_changes_of_the_deployments_nearest_the_start(
    repository, make_engineer, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(facts, "MAX_CANDIDATES", 2)
    checkout = Service.objects.create(name="checkout", repository=repository, path_prefixes=["checkout/"])
    incident = create(make_engineer(6).user, services=[checkout])
    author = make_engineer(4)
    changes = []
    for n in range(6):
        change = make_change(repository, author, f"{n:040x}")
        Change.objects.filter(pk=change.pk).update(merged_at=START - timedelta(days=n + 1))
        changes.append(change)
    for sha, at, carried in (
        ("a", START - timedelta(hours=6), changes[:1]),
        ("b", START - timedelta(days=2), changes[1:3]),
        ("c", START - timedelta(days=5), changes[3:5]),
        ("d", START + timedelta(hours=1), changes[5:]),
    ):
        checkout.deployments.create(sha=sha * 40, deployed_at=at).changes.set(carried)

    with django_assert_max_num_queries(14):
        rows = services.incident_suspects(incident=incident)

    # The two newest merges, and whole deployments from the start backwards until two changes are carried.
    assert {r.change.pk for r in rows} == {c.pk for c in changes[:3]}
