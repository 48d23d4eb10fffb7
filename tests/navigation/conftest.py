"""People of every role, as the navigation sees them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

ROLES = ("senior", "author", "manager", "incident_reviewer", "admin", "no_profile")


@pytest.fixture
def people(make_engineer) -> dict:
    """One user per role: a senior, a junior author, a manager, an incident reviewer, an admin, a bare account."""
    users = get_user_model().objects
    admin = users.create_user(username="root", password="pw-for-tests-only", is_staff=True, is_superuser=True)
    return {
        "senior": make_engineer(6).user,
        "author": make_engineer(4).user,
        "manager": make_engineer(7, is_manager=True).user,
        "incident_reviewer": make_engineer(6, is_incident_reviewer=True).user,
        "admin": admin,
        "no_profile": users.create_user(username="visitor", password="pw-for-tests-only"),
    }
