from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Managers' dashboards, metrics, rollups and charts."""

    name = "insights"
    default_auto_field = "django.db.models.BigAutoField"
