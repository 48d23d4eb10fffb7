"""Rollups that workers maintain for the dashboards: knowledge spread per repository and week."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from reviews.models import Engineer, Repository, Team


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
