"""Changes, their files and revisions, deliveries from git hosts and deployments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reviews.models.org import Engineer, Repository, Service


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
    opener_login = models.CharField(max_length=100, blank=True, help_text="The host account that opened it.")
    agent_opened = models.BooleanField(
        default=False, help_text="Opened by an AI agent's own account, not by a person (AI-assisted or not)."
    )

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
            # The fact rollups' incremental refresh reads the changes updated since its last run.
            models.Index(fields=["updated_at"], name="change_updated_idx"),
            # An author's open changes (navigation counts, "my changes") out of all they ever wrote.
            models.Index(fields=["author", "opened_at"], condition=Q(state="open"), name="change_open_author_idx"),
            # Who was active lately (assignment.expertise.active_people): a probe per engineer, and per address.
            models.Index(fields=["author", "opened_at"], name="change_author_opened_idx"),
            models.Index(
                fields=["author_email", "opened_at"], condition=Q(author__isnull=True), name="change_address_opened_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.repository.name}: {self.title[:60]}"

    @property
    def lines_changed(self) -> int:
        return self.lines_added + self.lines_removed

    @property
    def is_author_unknown(self) -> bool:
        """No engineer, host login or e-mail on record: nobody can tell whether a reviewer wrote it."""
        return self.author_id is None and not self.author_name.strip() and not self.author_email.strip()

    @property
    def short_sha(self) -> str:
        return self.head_sha[:10]

    @property
    def current_gates(self) -> list[models.Model]:
        """Gate results (GateResult) of the current revision, read from the prefetched results."""
        overridden = {o.gate_name: o for o in self.gate_overrides.all() if o.head_sha == self.head_sha}
        results = [g for g in self.gate_results.all() if g.head_sha == self.head_sha]
        for result in results:
            result.override = overridden.get(result.name)
        return sorted(results, key=lambda g: ({"fail": 0, "warn": 1, "pass": 2}.get(g.status, 3), g.name))

    @property
    def approvals(self) -> list[models.Model]:
        """Approving verdicts not dismissed on the host, read from the prefetched reviews."""
        # Review through the relation, not an import: reviews/models/review.py imports this module.
        approve = self.reviews.model.Verdict.APPROVE
        return [r for r in self.reviews.all() if r.verdict == approve and r.dismissed_at is None]


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
        indexes = [
            # Who worked on these files or their directories (assignment.expertise): `path = …` and `path LIKE 'dir/%'`.
            models.Index(fields=["path"], opclasses=["varchar_pattern_ops"], name="changefile_path_prefix_idx"),
        ]

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
