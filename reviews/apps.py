from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """Changes, diffs, policy, assignment and sign-off."""

    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"
