"""The restore drill: back up, change the data, restore, and every table is as it was.

Runs against whichever database the suite is on: SQLite locally, and PostgreSQL in CI too.
"""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections
from django.db.migrations.loader import MigrationLoader

from clearway.accounts.models import Role
from clearway.cli import main
from clearway.core import backup as backups
from clearway.pathways import services
from clearway.pathways.definition import pathway_for
from clearway.pathways.models import DischargeReason, Event, Referral
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db(transaction=True)

SQLITE = connection.vendor == "sqlite"


@pytest.fixture
def service_data(make_referral, make_user):
    """A few children, some history and a member of staff."""
    make_user(Role.COORDINATOR, username="sam", first_name="Sam", last_name="Coordinator")
    referrals = [make_referral(received_on=dt.date(2021, 1, day)) for day in range(1, 6)]
    kind = pathway_for("scd").requirement_keys[0]
    for referral in referrals[:3]:
        services.record_requirement_requested(TEST_ACTOR, referral, kind, dt.date(2021, 2, 1))
    services.discharge(
        TEST_ACTOR, referrals[4], DischargeReason.MOVED_AWAY, dt.date(2021, 3, 1), "left the area"
    )
    return referrals


def _backup(tmp_path: Path) -> backups.BackupSummary:
    summary = backups.backup(tmp_path / f"clearway{'.sqlite3' if SQLITE else '.dump'}")
    connections.close_all()
    return summary


def test_the_restore_drill_gives_back_every_table(service_data, make_referral, tmp_path):
    before = backups.table_fingerprints()
    assert before["pathways_referral"]["rows"] == 5
    assert before["accounts_user"]["rows"] == 1
    assert before["pathways_event"]["rows"] == 5 + 3 + 1

    summary = _backup(tmp_path)
    assert summary.path.is_file() and summary.size > 0
    assert summary.tables == len(before)
    assert summary.rows == sum(table["rows"] for table in before.values())
    manifest = json.loads(summary.manifest_path.read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"] == before
    on_disk = MigrationLoader(None).disk_migrations
    assert manifest["migrations"]["pathways"] == max(n for a, n in on_disk if a == "pathways")
    assert summary.path.stat().st_mode & 0o077 == 0

    # The day goes on: a new child, and a discharge.
    make_referral(given_name="Later", received_on=dt.date(2021, 6, 1))
    services.discharge(
        TEST_ACTOR, service_data[0], DischargeReason.OPTED_OUT, dt.date(2021, 6, 2), "family"
    )
    changed = backups.table_fingerprints()
    assert changed["pathways_referral"] != before["pathways_referral"]
    assert changed["pathways_event"]["rows"] == before["pathways_event"]["rows"] + 2

    connections.close_all()
    restored = backups.restore(summary.path)
    connections.close_all()
    assert restored.verified
    assert backups.table_fingerprints() == before
    assert Referral.objects.unscoped().count() == 5
    assert not Referral.objects.unscoped().filter(patient__given_name="Later").exists()
    assert Event.objects.count() == 9
    # The database still works after the restore: the history is still append-only, and new
    # records can be added.
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE pathways_event SET actor_name = 'Someone else'")
    make_referral(given_name="After", received_on=dt.date(2021, 7, 1))
    assert Referral.objects.unscoped().count() == 6


def test_a_fingerprint_changes_with_any_value(service_data):
    before = backups.table_fingerprints()
    Referral.objects.unscoped().filter(pk=service_data[1].pk).update(
        received_on=dt.date(2021, 1, 20)
    )
    after = backups.table_fingerprints()
    assert after["pathways_referral"]["rows"] == before["pathways_referral"]["rows"]
    assert after["pathways_referral"]["sha256"] != before["pathways_referral"]["sha256"]
    assert {t for t in before if before[t] != after[t]} == {"pathways_referral"}


@pytest.mark.skipif(not SQLITE, reason="damages a SQLite file")
def test_a_damaged_sqlite_backup_fails_its_integrity_check(service_data, tmp_path, capsys):
    summary = _backup(tmp_path)
    damaged = tmp_path / "damaged.sqlite3"
    shutil.copy(summary.path, damaged)
    data = bytearray(damaged.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data), page):  # scribble over the b-tree page headers
        data[offset : offset + 8] = b"\xff" * 8
    damaged.write_bytes(bytes(data))

    before = backups.table_fingerprints()
    assert main(["restore", str(damaged), "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"clearway restore: {damaged} failed SQLite's integrity check")
    assert len(err.strip().splitlines()) == 1
    assert backups.table_fingerprints() == before


def test_a_backup_that_no_longer_matches_its_manifest_is_refused(service_data, tmp_path):
    summary = _backup(tmp_path)
    with summary.path.open("ab") as file:
        file.write(b"\0" * 512 if SQLITE else b"")
    if not SQLITE:
        manifest = json.loads(summary.manifest_path.read_text())
        manifest["sha256"] = "0" * 64
        summary.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(backups.BackupError, match="does not match its manifest"):
        backups.restore(summary.path)


def test_a_file_that_is_not_a_backup_is_refused(db, tmp_path, capsys):
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database at all\n" * 100)
    assert main(["restore", str(text), "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"clearway restore: {text} is not a Clearway backup")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(not SQLITE, reason="builds a SQLite file")
def test_a_sqlite_database_that_is_not_clearways_is_refused(db, tmp_path, capsys):
    import sqlite3

    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db_:
        db_.execute("CREATE TABLE things (id integer primary key)")
    db_.close()
    assert main(["restore", str(other), "--yes"]) == 2
    assert "is not a Clearway database: it has no django_migrations table" in (
        capsys.readouterr().err
    )


def test_a_backup_from_newer_code_is_refused(service_data, tmp_path, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["pathways", "9999_from_the_future", dt.datetime.now(dt.UTC)],
        )
    summary = _backup(tmp_path)
    assert json.loads(summary.manifest_path.read_text())["migrations"]["pathways"] == (
        "9999_from_the_future"
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE name = %s", ["9999_from_the_future"])
    before = backups.table_fingerprints()
    assert main(["restore", str(summary.path), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "made by a newer version of Clearway" in err
    assert "pathways.9999_from_the_future" in err
    assert backups.table_fingerprints() == before


def test_a_missing_file_is_refused(db, tmp_path, capsys):
    assert main(["restore", str(tmp_path / "nowhere.sqlite3"), "--yes"]) == 2
    assert capsys.readouterr().err == (
        f"clearway restore: {tmp_path / 'nowhere.sqlite3'} does not exist.\n"
    )


def test_the_commands_say_what_they_did(service_data, tmp_path, capsys, settings):
    settings.VAR_DIR = tmp_path
    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    made = sorted((tmp_path / "backups").glob("clearway-*"))
    assert [path.suffix for path in made] == [
        ".sqlite3" if SQLITE else ".dump",
        ".json",
    ]
    assert f"to {made[0]} (" in out
    assert f"Manifest: {made[1]}" in out
    assert " tables, " in out and " rows." in out

    # The same path twice is refused, not overwritten.
    assert main(["backup", "--out", str(made[0])]) == 2
    assert "already exists" in capsys.readouterr().err

    connections.close_all()
    assert main(["restore", str(made[0]), "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Restored ")
    assert "every table matches the backup's manifest" in out


def test_restore_asks_first_at_a_terminal(service_data, tmp_path, capsys, monkeypatch):
    summary = _backup(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    asked = []

    def answer(prompt: str) -> str:
        asked.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer)
    assert main(["restore", str(summary.path)]) == 1
    assert asked[0].startswith("This replaces every record in the ")
    assert "with the backup from " in asked[0]
    assert asked[0].endswith(". Type yes to continue: ")
    assert "Nothing was restored." in capsys.readouterr().out


def test_restore_without_a_terminal_needs_yes(service_data, tmp_path, capsys, monkeypatch):
    summary = _backup(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["restore", str(summary.path)]) == 2
    assert "add --yes" in capsys.readouterr().err
