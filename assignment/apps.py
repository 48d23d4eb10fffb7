from django.apps import AppConfig


class AssignmentConfig(AppConfig):
    """Who reviews a change and why: picking, expertise, the queue, the simulator and what-if (no models of its own)."""

    name = "assignment"

    def ready(self) -> None:
        from assignment.receivers import assign_evaluated_change
        from policy.signals import change_evaluated

        change_evaluated.connect(assign_evaluated_change, dispatch_uid="assignment.assign_evaluated_change")
