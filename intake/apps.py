from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Everything from a git host or a git mirror up to a stored change with its diff (no models of its own)."""

    name = "intake"
