"""URLs of single sign-on (under /accounts/sso/): start a login, and the provider's callback."""

from django.urls import path

from sso import views

urlpatterns = [
    path("start/", views.SsoStart.as_view(), name="oidc_authentication_init"),
    path("callback/", views.SsoCallback.as_view(), name="oidc_authentication_callback"),
]
