from django.apps import AppConfig


class HostsyncConfig(AppConfig):
    """Writing the sign-off back to the git host: check runs, statuses, annotations, the summary comment."""

    name = "hostsync"
    verbose_name = "Host write-back"
