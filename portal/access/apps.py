"""Registers the portal's permission rules when Django starts."""

from __future__ import annotations

from django.apps import AppConfig


class AccessConfig(AppConfig):
    """The roles-and-permissions app: its rules are read by `user.has_perm` in views, the API and templates."""

    name = "portal.access"
    label = "access"

    def ready(self) -> None:
        from portal.access import rules  # noqa: F401 - registers the permissions
