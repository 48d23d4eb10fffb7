"""Rollups that workers maintain for the dashboards: one narrow row of figures per change and per verdict, and
knowledge spread per repository and week. The dashboards aggregate these, never the history itself."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from reviews.models import Change, Engineer, Repository, Review, Team


class KnowledgeSnapshot(models.Model):
    """Knowledge spread of a repository, or of one team's paths in it, as of one moment (a rollup)."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty: whole repository."
    )
    as_of = models.DateTimeField()
    files = models.PositiveIntegerField(default=0)
    files_single = models.PositiveIntegerField(default=0, help_text="Known by exactly one active person.")
    files_none = models.PositiveIntegerField(default=0, help_text="Known by no active person.")
    directories = models.PositiveIntegerField(default=0)
    directories_single = models.PositiveIntegerField(default=0)
    people = models.PositiveIntegerField(default=0, help_text="Active people who know at least one file.")
    bus_factor = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["repository", "team", "as_of"], condition=Q(team__isnull=False), name="knowledge_team_once"
            ),
            models.UniqueConstraint(
                fields=["repository", "as_of"], condition=Q(team__isnull=True), name="knowledge_repository_once"
            ),
        ]
        indexes = [models.Index(fields=["as_of", "repository"], name="knowledge_as_of_idx")]

    def __str__(self) -> str:
        return f"{self.repository_id}/{self.team_id or '*'} @ {self.as_of:%Y-%m-%d}"


class SoleKnowledge(models.Model):
    """A file or directory that only one active person knows, as of the newest snapshot (a rollup)."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=1000)
    is_directory = models.BooleanField(default=False)
    person_key = models.CharField(max_length=340)
    person_name = models.CharField(max_length=320)
    engineer = models.ForeignKey(Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    as_of = models.DateTimeField()

    class Meta:
        ordering = ["repository", "path"]
        indexes = [models.Index(fields=["repository", "is_directory", "path"], name="sole_repo_path_idx")]

    def __str__(self) -> str:
        return f"{self.path} ({self.person_name})"


class ChangeFact(models.Model):
    """A change's figures for the dashboards, derived from it, its verdicts and its incident links (a rollup)."""

    change = models.OneToOneField(Change, primary_key=True, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField()
    merged_at = models.DateTimeField(null=True, blank=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    is_closed = models.BooleanField(default=False, help_text="Closed without merging.")
    needs_sign_off = models.BooleanField(default=False)
    approvals_needed = models.PositiveSmallIntegerField(default=0)
    ai_assisted = models.BooleanField(default=False)
    ai_undeclared = models.BooleanField(default=False)
    lines = models.PositiveIntegerField(default=0)
    bucket = models.CharField(max_length=10)
    review_minutes = models.PositiveIntegerField(default=0)
    first_review_at = models.DateTimeField(null=True, blank=True, help_text="First verdict by anyone but the author.")
    first_approval_at = models.DateTimeField(null=True, blank=True)
    approvals_before_merge = models.PositiveSmallIntegerField(default=0)
    rounds = models.PositiveSmallIntegerField(default=0, help_text="Distinct revisions that got a verdict.")
    failed = models.BooleanField(default=False, help_text="Confirmed as causing an incident.")
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["opened_at"], name="fact_opened_idx"),
            models.Index(fields=["merged_at"], name="fact_merged_idx"),
            models.Index(fields=["deployed_at"], name="fact_deployed_idx"),
            models.Index(fields=["first_review_at"], name="fact_first_review_idx"),
            models.Index(fields=["first_approval_at"], name="fact_first_approval_idx"),
            # Queue depth and open age: the changes needing sign-off that were open at some moment of a period are
            # those never merged (merged_at IS NULL) or merged after its start; both are ranges of this index, so
            # the pipeline reads a period's worth of rows, not all history.
            models.Index(
                fields=["merged_at", "opened_at"],
                include=["first_approval_at", "change", "team", "repository"],
                condition=Q(needs_sign_off=True, is_closed=False),
                name="fact_signoff_open_idx",
            ),
            # The pipeline's inflow, sign-offs, rounds and latencies of a period, read from these indexes alone.
            models.Index(
                fields=["opened_at"],
                include=["change", "review_minutes", "team", "repository"],
                condition=Q(needs_sign_off=True),
                name="fact_signoff_inflow_idx",
            ),
            models.Index(
                fields=["first_review_at"],
                include=["opened_at", "change", "team", "repository"],
                condition=Q(needs_sign_off=True),
                name="fact_signoff_review_idx",
            ),
            models.Index(
                fields=["first_approval_at"],
                include=["opened_at", "change", "review_minutes", "rounds", "team", "repository"],
                condition=Q(needs_sign_off=True),
                name="fact_signoff_approval_idx",
            ),
            # The quality panel's AI-assisted changes merged without their sign-offs (should be none).
            models.Index(
                fields=["merged_at"],
                condition=Q(needs_sign_off=True, ai_assisted=True, approvals_before_merge__lt=F("approvals_needed")),
                name="fact_merged_unsigned_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of change {self.change_id}"


class ReviewFact(models.Model):
    """A verdict's figures for the dashboards: who, when, how long, whether a real review (a rollup)."""

    review = models.OneToOneField(Review, primary_key=True, on_delete=models.CASCADE, related_name="+")
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="+")
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The change author's."
    )
    reviewer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    verdict = models.CharField(max_length=16)
    seconds_spent = models.PositiveIntegerField(default=0)
    estimated_minutes = models.PositiveIntegerField(default=0, help_text="The change's estimated review minutes.")
    rubber_stamp = models.BooleanField(default=False)
    time_unknown = models.BooleanField(
        default=False, help_text="Given on the git host: never timed here, so neither a timed review nor a stamp."
    )
    dismissed = models.BooleanField(default=False, help_text="Dismissed or unapproved on the git host.")
    owner_required = models.BooleanField(default=False)
    by_non_owner = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="reviewfact_created_idx"),
            models.Index(fields=["reviewer", "created_at"], name="reviewfact_reviewer_idx"),
            # The quality panel's standing approvals of a period, read from the index alone.
            models.Index(
                fields=["created_at"],
                include=["review", "change", "time_unknown", "rubber_stamp", "owner_required", "by_non_owner"],
                condition=Q(verdict=Review.Verdict.APPROVE, dismissed=False),
                name="reviewfact_approval_idx",
            ),
            # The changes approved by non-owners, and on the host, of a period: a few of its approvals.
            models.Index(
                fields=["created_at"],
                include=["change", "team", "repository"],
                condition=Q(verdict=Review.Verdict.APPROVE, dismissed=False, by_non_owner=True),
                name="reviewfact_non_owner_idx",
            ),
            models.Index(
                fields=["created_at"],
                include=["change", "team", "repository"],
                condition=Q(verdict=Review.Verdict.APPROVE, dismissed=False, time_unknown=True),
                name="reviewfact_host_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"facts of review {self.review_id}"


class FactsWatermark(models.Model):
    """How far the fact rollups have been brought up to date (a single row)."""

    refreshed_at = models.DateTimeField(null=True, blank=True)
    changes_updated_at = models.DateTimeField(null=True, blank=True)
    links_updated_at = models.DateTimeField(null=True, blank=True)
    last_review_id = models.BigIntegerField(default=0)
    last_deployment_link_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"facts as of {self.refreshed_at}"


class DayFigure(models.Model):
    """One day's count and sums of one dashboard figure, for one key, per team, repository, both or neither
    (a rollup of the facts, so a period's figures read a row per day, not a row per change)."""

    class Metric(models.TextChoices):
        INFLOW = "inflow", "changes needing sign-off opened (n, review minutes)"
        SIGNED_OFF = "signed", "first approvals by review rounds (n, review minutes, rounds)"
        FIRST_REVIEW_HOURS = "review_h", "time to first review by hundredths of an hour (n)"
        SIGN_OFF_HOURS = "signoff_h", "time to sign-off by hundredths of an hour (n)"
        DEPLOYED = "deployed", "deployments by AI-assisted and size bucket (n, failed)"
        AI_DETECTED = "ai", "AI-assisted changes opened (n, undeclared)"
        APPROVALS = "approvals", "standing approvals by their flags (n)"
        VERDICTS = "verdicts", "verdicts by reviewer (n, estimated minutes, seconds spent)"
        FIRST_REVIEW_BANDS = "review_b", "time to first review by bands of hundredths (n)"
        SIGN_OFF_BANDS = "signoff_b", "time to sign-off by bands of hundredths (n)"
        VERDICTS_WEEK = "verdicts_w", "verdicts by reviewer, per ISO week dated by its Monday"
        FIRST_REVIEW_HOURS_WEEK = "review_hw", "time to first review by hundredths, per ISO week"
        FIRST_REVIEW_BANDS_WEEK = "review_bw", "time to first review by bands, per ISO week"
        SIGN_OFF_HOURS_WEEK = "signoff_hw", "time to sign-off by hundredths, per ISO week"
        SIGN_OFF_BANDS_WEEK = "signoff_bw", "time to sign-off by bands, per ISO week"
        QUEUE = "queue", "changes by the days they joined and left the queue (n, first opening in microseconds)"

    class Grain(models.IntegerChoices):
        # GROUPING(team, repository): a set bit is a dimension summed over.
        TEAM_AND_REPOSITORY = 0
        TEAM = 1
        REPOSITORY = 2
        ORGANISATION = 3

    day = models.DateField(help_text="In the portal's time zone.")
    metric = models.CharField(max_length=10, choices=Metric.choices)
    grain = models.PositiveSmallIntegerField(choices=Grain.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_index=False, db_constraint=False
    )
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    key = models.BigIntegerField(default=0, help_text="What the metric counts by (a reviewer, a bucket, flags).")
    n = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    extra = models.BigIntegerField(default=0)
    band = models.SmallIntegerField(
        null=True, blank=True, help_text="Of a duration's hundredths: the band that the band metrics count it in."
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["metric", "grain", "team", "repository", "day"],
                include=["key", "n", "amount", "extra"],
                name="dayfigure_read_idx",
            ),
            models.Index(fields=["day"], name="dayfigure_day_idx"),
            # A percentile's band is found from the band counts; only that band's hundredths are read then.
            models.Index(
                fields=["metric", "band", "day"],
                include=["key", "n", "grain", "team", "repository"],
                condition=Q(band__isnull=False),
                name="dayfigure_band_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} #{self.key}: {self.n}"
