"""The login form: says why a login failed (wrong credentials and how many tries are left, or a deactivated account)."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form with messages that say what to do next."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password (the password is case-sensitive).",
        "inactive": "This account is deactivated: ask a Countersign administrator to reactivate it.",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login" and self._is_inactive():
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive") from None
            raise

    def _is_inactive(self) -> bool:
        """The right password for a deactivated account (never said for a wrong one: that would confirm the name)."""
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not username or not password:
            return False
        user = get_user_model()._default_manager.filter(username=username).first()
        return bool(user and not user.is_active and user.check_password(password))

    def tries_left(self) -> int | None:
        """Wrong passwords left before django-axes locks this username from this address, after a failed attempt."""
        if not self.errors or self.request is None:
            return None
        failures = AxesProxyHandler.get_failures(self.request, {"username": self.data.get("username", "")})
        return max(0, settings.AXES_FAILURE_LIMIT - failures)
