"""API tokens of people and service accounts: scoped, expiring, stored as a hash only."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


def token_hash(key: str) -> str:
    """The stored form of a token: its SHA-256 (tokens are long random strings, so no salt or slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API, acting as its user within its scopes until it expires or is revoked."""

    class Scope(models.TextChoices):
        READ = "read", "Read"
        REVIEW = "review", "Review (verdicts, away)"
        CI = "ci", "CI (check results, deployments)"
        INCIDENTS = "incidents", "Incidents"
        ADMIN = "admin", "Admin (every scope)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    service_account = models.BooleanField(default=False, help_text="Held by a tool, not by a person.")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
