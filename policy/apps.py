from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """What a change needs: the policy, gates, risk, CODEOWNERS (no models of its own)."""

    name = "policy"

    def ready(self) -> None:
        from intake.signals import diff_stored
        from policy.receivers import evaluate_stored_diff

        diff_stored.connect(evaluate_stored_diff, dispatch_uid="policy.evaluate_stored_diff")
