"""Backing up and restoring Clearway's database, with a manifest to prove a round trip.

SQLite: an online, consistent copy with SQLite's backup API through the live connection (never
a raw copy of a file that may be mid-write), checked with ``PRAGMA integrity_check``; a restore
copies the checked file back over the live database the same way. PostgreSQL: ``pg_dump -Fc``
and ``pg_restore --clean --if-exists --no-owner``, with the connection settings passed in the
environment, never on the command line.

Beside each backup goes ``<file>.json``: when it was made, the database vendor, the latest
applied migration of each app, the file's SHA-256, and the row count and SHA-256 of every table
(:func:`table_fingerprints`). A restore refuses a backup made by newer code than this, and
afterwards checks every table against the manifest.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

MANIFEST_FORMAT = "clearway-backup/1"
CHUNK_ROWS = 2000


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is for the person running it."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    manifest_path: Path
    vendor: str
    database: str
    size: int
    tables: int
    rows: int
    created_at: dt.datetime

    def __str__(self) -> str:
        return (
            f"Backed up {self.database} to {self.path} ({_size(self.size)}): "
            f"{self.tables} tables, {self.rows:,} rows.\nManifest: {self.manifest_path}"
        )


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, found before anything is replaced."""

    path: Path
    vendor: str
    size: int
    created_at: dt.datetime
    migrations: dict[str, str]
    manifest: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RestoreSummary:
    path: Path
    vendor: str
    database: str
    size: int
    tables: int
    rows: int
    backup_created_at: dt.datetime
    verified: bool
    needs_migrate: bool

    def __str__(self) -> str:
        check = (
            "every table matches the backup's manifest"
            if self.verified
            else "no manifest beside the file, so the tables were not checked against it"
        )
        lines = [
            f"Restored {self.database} from {self.path} ({_size(self.size)}, backup of "
            f"{_when(self.backup_created_at)}): {self.tables} tables, {self.rows:,} rows; "
            f"{check}."
        ]
        if self.needs_migrate:
            lines.append(
                "The backup is from an older version of Clearway: run `clearway manage migrate`."
            )
        return "\n".join(lines)


# --- fingerprints ---------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """A value as JSON that is the same for the same data, whatever the driver returned."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    return str(value)


def table_fingerprints(
    conn: BaseDatabaseWrapper | None = None,
) -> dict[str, dict[str, Any]]:
    """Every table's row count and a SHA-256 over its rows in primary-key order.

    Each row is hashed as canonical JSON of its values, columns in name order, so two databases
    with the same data give the same fingerprints.
    """
    conn = conn or connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    result: dict[str, dict[str, Any]] = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            columns = sorted(
                column.name for column in conn.introspection.get_table_description(cursor, table)
            )
            keys = conn.introspection.get_primary_key_columns(cursor, table) or columns
            digest = hashlib.sha256(json.dumps(columns).encode())
            cursor.execute(
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} "  # noqa: S608
                f"ORDER BY {', '.join(quote(c) for c in keys)}"
            )
            rows = 0
            while chunk := cursor.fetchmany(CHUNK_ROWS):
                for row in chunk:
                    line = json.dumps(
                        [_canonical(value) for value in row],
                        ensure_ascii=False,
                        sort_keys=True,
                        separators=(",", ":"),
                    )
                    digest.update(b"\n" + line.encode())
                rows += len(chunk)
            result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


# --- helpers --------------------------------------------------------------------------------


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%-d %B %Y at %H:%M")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _latest(applied: list[tuple[str, str]]) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in applied:
        if app not in latest or name > latest[app]:
            latest[app] = name
    return dict(sorted(latest.items()))


def _applied_migrations(conn: BaseDatabaseWrapper) -> list[tuple[str, str]]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return [(app, name) for app, name in cursor.fetchall()]


def _refuse_newer(applied: list[tuple[str, str]]) -> None:
    """Refuse a backup with migrations this code does not have: restoring would lose data."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{app}.{name}" for app, name in applied if (app, name) not in known)
    if unknown:
        raise BackupError(
            "The backup was made by a newer version of Clearway (it has migration "
            f"{', '.join(unknown[:3])}{' …' if len(unknown) > 3 else ''}, which this version "
            "does not): upgrade Clearway first, then restore."
        )


def _needs_migrate(applied: list[tuple[str, str]]) -> bool:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return bool(known - set(applied))


def describe_database(conn: BaseDatabaseWrapper | None = None) -> str:
    conn = conn or connections[DEFAULT_DB_ALIAS]
    name = conn.settings_dict["NAME"]
    if conn.vendor == "sqlite":
        if conn.is_in_memory_db():  # type: ignore[attr-defined]
            return "the in-memory SQLite database"
        return f"the SQLite database {name}"
    host = conn.settings_dict.get("HOST") or "localhost"
    port = conn.settings_dict.get("PORT") or "5432"
    return f"the {conn.display_name} database {name} on {host}:{port}"


def default_path(vendor: str, now: dt.datetime | None = None) -> Path:
    now = timezone.localtime(now or timezone.now())
    suffix = ".sqlite3" if vendor == "sqlite" else ".dump"
    return Path(settings.VAR_DIR) / "backups" / f"clearway-{now:%Y%m%d-%H%M%S}{suffix}"


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _private(path: Path) -> None:
    """Backups hold children's records: readable by the owner only."""
    path.chmod(0o600)


def _out_path(out: Path | str | None, vendor: str) -> Path:
    path = Path(out) if out else default_path(vendor)
    if path.is_dir():
        path = path / default_path(vendor).name
    if path.exists():
        raise BackupError(f"{path} already exists: choose another --out.")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    return path


# --- backup ---------------------------------------------------------------------------------


def backup(out: Path | str | None = None) -> BackupSummary:
    """Back up the default database to ``out`` (default: ``VAR_DIR/backups/clearway-….``)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Clearway cannot back up a {conn.display_name} database.")
    path = _out_path(out, conn.vendor)
    created_at = timezone.now()
    try:
        if conn.vendor == "sqlite":
            fingerprints, applied = _backup_sqlite(conn, path)
        else:
            fingerprints, applied = _backup_postgresql(conn, path)
        _private(path)
        size = path.stat().st_size
        manifest = {
            "format": MANIFEST_FORMAT,
            "created_at": created_at.isoformat(),
            "vendor": conn.vendor,
            "file": path.name,
            "size": size,
            "sha256": _file_sha256(path),
            "migrations": _latest(applied),
            "tables": fingerprints,
        }
        manifest_file = manifest_path(path)
        manifest_file.write_text(json.dumps(manifest, indent=2) + "\n")
        _private(manifest_file)
    except BaseException:
        path.unlink(missing_ok=True)
        manifest_path(path).unlink(missing_ok=True)
        raise
    return BackupSummary(
        path=path,
        manifest_path=manifest_file,
        vendor=conn.vendor,
        database=describe_database(conn),
        size=size,
        tables=len(fingerprints),
        rows=sum(table["rows"] for table in fingerprints.values()),
        created_at=created_at,
    )


@contextmanager
def _sqlite_file_connection(conn: BaseDatabaseWrapper, path: Path) -> Iterator[BaseDatabaseWrapper]:
    """A separate Django connection to a SQLite file, so fingerprints use the same code."""
    alias = f"clearway-backup-{uuid.uuid4().hex}"
    settings_dict = {**conn.settings_dict, "NAME": str(path), "OPTIONS": {}}
    other = type(conn)(settings_dict, alias=alias)
    connections[alias] = other
    try:
        yield other
    finally:
        other.close()
        del connections[alias]


def _integrity_problem(path: Path) -> str | None:
    """None if ``path`` is a sound SQLite database, else what is wrong with it."""
    try:
        with _closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as error:
        return str(error)
    if [tuple(row) for row in rows] != [("ok",)]:
        return "; ".join(str(row[0]) for row in rows[:3])
    return None


@contextmanager
def _closing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield db
    finally:
        db.close()


def _backup_sqlite(
    conn: BaseDatabaseWrapper, path: Path
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    if conn.in_atomic_block:
        raise BackupError("Cannot back up inside a transaction.")
    conn.ensure_connection()
    with _closing(sqlite3.connect(path)) as copy:
        conn.connection.backup(copy)
        # One self-contained file, not a WAL database that needs its -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    problem = _integrity_problem(path)
    if problem:
        raise BackupError(f"The copy failed SQLite's integrity check ({problem}); deleted it.")
    with _sqlite_file_connection(conn, path) as copy_conn:
        return table_fingerprints(copy_conn), _applied_migrations(copy_conn)


# --- PostgreSQL -----------------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on the PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} is not installed: install PostgreSQL's client tools (e.g. apt-get install "
        "postgresql-client) or put them on the PATH."
    )


def _pg_env(conn: BaseDatabaseWrapper) -> dict[str, str]:
    """The connection settings as libpq's environment variables: never on a command line."""
    settings_dict = conn.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for option, variable in {
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "passfile": "PGPASSFILE",
        "service": "PGSERVICE",
        "connect_timeout": "PGCONNECT_TIMEOUT",
    }.items():
        values[variable] = options.get(option)
    env.update({key: str(value) for key, value in values.items() if value not in (None, "")})
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{what} failed: {detail}")
    return result.stdout


def _backup_postgresql(
    conn: BaseDatabaseWrapper, path: Path
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str]]]:
    pg_dump = find_pg_tool("pg_dump")
    pg_restore = find_pg_tool("pg_restore")
    env = _pg_env(conn)
    command = [pg_dump, "--format=custom", f"--file={path}"]
    if conn.in_atomic_block:
        # Not in a fresh transaction: the dump and the fingerprints are taken moments apart.
        _run(command, env, "pg_dump")
        fingerprints, applied = table_fingerprints(conn), _applied_migrations(conn)
    else:
        # The dump and the fingerprints see one snapshot, whatever is written meanwhile.
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run([*command, f"--snapshot={snapshot}"], env, "pg_dump")
            fingerprints, applied = table_fingerprints(conn), _applied_migrations(conn)
    _run([pg_restore, "--list", str(path)], env, "Checking the dump with pg_restore --list")
    return fingerprints, applied


# --- restore --------------------------------------------------------------------------------


def _read_manifest(path: Path) -> dict[str, Any] | None:
    manifest_file = manifest_path(path)
    if not manifest_file.exists():
        return None
    try:
        manifest = json.loads(manifest_file.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{manifest_file} is not a Clearway backup manifest: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{manifest_file} is not a Clearway backup manifest.")
    return manifest


def _pg_dump_migrations(path: Path, env: dict[str, str]) -> list[tuple[str, str]]:
    """The django_migrations rows inside a custom-format dump, without restoring it."""
    pg_restore = find_pg_tool("pg_restore")
    try:
        listing = _run([pg_restore, "--list", str(path)], env, "pg_restore --list")
    except BackupError as error:
        raise BackupError(
            f"{path} is not a Clearway backup: it is not a pg_dump custom-format file ({error})."
        ) from None
    if not re.search(r"TABLE DATA \S+ django_migrations ", listing):
        raise BackupError(f"{path} is not a Clearway backup: it has no django_migrations table.")
    script = _run(
        [pg_restore, "--data-only", "--table=django_migrations", "--file=-", str(path)],
        env,
        f"Reading the migrations in {path}",
    )
    applied: list[tuple[str, str]] = []
    in_copy = False
    columns: list[str] = []
    for line in script.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            in_copy = True
            columns = [
                c.strip().strip('"') for c in line[line.index("(") + 1 : line.index(")")].split(",")
            ]
            continue
        if in_copy:
            if line == "\\.":
                break
            values = dict(zip(columns, line.split("\t"), strict=False))
            applied.append((values["app"], values["name"]))
    return applied


def check_backup(path: Path | str) -> BackupInfo:
    """Everything that can be checked before replacing the database; raises BackupError."""
    conn = connections[DEFAULT_DB_ALIAS]
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    manifest = _read_manifest(path)
    if manifest and manifest.get("vendor") != conn.vendor:
        raise BackupError(
            f"{path} is a {manifest.get('vendor')} backup, but this database is {conn.vendor}."
        )
    if conn.vendor == "sqlite":
        problem = _integrity_problem(path)
        if problem and "not a database" in problem:
            raise BackupError(f"{path} is not a Clearway backup: it is not a SQLite database.")
        if problem:
            raise BackupError(f"{path} failed SQLite's integrity check: {problem}.")
        try:
            with _closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                applied = [
                    (app, name)
                    for app, name in db.execute("SELECT app, name FROM django_migrations")
                ]
        except sqlite3.DatabaseError:
            raise BackupError(
                f"{path} is not a Clearway database: it has no django_migrations table."
            ) from None
    elif conn.vendor == "postgresql":
        applied = _pg_dump_migrations(path, _pg_env(conn))
    else:
        raise BackupError(f"Clearway cannot restore a {conn.display_name} database.")
    if not applied:
        raise BackupError(f"{path} is not a Clearway database: no migrations were ever applied.")
    if manifest and manifest.get("sha256") != _file_sha256(path):
        raise BackupError(
            f"{path} does not match its manifest: the file has changed or is damaged."
        )
    _refuse_newer(applied)
    created_at = None
    if manifest:
        try:
            created_at = dt.datetime.fromisoformat(manifest["created_at"])
        except (KeyError, TypeError, ValueError):
            created_at = None
    if created_at is None:
        created_at = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    return BackupInfo(
        path=path,
        vendor=conn.vendor,
        size=path.stat().st_size,
        created_at=created_at,
        migrations=_latest(applied),
        manifest=manifest,
    )


def confirmation(info: BackupInfo) -> str:
    return (
        f"This replaces every record in {describe_database()} with the backup from "
        f"{_when(info.created_at)}. Type yes to continue: "
    )


def restore(path: Path | str) -> RestoreSummary:
    """Replace every record in the default database with the backup at ``path``."""
    info = check_backup(path)
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.in_atomic_block:
        raise BackupError("Cannot restore inside a transaction.")
    database = describe_database(conn)
    connections.close_all()
    try:
        if conn.vendor == "sqlite":
            conn.ensure_connection()
            with _closing(sqlite3.connect(f"file:{info.path}?mode=ro", uri=True)) as source:
                source.backup(conn.connection)
        else:
            _run(
                [
                    find_pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={conn.settings_dict['NAME']}",
                    str(info.path),
                ],
                _pg_env(conn),
                "pg_restore",
            )
    finally:
        connections.close_all()
    fingerprints = table_fingerprints(conn)
    verified = False
    if info.manifest is not None:
        expected = info.manifest.get("tables", {})
        differ = sorted(
            table
            for table in set(expected) | set(fingerprints)
            if expected.get(table) != fingerprints.get(table)
        )
        if differ:
            raise BackupError(
                f"Restored, but {len(differ)} tables differ from the manifest "
                f"({', '.join(differ[:3])}{' …' if len(differ) > 3 else ''}): check the database."
            )
        verified = True
    return RestoreSummary(
        path=info.path,
        vendor=conn.vendor,
        database=database,
        size=info.size,
        tables=len(fingerprints),
        rows=sum(table["rows"] for table in fingerprints.values()),
        backup_created_at=info.created_at,
        verified=verified,
        needs_migrate=_needs_migrate(_applied_migrations(conn)),
    )
