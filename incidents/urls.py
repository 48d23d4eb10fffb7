from django.urls import path

from incidents import report_views, views
from incidents.inbound import deliveries

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="incident-list"),
    path("new/", views.incident_create, name="incident-create"),
    path("<int:incident_id>/", views.incident_detail, name="incident-detail"),
    path("<int:incident_id>/edit/", views.incident_edit, name="incident-edit"),
    path("<int:incident_id>/links/", views.incident_link, name="incident-link"),
    path("<int:incident_id>/suspects/", views.incident_suspects, name="incident-suspects"),
    path("<int:incident_id>/suspects/<int:change_id>/decide/", views.incident_decide, name="incident-decide"),
    path("<int:incident_id>/timeline/", views.timeline_add, name="timeline-add"),
    path("<int:incident_id>/coe/", views.coe_edit, name="coe-edit"),
    path("<int:incident_id>/whys/", views.why_chain_save, name="why-chain-add"),
    path("<int:incident_id>/whys/<int:chain_id>/", views.why_chain_save, name="why-chain-edit"),
    path("<int:incident_id>/actions/", views.action_add, name="action-add"),
    path("<int:incident_id>/actions/<int:item_id>/", views.action_update, name="action-update"),
    path("deliveries/<int:delivery_id>/redeliver/", deliveries.delivery_redeliver, name="delivery-redeliver"),
    path("reports/weekly/", report_views.weekly_report, name="report-weekly"),
    path("reports/weekly/draft/", report_views.report_draft, name="report-draft"),
    path("reports/<int:report_id>/", report_views.report_detail, name="report-detail"),
    path("reports/<int:report_id>/status/", report_views.report_status, name="report-status"),
    path("reports/<int:report_id>/narrative/", report_views.report_narrative, name="report-narrative"),
    path("reports/<int:report_id>/finalise/", report_views.report_finalise, name="report-finalise"),
    path("reports/<int:report_id>/revise/", report_views.report_revise, name="report-revise"),
    path("reports/<int:report_id>/export.<str:fmt>", report_views.report_export, name="report-export"),
]
