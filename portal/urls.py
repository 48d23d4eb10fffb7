"""URL configuration of the portal."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from incidents.api import views as incidents_api
from incidents.inbound import webhooks as incident_webhooks
from intake import webhooks

# Addresses no route matches answer JSON under /api/, the error shape the API's schema documents.
handler404 = "reviews.api.errors.not_found"

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("webhooks/github/", webhooks.github, name="webhook-github"),
    path("webhooks/gitlab/", webhooks.gitlab, name="webhook-gitlab"),
    path("webhooks/pagerduty/", incident_webhooks.pagerduty, name="webhook-pagerduty"),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("reviews.api.schema")),
    path("api/v1/incidents/", incidents_api.IncidentCreate.as_view(), name="api-incidents"),
    path(
        "api/v1/incidents/<int:incident_id>/suspects/",
        incidents_api.IncidentSuspects.as_view(),
        name="api-incident-suspects",
    ),
    path("api/v1/incidents/<int:incident_id>/links/", incidents_api.IncidentLinks.as_view(), name="api-incident-links"),
    path("api/v1/deployments/", incidents_api.Deployments.as_view(), name="api-deployments"),
    path("incidents/", include("incidents.urls")),
    path("host/", include("hostsync.urls")),
    path("inbox/", include("notifications.urls")),
    path("", include("reviews.urls")),
    path("dashboards/", include("insights.urls")),
]
