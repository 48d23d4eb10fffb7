"""Response examples of the reviews API's reads (one per operation, as the schema promises)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from reviews.api.docs import CHANGE_LIST_EXAMPLE, SHA

ENGINEER = {
    "id": 7,
    "username": "maya",
    "display_name": "Maya Roy",
    "level": 6,
    "is_senior": True,
    "team": "payments",
    "weekly_capacity_minutes": 240,
    "max_open_assignments": 8,
    "is_away": False,
    "away_until": None,
    "is_manager": False,
    "is_incident_reviewer": True,
}
ENGINEER_EXAMPLE = OpenApiExample("A senior", value=ENGINEER, response_only=True)
ENGINEER_LIST_EXAMPLE = OpenApiExample(
    "Engineers", value={"next": None, "previous": None, "results": [ENGINEER]}, response_only=True
)
CHANGE = CHANGE_LIST_EXAMPLE.value["results"][0]
QUEUE_EXAMPLE = OpenApiExample(
    "One change waiting",
    value=[
        {
            "id": 55,
            "state": "active",
            "reason": "expertise",
            "estimated_minutes": 25,
            "due_at": "2026-11-03T10:00:00Z",
            "claimed_at": None,
            "created_at": "2026-11-02T10:00:00Z",
            "change": CHANGE,
        }
    ],
    response_only=True,
)
REVIEWER = {"id": 7, "username": "maya", "display_name": "Maya Roy", "level": 6}
CHANGE_DETAIL_EXAMPLE = OpenApiExample(
    "An AI-assisted change assigned to a senior",
    value={
        **CHANGE,
        "description": "Adds the widget.",
        "source_branch": "feature/widget",
        "target_branch": "main",
        "files_count": 3,
        "policy": {
            "version": 4,
            "rules": ["ai-assisted"],
            "reasons": ["AI-assisted by a mid-level engineer: one senior signs off"],
            "missing": ["1 senior sign-off"],
            "required_sign_offs": 1,
            "requires_owner": False,
            "requires_attestation": True,
            "requires_gates": True,
            "owner_paths": [],
        },
        "gates": [
            {
                "name": "tests",
                "status": "pass",
                "message": "tests changed with the code",
                "details": [],
                "source": "portal",
                "overridden_by": None,
                "override_reason": None,
            }
        ],
        "risk": {"score": 0.42, "factors": [{"weight": 0.3, "reason": "touches a sensitive path"}]},
        "ai": {
            "assisted": True,
            "confidence": 0.9,
            "evidence": ["trailer Co-authored-by names a tool"],
            "declared": True,
            "undeclared": False,
        },
        "attestation": {"author": "ann", "head_sha": SHA, "note": "", "created_at": "2026-11-02T10:03:00Z"},
        "assignments": [
            {
                "id": 55,
                "reviewer": REVIEWER,
                "state": "active",
                "reason": "expertise",
                "reasons": ["worked on app/widgets/ last month"],
                "estimated_minutes": 25,
                "due_at": "2026-11-03T10:00:00Z",
                "created_at": "2026-11-02T10:00:00Z",
            }
        ],
        "verdicts": [],
    },
    response_only=True,
)
CHECKS_EXAMPLE = OpenApiExample(
    "Gates of the current revision",
    value={
        "head_sha": SHA,
        "gates_state": "pass",
        "results": [
            {"name": "size", "status": "pass", "message": "128 lines", "details": [], "source": "portal"},
            {"name": "ci/unit-tests", "status": "pass", "message": "412 passed", "details": [], "source": "ci"},
        ],
    },
    response_only=True,
)
