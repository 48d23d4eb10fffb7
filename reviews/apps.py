from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """The review itself (queue, diff, comments, attestation, verdicts, ledger) and the shared records (models)."""

    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from intake.signals import host_review_dismissed, host_review_received
        from reviews.receivers import dismiss_host_review, record_host_review

        host_review_received.connect(record_host_review, dispatch_uid="reviews.record_host_review")
        host_review_dismissed.connect(dismiss_host_review, dispatch_uid="reviews.dismiss_host_review")
