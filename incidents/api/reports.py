"""Weekly operations reports through the API: list, one revision (snapshot and narrative), Markdown and PDF.

Readers as in the browser: incident reviewers, staff and managers; the exports come from the stored snapshot.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.models import WeeklyReport
from incidents.report.export import PdfUnavailable, report_filename, report_md, report_pdf
from incidents.selectors import report as report_selectors
from incidents.services import report as report_services
from reviews.api import docs
from reviews.api.etags import conditional_response
from reviews.api.permissions import ScopedAccess

JSON = "application/json"


def _require_reader(request: Request) -> None:
    if not report_services.can_read_reports(request.user):
        raise PermissionDenied("Only incident reviewers, staff and managers read the weekly report.")


def _built_report(report_id: int) -> WeeklyReport:
    report = report_selectors.report_by_id(report_id)
    if report is None:
        raise Http404("No such report.")
    if not report.snapshot:
        raise NotBuilt()
    return report


class NotBuilt(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The report is not built yet."


class Unavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "PDF export is not available on this server."


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's own type; errors are still written as JSON."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class _ErrorsAsJson:
    """A file endpoint's errors are JSON with the JSON content type, whatever file type the client asked for."""

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class MarkdownRenderer(_FileRenderer):
    media_type = "text/markdown"
    format = "md"


class PdfRenderer(_FileRenderer):
    media_type = "application/pdf"
    format = "pdf"


class ReportFilters(serializers.Serializer):
    """Narrow the list to one ISO week or one status."""

    week = serializers.RegexField(r"^\d{4}-W\d{2}$", required=False, help_text="ISO week, like 2026-W47.")
    status = serializers.ChoiceField(choices=WeeklyReport.Status.values, required=False)


class ReportSummarySerializer(serializers.ModelSerializer):
    """One revision of a week's report, without its figures."""

    finalised_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    markdown_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = WeeklyReport
        fields = [
            "id",
            "week",
            "revision",
            "status",
            "starts_at",
            "ends_at",
            "time_zone",
            "build_state",
            "built_at",
            "finalised_at",
            "finalised_by",
            "markdown_url",
            "pdf_url",
        ]

    def get_markdown_url(self, report: WeeklyReport) -> str:
        return f"/api/v1/weekly-reports/{report.pk}/markdown/"

    def get_pdf_url(self, report: WeeklyReport) -> str:
        return f"/api/v1/weekly-reports/{report.pk}/pdf/"


class ReportDetailSerializer(ReportSummarySerializer):
    """One revision with its narrative and every figure it shows (the stored snapshot)."""

    snapshot = serializers.JSONField(help_text="Incidents, causing changes, action items and insights of the week.")

    class Meta(ReportSummarySerializer.Meta):
        fields = [*ReportSummarySerializer.Meta.fields, "summary", "highlights", "concerns", "decisions", "snapshot"]


REPORT = {
    "id": 31,
    "week": "2026-W45",
    "revision": 1,
    "status": "final",
    "starts_at": "2026-11-02T00:00:00Z",
    "ends_at": "2026-11-09T00:00:00Z",
    "time_zone": "Europe/London",
    "build_state": "done",
    "built_at": "2026-11-09T06:00:04Z",
    "finalised_at": "2026-11-09T10:12:00Z",
    "finalised_by": "ann",
    "markdown_url": "/api/v1/weekly-reports/31/markdown/",
    "pdf_url": "/api/v1/weekly-reports/31/pdf/",
}
LIST_EXAMPLE = OpenApiExample(
    "Final reports", value={"next": None, "previous": None, "results": [REPORT]}, response_only=True
)
DETAIL_EXAMPLE = OpenApiExample(
    "A final report",
    value={
        **REPORT,
        "summary": "Two incidents, one caused by a change.",
        "highlights": "",
        "concerns": "Retry loops without a cap.",
        "decisions": "Cap retries in the client library.",
        "snapshot": {"week": "2026-W45", "incidents": {"count": 2, "rows": []}},
    },
    response_only=True,
)
MARKDOWN_EXAMPLE = OpenApiExample(
    "Markdown",
    value="# Weekly operations report 2026-W45\n\nFinal · revision 1 · 02 Nov 2026 to 09 Nov 2026 (exclusive)\n",
    response_only=True,
    media_type="text/markdown",
)
PDF_EXAMPLE = OpenApiExample(
    "PDF", value="%PDF-1.7 (binary)", response_only=True, media_type="application/pdf", status_codes=["200"]
)


def _file_errors(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    return {(code, JSON): response for code, response in docs.errors(*codes).items()}


class ReportCursor(CursorPagination):
    """Latest week first; `limit` up to 200."""

    ordering = ("-starts_at", "-revision")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


@extend_schema_view(
    get=extend_schema(
        parameters=[ReportFilters],
        responses={200: ReportSummarySerializer(many=True), **docs.errors(400, 401, 403)},
        examples=[LIST_EXAMPLE],
    )
)
class ReportList(ListAPIView):
    """Revisions of weekly reports, latest week first, optionally of one week or one status."""

    permission_classes = [ScopedAccess]
    serializer_class = ReportSummarySerializer
    pagination_class = ReportCursor

    def get_queryset(self):
        _require_reader(self.request)
        filters = ReportFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = WeeklyReport.objects.select_related("finalised_by").defer("snapshot")
        if week := filters.validated_data.get("week"):
            queryset = queryset.filter(week=week)
        if state := filters.validated_data.get("status"):
            queryset = queryset.filter(status=state)
        return queryset


class ReportDetail(APIView):
    """One revision of a week's report: its narrative and the figures it shows."""

    permission_classes = [ScopedAccess]
    serializer_class = ReportDetailSerializer

    @extend_schema(
        responses={200: ReportDetailSerializer, 304: None, **docs.errors(401, 403, 404)}, examples=[DETAIL_EXAMPLE]
    )
    def get(self, request: Request, report_id: int) -> Response:
        _require_reader(request)
        report = report_selectors.report_by_id(report_id)
        if report is None:
            raise Http404("No such report.")
        return conditional_response(request, ReportDetailSerializer(report).data)


class ReportMarkdown(_ErrorsAsJson, APIView):
    """The report as a Markdown document (409 while it is not built)."""

    permission_classes = [ScopedAccess]
    renderer_classes = [JSONRenderer, MarkdownRenderer]

    @extend_schema(
        responses={
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The report in Markdown."),
            **_file_errors(401, 403, 404, 409),
        },
        examples=[MARKDOWN_EXAMPLE],
    )
    def get(self, request: Request, report_id: int) -> HttpResponse:
        _require_reader(request)
        report = _built_report(report_id)
        response = HttpResponse(report_md(report).encode(), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{report_filename(report, "md")}"'
        return response


class ReportPdf(_ErrorsAsJson, APIView):
    """The report as a PDF with its charts (409 while it is not built, 503 where PDFs cannot be drawn)."""

    permission_classes = [ScopedAccess]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report as a PDF."),
            **_file_errors(401, 403, 404, 409, 503),
        },
        examples=[PDF_EXAMPLE],
    )
    def get(self, request: Request, report_id: int) -> HttpResponse:
        _require_reader(request)
        report = _built_report(report_id)
        try:
            body = report_pdf(report)
        except PdfUnavailable as exc:
            raise Unavailable(str(exc)) from None
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report_filename(report, "pdf")}"'
        return response
