"""Validate a legacy waiting list against a PAS extract: one proposal for every legacy row.

The engine is columnar (DuckDB, with Arrow tables in and out) so a regional or national
list validates on one machine. It runs in four steps, all as of the validation date:

1. **Read the PAS extract** (:func:`read_pas`): one row per event; a file missing a
   required column is refused with a one-line :class:`ReadError`.
2. **Match** each legacy row to a PAS patient (:mod:`clearway.validation.matching`): by NHS
   number when it is valid and the given name agrees with the family name or the birth date;
   by hospital number under the same check; by exact name and birth date when only one PAS
   patient has them; and (``linkage="full"``) by probabilistic linkage for the rows without
   a valid NHS number (:mod:`clearway.validation.linkage`). Identifiers that disagree, or
   candidates that cannot be told apart, are never guessed: the row goes to ``review``.
3. **Decide** each matched row's outcome from the PAS events after its referral:
   ``deceased`` (any death, whenever recorded, wins), ``seen`` (attended the panel clinic on
   or after the referral), ``discharged`` (a discharge on or after the referral with no
   attendance), else ``waiting``. A referral date that is missing or impossible is taken
   from the matched PAS referral; without one the row goes to ``review``.
4. **Duplicates**: rows of the same child within one episode: the later referral is the
   ``duplicate`` of the earliest (a re-referral after the episode closed is its own row).

A child who may still be waiting is never proposed for removal on weak evidence: every
removal names the PAS event and date that decided it, and how the identifiers agreed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from clearway.validation.readers import MAX_FILE_BYTES, ReadError

__all__ = [
    "LEGACY_COLUMNS",
    "OUTCOMES",
    "PAS_COLUMNS",
    "PAS_REQUIRED",
    "PasExtract",
    "Proposal",
    "Settings",
    "Validation",
    "check_pas",
    "legacy_schema",
    "read_pas",
    "validate",
]

OUTCOMES = ("waiting", "seen", "discharged", "deceased", "duplicate", "review")
REMOVALS = frozenset({"seen", "discharged", "deceased", "duplicate"})
Outcome = Literal["waiting", "seen", "discharged", "deceased", "duplicate", "review"]
Linkage = Literal["full", "exact"]

LEGACY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # name, arrow type, meaning
    ("source_sheet", "string", "sheet name (a csv file's name)"),
    ("source_row", "int64", "row number as the spreadsheet shows it"),
    ("nhs_number", "string", "valid 10-digit NHS number, or null"),
    ("nhs_number_problem", "string", "why the NHS number cell was not used, or null"),
    ("hospital_number", "string", "hospital number, upper-cased and stripped, or null"),
    ("given_name", "string", "tidied given name, or null"),
    ("family_name", "string", "tidied family name, or null"),
    ("birth_date", "date32", "birth date, or null"),
    ("referral_date", "date32", "referral received date, or null"),
    ("referral_date_problem", "string", "why the referral date was not usable, or null"),
)

PAS_COLUMNS = (
    "pas_id",
    "nhs_number",
    "family_name",
    "given_name",
    "birth_date",
    "event",
    "event_date",
    "clinic",
)
PAS_REQUIRED = ("pas_id", "family_name", "given_name", "birth_date", "event", "event_date")
PAS_EVENTS = ("referral", "attended", "was_not_brought", "cancelled", "discharged", "deceased")

OUTPUT_COLUMNS = (
    "source_sheet",
    "source_row",
    "outcome",
    "duplicate_of_row",
    "pas_id",
    "nhs_number",
    "reason",
)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as work advances (for a progress bar)."""


def legacy_schema() -> pa.Schema:
    """The Arrow schema of the legacy rows :func:`validate` takes."""
    types = {"string": pa.string(), "int64": pa.int64(), "date32": pa.date32()}
    return pa.schema([(name, types[kind]) for name, kind, _ in LEGACY_COLUMNS])


@dataclass(frozen=True)
class Settings:
    """How to validate: the validation date, the clinics that count, and the linkage."""

    as_of: dt.date
    panel_clinic: str = "SCD Panel"
    #: The PAS clinic of this service's referrals: a referral date is taken from PAS only
    #: from these ("" takes any referral).
    referral_clinic: str = "SCD"
    linkage: Linkage = "full"
    #: DuckDB's memory budget; beyond it, work spills to a temporary folder (a national list
    #: then fits a small machine, and runs no slower here).
    memory_limit: str = "1GB"


@dataclass(frozen=True)
class Proposal:
    """What validation proposes for one legacy row, and the evidence.

    - ``match``: how the row was matched to a PAS patient: ``"nhs_number"``,
      ``"hospital_number"``, ``"name_birth_date"`` (exact and unique), ``"linkage"``
      (probabilistic), or ``""`` (not matched).
    - ``agreement``: which identifiers agree, in words ("NHS number, name and birth date").
    - ``confidence``: ``"high"`` when NHS number (or hospital number), name and birth date
      all agree exactly; ``"medium"`` for any other match; ``""`` when not matched.
    - ``event`` / ``event_date``: the PAS event that decided the outcome (the attendance,
      discharge or death), if any.
    - ``referral_date``: the referral date used (the list's, else the matched PAS referral).
    """

    source_sheet: str
    source_row: int
    outcome: Outcome
    reason: str
    duplicate_of_row: int | None = None
    pas_id: str | None = None
    nhs_number: str | None = None
    match: str = ""
    agreement: str = ""
    confidence: str = ""
    event: str = ""
    event_date: dt.date | None = None
    referral_date: dt.date | None = None
    match_probability: float | None = None

    @property
    def removes(self) -> bool:
        """Whether this proposal would take the row off the list."""
        return self.outcome in REMOVALS


@dataclass
class PasExtract:
    """A PAS extract loaded into a DuckDB connection, with what could not be read."""

    source: str
    events: int
    patients: int
    problems: list[str] = field(default_factory=list)


@dataclass
class Validation:
    """The result: one row per legacy row (``table``, Arrow) and the figures around it."""

    settings: Settings
    table: pa.Table
    pas: PasExtract
    skipped: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    #: With ``validate(..., pas_records=True)``: each matched PAS patient's identifiers and
    #: events up to the validation date, oldest first, as the engine read them (the evidence
    #: a person looks at).
    pas_records: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def proposals(self) -> list[Proposal]:
        """The rows as :class:`Proposal` objects, in row order (for pages and tests)."""
        return list(self.iter_proposals())

    def iter_proposals(self) -> Iterator[Proposal]:
        names = [f.name for f in Proposal.__dataclass_fields__.values()]
        columns = {name: self.table.column(name).to_pylist() for name in names}
        for index in range(self.table.num_rows):
            yield Proposal(**{name: columns[name][index] for name in names})

    def outcome_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for pair in pc.value_counts(self.table.column("outcome")).to_pylist():
            counts[pair["values"]] = pair["counts"]
        return counts

    def summary(self) -> dict[str, Any]:
        """``summary.json``: rows, outcomes, skipped rows with why, the date, the inputs."""
        return {
            "rows": self.table.num_rows,
            "outcomes": self.outcome_counts(),
            "skipped": self.skipped,
            "as_of": self.settings.as_of.isoformat(),
            "legacy": self.source,
            "pas": {
                "file": self.pas.source,
                "events": self.pas.events,
                "patients": self.pas.patients,
                "problems": self.pas.problems,
            },
            "panel_clinic": self.settings.panel_clinic,
            "linkage": self.settings.linkage,
        }

    def write(self, out_dir: str | Path) -> tuple[Path, Path]:
        """Write ``validation.csv`` and ``summary.json`` into ``out_dir`` (made if missing)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        csv_path, summary_path = out / "validation.csv", out / "summary.json"
        rows = self.table.select(list(OUTPUT_COLUMNS))
        con = duckdb.connect()
        try:
            con.register("output_rows", rows)
            con.execute(f"COPY output_rows TO '{_sql_path(csv_path)}' (HEADER, DELIMITER ',')")
        finally:
            con.close()
        summary_path.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")
        return csv_path, summary_path


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


# --- the PAS extract ------------------------------------------------------------------------


def _pas_header(path: Path) -> list[str]:
    if not path.exists():
        raise ReadError(f"{path.name}: no such file")
    if not path.is_file():
        raise ReadError(f"{path.name}: is not a file")
    size = path.stat().st_size
    if size == 0:
        raise ReadError(f"{path.name}: the file is empty")
    if size > MAX_FILE_BYTES * 8:
        raise ReadError(f"{path.name}: the file is too large to read ({size:,} bytes)")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError as error:
        raise ReadError(f"{path.name}: is not a UTF-8 csv file ({error.reason})") from error
    except OSError as error:
        raise ReadError(f"{path.name}: cannot be read ({error.strerror})") from error
    return [cell.strip().lower() for cell in header]


def check_pas(path: Path) -> list[str]:
    """The PAS extract's columns, or :class:`ReadError` when it lacks a required one."""
    header = _pas_header(path)
    missing = [name for name in PAS_REQUIRED if name not in header]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise ReadError(
            f"{path.name}: the PAS extract is missing the column{'s' if len(missing) > 1 else ''}"
            f" {names} (its columns are: {', '.join(header) or 'none'})"
        )
    return header


def read_pas(con: duckdb.DuckDBPyConnection, path: str | Path) -> PasExtract:
    """Load a PAS extract into ``con`` as ``pas_events`` and ``pas_patients``.

    ``pas_events``: pas_id, event, event_date, clinic. ``pas_patients``: one row per pas_id
    with its NHS number, names, name keys and birth date. Lines that cannot be read (a date
    that is not YYYY-MM-DD, too few columns) and events of an unknown kind are left out and
    each kind of problem is listed, with its line numbers, in :attr:`PasExtract.problems`.
    """
    path = Path(path)
    header = check_pas(path)
    dates = {"birth_date", "event_date"}
    columns = {name: "DATE" if name in dates else "VARCHAR" for name in header}
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE pas_raw AS SELECT * FROM read_csv(?, header = true, "
            "columns = ?, dateformat = '%Y-%m-%d', quote = '\"', escape = '\"', "
            "store_rejects = true, rejects_table = 'pas_rejects', rejects_scan = 'pas_scans')",
            [str(path), columns],
        )
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise ReadError(f"{path.name}: cannot be read as a PAS extract ({first})") from error
    problems = _pas_problems(con, path.name)
    nhs = "nhs_number" if "nhs_number" in header else "NULL::VARCHAR"
    known = ", ".join(repr(event) for event in PAS_EVENTS)
    con.execute(
        f"""
        -- Tidy only the rare events not written as the format asks ("Attended ").
        UPDATE pas_raw SET event = lower(trim(event)) WHERE event NOT IN ({known});

        CREATE OR REPLACE TEMP TABLE pas_unknown AS
        SELECT event, count(*) AS n, any_value(pas_id) AS example
        FROM pas_raw WHERE event NOT IN ({known}) OR event IS NULL GROUP BY ALL;

        CREATE OR REPLACE TEMP TABLE pas_people AS
        SELECT pas_id, any_value({nhs}) AS nhs_number, any_value(family_name) AS family_name,
               any_value(given_name) AS given_name, any_value(birth_date) AS birth_date
        FROM pas_raw WHERE pas_id IS NOT NULL GROUP BY pas_id;

        -- The events are the extract's own rows (no copy), less those of an unknown kind.
        DELETE FROM pas_raw WHERE event NOT IN ({known}) OR event IS NULL OR pas_id IS NULL;
        ALTER TABLE pas_raw RENAME TO pas_events;

        UPDATE pas_people SET nhs_number = nullif(regexp_replace(nhs_number, '[^0-9]', '', 'g'), '')
        WHERE NOT regexp_full_match(nhs_number, '[0-9]{{10}}');
        """
    )
    if "clinic" not in header:
        con.execute("ALTER TABLE pas_events ADD COLUMN clinic VARCHAR DEFAULT ''")
    with_name_keys(con, "pas_people", "pas_patients")
    problems += [
        f"{path.name}: {n:,} event(s) of an unknown kind '{event or ''}' (e.g. PAS {example}) "
        f"were left out (known kinds: {', '.join(PAS_EVENTS)})"
        for event, n, example in con.execute("SELECT * FROM pas_unknown ORDER BY event").fetchall()
    ]
    con.execute("DROP TABLE pas_unknown")
    events = scalar(con, "SELECT count(*) FROM pas_events")
    patients = scalar(con, "SELECT count(*) FROM pas_patients")
    return PasExtract(source=path.name, events=events, patients=patients, problems=problems)


def _pas_problems(con: duckdb.DuckDBPyConnection, name: str, examples: int = 5) -> list[str]:
    """The lines DuckDB could not read, grouped by column and error, with line numbers."""
    rows = con.execute(
        """
        SELECT CASE WHEN error_type = 'CAST' THEN column_name ELSE '' END AS column_name,
               error_type, count(DISTINCT line) AS n,
               list(DISTINCT line ORDER BY line)[1:?] AS lines,
               any_value(regexp_extract(error_message, 'convert string "([^"]*)"', 1)) AS value
        FROM pas_rejects GROUP BY ALL ORDER BY min(line)
        """,
        [examples],
    ).fetchall()
    con.execute("DROP TABLE pas_rejects; DROP TABLE pas_scans")
    problems = []
    for column, error_type, n, lines, value in rows:
        where = ", ".join(str(line) for line in lines) + (" …" if n > len(lines) else "")
        what = (
            f"column '{column}' is not a date written YYYY-MM-DD (e.g. '{value}')"
            if column in ("birth_date", "event_date") and error_type == "CAST"
            else f"{error_type.lower().replace('_', ' ')}"
            + (f" in column '{column}' (e.g. '{value}')" if column else "")
        )
        problems.append(f"{name}: {n:,} line(s) left out: {what}; line(s) {where}")
    return problems


# A name's match key: letters only, upper case, accents stripped ("O'Neill" -> "ONEILL").
_KEY = "nullif(upper(regexp_replace(strip_accents(coalesce({col}, '')), '[^A-Za-z]', '', 'g')), '')"


def with_name_keys(con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
    """``target``: ``source`` with ``family_key`` and ``given_key`` added; drops ``source``.

    Keys are worked out once per distinct name (a list has far fewer names than rows).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE family_keys AS
        SELECT family_name, {_KEY.format(col="family_name")} AS family_key
        FROM (SELECT DISTINCT family_name FROM {source} WHERE family_name IS NOT NULL);
        CREATE OR REPLACE TEMP TABLE given_keys AS
        SELECT given_name, {_KEY.format(col="given_name")} AS given_key
        FROM (SELECT DISTINCT given_name FROM {source} WHERE given_name IS NOT NULL);
        CREATE OR REPLACE TEMP TABLE {target} AS
        SELECT s.*, f.family_key, g.given_key
        FROM {source} s
        LEFT JOIN family_keys f ON f.family_name = s.family_name
        LEFT JOIN given_keys g ON g.given_name = s.given_name;
        DROP TABLE family_keys; DROP TABLE given_keys;
        """
    )
    if source != "legacy_input":
        con.execute(f"DROP TABLE {source}")


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single whole number ``sql`` selects (fetching it all, as DuckDB asks)."""
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


# --- validation -----------------------------------------------------------------------------


def validate(
    legacy: pa.Table,
    pas_path: str | Path,
    settings: Settings,
    *,
    progress: Progress | None = None,
    skipped: list[dict[str, Any]] | None = None,
    source: str = "",
    pas_records: bool = False,
) -> Validation:
    """Validate ``legacy`` rows (see :data:`LEGACY_COLUMNS`) against the PAS extract."""
    from clearway.validation import decide, matching

    report = progress or (lambda stage, done, total: None)
    spill = tempfile.TemporaryDirectory(prefix="clearway-validate-")
    con = duckdb.connect(
        config={
            "memory_limit": settings.memory_limit,
            "temp_directory": spill.name,
            "preserve_insertion_order": False,
        }
    )
    try:
        panel = settings.panel_clinic.strip().replace("'", "''")
        referrals = settings.referral_clinic.strip().replace("'", "''")
        con.execute(
            f"CREATE TEMP MACRO as_of() AS DATE '{settings.as_of.isoformat()}';"
            f"CREATE TEMP MACRO panel_clinic() AS '{panel}';"
            f"CREATE TEMP MACRO referral_clinic() AS '{referrals}';"
        )
        report("reading the PAS extract", 0, 1)
        pas = read_pas(con, pas_path)
        report("reading the PAS extract", 1, 1)
        con.register("legacy_input", legacy.select([name for name, _, _ in LEGACY_COLUMNS]))
        with_name_keys(con, "legacy_input", "legacy")
        con.unregister("legacy_input")
        matching.match(con, settings, report)
        table = decide.decide(con, report)
        records = _matched_pas_records(con) if pas_records else {}
    finally:
        con.close()
        spill.cleanup()
    return Validation(
        settings=settings,
        table=table,
        pas=pas,
        skipped=list(skipped or []),
        source=source,
        pas_records=records,
    )


def _matched_pas_records(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Each matched PAS patient's identifiers and events up to the validation date."""
    rows = con.execute(
        """
        SELECT p.pas_id, coalesce(p.nhs_number, ''), coalesce(p.given_name, ''),
               coalesce(p.family_name, ''), p.birth_date, e.event, e.event_date,
               coalesce(e.clinic, '')
        FROM pas_patients p JOIN pas_events e USING (pas_id)
        WHERE p.pas_id IN (SELECT pas_id FROM outcomes WHERE pas_id IS NOT NULL)
          AND e.event_date <= as_of()
        ORDER BY p.pas_id, e.event_date, e.event
        """
    ).fetchall()
    records: dict[str, dict[str, Any]] = {}
    for pas_id, nhs_number, given, family, birth, event, day, clinic in rows:
        record = records.setdefault(
            pas_id,
            {
                "pas_id": pas_id,
                "nhs_number": nhs_number,
                "given_name": given,
                "family_name": family,
                "birth_date": birth.isoformat() if birth else "",
                "events": [],
            },
        )
        record["events"].append({"event": event, "date": day.isoformat(), "clinic": clinic})
    return records
