"""Attestations, assignments, sign-offs, review comments and files viewed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reviews.models.changes import Change
from reviews.models.org import Engineer


class Attestation(models.Model):
    """The author's statement that they read and understood every line of a revision."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="attestations")
    author = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="attestations")
    head_sha = models.CharField(max_length=40)
    note = models.TextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "head_sha"], name="attestation_once_per_revision")]

    def __str__(self) -> str:
        return f"{self.author} attests {self.head_sha[:10]}"


class Assignment(models.Model):
    """A senior asked to review a change, with the reasons for the choice."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        DONE = "done", "Done"
        HANDED_BACK = "handed_back", "Handed back"
        CANCELLED = "cancelled", "Cancelled"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    reason = models.CharField(max_length=500)
    reasons = models.JSONField(default=list, blank=True)
    estimated_minutes = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True, help_text="Review deadline; past it the change is re-routed.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    handback_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "reviewer"], condition=Q(state="active"), name="assignment_one_active_per_reviewer"
            ),
        ]
        indexes = [models.Index(fields=["reviewer", "state"], name="assignment_reviewer_state_idx")]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.change_id} ({self.state})"


class Review(models.Model):
    """A recorded verdict on one revision of a change; once written, only a host's dismissal of it is added."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approve"
        REQUEST_CHANGES = "request_changes", "Request changes"
        COMMENT = "comment", "Comment"

    class Source(models.TextChoices):
        PORTAL = "portal", "Countersign"
        HOST = "host", "Git host"
        HISTORY = "history", "Imported history"

    change = models.ForeignKey(Change, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="reviews")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)
    head_sha = models.CharField(max_length=40)
    seconds_spent = models.PositiveIntegerField()
    comment = models.TextField(blank=True, max_length=20000)
    ledger_hash = models.CharField(max_length=64, blank=True)
    files_viewed = models.PositiveIntegerField(default=0)
    files_total = models.PositiveIntegerField(default=0)
    rubber_stamp = models.BooleanField(default=False, help_text="Signed off faster than the floor for its size.")
    confirmed_fast = models.BooleanField(default=False, help_text="The reviewer confirmed a fast sign-off.")
    host_review_id = models.CharField(
        max_length=200, blank=True, help_text="The git host's id of the review: a host review is recorded once."
    )
    dismissed_at = models.DateTimeField(
        null=True, blank=True, help_text="Dismissed or unapproved on the git host: it no longer counts."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["change", "head_sha"], name="review_change_head_idx"),
            # A reviewer's latest verdicts (the queue's "recently signed off by me") without reading them all.
            models.Index(fields=["reviewer", "-created_at"], name="review_reviewer_time_idx"),
            # A senior's review minutes over the load band's year, summed from the index alone.
            models.Index(
                fields=["reviewer", "created_at"], include=["seconds_spent"], name="review_reviewer_seconds_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "host_review_id"], condition=~Q(host_review_id=""), name="review_host_id_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.verdict} {self.head_sha[:10]}"

    @property
    def is_timed(self) -> bool:
        """Whether the time spent was measured: a verdict given on the git host was never timed here."""
        return self.source != self.Source.HOST


class ReviewComment(models.Model):
    """An inline comment on a line of a revision, threaded; a thread is resolved as a whole."""

    class Side(models.TextChoices):
        OLD = "old", "Old"
        NEW = "new", "New"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="comments")
    head_sha = models.CharField(max_length=40)
    path = models.CharField(max_length=1000)
    line = models.PositiveIntegerField()
    side = models.CharField(max_length=3, choices=Side.choices, default=Side.NEW)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(max_length=10000)
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["change", "resolved"], name="comment_change_resolved_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(line__gte=1), name="comment_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} by {self.author}"


class FileView(models.Model):
    """A reviewer marked a file viewed at one content of it; a new content of the file resets it."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="file_views")
    reviewer = models.ForeignKey(Engineer, on_delete=models.CASCADE, related_name="file_views")
    path = models.CharField(max_length=1000)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the file's patch when it was viewed.")
    viewed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "reviewer", "path"], name="fileview_once")]

    def __str__(self) -> str:
        return f"{self.reviewer} viewed {self.path}"


class ReviewerWeek(models.Model):
    """Seconds a reviewer spent on verdicts in one week (Monday, UTC), kept by a PostgreSQL trigger on reviews."""

    reviewer_id = models.BigIntegerField()  # no foreign key: the trigger may write while a reviewer is deleted
    week = models.DateField()
    seconds = models.BigIntegerField(default=0)

    class Meta:
        # seconds in the index: the load band's year is an index-only scan of a senior's weeks
        constraints = [
            models.UniqueConstraint(fields=["reviewer_id", "week"], include=["seconds"], name="reviewerweek_unique")
        ]


class ReviewerDay(models.Model):
    """Seconds a reviewer spent on verdicts in one UTC day, kept by the same PostgreSQL trigger as ReviewerWeek."""

    reviewer_id = models.BigIntegerField()  # no foreign key, as ReviewerWeek
    day = models.DateField()
    seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reviewer_id", "day"], include=["seconds"], name="reviewerday_unique")
        ]
