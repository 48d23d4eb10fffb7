"""People, teams, repositories and the services they run."""

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
    gitlab_user_id = models.PositiveIntegerField(
        null=True, blank=True, unique=True, help_text="GitLab user id: merge request hooks name authors by it."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="IANA zone for quiet hours and the digest; blank: the portal's."
    )
    quiet_start = models.TimeField(null=True, blank=True, help_text="No e-mail or chat from this local time…")
    quiet_end = models.TimeField(null=True, blank=True, help_text="…until this local time (held, then sent).")
    digest_hour = models.PositiveSmallIntegerField(default=8, help_text="Local hour the daily digest is sent.")
    sso_subject = models.CharField(
        max_length=255, blank=True, help_text="The identity provider's `sub` for this person (set at SSO login)."
    )

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sso_subject"], condition=~Q(sso_subject=""), name="engineer_sso_subject_unique"
            ),
            models.CheckConstraint(condition=Q(level__gte=3) & Q(level__lte=8), name="engineer_level_l3_to_l8"),
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="engineer_digest_hour_valid"),
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
