"""Who may call the API: an authenticated user whose token's scopes cover what the view needs, and whom the
portal's rules (portal.access.rules) allow what the view names in `permission_required`."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from portal.access.rules import may

SCOPES = ("read", "review", "ci", "incidents", "admin")


def token_scopes(request: Request) -> frozenset[str] | None:
    """The scopes of the request's API token, or None when the browser's session authenticated it."""
    scopes = getattr(request.auth, "scopes", None)
    return None if scopes is None else frozenset(scopes)


def has_scope(request: Request, scope: str) -> bool:
    """Whether the request may act in `scope`: a session may act in any, a token in its own (admin in all)."""
    scopes = token_scopes(request)
    return scopes is None or scope in scopes or "admin" in scopes


def required_permission(request: Request, view: Any) -> str | None:
    """The rule a view names for this method: `permission_required` is a name, or a dict of method to name."""
    required = getattr(view, "permission_required", None)
    if isinstance(required, dict):
        return required.get(request.method)
    return required


class ScopedAccess(BasePermission):
    """Authenticated, with the view's `read_scope` for safe methods and its `write_scope` for the others, and the
    rule the view names (`permission_required`), checked without an object here and with it on `get_object`."""

    message = "This token's scopes do not allow this call."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405 (a token without a write scope got a 500 here)
        # A view that writes without naming its scope needs the admin scope, never none.
        scope = (
            getattr(view, "read_scope", "read")
            if request.method in SAFE_METHODS
            else getattr(view, "write_scope", "admin")
        )
        if not has_scope(request, scope):
            self.message = f"This token lacks the {scope!r} scope."
            return False
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        permission = required_permission(request, view)
        return permission is None or may(request.user, permission, obj)
