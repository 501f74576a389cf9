"""Clearway's own system checks (``clearway manage check``; also run by ``migrate`` and
``serve``'s first request)."""

from typing import Any

from django.core.checks import Warning, register
from django.db import connections

#: Debian 12's SQLite 3.40 answered the history's "kind IN (...) AND effective <= day" wrongly
#: once it had planner statistics; 3.45 and later (and the bundled pysqlite3) do not.
OLDEST_SQLITE = (3, 45)


@register("database")
def check_sqlite_version(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Warn when a database is an SQLite too old to trust with the list's history."""
    problems = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "sqlite":
            continue
        version = connection.Database.sqlite_version_info  # type: ignore[attr-defined]
        if version < OLDEST_SQLITE:
            problems.append(
                Warning(
                    f"SQLite {'.'.join(map(str, version))} can answer some of the list's history "
                    "queries wrongly.",
                    hint="Install pysqlite3-binary (Linux x86_64) or a newer Python/SQLite, "
                    "or use PostgreSQL.",
                    id="clearway.W001",
                )
            )
    return problems
