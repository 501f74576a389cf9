"""Clearway runs on a current SQLite where one is bundled (see clearway/config/settings.py)."""

import importlib.util

import pytest
from django.db import connection


def test_the_bundled_sqlite_is_the_one_django_uses():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL run")
    if importlib.util.find_spec("pysqlite3") is None:
        pytest.skip("no bundled SQLite for this platform")
    database = connection.Database  # type: ignore[attr-defined]
    assert database.__name__.startswith("pysqlite3")
    # 3.40 answered "kind IN (...) AND effective <= day" wrongly once it had statistics.
    assert database.sqlite_version_info >= (3, 45)
