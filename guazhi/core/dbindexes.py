"""Trigram indexes for the text searches (issue 10, "indexes and plans").

A search box matches anywhere in a name (`contains`: LIKE '%…%'); a B-tree cannot serve a
leading wildcard, a GIN index of the text's trigrams (pg_trgm) can. PostgreSQL only: on SQLite
the operation does nothing (the tables there are small and LIKE reads them). Django's
`icontains` compares UPPER(col) on PostgreSQL, so a column searched that way (the API's)
gets a second index on upper(col) (`upper=True`).

Used from migrations: `TrigramIndex("projects_project", "title", "project_title_trgm")`."""

from django.db import migrations


class TrigramIndex(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, column: str, name: str, upper: bool = False):
        self.table, self.column, self.name, self.upper = table, column, name, upper

    def deconstruct(self):
        kwargs = {"table": self.table, "column": self.column, "name": self.name}
        if self.upper:
            kwargs["upper"] = True
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass  # not in the models' state: PostgreSQL-only, not a Meta index

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        q = schema_editor.quote_name
        expr = f"upper({q(self.column)}::text)" if self.upper else q(self.column)
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {q(self.name)} ON {q(self.table)} "
            f"USING gin (({expr}) gin_trgm_ops)"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self):
        return f"Trigram index {self.name} on {self.table}.{self.column} (PostgreSQL)"

    @property
    def migration_name_fragment(self):
        return f"{self.name}"
