"""REST API of the incidents app: incidents, their suspects and links, and deployments from CI."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import selectors, services
from incidents.api import docs as api_docs
from incidents.models import Incident, IncidentChangeLink
from reviews.api import docs
from reviews.api.permissions import ScopedAccess
from reviews.models import Change, Repository, Service

MAX_SUSPECTS = 50
SHA_PATTERN = r"^[0-9a-fA-F]{7,40}$"


def _require_incident_reviewer(request: Request) -> None:
    if not services.is_incident_reviewer(request.user):
        raise PermissionDenied("Only incident reviewers may do this.")


def _incident(incident_id: int) -> Incident:
    incident = selectors.incident_for_update(incident_id)
    if incident is None:
        raise Http404("No such incident.")
    return incident


class _View(APIView):
    permission_classes = [ScopedAccess]
    read_scope = "read"
    write_scope = "incidents"


class IncidentSerializer(serializers.Serializer):
    """An incident as outside scripts record it."""

    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=Incident.Severity.values)
    started_at = serializers.DateTimeField()
    services = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50, default=list)
    paths = serializers.ListField(child=serializers.CharField(max_length=1000), max_length=100, default=list)
    repository = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    fix_commit = serializers.RegexField(SHA_PATTERN, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    detected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    known_good_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")

    def validate_services(self, names: list[str]) -> list[Service]:
        found = {s.name: s for s in Service.objects.filter(name__in=names).select_related("repository")}
        missing = sorted(set(names) - set(found))
        if missing:
            raise serializers.ValidationError(f"unknown service(s): {', '.join(missing)}")
        return [found[n] for n in dict.fromkeys(names)]

    def validate_repository(self, name: str) -> Repository | None:
        if not name:
            return None
        repository = Repository.objects.filter(name=name).first()
        if repository is None:
            raise serializers.ValidationError(f"unknown repository {name!r}")
        return repository


def _incident_body(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "url": f"/incidents/{incident.pk}/",
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "started_at": incident.started_at.isoformat(),
        "services": sorted(s.name for s in incident.services.all()),
        "paths": incident.paths,
        "repository": incident.repository.name if incident.repository else None,
        "fix_commit": incident.fix_sha or None,
        "known_good_at": incident.known_good_at.isoformat() if incident.known_good_at else None,
    }


class IncidentCreate(_View):
    """POST an incident (incident reviewers only): 201 with its id."""

    @extend_schema(
        request=IncidentSerializer,
        responses={201: api_docs.INCIDENT, **docs.errors(400, 401, 403)},
        examples=[api_docs.INCIDENT_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        _require_incident_reviewer(request)
        serializer = IncidentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        incident = services.incident_create(
            actor=request.user,
            title=data["title"],
            severity=data["severity"],
            started_at=data["started_at"],
            services=data["services"],
            paths=data["paths"],
            repository=data["repository"],
            fix_sha=data["fix_commit"],
            summary=data["summary"],
            detected_at=data["detected_at"],
            resolved_at=data["resolved_at"],
            known_good_at=data["known_good_at"],
            external_url=data["external_url"],
        )
        incident = _incident(incident.pk)
        return Response(_incident_body(incident), status=status.HTTP_201_CREATED)


def suspect_body(row: services.RankedSuspect) -> dict[str, Any]:
    """One ranked suspect as the API and the page's JSON show it."""
    change, suspect = row.change, row.suspect
    return {
        "change": {
            "id": change.pk,
            "repository": change.repository.name,
            "sha": change.head_sha,
            "title": change.title,
            "author": suspect.candidate.author,
            "merged_at": change.merged_at.isoformat() if change.merged_at else None,
            "ai_assisted": change.ai_assisted,
        },
        "score": suspect.score,
        "evidence": [
            {"kind": e.kind, "label": e.label, "detail": e.detail, "weight": e.weight} for e in suspect.evidence
        ],
        "link": row.link_state or None,
    }


class IncidentSuspects(_View):
    """GET the ranked suspects of an incident, best first, at most 50."""

    @extend_schema(
        responses={200: api_docs.SUSPECTS, **docs.errors(401, 403, 404)}, examples=[api_docs.SUSPECTS_EXAMPLE]
    )
    def get(self, request: Request, incident_id: int) -> Response:
        incident = _incident(incident_id)
        rows = services.incident_suspects(incident=incident, limit=MAX_SUSPECTS)
        trace = selectors.fix_trace(incident)
        body: dict[str, Any] = {"results": [suspect_body(r) for r in rows]}
        if trace is not None:
            body["fix_trace"] = {"state": trace.state, "error": trace.error or None, "lines": trace.total_lines}
        return Response(body)


class LinkSerializer(serializers.Serializer):
    """A decision about one change: by id, or by repository and SHA."""

    change = serializers.IntegerField(required=False, min_value=1)
    repository = serializers.CharField(max_length=200, required=False)
    sha = serializers.RegexField(SHA_PATTERN, required=False)
    state = serializers.ChoiceField(
        choices=[
            IncidentChangeLink.State.CONFIRMED,
            IncidentChangeLink.State.RULED_OUT,
            IncidentChangeLink.State.SUSPECTED,
        ]
    )
    reason = serializers.CharField(max_length=5000, trim_whitespace=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "change" in data:
            change = Change.objects.select_related("repository").filter(pk=data["change"]).first()
        elif data.get("repository") and data.get("sha"):
            change = selectors.find_change(data["repository"], data["sha"])
        else:
            raise serializers.ValidationError("name the change by its id, or by repository and sha")
        if change is None:
            raise serializers.ValidationError({"change": "no single change matches"})
        data["change_obj"] = change
        return data


class IncidentLinks(_View):
    """POST a decision: confirm or rule out (or suspect) a change as a cause, with a reason."""

    @extend_schema(
        request=LinkSerializer,
        responses={200: api_docs.LINK, 201: api_docs.LINK, **docs.errors(400, 401, 403, 404)},
        examples=[api_docs.LINK_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request, incident_id: int) -> Response:
        _require_incident_reviewer(request)
        incident = _incident(incident_id)
        serializer = LinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existed = IncidentChangeLink.objects.filter(incident=incident, change=data["change_obj"]).exists()
        link = services.incident_link_change(
            actor=request.user, incident=incident, change=data["change_obj"], state=data["state"], reason=data["reason"]
        )
        body = {
            "id": link.pk,
            "incident": incident.pk,
            "change": link.change_id,
            "state": link.state,
            "reason": link.reason,
            "decided_by": request.user.get_username(),
        }
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class DeploymentSerializer(serializers.Serializer):
    """A deployment a CI pipeline reports."""

    service = serializers.CharField(max_length=200, required=False)
    services = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50, required=False)
    environment = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,99}$", default="production")
    sha = serializers.RegexField(r"^[0-9a-f]{40}$")
    deployed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        names = list(data.get("services") or []) + ([data["service"]] if data.get("service") else [])
        if not names:
            raise serializers.ValidationError("name the service, or the services, that were deployed")
        found = {s.name: s for s in Service.objects.filter(name__in=names).select_related("repository")}
        missing = sorted(set(names) - set(found))
        if missing:
            raise serializers.ValidationError({"services": f"unknown service(s): {', '.join(missing)}"})
        data["service_objs"] = [found[n] for n in dict.fromkeys(names)]
        return data


class Deployments(_View):
    """POST a deployment (needs the reviews.add_deployment permission): 201 with what each service carried."""

    write_scope = "ci"

    @extend_schema(
        request=DeploymentSerializer,
        responses={201: api_docs.DEPLOYMENTS, **docs.errors(400, 401, 403, 503)},
        examples=[api_docs.DEPLOYMENT_EXAMPLE, docs.ERROR_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm("reviews.add_deployment"):
            raise PermissionDenied("This token may not report deployments (needs reviews.add_deployment).")
        serializer = DeploymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            deployments = services.deployment_report(
                actor=request.user,
                services=data["service_objs"],
                environment=data["environment"],
                sha=data["sha"],
                deployed_at=data["deployed_at"] or timezone.now(),
            )
        except services.GitUnavailable as exc:
            return Response(
                {"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"}
            )
        body = [
            {
                "id": d.pk,
                "service": d.service.name,
                "environment": d.environment,
                "sha": d.sha,
                "deployed_at": d.deployed_at.isoformat(),
                "changes": sorted(d.changes.values_list("pk", flat=True)),
            }
            for d in deployments
        ]
        return Response({"deployments": body}, status=status.HTTP_201_CREATED)
