"""The preferences form: a channel choice and timing per kind, and the person's zone and quiet hours."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms

from notifications.preferences import Choice
from reviews.models import NotificationKind, OutboundMessage


class PreferencesForm(forms.Form):
    """Built from every kind of notification; checkboxes and a mode per kind."""

    time_zone = forms.CharField(max_length=64, required=False, help_text="IANA zone, e.g. Europe/Paris.")
    quiet_start = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    digest_hour = forms.IntegerField(min_value=0, max_value=23)

    def __init__(self, *args, choices: dict[str, Choice], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = []
        for kind, label in NotificationKind.choices:
            chosen = choices[kind]
            self.fields[f"{kind}-email"] = forms.BooleanField(required=False, initial=chosen.email, label="E-mail")
            self.fields[f"{kind}-chat"] = forms.BooleanField(required=False, initial=chosen.chat, label="Chat")
            self.fields[f"{kind}-mode"] = forms.ChoiceField(
                choices=OutboundMessage.Mode.choices, initial=chosen.mode, label="When"
            )
            self.kinds.append((kind, label, self[f"{kind}-email"], self[f"{kind}-chat"], self[f"{kind}-mode"]))

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data["time_zone"].strip()
        if zone and zone not in available_timezones():
            raise forms.ValidationError("Not a time zone name (e.g. Europe/Paris, America/New_York).")
        return zone

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            raise forms.ValidationError("Give both ends of the quiet hours, or neither.")
        return data

    def kind_choices(self) -> dict[str, dict]:
        return {
            kind: {
                "email": self.cleaned_data[f"{kind}-email"],
                "chat": self.cleaned_data[f"{kind}-chat"],
                "mode": self.cleaned_data[f"{kind}-mode"],
            }
            for kind in NotificationKind.values
        }

    def profile(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("time_zone", "quiet_start", "quiet_end", "digest_hour")}
