"""AI accounts and vocabulary as data an admin extends, and the findings of AI review bots."""

from __future__ import annotations

from django.db import models

from reviews.models.changes import Change
from reviews.models.org import Engineer


class AiVocabularyEntry(models.Model):
    """One address, domain, tool name, trailer key or account that AI detection knows; admins add and retire them."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "E-mail domain only AI tools send from"
        ADDRESS = "address", "AI tool address (pattern, * matches anything)"
        TOOL = "tool", "AI tool name in an Assisted-by / Generated-by line"
        TRAILER_KEY = "trailer_key", "Trailer key that names a tool (e.g. assisted-by)"
        AGENT_ACCOUNT = "agent_account", "Agent account that opens changes itself"
        AI_REVIEWER = "ai_reviewer", "AI review bot account (findings, never a sign-off)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=320, help_text="Compared in lower case.")
    note = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True, help_text="Retired entries are kept but no longer used.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        verbose_name = "AI account or vocabulary entry"
        verbose_name_plural = "AI accounts and vocabulary"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="ai_vocabulary_unique_entry"),
            models.CheckConstraint(condition=~models.Q(value=""), name="ai_vocabulary_value_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs) -> None:
        # Detection compares in lower case; storing it so keeps the unique constraint meaningful.
        self.value = self.value.strip().lower()
        super().save(*args, **kwargs)


class AiFinding(models.Model):
    """What an AI review bot said about a change; shown on the change until a person resolves it."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="ai_findings")
    account = models.CharField(max_length=100, help_text="The bot's login on the git host.")
    verdict = models.CharField(max_length=24, help_text="approved, changes_requested or commented, as the bot said.")
    body = models.TextField(blank=True)
    host_review_id = models.CharField(max_length=200, blank=True)
    head_sha = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Engineer, null=True, blank=True, on_delete=models.SET_NULL, related_name="resolved_ai_findings"
    )
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "host_review_id"],
                condition=~models.Q(host_review_id=""),
                name="ai_finding_unique_host_review",
            ),
        ]
        indexes = [models.Index(fields=["change", "resolved_at"], name="ai_finding_open_idx")]

    def __str__(self) -> str:
        return f"{self.account} on {self.change_id}: {self.verdict}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def verdict_label(self) -> str:
        return self.verdict.replace("_", " ") or "commented"
