"""The database triggers that keep `RatingTally` (models.py) and the recount that rebuilds it.

Each change adds its difference to the deed's row (an upsert that adds), so two raters of the
same deed committing at once both count: the row lock taken by the upsert orders them, and
each adds its own rating. PostgreSQL runs one trigger per statement over its transition
table (a bulk load is one upsert per deed); SQLite one per row.

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
_INSERT = f"INSERT INTO {TABLE} (deed_id, {', '.join(COLUMNS)})"


# --- PostgreSQL: statement triggers over transition tables ----------------------------------


def _pg_upsert(terms: list[str], source: str, deed: str, sign: str) -> str:
    sums = ", ".join(f"{sign}SUM({term})" for term in terms)
    return (
        f"{_INSERT} SELECT {deed}, {sums} FROM {source} GROUP BY {deed} "
        f"ON CONFLICT (deed_id) DO UPDATE SET {_ADD};"
    )


def postgresql_sql() -> list[str]:
    rating = _rating_terms("r", _fixed_of("r"))
    rect = _rect_terms("x", f"NOT r.excluded AND r.first_level IN {BAD}")
    joined = "JOIN deeds_rating r ON r.id = x.rating_id"
    bodies = {
        ("deeds_rating", "INSERT", "NEW TABLE AS new_rows"): _pg_upsert(
            rating, "new_rows r", "r.deed_id", ""
        ),
        ("deeds_rating", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"): (
            _pg_upsert(rating, "old_rows r", "r.deed_id", "-")
            + " "
            + _pg_upsert(rating, "new_rows r", "r.deed_id", "")
        ),
        ("deeds_rating", "DELETE", "OLD TABLE AS old_rows"): _pg_upsert(
            rating, "old_rows r", "r.deed_id", "-"
        ),
        ("deeds_rectification", "INSERT", "NEW TABLE AS new_rows"): _pg_upsert(
            rect, f"new_rows x {joined}", "r.deed_id", ""
        ),
        ("deeds_rectification", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"): (
            _pg_upsert(rect, f"old_rows x {joined}", "r.deed_id", "-")
            + " "
            + _pg_upsert(rect, f"new_rows x {joined}", "r.deed_id", "")
        ),
        ("deeds_rectification", "DELETE", "OLD TABLE AS old_rows"): _pg_upsert(
            rect, f"old_rows x {joined}", "r.deed_id", "-"
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
    return statements


# --- SQLite: row triggers --------------------------------------------------------------------


def _sqlite_upsert(deed: str, terms: list[str], sign: str) -> str:
    values = ", ".join(f"{sign}({term})" for term in terms)
    # SELECT … WHERE: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT; it also
    # skips a rectification whose rating is already gone.
    return (
        f"{_INSERT} SELECT {deed}, {values} WHERE {deed} IS NOT NULL "
        f"ON CONFLICT (deed_id) DO UPDATE SET {_ADD};"
    )


def sqlite_sql() -> list[str]:
    def rect(x: str, sign: str) -> str:
        rating = f"(SELECT r.{{}} FROM deeds_rating r WHERE r.id = {x}.rating_id)"
        valid_bad = f"{rating.format('excluded')} = 0 AND {rating.format('first_level')} IN {BAD}"
        return _sqlite_upsert(rating.format("deed_id"), _rect_terms(x, valid_bad), sign)

    new = _rating_terms("NEW", _fixed_of("NEW"))
    old = _rating_terms("OLD", _fixed_of("OLD"))
    bodies = {
        ("deeds_rating", "INSERT"): _sqlite_upsert("NEW.deed_id", new, ""),
        ("deeds_rating", "UPDATE"): (
            _sqlite_upsert("OLD.deed_id", old, "-") + " " + _sqlite_upsert("NEW.deed_id", new, "")
        ),
        ("deeds_rating", "DELETE"): _sqlite_upsert("OLD.deed_id", old, "-"),
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
    """Rebuild the rows of the given deeds (all when None) from their ratings."""
    conn = using or connection
    terms = _rating_terms("r", "x.status = 'done'")
    sums = ", ".join(f"SUM({term})" for term in terms)
    where, params = "", []
    if deed_ids is not None:
        params = list(deed_ids)
        if not params:
            return
        where = f"WHERE r.deed_id IN ({', '.join(['%s'] * len(params))})"
    with conn.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLE}"
            + (f" WHERE deed_id IN ({', '.join(['%s'] * len(params))})" if params else ""),
            params,
        )
        cursor.execute(
            f"{_INSERT} SELECT r.deed_id, {sums} FROM deeds_rating r "
            f"LEFT JOIN deeds_rectification x ON x.rating_id = r.id {where} GROUP BY r.deed_id",
            params,
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
