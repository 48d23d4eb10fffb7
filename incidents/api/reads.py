"""Incidents read through the API: a filtered, cursor-paginated list, and one incident with its links and suspects."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors, services
from incidents.api.views import IncidentCreate, suspect_body
from incidents.models import Incident
from incidents.selectors.pages import incidents_filtered
from reviews.api import docs
from reviews.api.etags import conditional_response
from reviews.api.permissions import ScopedAccess

DETAIL_SUSPECTS = 10


class IncidentCursor(CursorPagination):
    """Latest started first; `limit` up to 200."""

    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


class IncidentFilters(serializers.Serializer):
    """The list's query parameters; a value that does not parse is a 400."""

    status = serializers.ChoiceField(choices=Incident.Status.choices, required=False)
    severity = serializers.ChoiceField(choices=Incident.Severity.values, required=False)
    service = serializers.CharField(max_length=200, required=False, help_text="Name of an affected service.")
    repository = serializers.CharField(max_length=200, required=False, help_text="Repository of the fix commit.")
    started_after = serializers.DateTimeField(required=False, help_text="Started at or after this time.")
    started_before = serializers.DateTimeField(required=False, help_text="Started before this time.")


class IncidentSummarySerializer(serializers.Serializer):
    """An incident in a list."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    title = serializers.CharField()
    severity = serializers.ChoiceField(choices=Incident.Severity.values)
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    services = serializers.SerializerMethodField()
    repository = serializers.SerializerMethodField()

    def get_url(self, incident: Incident) -> str:
        return f"/incidents/{incident.pk}/"

    def get_services(self, incident: Incident) -> list[str]:
        return sorted(s.name for s in incident.services.all())

    def get_repository(self, incident: Incident) -> str | None:
        return incident.repository.name if incident.repository else None


class LinkedChangeSerializer(serializers.Serializer):
    """A decision about one change: confirmed, ruled out or suspected, with its reason."""

    change = serializers.SerializerMethodField()
    state = serializers.CharField()
    reason = serializers.CharField()
    decided_by = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_change(self, link: Any) -> dict[str, Any]:
        change = link.change
        return {
            "id": change.pk,
            "repository": change.repository.name,
            "sha": change.head_sha,
            "title": change.title,
            "ai_assisted": change.ai_assisted,
            "merged_at": change.merged_at.isoformat() if change.merged_at else None,
        }

    def get_decided_by(self, link: Any) -> str | None:
        return link.decided_by.get_username() if link.decided_by else None


class RankedSuspectSerializer(serializers.Serializer):
    """A ranked suspect (the same shape as the suspects endpoint)."""

    change = serializers.DictField()
    score = serializers.FloatField()
    evidence = serializers.ListField(child=serializers.DictField())
    link = serializers.CharField(allow_null=True)


class IncidentDetailSerializer(IncidentSummarySerializer):
    """One incident: times, fix commit, links to changes, and its best suspects."""

    summary = serializers.CharField()
    detected_at = serializers.DateTimeField(allow_null=True)
    mitigated_at = serializers.DateTimeField(allow_null=True)
    known_good_at = serializers.DateTimeField(allow_null=True)
    fix_commit = serializers.CharField(source="fix_sha", allow_blank=True)
    paths = serializers.ListField(child=serializers.CharField())
    commander = serializers.SerializerMethodField()
    external_url = serializers.CharField(allow_blank=True)
    links = LinkedChangeSerializer(many=True)
    suspects = RankedSuspectSerializer(many=True, help_text=f"The best {DETAIL_SUSPECTS}; all of them at suspects/.")

    def get_commander(self, incident: Incident) -> str | None:
        return incident.commander.display_name if incident.commander else None


INCIDENT_LIST_EXAMPLE = OpenApiExample(
    "Open SEV2 incidents",
    value={
        "next": None,
        "previous": None,
        "results": [
            {
                "id": 12,
                "url": "/incidents/12/",
                "title": "Checkout returns 500",
                "severity": "SEV2",
                "status": "open",
                "started_at": "2026-11-03T14:05:00Z",
                "resolved_at": None,
                "services": ["checkout"],
                "repository": "acme/shop",
            }
        ],
    },
    response_only=True,
)
INCIDENT_DETAIL_EXAMPLE = OpenApiExample(
    "An incident with a confirmed cause",
    value={
        **INCIDENT_LIST_EXAMPLE.value["results"][0],
        "status": "resolved",
        "resolved_at": "2026-11-03T15:00:00Z",
        "summary": "Retries stormed the payment provider.",
        "detected_at": "2026-11-03T14:07:00Z",
        "mitigated_at": "2026-11-03T14:30:00Z",
        "known_good_at": None,
        "fix_commit": docs.SHA,
        "paths": ["shop/checkout/"],
        "commander": "Ann Lee",
        "external_url": "",
        "links": [
            {
                "change": {
                    "id": 123,
                    "repository": "acme/shop",
                    "sha": docs.SHA,
                    "title": "Retry payment calls",
                    "ai_assisted": True,
                    "merged_at": "2026-11-03T09:00:00Z",
                },
                "state": "confirmed",
                "reason": "The fix reverts its retry loop.",
                "decided_by": "ann",
                "updated_at": "2026-11-03T16:00:00Z",
            }
        ],
        "suspects": [
            {
                "change": {"id": 123, "repository": "acme/shop", "sha": docs.SHA, "title": "Retry payment calls"},
                "score": 0.91,
                "evidence": [{"kind": "fix_blame", "detail": "the fix edits lines it added", "weight": 0.6}],
                "link": "confirmed",
            }
        ],
    },
    response_only=True,
)


@extend_schema_view(
    get=extend_schema(
        operation_id="incidents_list",
        parameters=[IncidentFilters],
        responses={200: IncidentSummarySerializer(many=True), **docs.errors(400, 401, 403)},
        examples=[INCIDENT_LIST_EXAMPLE],
    )
)
class IncidentCollection(ListAPIView, IncidentCreate):
    """GET incidents, latest first, filtered by status, severity, service, repository and start time; POST one."""

    permission_classes = [ScopedAccess]
    serializer_class = IncidentSummarySerializer
    pagination_class = IncidentCursor

    def get_queryset(self):
        filters = IncidentFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return incidents_filtered(**filters.validated_data)


class IncidentDetail(APIView):
    """One incident with its services, times, fix commit, decided links and best suspects."""

    permission_classes = [ScopedAccess]
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        responses={200: IncidentDetailSerializer, 304: None, **docs.errors(401, 403, 404)},
        examples=[INCIDENT_DETAIL_EXAMPLE],
    )
    def get(self, request: Request, incident_id: int) -> Response:
        incident = selectors.incident_detail(incident_id)
        if incident is None:
            raise Http404("No such incident.")
        ranked = services.incident_suspects(incident=incident, limit=DETAIL_SUSPECTS)
        incident.suspects = [suspect_body(row) for row in ranked]
        return conditional_response(request, IncidentDetailSerializer(incident).data)
