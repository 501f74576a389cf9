"""Make the event history append-only in the database itself, not only in the app.

SQLite: a trigger refuses UPDATE. PostgreSQL: a trigger refuses UPDATE and DELETE (TRUNCATE,
which only an administrator resetting a whole database would run, is left alone). SQLite's
DELETE is left to the app, as Django's test flush and ``clearway demo --reset`` use it there.
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER pathways_event_no_update BEFORE UPDATE ON pathways_event
BEGIN SELECT RAISE(ABORT, 'pathway events are append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS pathways_event_no_update;"

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION pathways_event_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'pathway events are append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER pathways_event_append_only BEFORE UPDATE OR DELETE ON pathways_event
FOR EACH ROW EXECUTE FUNCTION pathways_event_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS pathways_event_append_only ON pathways_event;
DROP FUNCTION IF EXISTS pathways_event_append_only();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)


class Migration(migrations.Migration):
    dependencies = [("pathways", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
