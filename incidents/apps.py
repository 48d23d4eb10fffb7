from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, their causing changes and the weekly report."""

    name = "incidents"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents.selectors.causes import ConfirmedCauses
        from policy.causes import register_cause_provider

        # Risk learns from confirmed causes; policy sits below incidents, so incidents tells it.
        register_cause_provider(ConfirmedCauses())
