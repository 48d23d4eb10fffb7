from django.urls import path

from incidents import views

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
    path("reports/weekly/", views.weekly_report, name="report-weekly"),
]
