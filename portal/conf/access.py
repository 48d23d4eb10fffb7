"""Roles and permissions: the rules backend beside Django's and axes' (portal.access.rules says who may do what)."""

from __future__ import annotations

ACCESS_APPS = ["rules", "portal.access"]

# Axes first (it refuses locked-out logins), then passwords, then the object rules (has_perm with an object).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
