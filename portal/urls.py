"""URL configuration of the portal."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from reviews import api as reviews_api
from reviews import webhooks

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("webhooks/github/", webhooks.github, name="webhook-github"),
    path("webhooks/gitlab/", webhooks.gitlab, name="webhook-gitlab"),
    path("api/v1/changes/<int:change_id>/checks/", reviews_api.ChangeChecks.as_view(), name="api-change-checks"),
    path("incidents/", include("incidents.urls")),
    path("", include("reviews.urls")),
]
