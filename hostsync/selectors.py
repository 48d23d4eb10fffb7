"""Reads of the host write-back: per repository, its connection and the state of its outbox."""

from __future__ import annotations

from django.db.models import Count, F, Max, Q, QuerySet

from reviews.models import Repository


def host_repositories() -> QuerySet[Repository]:
    """GitHub and GitLab repositories with their connection and outbox counts, in one query."""
    dirty = Q(host_syncs__generation__gt=F("host_syncs__sent_generation"))
    return (
        Repository.objects.filter(provider__in=[Repository.Provider.GITHUB, Repository.Provider.GITLAB])
        .select_related("host_connection")
        .annotate(
            waiting=Count("host_syncs", filter=dirty),
            tracked=Count("host_syncs"),
            last_sent=Max("host_syncs__sent_at"),
        )
        .order_by("name")
    )
