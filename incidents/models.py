"""Schema of incidents, their links to the changes that may have caused them, and their reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from reviews.models import Change, Engineer, Repository, Service


class Incident(models.Model):
    """An outage or degradation of one or more services."""

    class Severity(models.TextChoices):
        SEV1 = "SEV1", "SEV1 (critical)"
        SEV2 = "SEV2", "SEV2 (major)"
        SEV3 = "SEV3", "SEV3 (minor)"
        SEV4 = "SEV4", "SEV4 (low)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    title = models.CharField(max_length=300)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    services = models.ManyToManyField(Service, related_name="incidents", blank=True)
    paths = models.JSONField(default=list, blank=True, help_text="Path prefixes known to be affected, if any.")
    summary = models.TextField(blank=True, max_length=20000)
    started_at = models.DateTimeField()
    detected_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    commander = models.ForeignKey(
        Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="commanded_incidents"
    )
    repository = models.ForeignKey(
        Repository,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
        help_text="Repository of the fix commit.",
    )
    fix_sha = models.CharField(max_length=40, blank=True, help_text="The commit that fixed the incident, if known.")
    known_good_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the affected services last worked (a known-good deployment): suspects merged since then.",
    )
    external_source = models.CharField(max_length=20, blank=True, help_text="pagerduty, or empty when recorded here.")
    external_id = models.CharField(max_length=200, blank=True)
    external_url = models.URLField(max_length=1000, blank=True)
    external_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Time of the newest paging-tool event applied to the status."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], name="incident_started_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(detected_at__isnull=True) | Q(detected_at__gte=models.F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(mitigated_at__isnull=True) | Q(mitigated_at__gte=models.F("started_at")),
                name="incident_mitigated_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=Q(known_good_at__isnull=True) | Q(known_good_at__lte=models.F("started_at")),
                name="incident_known_good_before_start",
            ),
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=~Q(external_id=""),
                name="incident_unique_external_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.title}"


class IncidentChangeLink(models.Model):
    """A change suspected of, confirmed as, or ruled out as causing an incident."""

    class State(models.TextChoices):
        SUSPECTED = "suspected", "Suspected"
        CONFIRMED = "confirmed", "Confirmed"
        RULED_OUT = "ruled_out", "Ruled out"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links")
    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="incident_links")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUSPECTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["incident", "change"], name="incident_link_unique_change")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.change_id} ({self.state})"


class TimelineEntry(models.Model):
    """One dated line of an incident's timeline, written here or received from the paging tool."""

    class Source(models.TextChoices):
        PORTAL = "portal", "Countersign"
        PAGERDUTY = "pagerduty", "PagerDuty"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField()
    text = models.TextField(max_length=5000)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    external_id = models.CharField(max_length=200, blank=True, help_text="The paging tool's event id.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_at_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source", "external_id"],
                condition=~Q(external_id=""),
                name="timeline_unique_external_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class FixTrace(models.Model):
    """The SZZ trace of a fix commit: which commits last changed the lines the fix deleted or modified."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="fix_traces")
    fix_sha = models.CharField(max_length=40, help_text="The fix commit as given.")
    resolved_sha = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    lines = models.JSONField(default=dict, blank=True, help_text="Blamed commit SHA to number of lines.")
    files = models.JSONField(default=dict, blank=True, help_text="Blamed commit SHA to the paths of its lines.")
    fix_paths = models.JSONField(default=list, blank=True, help_text="The files the fix changes.")
    total_lines = models.PositiveIntegerField(default=0)
    skipped_lines = models.PositiveIntegerField(default=0, help_text="Blank or comment-only lines not traced.")
    fix_title = models.CharField(max_length=500, blank=True)
    fix_message = models.TextField(blank=True)
    fix_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "fix_sha"], name="fixtrace_once_per_fix")]

    def __str__(self) -> str:
        return f"{self.incident_id} fix {self.fix_sha[:10]} ({self.state})"


class SuspectModel(models.Model):
    """Weights of the suspect ranking; the newest is used. Fitted on confirmed links, or the defaults."""

    weights = models.JSONField()
    trained_on = models.PositiveIntegerField(default=0, help_text="Confirmed links the weights were fitted on.")
    fitted = models.BooleanField(default=False, help_text="False: too few links, the defaults were kept.")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"suspect model {self.pk} ({self.trained_on} links)"


# The free-text sections of a correction-of-error review, in the order the page and the report show them.
COE_FIELDS = ("summary", "customer_impact", "timeline", "root_cause", "went_well", "went_wrong")


class CorrectionOfError(models.Model):
    """The correction-of-error review of an incident; its text fields are Markdown, rendered sanitised."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="coe")
    summary = models.TextField(blank=True, max_length=20000)
    customer_impact = models.TextField(blank=True, max_length=20000)
    timeline = models.TextField(blank=True, max_length=20000, help_text="Narrative; dated entries live apart.")
    root_cause = models.TextField(blank=True, max_length=20000)
    went_well = models.TextField(blank=True, max_length=20000)
    went_wrong = models.TextField(blank=True, max_length=20000)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "correction of error"

    def __str__(self) -> str:
        return f"COE of incident {self.incident_id}"


class WhyChain(models.Model):
    """One "5 whys" chain of a root-cause analysis: a problem and the answers to "why?" in order."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="why_chains")
    problem = models.CharField(max_length=500)
    whys = models.JSONField(default=list, help_text="Up to five answers, each to the why of the one before.")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.problem[:60]

    @property
    def slots(self) -> list[tuple[int, str]]:
        """The five answers numbered from 1, empty where not given yet (for the editor)."""
        answers = [str(w) for w in (self.whys or [])][:5]
        return list(enumerate(answers + [""] * (5 - len(answers)), start=1))


class ActionItem(models.Model):
    """Work an incident review decided on, with an owner, a due date and a status."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="actionitem_status_due_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.WONT_DO)


class PagerDutyService(models.Model):
    """A PagerDuty service seen in a webhook, and the portal services it stands for."""

    pagerduty_id = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=300, blank=True, help_text="PagerDuty's summary of the service, as last seen.")
    services = models.ManyToManyField(Service, related_name="pagerduty_services", blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "PagerDuty service"

    def __str__(self) -> str:
        return f"{self.name or self.pagerduty_id} (PagerDuty)"


class PagerDutyWebhookSecret(models.Model):
    """A signing secret of a PagerDuty webhook subscription, set by an admin next to the environment's one."""

    label = models.CharField(max_length=200)
    secret = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name = "PagerDuty webhook secret"

    def __str__(self) -> str:
        return self.label


class WeeklyReport(models.Model):
    """One revision of the weekly operations report of an ISO week: built numbers frozen with edited narrative."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        FINAL = "final", "Final"
        SUPERSEDED = "superseded", "Superseded"

    class BuildState(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        DONE = "done", "Built"
        FAILED = "failed", "Failed"

    week = models.CharField(max_length=8, help_text="ISO week, like 2026-W47.")
    starts_at = models.DateTimeField(help_text="Monday 00:00 of the week in the report's time zone.")
    ends_at = models.DateTimeField(help_text="The next Monday 00:00 (exclusive).")
    time_zone = models.CharField(max_length=64)
    revision = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by_revisions"
    )
    snapshot = models.JSONField(default=dict, blank=True, help_text="Every number, table and chart the report shows.")
    summary = models.TextField(blank=True, max_length=20000)
    highlights = models.TextField(blank=True, max_length=20000)
    concerns = models.TextField(blank=True, max_length=20000)
    decisions = models.TextField(blank=True, max_length=20000)
    build_state = models.CharField(max_length=10, choices=BuildState.choices, default=BuildState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the build done.")
    step = models.CharField(max_length=200, blank=True, help_text="What the build is doing now.")
    error = models.TextField(blank=True)
    build_requested_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["week", "revision"], name="weeklyreport_unique_revision"),
            models.UniqueConstraint(
                fields=["week"], condition=Q(status="draft"), name="weeklyreport_one_draft_per_week"
            ),
            models.UniqueConstraint(
                fields=["week"], condition=Q(status="final"), name="weeklyreport_one_final_per_week"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="weeklyreport_progress_percent"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(finalised_at__isnull=False), name="weeklyreport_final_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week} r{self.revision} ({self.status})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_building(self) -> bool:
        return self.build_state in (self.BuildState.QUEUED, self.BuildState.RUNNING)
