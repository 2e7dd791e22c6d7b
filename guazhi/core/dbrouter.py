"""Reads for the dashboards and reports from a read replica.

When `DATABASE_REPLICA_URL` is set, the settings add a `replica` database. Views that only
read and may show figures a few seconds old — the leader dashboard and the reports — are
wrapped in `reading_replica()` (the `replica_reads` decorator); inside it the business
apps' records are read from the replica. Everything else stays on the primary:

- every write (the router never sends one to the replica);
- the platform's own tables (users, roles, units, sessions, the audit log): the audit log
  is appended under a row lock that only the primary can take, and a permission just
  granted must be seen at once;
- every read outside those views, so a user who saves a record and opens its page sees it.

Without a replica the router answers None and Django uses `default`, so one server needs no
configuration.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings

REPLICA = "replica"

# The apps whose records a dashboard or report reads; the platform's (core, auth, sessions,
# contenttypes, otp, authtoken) are always read from the primary.
REPLICA_APPS = frozenset(
    {
        "cadres",
        "programmes",
        "selection",
        "teams",
        "records",
        "returns",
        "assessment",
        "projects",
        "deeds",
    }
)

_reading = ContextVar("guazhi_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading_replica():
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads(view):
    """Decorator for read-only views whose figures may lag the primary by seconds."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reading_replica():
            return view(*args, **kwargs)

    wrapped.replica_reads = True
    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and model._meta.app_label in REPLICA_APPS and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: an object read there may refer to one
        # read here.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema by replication.
        return db == "default"


def replica_iter(iterable):
    """A streamed response's chunks, each produced inside `reading_replica()`: the body of a
    StreamingHttpResponse is iterated after the view has returned."""
    it = iter(iterable)
    while True:
        with reading_replica():
            try:
                chunk = next(it)
            except StopIteration:
                return
        yield chunk
