"""Roles and permissions: the rules backend beside Django's and axes' (portal.access.rules says who may do what)."""

from __future__ import annotations

ACCESS_APPS = ["rules", "portal.access"]
# The authentication backends, the object rules among them, are in portal.conf.oidc (they depend on SSO).
