"""Django's model permissions without its password login (used when password login is off)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend


class PermissionsOnlyBackend(ModelBackend):
    """Grants what users and groups were given in the admin, and never logs anyone in."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any):
        return None
