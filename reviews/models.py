"""Schema of changes, their diffs, policy decisions, assignments and sign-offs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Team(models.Model):
    """A group of engineers that owns services."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Engineer(models.Model):
    """Profile of a portal user: level, team, review capacity and roles."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="engineer")
    display_name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    level = models.PositiveSmallIntegerField(help_text="Career level, L3 to L8; senior is L6 and up.")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="engineers")
    weekly_capacity_minutes = models.PositiveIntegerField(default=240)
    is_away = models.BooleanField(default=False)
    away_until = models.DateField(null=True, blank=True)
    max_open_assignments = models.PositiveSmallIntegerField(default=8)
    is_manager = models.BooleanField(default=False)
    is_incident_reviewer = models.BooleanField(default=False)
    github_login = models.CharField(max_length=100, blank=True, db_index=True)
    gitlab_username = models.CharField(max_length=100, blank=True, db_index=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=3) & Q(level__lte=8), name="engineer_level_l3_to_l8"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (L{self.level})"

    @property
    def is_senior(self) -> bool:
        return self.level >= settings.PORTAL_SENIOR_LEVEL


class Repository(models.Model):
    """A git repository whose changes the portal tracks, kept as a bare mirror."""

    class Provider(models.TextChoices):
        GIT = "git", "Plain git"
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"

    name = models.CharField(max_length=200, unique=True)
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.GIT)
    clone_url = models.CharField(max_length=1000)
    default_branch = models.CharField(max_length=255, default="main")
    sensitive_paths = models.JSONField(default=list, blank=True, help_text="Glob patterns of sensitive paths.")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Overrides PORTAL_GITHUB_WEBHOOK_SECRET / PORTAL_GITLAB_WEBHOOK_TOKEN."
    )
    api_token = models.CharField(max_length=200, blank=True, help_text="Token for the host's API (metadata only).")
    poll_enabled = models.BooleanField(default=True, help_text="Fetch on the beat schedule and record new commits.")
    track_branches = models.BooleanField(
        default=True, help_text="Record unmerged branches as open changes when polling."
    )
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "repositories"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A deployable service: a set of path prefixes in one repository, owned by a team."""

    name = models.CharField(max_length=200, unique=True)
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="services")
    path_prefixes = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Change(models.Model):
    """A proposed or merged change to a repository: a commit, branch or pull request."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        CLOSED = "closed", "Closed"

    class ReviewState(models.TextChoices):
        NOT_REQUIRED = "not_required", "No sign-off required"
        PENDING_POLICY = "pending_policy", "Waiting for diff and policy"
        GATES_FAILED = "gates_failed", "Gates failing: back to the author"
        AWAITING_ATTESTATION = "awaiting_attestation", "Waiting for the author's attestation"
        NEEDS_SIGN_OFF = "needs_sign_off", "Needs sign-off"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Signed off"

    class DiffState(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="changes")
    external_id = models.CharField(max_length=300, help_text="Commit SHA, branch or pull request id on the host.")
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    author = models.ForeignKey(Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    author_name = models.CharField(max_length=200, blank=True)
    author_email = models.CharField(max_length=320, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True, help_text="Pull request number or merge request iid.")
    source_branch = models.CharField(max_length=255, blank=True)
    target_branch = models.CharField(max_length=255, blank=True)
    is_draft = models.BooleanField(default=False)
    labels = models.JSONField(default=list, blank=True)
    merge_sha = models.CharField(max_length=40, blank=True, help_text="Commit that landed the change on its target.")
    host_updated_at = models.DateTimeField(null=True, blank=True, help_text="Newest host event applied.")
    base_sha = models.CharField(max_length=40, blank=True)
    head_sha = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    review_state = models.CharField(max_length=24, choices=ReviewState.choices, default=ReviewState.PENDING_POLICY)

    diff_state = models.CharField(max_length=10, choices=DiffState.choices, default=DiffState.PENDING)
    diff_error = models.TextField(blank=True)
    diff_sha = models.CharField(max_length=40, blank=True, help_text="Head SHA the stored diff was computed for.")
    lines_added = models.PositiveIntegerField(default=0)
    lines_removed = models.PositiveIntegerField(default=0)
    files_count = models.PositiveIntegerField(default=0)
    generated_lines = models.PositiveIntegerField(default=0, help_text="Changed lines in generated or vendored files.")
    diff_truncated = models.BooleanField(default=False, help_text="Too large to review in full; stored truncated.")

    ai_declared = models.BooleanField(null=True, blank=True, help_text="The author's own declaration, if made.")
    ai_undeclared = models.BooleanField(default=False, help_text="Detected as AI-assisted but not declared.")
    ai_assisted = models.BooleanField(default=False)
    ai_confidence = models.FloatField(default=0.0)
    ai_evidence = models.JSONField(default=list, blank=True)

    risk_score = models.FloatField(default=0.0)
    risk_reasons = models.JSONField(default=list, blank=True)
    review_minutes = models.PositiveIntegerField(default=0)

    policy_version = models.ForeignKey(
        "PolicyVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    policy_rules = models.JSONField(default=list, blank=True, help_text="Names of the rules that matched.")
    policy_missing = models.JSONField(default=list, blank=True, help_text="What the change still needs.")
    requires_gates = models.BooleanField(default=False)
    owner_paths = models.JSONField(default=list, blank=True, help_text="Paths whose owner must sign off.")
    path_owners = models.JSONField(
        default=dict, blank=True, help_text="CODEOWNERS owners of each changed path, read from the base."
    )
    gates_state = models.CharField(max_length=10, blank=True, help_text="pass, warn or fail over all gates.")
    last_pusher_email = models.CharField(max_length=320, blank=True)
    required_sign_offs = models.PositiveSmallIntegerField(default=0)
    requires_owner = models.BooleanField(default=False)
    requires_attestation = models.BooleanField(default=False)
    policy_reasons = models.JSONField(default=list, blank=True)

    opened_at = models.DateTimeField()
    merged_at = models.DateTimeField(null=True, blank=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["repository", "external_id"], name="change_unique_external_id"),
            models.CheckConstraint(
                condition=Q(merged_at__isnull=True) | Q(state="merged"), name="change_merged_at_only_when_merged"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "review_state"], name="change_state_idx"),
            models.Index(fields=["repository", "merged_at"], name="change_repo_merged_idx"),
            models.Index(fields=["repository", "head_sha"], name="change_repo_head_idx"),
            models.Index(fields=["diff_state"], name="change_diff_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.repository.name}: {self.title[:60]}"

    @property
    def lines_changed(self) -> int:
        return self.lines_added + self.lines_removed

    @property
    def short_sha(self) -> str:
        return self.head_sha[:10]

    @property
    def current_gates(self) -> list[GateResult]:
        """Gate results of the current revision, read from the prefetched results."""
        overridden = {o.gate_name: o for o in self.gate_overrides.all() if o.head_sha == self.head_sha}
        results = [g for g in self.gate_results.all() if g.head_sha == self.head_sha]
        for result in results:
            result.override = overridden.get(result.name)
        return sorted(results, key=lambda g: ({"fail": 0, "warn": 1, "pass": 2}.get(g.status, 3), g.name))

    @property
    def approvals(self) -> list[Review]:
        """Approving verdicts, read from the prefetched reviews."""
        return [r for r in self.reviews.all() if r.verdict == Review.Verdict.APPROVE]


class ChangeFile(models.Model):
    """One file of a change's diff with its line counts."""

    class Status(models.TextChoices):
        ADDED = "added", "Added"
        MODIFIED = "modified", "Modified"
        DELETED = "deleted", "Deleted"
        RENAMED = "renamed", "Renamed"
        BINARY = "binary", "Binary"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1000)
    old_path = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    lines_added = models.PositiveIntegerField(default=0)
    lines_removed = models.PositiveIntegerField(default=0)
    is_generated = models.BooleanField(default=False, help_text="Generated or vendored: counted apart.")
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Hash of the file's patch in this revision.")
    patch = models.TextField(blank=True, help_text="The file's unified diff, as parsed.")

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["change", "path"], name="changefile_unique_path")]

    def __str__(self) -> str:
        return self.path


class Revision(models.Model):
    """One head of a change, with its raw diff stored compressed."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    head_sha = models.CharField(max_length=40)
    base_sha = models.CharField(max_length=40, blank=True)
    raw_diff = models.BinaryField(blank=True, help_text="zlib-compressed output of git diff.")
    raw_size = models.PositiveBigIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    patch_id = models.CharField(max_length=64, blank=True, help_text="Fingerprint of the diff, stable across rebases.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["change", "number"]
        constraints = [
            models.UniqueConstraint(fields=["change", "head_sha"], name="revision_unique_head"),
            models.UniqueConstraint(fields=["change", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.change_id} r{self.number} {self.head_sha[:10]}"


class PolicyVersion(models.Model):
    """One version of the sign-off policy as data; the newest is in force."""

    number = models.PositiveIntegerField(unique=True)
    data = models.JSONField()
    note = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=300, default="portal", help_text="portal, default, or repo@sha:path")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"policy v{self.number}"


class GateResult(models.Model):
    """The outcome of one automated gate on one revision."""

    class Status(models.TextChoices):
        PASS = "pass", "Pass"
        WARN = "warn", "Warning"
        FAIL = "fail", "Fail"

    class Source(models.TextChoices):
        BUILTIN = "builtin", "Countersign"
        PLUGIN = "plugin", "Organisation check"
        CI = "ci", "CI"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="gate_results")
    head_sha = models.CharField(max_length=40)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=4, choices=Status.choices)
    message = models.CharField(max_length=1000)
    details = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUILTIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["change", "head_sha", "name"], name="gateresult_unique_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"


class GateOverride(models.Model):
    """A senior's written decision to let a failed gate pass on one revision."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="gate_overrides")
    head_sha = models.CharField(max_length=40)
    gate_name = models.CharField(max_length=100)
    senior = models.ForeignKey(Engineer, on_delete=models.PROTECT, related_name="gate_overrides")
    reason = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "head_sha", "gate_name"], name="gateoverride_once_per_revision"),
        ]

    def __str__(self) -> str:
        return f"{self.gate_name} overridden by {self.senior}"


class RiskModel(models.Model):
    """Weights of the risk score; the newest is used. Fitted from history or the defaults."""

    weights = models.JSONField()
    intercept = models.FloatField()
    auc = models.FloatField(null=True, blank=True, help_text="ROC AUC on the held-out later part of history.")
    trained_on = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"risk model {self.pk} (AUC {self.auc})"


class Delivery(models.Model):
    """A webhook delivery from a git host or paging tool, stored before any work is done."""

    class Provider(models.TextChoices):
        GITHUB = "github", "GitHub"
        GITLAB = "gitlab", "GitLab"
        PAGERDUTY = "pagerduty", "PagerDuty"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    provider = models.CharField(max_length=10, choices=Provider.choices)
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    action = models.CharField(max_length=100, blank=True)
    repository = models.ForeignKey(Repository, null=True, blank=True, on_delete=models.SET_NULL)
    repository_name = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["provider", "delivery_id"], name="delivery_unique_per_provider"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event}.{self.action} {self.delivery_id}"


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
    """A recorded verdict on one revision of a change; never updated once written."""

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
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["change", "head_sha"], name="review_change_head_idx")]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.verdict} {self.head_sha[:10]}"


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


class Deployment(models.Model):
    """A deployment of a service to an environment, carrying one or more changes."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="deployments")
    environment = models.CharField(max_length=100, default="production")
    sha = models.CharField(max_length=40)
    deployed_at = models.DateTimeField()
    changes = models.ManyToManyField(Change, related_name="deployments", blank=True)

    class Meta:
        ordering = ["-deployed_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "environment", "sha"], name="deployment_unique_per_sha"),
        ]
        indexes = [models.Index(fields=["service", "deployed_at"], name="deployment_service_time_idx")]

    def __str__(self) -> str:
        return f"{self.service} {self.sha[:10]} @ {self.deployed_at:%Y-%m-%d %H:%M}"


class AuditEvent(models.Model):
    """An entry of the append-only, hash-chained audit ledger."""

    created_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.target_type}:{self.target_id}"


class LedgerHead(models.Model):
    """The single row that serialises appends to the audit ledger."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash[:12]


class WhatIfRun(models.Model):
    """A manager's what-if: history replayed under a policy version and a strategy, with its progress and result."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    params = models.JSONField(help_text="What was asked: policy version, strategy, weeks, repository, seniors.")
    params_key = models.CharField(max_length=64, help_text="Hash of the parameters, to reuse a recent run.")
    policy_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="whatif_runs"
    )
    proposed_policy = models.JSONField(null=True, blank=True, help_text="A policy not published, replayed instead.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["params_key", "created_at"], name="whatif_params_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="whatif_progress_at_most_100"),
            models.CheckConstraint(
                condition=Q(policy_version__isnull=False) | Q(proposed_policy__isnull=False),
                name="whatif_version_or_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"what-if {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def policy_label(self) -> str:
        """'v3', or 'proposed' for a policy that was not published."""
        return f"v{self.policy_version.number}" if self.policy_version_id else "proposed"

    @property
    def seconds(self) -> float | None:
        """How long the replay ran, once finished."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
