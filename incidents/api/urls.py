"""URLs of the incidents API's reads (under /api/v1/): incidents, and weekly reports with their exports."""

from django.urls import path

from incidents.api import reads, reports

urlpatterns = [
    path("incidents/", reads.IncidentCollection.as_view(), name="api-incidents"),
    path("incidents/<int:incident_id>/", reads.IncidentDetail.as_view(), name="api-incident"),
    path("weekly-reports/", reports.ReportList.as_view(), name="api-weekly-reports"),
    path("weekly-reports/<int:report_id>/", reports.ReportDetail.as_view(), name="api-weekly-report"),
    path("weekly-reports/<int:report_id>/markdown/", reports.ReportMarkdown.as_view(), name="api-weekly-report-md"),
    path("weekly-reports/<int:report_id>/pdf/", reports.ReportPdf.as_view(), name="api-weekly-report-pdf"),
]
