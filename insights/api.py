"""The dashboards' figures as JSON (/api/v1/dashboards/<section>/): the same selectors and rules as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights import services
from insights.forms import ScopeForm
from insights.views import SECTIONS, section_data
from portal.access.rules import may
from reviews.api import docs
from reviews.api.permissions import ScopedAccess

DASHBOARD = inline_serializer(
    "Dashboard",
    {
        "section": serializers.ChoiceField(choices=list(SECTIONS)),
        "title": serializers.CharField(),
        "scope": serializers.DictField(help_text="The period (dates in the portal's time zone), team and repository."),
        "facts_at": serializers.DateTimeField(allow_null=True, help_text="When the figures' facts were refreshed."),
        "figures": serializers.DictField(help_text="The section's figures, as the dashboard page shows them."),
    },
)
EXAMPLE = OpenApiExample(
    "Review pipeline of one team",
    value={
        "section": "pipeline",
        "title": "Review pipeline",
        "scope": {"start_date": "2026-10-12", "last_date": "2026-11-08", "team": "payments", "repository": ""},
        "facts_at": "2026-11-08T10:00:00Z",
        "figures": {"opened": 214, "signed_off": 180, "median_latency_hours": 5.5},
    },
    response_only=True,
)


class Dashboard(APIView):
    """One dashboard's figures: managers and staff see all four, incident reviewers the quality one."""

    permission_classes = [ScopedAccess]

    @extend_schema(
        parameters=[
            OpenApiParameter("section", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(SECTIONS)),
            OpenApiParameter("team", OpenApiTypes.STR, description="Slug of a team."),
            OpenApiParameter("repository", OpenApiTypes.INT, description="Id of a repository."),
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: four weeks back)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="First day not included (default: tomorrow)."),
        ],
        responses={200: DASHBOARD, **docs.errors(400, 401, 403, 404)},
        examples=[EXAMPLE],
    )
    def get(self, request: Request, section: str) -> Response:
        if section not in SECTIONS:
            raise Http404(f"No dashboard {section[:40]!r}: use {', '.join(SECTIONS)}.")
        if not may(request.user, "insights.view_section", section):
            raise PermissionDenied("Dashboards are for managers; incident reviewers may see the quality one.")
        form = ScopeForm(request.query_params)
        if not form.is_valid():
            raise ValidationError({key: [str(m) for m in messages] for key, messages in form.errors.items()})
        scope = form.scope()
        per_person = may(request.user, "insights.view_person_figures", scope.team_id)
        facts_at = services.facts_refresh_if_stale()
        body: dict[str, Any] = {
            "section": section,
            "title": SECTIONS[section],
            "scope": scope.describe(),
            "facts_at": facts_at,
            "figures": section_data(section, scope, per_person=per_person),
        }
        return Response(body)


urlpatterns = [path("dashboards/<str:section>/", Dashboard.as_view(), name="api-dashboard")]
