"""Who worked on which file and directory of a repository: rollups of the history, kept by PostgreSQL triggers."""

from __future__ import annotations

from django.db import models

# The decayed weight is stored separable: sum of 2 ** ((t - KNOWLEDGE_EPOCH) / half-life) over the events, so that
# the weight at `now` is that sum times 0.5 ** ((now - KNOWLEDGE_EPOCH) / half-life) (assignment.rollup).
KNOWLEDGE_EPOCH = "2000-01-01T00:00:00+00:00"


class PathKnowledge(models.Model):
    """One person's merged changes (kind "a") or verdicts (kind "r") on one path of a repository, summed."""

    EPOCH = KNOWLEDGE_EPOCH

    repository_id = models.BigIntegerField()  # no foreign keys: the triggers write while rows are deleted
    path = models.CharField(max_length=1000)
    directory = models.CharField(max_length=1000)
    kind = models.CharField(max_length=1)
    engineer_id = models.BigIntegerField(null=True)
    email = models.CharField(max_length=320, blank=True)  # the commit's address when no engineer is known
    events = models.IntegerField()
    weight = models.FloatField()  # see KNOWLEDGE_EPOCH
    last_at = models.DateTimeField()
    last_change_id = models.BigIntegerField()  # the change of the latest event
    other_last_at = models.DateTimeField(null=True)  # the latest event of another change than last_change_id

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository_id", "path", "kind", "engineer_id", "email"],
                name="pathknowledge_unique",
                nulls_distinct=False,
            )
        ]
        # A directory's sums are recomputed from its paths' rows.
        indexes = [models.Index(fields=["repository_id", "directory"], name="pathknowledge_directory_idx")]

    def __str__(self) -> str:
        return f"{self.path} {self.kind} {self.engineer_id or self.email}"


class PathKnowers(models.Model):
    """The engineers who merged changes on or gave verdicts on one path of a repository, with their events."""

    repository_id = models.BigIntegerField()
    path = models.CharField(max_length=1000)
    # Space-separated person keys ("e:12 e:40"), and each one's events (merges and verdicts) in the same order:
    # text rather than arrays, so that the schema also migrates on the embedded SQLite default.
    knowers = models.TextField()
    events = models.TextField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repository_id", "path"], name="pathknowers_unique")]

    def __str__(self) -> str:
        return self.path


class DirectoryKnowledge(models.Model):
    """One person's work (merged changes and verdicts) on the files directly in one directory of a repository."""

    repository_id = models.BigIntegerField()
    directory = models.CharField(max_length=1000)
    engineer_id = models.BigIntegerField(null=True)
    email = models.CharField(max_length=320, blank=True)
    events = models.IntegerField()
    weight = models.FloatField()  # see KNOWLEDGE_EPOCH
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["repository_id", "directory", "engineer_id", "email"],
                name="directoryknowledge_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.directory} {self.engineer_id or self.email}"


class PersonActivity(models.Model):
    """A person's latest change opened or verdict given (an engineer, or an address without one), kept by triggers."""

    engineer_id = models.BigIntegerField(null=True)  # no foreign key, as the rollups above
    email = models.CharField(max_length=320, blank=True)  # the commit's address when no engineer is known
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["engineer_id", "email"], include=["last_at"], name="personactivity_unique", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"{self.engineer_id or self.email} last active {self.last_at:%Y-%m-%d}"
