"""The database triggers that keep `RatingTally` (models.py) and the recount that rebuilds it.

Each change adds its difference to a row of the deed; a deed's counts are the sums of its
rows, so it does not matter which row a difference lands in. Usually a deed has one row
(shard 0). A new rating on PostgreSQL adds itself to row 0 unless another transaction holds
it (`FOR UPDATE SKIP LOCKED`); then to the row of its own database session (shard 1 + the
session's process id modulo 16), which no other transaction can hold. A burst of raters of
one deed thus never queues, and a quiet deed keeps one row. Two raters committing at once
both count: each adds its own difference under its row's lock. Other changes go to row 0 by
statement triggers over transition tables (a bulk update is one upsert per deed). SQLite,
with one writer at a time, uses row triggers and row 0 throughout. Measurements of the
alternatives (one row, fixed shards by rating id, skip-locked over all rows) are in
docs/benchmarks.md.

A rating contributes, when not excluded: 1 to its current level, 1 to `n_bad` if its first
level was bad, and 1 to `n_fixed` if it is bad and its rectification is done; when excluded:
1 to `n_excluded` only. A rectification's status change moves `n_fixed` for a valid bad
rating. Deleting a deed deletes its row (ratings go first and subtract themselves).
"""

# ruff: noqa: S608 — every statement here is built from this module's constants (table and
# column names, level numbers); the only values, deed ids, are passed as parameters.
from __future__ import annotations

from django.db import connection

LEVELS = (1, 2, 3, 4, 5)
BAD = "(1, 2)"
COLUMNS = [*(f"n_{level}" for level in LEVELS), "n_excluded", "n_bad", "n_fixed"]
TABLE = "deeds_ratingtally"


def _case(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _rating_terms(r: str, fixed: str) -> list[str]:
    """The contribution of rating `r` to each column; `fixed`: an SQL condition saying that
    its rectification is done."""
    valid = f"NOT {r}.excluded"
    return [
        *(_case(f"{valid} AND {r}.level = {level}") for level in LEVELS),
        _case(f"{r}.excluded"),
        _case(f"{valid} AND {r}.first_level IN {BAD}"),
        _case(f"{valid} AND {r}.first_level IN {BAD} AND {fixed}"),
    ]


def _rect_terms(x: str, valid_bad: str) -> list[str]:
    """A rectification's contribution: `n_fixed` only, when done and its rating valid and bad."""
    return ["0"] * 7 + [_case(f"{x}.status = 'done' AND {valid_bad}")]


def _fixed_of(r: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM deeds_rectification fx WHERE fx.rating_id = {r}.id "
        f"AND fx.status = 'done')"
    )


_ADD = ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in COLUMNS)
_INSERT = f"INSERT INTO {TABLE} (deed_id, shard, {', '.join(COLUMNS)})"
_CONFLICT = f"ON CONFLICT (deed_id, shard) DO UPDATE SET {_ADD}"


# --- PostgreSQL: statement triggers over transition tables, a row trigger for new ratings ---


def _pg_upsert(terms: list[str], source: str, sign: str) -> str:
    """`source` names the rating `r` (and the rectification `x`); into shard 0."""
    sums = ", ".join(f"{sign}SUM({term})" for term in terms)
    return f"{_INSERT} SELECT r.deed_id, 0, {sums} FROM {source} GROUP BY r.deed_id {_CONFLICT};"


def postgresql_sql() -> list[str]:
    rating = _rating_terms("r", _fixed_of("r"))
    rect = _rect_terms("x", f"NOT r.excluded AND r.first_level IN {BAD}")
    joined = "JOIN deeds_rating r ON r.id = x.rating_id"
    bodies = {
        ("deeds_rating", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"): (
            _pg_upsert(rating, "old_rows r", "-") + " " + _pg_upsert(rating, "new_rows r", "")
        ),
        ("deeds_rating", "DELETE", "OLD TABLE AS old_rows"): _pg_upsert(rating, "old_rows r", "-"),
        ("deeds_rectification", "INSERT", "NEW TABLE AS new_rows"): _pg_upsert(
            rect, f"new_rows x {joined}", ""
        ),
        ("deeds_rectification", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"): (
            _pg_upsert(rect, f"old_rows x {joined}", "-")
            + " "
            + _pg_upsert(rect, f"new_rows x {joined}", "")
        ),
        ("deeds_rectification", "DELETE", "OLD TABLE AS old_rows"): _pg_upsert(
            rect, f"old_rows x {joined}", "-"
        ),
        ("deeds_deed", "DELETE", "OLD TABLE AS old_rows"): (
            f"DELETE FROM {TABLE} WHERE deed_id IN (SELECT id FROM old_rows);"
        ),
    }
    statements = []
    for (table, event, referencing), body in bodies.items():
        name = f"{table}_tally_{event.lower()}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$;",
            f"DROP TRIGGER IF EXISTS {name} ON {table};",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();",
        ]
    # A new rating (the public endpoint's hot path), by a row trigger with cached plans: a
    # plain UPDATE of the deed's row 0 unless another transaction holds it; then the row of
    # this database session (1 + its process id modulo 16), which no other transaction can
    # hold, so it never waits; an upsert only for a deed's or a session's first row.
    name = "deeds_rating_tally_insert"
    terms = _rating_terms("NEW", "FALSE")  # a new rating has no rectification yet
    adds = ", ".join(f"{c} = t.{c} + ({v})" for c, v in zip(COLUMNS, terms, strict=True))
    free = (
        f"SELECT id FROM {TABLE} WHERE deed_id = NEW.deed_id AND shard = 0 FOR UPDATE SKIP LOCKED"
    )
    next_shard = (
        f"CASE WHEN EXISTS (SELECT 1 FROM {TABLE} WHERE deed_id = NEW.deed_id AND shard = 0) "
        f"THEN 1 + pg_backend_pid() % 16 ELSE 0 END"
    )
    statements += [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {TABLE} t SET {adds} WHERE t.id = ({free}); "
        f"IF NOT FOUND THEN UPDATE {TABLE} t SET {adds} WHERE t.deed_id = NEW.deed_id "
        f"AND t.shard = 1 + pg_backend_pid() % 16; END IF; "
        f"IF NOT FOUND THEN {_row_upsert('NEW.deed_id', terms, '', shard=next_shard)} END IF; "
        f"RETURN NULL; END $$;",
        f"DROP TRIGGER IF EXISTS {name} ON deeds_rating;",
        f"CREATE TRIGGER {name} AFTER INSERT ON deeds_rating "
        f"FOR EACH ROW EXECUTE FUNCTION {name}();",
    ]
    return statements


# --- SQLite: row triggers --------------------------------------------------------------------


def _row_upsert(deed: str, terms: list[str], sign: str, shard: str = "0") -> str:
    values = ", ".join(f"{sign}({term})" for term in terms)
    # SELECT … WHERE: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT; it also
    # skips a rectification whose rating is already gone.
    return f"{_INSERT} SELECT {deed}, {shard}, {values} WHERE {deed} IS NOT NULL {_CONFLICT};"


def sqlite_sql() -> list[str]:
    def rect(x: str, sign: str) -> str:
        rating = f"(SELECT r.{{}} FROM deeds_rating r WHERE r.id = {x}.rating_id)"
        valid_bad = f"{rating.format('excluded')} = 0 AND {rating.format('first_level')} IN {BAD}"
        return _row_upsert(rating.format("deed_id"), _rect_terms(x, valid_bad), sign)

    inserted = _rating_terms("NEW", "FALSE")  # no rectification yet
    new = _rating_terms("NEW", _fixed_of("NEW"))
    old = _rating_terms("OLD", _fixed_of("OLD"))
    bodies = {
        ("deeds_rating", "INSERT"): _row_upsert("NEW.deed_id", inserted, ""),
        ("deeds_rating", "UPDATE"): (
            _row_upsert("OLD.deed_id", old, "-") + " " + _row_upsert("NEW.deed_id", new, "")
        ),
        ("deeds_rating", "DELETE"): _row_upsert("OLD.deed_id", old, "-"),
        ("deeds_rectification", "INSERT"): rect("NEW", ""),
        ("deeds_rectification", "UPDATE"): rect("OLD", "-") + " " + rect("NEW", ""),
        ("deeds_rectification", "DELETE"): rect("OLD", "-"),
        ("deeds_deed", "DELETE"): f"DELETE FROM {TABLE} WHERE deed_id = OLD.id;",
    }
    statements = []
    for (table, event), body in bodies.items():
        name = f"{table}_tally_{event.lower()}"
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END;",
        ]
    return statements


def install(schema_editor) -> None:
    """Create (or replace) the triggers on the migration's database, then count what is
    there."""
    conn = schema_editor.connection
    statements = postgresql_sql() if conn.vendor == "postgresql" else sqlite_sql()
    for statement in statements:
        schema_editor.execute(statement, params=None)
    recount(using=conn)


def recount(deed_ids=None, using=None) -> None:
    """Rebuild the rows of the given deeds (all when None) from their ratings: one row
    (shard 0) per deed with ratings."""
    conn = using or connection
    terms = _rating_terms("r", "x.status = 'done'")
    sums = ", ".join(f"SUM({term})" for term in terms)
    ids = None if deed_ids is None else list(deed_ids)
    if ids == []:
        return
    marks = ", ".join(["%s"] * len(ids or []))
    where = f"WHERE r.deed_id IN ({marks})" if ids else ""
    with conn.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLE}" + (f" WHERE deed_id IN ({marks})" if ids else ""), ids
        )
        cursor.execute(
            f"{_INSERT} SELECT r.deed_id, 0, {sums} FROM deeds_rating r "
            f"LEFT JOIN deeds_rectification x ON x.rating_id = r.id {where} GROUP BY r.deed_id",
            ids,
        )


def uninstall(schema_editor) -> None:
    conn = schema_editor.connection
    for table, event in TRIGGERS:
        name = f"{table}_tally_{event.lower()}"
        if conn.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table};", params=None)
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}();", params=None)
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};", params=None)


TRIGGERS = [
    (table, event)
    for table in ("deeds_rating", "deeds_rectification")
    for event in ("INSERT", "UPDATE", "DELETE")
] + [("deeds_deed", "DELETE")]
