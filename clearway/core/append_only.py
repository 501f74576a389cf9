"""Records that are written once and never changed or deleted: the pathway's history and the
audit trail. The app refuses (model and queryset), and so does the database (trigger)."""

from typing import Any

from django.db import migrations, models


class AppendOnlyError(Exception):
    """An attempt to change or delete a record that is kept as written."""


def _refusal(model: type[models.Model], what: str) -> AppendOnlyError:
    name = str(model._meta.verbose_name_plural).capitalize()
    return AppendOnlyError(f"{name} are never {what}: record a correcting entry instead.")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise _refusal(self.model, "changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _refusal(self.model, "deleted")


class AppendOnlyModel(models.Model):
    """An abstract model whose rows can be added, never saved again or deleted.

    Give it a manager from :class:`AppendOnlyQuerySet` (or a subclass) as ``objects``.
    """

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise _refusal(type(self), "changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise _refusal(type(self), "deleted")


def append_only_trigger(table: str, message: str) -> migrations.RunPython:
    """A migration operation: the database refuses to change (or, on PostgreSQL, delete) rows.

    SQLite refuses UPDATE. PostgreSQL refuses UPDATE and DELETE; TRUNCATE, which only an
    administrator resetting a whole database runs, is left alone, and so is SQLite's DELETE,
    which Django's test flush and ``clearway demo --reset`` use (the app refuses it).
    """
    sqlite_up = (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
    )
    postgres_up = f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{message}'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
    down = {
        "sqlite": f"DROP TRIGGER IF EXISTS {table}_no_update;",
        "postgresql": f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
        f"DROP FUNCTION IF EXISTS {table}_append_only();",
    }
    up = {"sqlite": sqlite_up, "postgresql": postgres_up}

    def forwards(apps: Any, schema_editor: Any) -> None:
        sql = up.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    def backwards(apps: Any, schema_editor: Any) -> None:
        sql = down.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    return migrations.RunPython(forwards, backwards)
