"""Keeping the database's query planner informed."""

from django.db import connections


def refresh_statistics(using: str = "default") -> None:
    """Tell the query planner what the tables hold now (``ANALYZE``).

    Run after a bulk load and after every migration (``clearway.core`` overrides ``migrate``
    to do so): SQLite rebuilds a table to change a column and drops its statistics, and
    without them it can read the 100,000-referral list through the wrong index and sort every
    row (bench/list_page.py shows the difference).
    """
    with connections[using].cursor() as cursor:
        cursor.execute("ANALYZE")
