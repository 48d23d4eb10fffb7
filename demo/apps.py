from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo organisation: generated people, repositories, reviews and incidents."""

    name = "demo"
