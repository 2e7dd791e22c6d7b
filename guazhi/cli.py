"""The `guazhi` console command: a thin front to the Django management commands.

guazhi demo            load the demo data and serve on http://127.0.0.1:8000
guazhi serve           serve with gunicorn
guazhi audit verify    check the audit log's hash chain
guazhi remind          write today's reminders (run daily from cron or a timer)
guazhi match BATCH     propose (and with --confirm-as USER, confirm) the person–post assignment
guazhi check --deploy  Django's deployment checks
guazhi <command>       any other management command (migrate, createsuperuser is absent)
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guazhi.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        if not args:
            return
    if args:
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["guazhi", *args])


if __name__ == "__main__":
    main()
