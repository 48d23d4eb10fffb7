"""What the schema says of the reviews API beyond the serializers: response shapes of plain views, and examples."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"

ERROR = inline_serializer(
    "Error",
    {
        "message": serializers.CharField(),
        "detail": serializers.CharField(help_text="The message again, for clients written against DRF's default."),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)
ERROR_EXAMPLE = OpenApiExample(
    "Invalid input",
    value={
        "message": "Invalid input (head_sha: This value does not match the required pattern.)",
        "detail": "Invalid input (head_sha: This value does not match the required pattern.)",
        "errors": {"head_sha": ["This value does not match the required pattern."]},
    },
    response_only=True,
    status_codes=["400"],
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses a view may give, all in the one error shape."""
    return {code: OpenApiResponse(ERROR, description="An error: a message and the field errors.") for code in codes}


CHECK_RESULTS = inline_serializer(
    "CheckResults",
    {
        "head_sha": serializers.CharField(),
        "gates_state": serializers.CharField(),
        "results": inline_serializer(
            "CheckResult",
            {
                "name": serializers.CharField(),
                "status": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.ListField(child=serializers.CharField()),
                "source": serializers.CharField(),
            },
            many=True,
        ),
    },
)
CHECK_RECORDED = inline_serializer(
    "CheckRecorded",
    {"name": serializers.CharField(), "status": serializers.CharField(), "gates_state": serializers.CharField()},
)
CHECK_EXAMPLE = OpenApiExample(
    "Unit tests passed",
    value={"name": "ci/unit-tests", "status": "pass", "head_sha": SHA, "message": "412 passed", "details": []},
    request_only=True,
)
VERDICT_EXAMPLE = OpenApiExample(
    "Approve after reading",
    value={"verdict": "approve", "head_sha": SHA, "seconds_spent": 540, "comment": "Read every file."},
    request_only=True,
)
AWAY_EXAMPLE = OpenApiExample("Away for a week", value={"away": True, "until": "2026-11-20"}, request_only=True)
CHANGE_LIST_EXAMPLE = OpenApiExample(
    "Open AI-assisted changes needing sign-off",
    value={
        "next": "https://countersign.example/api/v1/changes/?cursor=cD0xMjM%3D",
        "previous": None,
        "results": [
            {
                "id": 123,
                "repository": "acme/shop",
                "title": "Add the widget",
                "number": 42,
                "head_sha": SHA,
                "state": "open",
                "review_state": "needs_sign_off",
                "author": {"id": 7, "username": "ann", "display_name": "Ann", "level": 4},
                "author_name": "ann",
                "ai_assisted": True,
                "risk_score": 0.42,
                "gates_state": "pass",
                "lines_added": 120,
                "lines_removed": 8,
                "opened_at": "2026-11-02T10:00:00Z",
                "merged_at": None,
                "updated_at": "2026-11-02T10:05:00Z",
            }
        ],
    },
    response_only=True,
)
