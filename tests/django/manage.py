#!/usr/bin/env python3
"""A minimal Django project for envward's `--profile django` parity test:
`python3 manage.py check --deploy` with settings read from the process
environment (see parity_site/settings.py)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parity_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
