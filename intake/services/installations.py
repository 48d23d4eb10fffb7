"""GitHub App installations learnt from deliveries: which installation writes to which repository."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from intake.hostevents import HostEvent
from reviews.hostoutbox import host_sync_mark
from reviews.models import Change, HostConnection, HostInstallation, Repository

REMOVING = {"deleted", "suspend"}


def installation_apply(*, parsed: HostEvent) -> str:
    """Store an installation event and connect or disconnect the registered repositories it names."""
    with transaction.atomic():
        installation, _ = HostInstallation.objects.select_for_update().get_or_create(
            installation_id=parsed.installation_id, defaults={"account": parsed.account}
        )
        names = set(installation.repository_names or [])
        removed_all = parsed.action in REMOVING
        if removed_all:
            installation.removed_at = timezone.now() if parsed.action == "deleted" else installation.removed_at
            installation.suspended = parsed.action == "suspend"
        elif parsed.action in ("created", "unsuspend", "new_permissions_accepted", "added"):
            installation.removed_at = None
            installation.suspended = False
        names |= set(parsed.repositories_added)
        names -= set(parsed.repositories_removed)
        installation.account = parsed.account or installation.account
        installation.repository_names = sorted(names)
        installation.save()
        cut = set(parsed.repositories_removed) | (names if removed_all else set())
        connected = set() if removed_all else set(parsed.repositories_added) or (names if parsed.action else set())
        why = f"GitHub App installation {parsed.installation_id} {parsed.action}"
        for repository in Repository.objects.filter(provider=Repository.Provider.GITHUB, name__in=cut | connected):
            if repository.name in cut:
                _disconnect(repository, parsed.installation_id, why)
            else:
                _connect(repository, parsed.installation_id)
    return f"{len(connected)} connected, {len(cut)} disconnected"


def installation_learn(*, repository: Repository, installation_id: int | None) -> None:
    """An App delivery names its installation: remember it for the repository (a missed installation event)."""
    if installation_id is None:
        return
    connection = HostConnection.objects.filter(repository=repository).only("installation_id", "disconnected_at").first()
    if connection is not None and connection.installation_id == installation_id and connection.is_connected:
        return
    _connect(repository, installation_id)


def _connect(repository: Repository, installation_id: int) -> None:
    connection, _ = HostConnection.objects.select_for_update().get_or_create(repository=repository)
    was_disconnected = connection.disconnected_at is not None or connection.installation_id != installation_id
    connection.installation_id = installation_id
    connection.disconnected_at = None
    connection.disconnected_reason = ""
    connection.save()
    if was_disconnected:
        # Whatever the host missed while the App was away is written again.
        for change_id in Change.objects.filter(repository=repository, state=Change.State.OPEN).values_list(
            "pk", flat=True
        ):
            host_sync_mark(change_id=change_id, reason="installation connected")


def _disconnect(repository: Repository, installation_id: int, why: str) -> None:
    connection, _ = HostConnection.objects.select_for_update().get_or_create(repository=repository)
    if connection.installation_id not in (None, installation_id):
        return  # another installation writes to it now
    connection.disconnected_at = timezone.now()
    connection.disconnected_reason = why[:500]
    connection.save()
