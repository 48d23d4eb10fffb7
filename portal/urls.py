"""URL configuration of the portal."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from incidents.api import views as incidents_api
from incidents.inbound import webhooks as incident_webhooks
from intake import webhooks
from navigation import errors
from navigation import views as navigation_views
from navigation.login import LoginForm
from portal.ops import views as ops
from reviews.api.errors import api_not_found
from sso import views as sso_views

handler403 = errors.handler403
handler404 = errors.handler404
handler500 = errors.handler500

urlpatterns = [
    # Answered by portal.ops.middleware ahead of the other middleware; listed here to be named and reversed.
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics_view, name="metrics"),
    # `/` is where each person's work is (navigation.views.home): a senior's queue, everyone else a redirect.
    path("", navigation_views.home, name="home"),
    path("accounts/login/", sso_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/sso/", include("sso.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("webhooks/github/", webhooks.github, name="webhook-github"),
    path("webhooks/gitlab/", webhooks.gitlab, name="webhook-gitlab"),
    path("webhooks/pagerduty/", incident_webhooks.pagerduty, name="webhook-pagerduty"),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("reviews.api.schema")),
    path("api/v1/", include("incidents.api.urls")),
    path("api/v1/", include("insights.api")),
    path(
        "api/v1/incidents/<int:incident_id>/suspects/",
        incidents_api.IncidentSuspects.as_view(),
        name="api-incident-suspects",
    ),
    path("api/v1/incidents/<int:incident_id>/links/", incidents_api.IncidentLinks.as_view(), name="api-incident-links"),
    path("api/v1/deployments/", incidents_api.Deployments.as_view(), name="api-deployments"),
    # Anything else under /api/v1/ is a JSON 404, not the HTML one.
    re_path(r"^api/v1(?:/|$)", api_not_found),
    path("incidents/", include("incidents.urls")),
    path("host/", include("hostsync.urls")),
    path("inbox/", include("notifications.urls")),
    path("", include("navigation.urls")),
    path("", include("reviews.urls")),
    path("dashboards/", include("insights.urls")),
]
