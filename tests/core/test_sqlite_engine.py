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


def test_an_old_sqlite_is_warned_about(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL run")
    from clearway.core import checks

    if connection.Database.sqlite_version_info >= checks.OLDEST_SQLITE:  # type: ignore[attr-defined]
        assert checks.check_sqlite_version(databases=["default"]) == []
    monkeypatch.setattr(connection.Database, "sqlite_version_info", (3, 40, 1))  # type: ignore[attr-defined]
    (warning,) = checks.check_sqlite_version(databases=["default"])
    assert warning.id == "clearway.W001"
    assert "SQLite 3.40.1" in warning.msg
