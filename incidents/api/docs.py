"""What the schema says of the incidents API: response shapes of its plain views, and examples."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, inline_serializer
from rest_framework import serializers

from reviews.api.docs import SHA

INCIDENT = inline_serializer(
    "Incident",
    {
        "id": serializers.IntegerField(),
        "url": serializers.CharField(),
        "title": serializers.CharField(),
        "severity": serializers.CharField(),
        "status": serializers.CharField(),
        "started_at": serializers.DateTimeField(),
        "services": serializers.ListField(child=serializers.CharField()),
        "paths": serializers.ListField(child=serializers.CharField()),
        "repository": serializers.CharField(allow_null=True),
        "fix_commit": serializers.CharField(allow_null=True),
    },
)
SUSPECTS = inline_serializer(
    "Suspects",
    {
        "results": inline_serializer(
            "Suspect",
            {
                "change": serializers.DictField(),
                "score": serializers.FloatField(),
                "evidence": serializers.ListField(child=serializers.DictField()),
                "link": serializers.CharField(allow_null=True),
            },
            many=True,
        ),
        "fix_trace": serializers.DictField(required=False),
    },
)
LINK = inline_serializer(
    "Link",
    {
        "id": serializers.IntegerField(),
        "incident": serializers.IntegerField(),
        "change": serializers.IntegerField(),
        "state": serializers.CharField(),
        "reason": serializers.CharField(),
        "decided_by": serializers.CharField(),
    },
)
DEPLOYMENTS = inline_serializer(
    "Deployments",
    {
        "deployments": inline_serializer(
            "Deployment",
            {
                "id": serializers.IntegerField(),
                "service": serializers.CharField(),
                "environment": serializers.CharField(),
                "sha": serializers.CharField(),
                "deployed_at": serializers.DateTimeField(),
                "changes": serializers.ListField(child=serializers.IntegerField()),
            },
            many=True,
        )
    },
)
INCIDENT_EXAMPLE = OpenApiExample(
    "Checkout errors",
    value={
        "title": "Checkout returns 500",
        "severity": "SEV2",
        "started_at": "2026-11-03T14:05:00Z",
        "services": ["checkout"],
        "paths": ["app/checkout/"],
    },
    request_only=True,
)
LINK_EXAMPLE = OpenApiExample(
    "Confirm a cause",
    value={"change": 123, "state": "confirmed", "reason": "The fix reverts its retry loop."},
    request_only=True,
)
DEPLOYMENT_EXAMPLE = OpenApiExample(
    "Checkout to production",
    value={"service": "checkout", "environment": "production", "sha": SHA},
    request_only=True,
)
SUSPECTS_EXAMPLE = OpenApiExample(
    "Ranked suspects",
    value={
        "results": [
            {
                "change": {
                    "id": 123,
                    "repository": "acme/shop",
                    "sha": SHA,
                    "title": "Retry payment calls",
                    "author": "ann",
                    "merged_at": "2026-11-03T09:00:00Z",
                    "ai_assisted": True,
                },
                "score": 0.91,
                "evidence": [{"kind": "fix_blame", "detail": "the fix edits lines it added", "weight": 0.6}],
                "link": None,
            }
        ],
        "fix_trace": {"state": "done", "error": None, "lines": 4},
    },
    response_only=True,
)
