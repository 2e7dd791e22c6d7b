"""Test-only pieces of the crash tests (test_crash.py): the app with a pause, and the
commands that prepare and inspect the crashed server's database.

`application` is guazhi.wsgi's, with one addition switched on by the environment: in a POST
whose path matches GUAZHI_CRASH_PATH, after the GUAZHI_CRASH_AFTER-th SQL statement (counted
across the process) that matches GUAZHI_CRASH_SQL has run, the request writes the marker file
GUAZHI_CRASH_MARKER (JSON: the path, the statement, the request's X-Forwarded-For) and sleeps
inside its transaction until the test kills the server. Without those variables it is the
plain app. Never imported by the app itself.

`python -m guazhi.core.tests.crashsite prepare DIR` (with the server's environment) writes a
roster file into DIR, issues one-time codes for the test's phones and prints what the test
needs as JSON; `... inspect` prints the state the test compares before and after a crash.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from pathlib import Path

PATH = os.environ.get("GUAZHI_CRASH_PATH", "")
SQL = os.environ.get("GUAZHI_CRASH_SQL", "")
AFTER = int(os.environ.get("GUAZHI_CRASH_AFTER") or 1)
MARKER = os.environ.get("GUAZHI_CRASH_MARKER", "")

CODE = "246810"  # every test phone's one-time code
PHONES = [f"177{i:08d}" for i in range(1, 41)]
ROSTER_ROWS = 600  # each row a new cadre with a résumé entry

_request = threading.local()
_lock = threading.Lock()
_matched = 0


def _pause_after(execute, sql, params, many, context):
    global _matched
    result = execute(sql, params, many, context)
    armed = getattr(_request, "environ", None)
    if armed is not None and re.search(SQL, sql):
        with _lock:
            _matched += 1
            here = _matched == AFTER
        if here:
            Path(MARKER).write_text(
                json.dumps(
                    {
                        "path": armed.get("PATH_INFO"),
                        "sql": sql[:200],
                        "forwarded_for": armed.get("HTTP_X_FORWARDED_FOR", ""),
                    }
                ),
                encoding="utf-8",
            )
            time.sleep(3600)  # held inside the request's transaction until killed
    return result


def _install(sender, connection, **kwargs):
    if _pause_after not in connection.execute_wrappers:
        connection.execute_wrappers.append(_pause_after)


def _app():
    from django.db.backends.signals import connection_created

    from guazhi.wsgi import application as app

    if SQL and MARKER:
        connection_created.connect(_install, dispatch_uid="guazhi-crash-pause")

    def application(environ, start_response):
        armed = (
            SQL
            and MARKER
            and environ.get("REQUEST_METHOD") == "POST"
            and re.search(PATH, environ.get("PATH_INFO", ""))
        )
        _request.environ = environ if armed else None
        try:
            return app(environ, start_response)
        finally:
            _request.environ = None

    return application


# --- the commands -------------------------------------------------------------------------------


def prepare(directory: Path) -> dict:
    """A roster of new cadres for units that already have cadres; codes for the phones; the
    open round to confirm; two deeds open for rating."""
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from guazhi.assessment.models import Round
    from guazhi.cadres.bench import _roster_file
    from guazhi.core import crypto
    from guazhi.core.models import OrgUnit
    from guazhi.deeds import services
    from guazhi.deeds.models import Deed, PhoneCode, Status

    units = list(OrgUnit.objects.filter(cadres__isnull=False).distinct().order_by("pk")[:5])
    (directory / "roster.xlsx").write_bytes(_roster_file(ROSTER_ROWS, units))
    expires = timezone.now() + timedelta(hours=2)
    PhoneCode.objects.bulk_create(
        PhoneCode(
            phone_key=(key := services.phone_key(phone)),
            code_hash=crypto.blind_index(f"{key}:{CODE}"),
            expires_at=expires,
        )
        for phone in PHONES
    )
    round_ = (
        Round.objects.filter(status=Round.Status.OPEN, kind=Round.Kind.ANNUAL)
        .annotate(n=Count("entries"))
        .order_by("-n", "pk")
        .first()
    )
    deeds = list(
        Deed.objects.filter(closed_on__isnull=True)
        .exclude(status__kind=Status.Kind.CLOSED)
        .order_by("pk")
        .values_list("public_key", flat=True)[:2]
    )
    return {"round": round_.pk, "deeds": deeds}


def inspect(round_pk: int, deed_keys: list[str]) -> dict:
    """What each operation wrote, and whether it holds together."""
    from django.db import connection
    from django.db.models import Sum

    from guazhi.assessment.models import Entry, Round
    from guazhi.cadres.models import AnnualAssessment, Cadre, ResumeEntry
    from guazhi.core.models import AuditEntry, AuditHead, AuditPending
    from guazhi.deeds import services
    from guazhi.deeds.models import PhoneCode, Rating, RatingTally, Rectification

    state: dict = {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            state["integrity"] = [row[0] for row in cursor.fetchall()]
    head = AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first()
    state["audit"] = {
        "entries": AuditEntry.objects.count(),
        "pending": AuditPending.objects.count(),
        "head": head,
        "last_seq": AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first(),
    }
    state["cadres"] = {
        "count": Cadre.objects.count(),
        "resume_entries": ResumeEntry.objects.count(),
        "created_audited": AuditEntry.objects.filter(
            object_type=Cadre._meta.label_lower, action=AuditEntry.Action.CREATE
        ).count(),
    }
    round_ = Round.objects.get(pk=round_pk)
    cadres = Entry.objects.filter(round=round_).values("placement__cadre")
    state["round"] = {
        "status": round_.status,
        "confirmed_at": round_.confirmed_at.isoformat() if round_.confirmed_at else None,
        "grades": sorted(Entry.objects.filter(round=round_).values_list("pk", "grade")),
        "annual_results": sorted(
            AnnualAssessment.objects.filter(cadre__in=cadres, year=round_.year).values_list(
                "cadre_id", "result", "source"
            )
        ),
        "confirmations_audited": AuditEntry.objects.filter(
            object_type=Round._meta.label_lower,
            object_id=str(round_.pk),
            message__startswith="确认考核结果",
        ).count(),
    }
    keys = {services.phone_key(phone): phone for phone in PHONES}
    ratings = Rating.objects.filter(rater_key__in=keys, deed__public_key__in=deed_keys)
    rated = dict(ratings.values_list("rater_key", "pk"))
    labels = Rating._meta.label_lower
    audited = list(
        AuditEntry.objects.filter(
            object_type=labels, object_id__in=[str(pk) for pk in rated.values()]
        ).values_list("object_id", flat=True)
    )
    tallies = {}
    for key in deed_keys:
        sums = RatingTally.objects.filter(deed__public_key=key).aggregate(
            **{f"n_{level}": Sum(f"n_{level}") for level in range(1, 6)}
        )
        counted = {
            f"n_{level}": Rating.objects.filter(
                deed__public_key=key, excluded=False, level=level
            ).count()
            for level in range(1, 6)
        }
        tallies[key] = {"tally": {k: v or 0 for k, v in sums.items()}, "ratings": counted}
    bad = ratings.filter(first_level__lte=2)
    state["ratings"] = {
        "phones_rated": sorted(keys[k] for k in rated),
        "codes_used": sorted(
            keys[k]
            for k in PhoneCode.objects.filter(phone_key__in=keys, used=True).values_list(
                "phone_key", flat=True
            )
        ),
        "audit_entries": len(audited),
        "ratings_audited": len(set(audited)),
        "pending_entries": AuditPending.objects.count(),
        "bad": bad.count(),
        "bad_with_rectification": Rectification.objects.filter(rating__in=bad).count(),
        "tallies": tallies,
    }
    return state


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guazhi.settings")
    django.setup()
    if argv[0] == "prepare":
        print(json.dumps(prepare(Path(argv[1]))))
    elif argv[0] == "inspect":
        print(json.dumps(inspect(int(argv[1]), argv[2].split(","))))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
else:
    application = _app() if os.environ.get("GUAZHI_CRASH_APP") else None
