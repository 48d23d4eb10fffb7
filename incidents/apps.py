from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incidents, their causing changes and the weekly report."""

    name = "incidents"
    default_auto_field = "django.db.models.BigAutoField"
