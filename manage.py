#!/usr/bin/env python
"""Django's command-line utility for Countersign."""

import os
import sys


def _asks_for_help(args: list[str]) -> bool:
    return not args or args[0] in ("help", "--help", "-h") or "--help" in args or "-h" in args


def main() -> None:
    """Run an administrative task."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if _asks_for_help(sys.argv[1:]):
        # Help reads no secret and touches no database: it works before the environment is set up.
        os.environ["PORTAL_HELP_ONLY"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
