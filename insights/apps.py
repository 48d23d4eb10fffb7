from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Managers' dashboards, metrics, rollups and charts."""

    name = "insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents.report.sections import register_sections_provider
        from insights.report import report_sections

        # The weekly report (incidents) embeds the dashboards' sections; incidents sits below insights.
        register_sections_provider(report_sections)
