"""The query planner's statistics are refreshed after every migration."""

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_migrate_leaves_the_planner_statistics_behind():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps its statistics in sqlite_stat1; PostgreSQL autovacuums")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'django_migrations'")
        assert cursor.fetchone()[0] >= 1
