"""Read a legacy waiting list (xlsx, xlsm, xls, ods or csv) the way a service really keeps it.

:func:`read_legacy` finds the header row wherever it is (title rows above it, blank rows
around it), recognises the columns by their header words ("NHS No.", "D.O.B",
"Date Ref Rec'd", "Patient Name", "Surname"/"Forename", "School Rpt", "SaLT", "Opt in", ...,
see :data:`HEADER_WORDS`), lets a mapping override that, and reads every row below the
header. Every row is accounted for: a data row (:class:`LegacyRow`, with its row number as
the spreadsheet shows it, its sheet, its original cells and its parsed fields) or a skipped
row (:class:`Skipped`: blank, title, repeated header or "Total" footer, with why). Cells that
cannot be read become :class:`Problem` entries ("row 14, column 'D.O.B': '31/02/2016' is not
a real date"); the row is kept.

Files that cannot be read at all (missing, empty, too large, password-protected, no header
row) raise :class:`ReadError` with a one-line message naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from clearway.validation import normalise
from clearway.validation.normalise import Cell, PersonName, RequirementState

__all__ = [
    "FIELDS",
    "HEADER_WORDS",
    "MAX_FILE_BYTES",
    "Column",
    "LegacyList",
    "LegacyRow",
    "Problem",
    "ReadError",
    "Skipped",
    "load_mapping",
    "read_legacy",
]

MAX_FILE_BYTES = 1024 * 1024 * 1024
"""Files larger than this (1 GiB) are refused before reading, with a clear message."""

HEADER_SEARCH_ROWS = 50
"""How many rows from the top are searched for the header row."""

SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})

REQUIREMENT_FIELDS = ("school_report", "salt_report", "consent")

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "nhs_number": ("nhsno", "nhsnumber", "nhs", "nhsnum", "nhsnos"),
    "hospital_number": (
        "hospno",
        "hospitalno",
        "hospitalnumber",
        "hospnumber",
        "hospnum",
        "mrn",
        "crn",
        "unitno",
        "unitnumber",
        "casenoteno",
        "casenotenumber",
        "pasno",
        "pasnumber",
        "pasid",
        "localid",
        "patientid",
    ),
    "name": ("patientname", "name", "childname", "childsname", "fullname", "patient", "child"),
    "family_name": ("surname", "familyname", "lastname"),
    "given_name": ("forename", "forenames", "firstname", "firstnames", "givenname", "givennames"),
    "birth_date": ("dob", "dateofbirth", "birthdate", "dateofbirthdob", "birth"),
    "referral_date": (
        "daterefrecd",
        "daterefreceived",
        "referraldate",
        "datereceived",
        "daterecd",
        "refdate",
        "referralreceived",
        "referralrecd",
        "datereferred",
        "datereferralreceived",
        "dateofreferral",
        "received",
        "refrecd",
    ),
    "consultant": ("consultant", "clinician", "doctor", "paediatrician", "namedconsultant"),
    "school_report": ("schoolrpt", "schoolreport", "school", "schoolrep", "schoolreportrecd"),
    "salt_report": ("salt", "slt", "saltreport", "sltreport", "saltrpt", "sltrpt", "saltrep"),
    "consent": ("optin", "consent", "optinconsent", "consentform", "optinform", "optedin"),
    "panel_date": ("paneldate", "panel", "dateofpanel", "panelbooked", "datepanel"),
    "notes": ("comments", "notes", "comment", "note", "remarks"),
    "status": ("status", "outcome", "currentstatus"),
}
"""Header words per field, normalised (lowercase, letters and digits only): exact matches."""

FIELDS = tuple(HEADER_WORDS)
"""Every field a column can be mapped to."""

# Fallback when no exact header word matches: (field, any of these inside the header).
# Headers about other people or contact details never match a fallback.
_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nhs_number", ("nhs",)),
    ("hospital_number", ("hosp", "mrn", "unitno", "casenote", "pasno", "pasid")),
    ("birth_date", ("dob", "birth")),
    ("family_name", ("surname", "familyname", "lastname")),
    ("given_name", ("forename", "firstname", "givenname", "christianname")),
    ("school_report", ("school",)),
    ("salt_report", ("salt", "slt", "speech")),
    ("consent", ("consent", "optin", "optedin")),
    ("panel_date", ("panel",)),
    ("referral_date", ("refrec", "refdate", "referralrec", "referraldate", "datereferr")),
    ("consultant", ("consultant", "clinician")),
    ("notes", ("comment", "note")),
    ("status", ("status",)),
    ("name", ("name",)),
)
_NOT_THE_CHILD = (
    *("parent", "carer", "mum", "mother", "father", "dad", "gp", "referrer", "sibling"),
    *("contact", "address", "phone", "tel", "email", "postcode", "schoolname"),
)
_EXACT = {word: name for name, words in HEADER_WORDS.items() for word in words}
_FOOTER = re.compile(
    r"\s*(grand\s+)?(totals?|count|number\s+of\s+\w+|end\s+of\s+(the\s+)?(list|report))\b",
    re.IGNORECASE,
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_IGNORE = frozenset({"", "ignore", "none", "skip"})


class ReadError(Exception):
    """A file that cannot be read at all; the message is one line naming the file."""


@dataclass(frozen=True)
class Problem:
    """Something in the file that could not be read with confidence.

    ``source_row`` is ``None`` for a problem with the file as a whole (a mapping that names
    a column the file lacks); ``field`` is the parsed field the cell was meant for.
    """

    source_row: int | None
    column: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.source_row is not None:
            where.append(f"row {self.source_row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Column:
    """One column of the header row and what it became.

    ``header`` is the key of this column in every row's ``raw`` dict (the header as written,
    or ``"column K"`` when blank). ``how`` is ``"mapping"``, ``"header word"`` (an exact
    :data:`HEADER_WORDS` match), ``"guessed"`` (a keyword inside the header) or ``""`` when
    the column is not used; ``note`` explains an unused column that looked like a field.
    """

    index: int
    letter: str
    header: str
    field: str | None
    how: str
    note: str = ""


@dataclass(frozen=True)
class Skipped:
    """A row that is not a child: blank, a title above the header, a repeated header, a footer."""

    source_sheet: str
    source_row: int
    why: str


@dataclass
class LegacyRow:
    """One data row: where it came from, its original cells, and what they were read as.

    ``raw`` maps each column's header (see :class:`Column`) to the cell exactly as read.
    Parsed fields are ``None`` (or ``""`` for text, ``"outstanding"`` for requirements)
    when the cell was blank, a placeholder, or unreadable; unreadable cells are also in
    ``problems``.
    """

    source_sheet: str
    source_row: int
    raw: dict[str, Cell]
    nhs_number: str | None = None
    hospital_number: str | None = None
    name: PersonName | None = None
    birth_date: dt.date | None = None
    referral_date: dt.date | None = None
    panel_date: dt.date | None = None
    consultant: str = ""
    notes: str = ""
    status: str = ""
    requirements: dict[str, RequirementState] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def given_name(self) -> str | None:
        """The tidied given name, if any."""
        return self.name.given if self.name else None

    @property
    def family_name(self) -> str | None:
        """The tidied family name, if any."""
        return self.name.family if self.name else None

    def problems_with(self, field_name: str) -> list[Problem]:
        """The problems with one parsed field of this row (e.g. ``"referral_date"``)."""
        return [problem for problem in self.problems if problem.field == field_name]


@dataclass
class LegacyList:
    """A whole legacy list as read: the columns understood, every row, and every problem.

    ``rows`` + ``skipped`` + the header row account for every row from the top of the sheet
    to its last non-empty row. ``problems`` holds file-level problems first, then every
    row's problems in row order. ``sheets_not_read`` names the workbook's other sheets.
    """

    source: str
    sheet: str
    header_row: int
    columns: list[Column]
    rows: list[LegacyRow]
    skipped: list[Skipped]
    problems: list[Problem]
    sheets_not_read: tuple[str, ...] = ()

    def column_for(self, field_name: str) -> Column | None:
        """The column that was read as ``field_name``, if any."""
        return next((column for column in self.columns if column.field == field_name), None)


# --- mappings -------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    """Normalise a header for matching: lowercase, letters and digits only ("D.O.B" -> "dob")."""
    return _NOT_ALNUM.sub("", text.casefold())


def _check_mapping(mapping: Mapping[str, str | None], origin: str) -> dict[str, str | None]:
    checked: dict[str, str | None] = {}
    for header, target in mapping.items():
        name = (target or "").strip()
        if name.casefold() in _IGNORE:
            checked[_header_key(header)] = None
        elif name in FIELDS:
            checked[_header_key(header)] = name
        else:
            raise ValueError(
                f"{origin}: column '{header}' is mapped to '{target}', which is not a field "
                f"(fields: {', '.join(FIELDS)}, or 'ignore')"
            )
    return checked


def load_mapping(path: str | Path) -> dict[str, str | None]:
    """Load a column mapping (header -> field, or "ignore") from a TOML or JSON file.

    The pairs may sit at the top level or under a ``columns`` table::

        [columns]
        "Hosp No" = "hospital_number"
        "Child" = "name"
        "Old ref" = "ignore"

    Raises :class:`ReadError` when the file cannot be read and ``ValueError`` when it names
    an unknown field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as error:
        raise ReadError(f"{path.name}: cannot read the column mapping ({error})") from error
    table = data.get("columns", data) if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(
        isinstance(value, str | None) for value in table.values()
    ):
        raise ReadError(f"{path.name}: a column mapping must pair each header with a field name")
    return _check_mapping(table, path.name)


def _any_mapping(mapping: Mapping[str, str | None] | str | Path | None) -> dict[str, str | None]:
    """A mapping as :func:`read_legacy` takes it (dict, file path or None), checked."""
    if mapping is None:
        return {}
    if isinstance(mapping, str | Path):
        return load_mapping(mapping)
    return _check_mapping(mapping, "mapping")


# --- grids: the cells of a sheet or a csv file ----------------------------------------------


def _is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _check_file(path: Path, max_bytes: int) -> int:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ReadError(f"{path.name}: file not found or not readable") from error
    if not path.is_file():
        raise ReadError(f"{path.name}: is not a file")
    if size == 0:
        raise ReadError(f"{path.name}: the file is empty")
    if size > max_bytes:
        raise ReadError(
            f"{path.name}: the file is {size / 2**20:,.0f} MB, more than the "
            f"{max_bytes / 2**20:,.0f} MB Clearway reads at once"
        )
    return size


def _csv_text(path: Path) -> tuple[str, str]:
    """A csv file's text (UTF-8, else Windows-1252) and its delimiter (sniffed)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ReadError(
                f"{path.name}: is not text in UTF-8 or Windows-1252 (is it a spreadsheet?)"
            ) from error
    if "\x00" in text:
        raise ReadError(f"{path.name}: is not a text csv file (is it a spreadsheet?)")
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    return text, delimiter


def _csv_grid(path: Path) -> list[list[Cell]]:
    text, delimiter = _csv_text(path)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise ReadError(f"{path.name}: is not a well-formed csv file ({error})") from error


def _workbook(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as error:
        raise ReadError(
            f"{path.name}: the workbook is password-protected; save an unprotected copy"
        ) from error
    except (python_calamine.CalamineError, OSError, ValueError) as error:
        raise ReadError(f"{path.name}: cannot be read as a spreadsheet ({error})") from error


def _sheet_grid(workbook: python_calamine.CalamineWorkbook, name: str) -> list[list[Cell]]:
    sheet = workbook.get_sheet_by_name(name)
    # skip_empty_area=False keeps the grid anchored at A1, so index + 1 is the row number.
    return [list(row) for row in sheet.to_python(skip_empty_area=False)]


# --- the header -----------------------------------------------------------------------------


def _match(header: Cell, mapping: Mapping[str, str | None]) -> tuple[str | None, str]:
    """(field, how) for one header cell: mapping first, then exact words, then keywords."""
    if not isinstance(header, str) or not header.strip():
        return None, ""
    key = _header_key(header)
    if key in mapping:
        return mapping[key], "mapping"
    if key in _EXACT:
        return _EXACT[key], "header word"
    if len(key) <= 40 and not any(word in key for word in _NOT_THE_CHILD):
        for name, keywords in _KEYWORDS:
            if any(keyword in key for keyword in keywords):
                return name, "guessed"
    return None, ""


def _score(row: Sequence[Cell], mapping: Mapping[str, str | None]) -> int:
    """How much a row looks like a header: the number of distinct fields its cells name."""
    return len({name for name in (_match(cell, mapping)[0] for cell in row) if name})


def _find_header(grid: list[list[Cell]], mapping: Mapping[str, str | None]) -> int | None:
    best, best_score = None, 1  # a header names at least two fields
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = _score(row, mapping)
        if score > best_score:
            best, best_score = index, score
    return best


def _columns(header: Sequence[Cell], mapping: Mapping[str, str | None]) -> list[Column]:
    labels: list[str] = []
    for index, cell in enumerate(header):
        label = normalise.text_value(cell) or f"column {_letter(index)}"
        labels.append(f"{label} (column {_letter(index)})" if label in labels else label)
    matches = [_match(cell, mapping) for cell in header]
    owner: dict[str, int] = {}  # field -> column index; mapped, then exact, then guessed
    for rank in ("mapping", "header word", "guessed"):
        for index, (name, how) in enumerate(matches):
            if name and how == rank and name not in owner:
                owner[name] = index
    columns = []
    for index, (name, how) in enumerate(matches):
        note = ""
        if name and owner[name] != index:
            note = f"also looks like {name}, already read from column '{labels[owner[name]]}'"
            name, how = None, ""
        columns.append(Column(index, _letter(index), labels[index], name, how, note))
    return columns


# --- rows -----------------------------------------------------------------------------------


def _is_footer(row: Sequence[Cell], columns: list[Column]) -> bool:
    """A "Total: 80" row: a footer word, at most three cells, and no NHS number or birth date."""
    filled = [cell for cell in row if not _is_blank(cell)]
    if len(filled) > 3 or not any(isinstance(cell, str) and _FOOTER.match(cell) for cell in filled):
        return False
    for column in columns:
        value = row[column.index] if column.index < len(row) else None
        if column.field == "nhs_number" and normalise.nhs_number(value)[0]:
            return False
        if column.field == "birth_date" and normalise.uk_date(value)[0]:
            return False
    return True


def _is_repeated_header(row: Sequence[Cell], header_keys: Sequence[str]) -> bool:
    """The header again (e.g. pasted lists): two or more cells equal to their header cell."""
    same = 0
    for cell, key in zip(row, header_keys, strict=False):
        if key and isinstance(cell, str) and _header_key(cell) == key:
            same += 1
    return same >= 2


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def _parse_row(
    sheet: str,
    number: int,
    row: Sequence[Cell],
    columns: list[Column],
    as_of: dt.date,
) -> LegacyRow:
    raw: dict[str, Cell] = {}
    cells: dict[str, tuple[Cell, str]] = {}  # field -> (cell, column header)
    for column in columns:
        value = row[column.index] if column.index < len(row) else ""
        raw[column.header] = value
        if column.field:
            cells[column.field] = (value, column.header)
    for index in range(len(columns), len(row)):
        if not _is_blank(row[index]):
            raw[f"column {_letter(index)}"] = row[index]

    parsed = LegacyRow(source_sheet=sheet, source_row=number, raw=raw)

    def note(name: str, message: str | None) -> None:
        if message:
            parsed.problems.append(Problem(number, cells[name][1], name, message))

    def cell(name: str) -> Cell:
        return cells[name][0] if name in cells else None

    if "nhs_number" in cells:
        parsed.nhs_number, problem = normalise.nhs_number(cell("nhs_number"))
        note("nhs_number", problem)
    parsed.hospital_number = normalise.text_value(cell("hospital_number")) or None
    if parsed.hospital_number and normalise.is_placeholder(parsed.hospital_number):
        parsed.hospital_number = None

    given, family = cell("given_name"), cell("family_name")
    if _is_blank(given) and _is_blank(family):
        parsed.name = normalise.person_name(cell("name"))
        if parsed.name and parsed.name.problem:
            note("name", parsed.name.problem)
    else:
        parsed.name = normalise.person_name(given=given, family=family)

    for name, allow_future in (
        ("birth_date", False),
        ("referral_date", False),
        ("panel_date", True),
    ):
        if name in cells:
            value, problem = normalise.uk_date(cell(name), as_of=as_of, allow_future=allow_future)
            setattr(parsed, name, value)
            note(name, problem)
    for name in ("birth_date", "referral_date"):
        value = getattr(parsed, name)
        if value is not None and value > as_of:
            note(name, f"{_day(value)} is after the as-of date, {_day(as_of)}")
    if parsed.birth_date and parsed.referral_date and parsed.referral_date < parsed.birth_date:
        note(
            "referral_date",
            f"referral date {_day(parsed.referral_date)} is before the birth date "
            f"{_day(parsed.birth_date)}",
        )

    for name in REQUIREMENT_FIELDS:
        if name in cells:
            parsed.requirements[name], problem = normalise.requirement_state(cell(name))
            note(name, problem)
    parsed.consultant = normalise.text_value(cell("consultant"))
    parsed.notes = normalise.text_value(cell("notes"))
    parsed.status = normalise.text_value(cell("status"))

    if not (parsed.nhs_number or parsed.hospital_number or parsed.name or parsed.birth_date):
        parsed.problems.append(
            Problem(number, None, None, "no NHS number, hospital number, name or birth date")
        )
    return parsed


def _header_index(
    grid: list[list[Cell]],
    *,
    source: str,
    sheet: str,
    mapping: Mapping[str, str | None],
    header_row: int | None,
) -> int:
    """The 0-based index of the header row: ``header_row - 1``, else searched for."""
    if header_row is None:
        found = _find_header(grid, mapping)
        if found is None:
            raise ReadError(
                f"{source}: no header row found in the first {HEADER_SEARCH_ROWS} rows of "
                f"'{sheet}' (looked for words such as NHS Number, Name, D.O.B, Referral date)"
            )
        header_index = found
    else:
        header_index = header_row - 1
        if not 0 <= header_index < len(grid):
            raise ReadError(f"{source}: '{sheet}' has no row {header_row}")
    return header_index


def _mapping_problems(columns: list[Column], mapping: Mapping[str, str | None]) -> list[Problem]:
    """A problem for each column the mapping names that the header row does not have."""
    problems: list[Problem] = []
    found_keys = {_header_key(column.header) for column in columns}
    for key, name in mapping.items():
        if key not in found_keys:
            problems.append(
                Problem(
                    None,
                    None,
                    name,
                    f"the mapping names a column '{key}' that the header row does not have",
                )
            )
    return problems


def _header_keys(header: Sequence[Cell]) -> list[str]:
    return [_header_key(cell) if isinstance(cell, str) else "" for cell in header]


def _rows_above_header(grid: list[list[Cell]], header_index: int, sheet: str) -> list[Skipped]:
    skipped: list[Skipped] = []
    for index, row in enumerate(grid[:header_index]):
        filled = [normalise.text_value(value) for value in row if not _is_blank(value)]
        why = f"title row above the header: '{' '.join(filled)}'" if filled else "blank row"
        skipped.append(Skipped(sheet, index + 1, why))
    return skipped


def _skip_reason(row: Sequence[Cell], columns: list[Column], header_keys: Sequence[str]) -> str:
    """Why a row below the header is not a child (blank, footer, repeated header), or ""."""
    if all(_is_blank(value) for value in row):
        return "blank row"
    if _is_footer(row, columns):
        text = " ".join(normalise.text_value(value) for value in row if not _is_blank(value))
        return f"footer row: '{text}'"
    if _is_repeated_header(row, header_keys):
        return "the header row, repeated"
    return ""


def _read_grid(
    grid: list[list[Cell]],
    *,
    source: str,
    sheet: str,
    mapping: Mapping[str, str | None],
    as_of: dt.date,
    header_row: int | None,
) -> LegacyList:
    while grid and all(_is_blank(value) for value in grid[-1]):
        grid.pop()
    if not grid:
        raise ReadError(f"{source}: '{sheet}' has no data")
    header_index = _header_index(
        grid, source=source, sheet=sheet, mapping=mapping, header_row=header_row
    )
    header = grid[header_index]
    columns = _columns(header, mapping)
    problems = _mapping_problems(columns, mapping)
    header_keys = _header_keys(header)
    skipped = _rows_above_header(grid, header_index, sheet)

    rows: list[LegacyRow] = []
    for index in range(header_index + 1, len(grid)):
        row, number = grid[index], index + 1
        why = _skip_reason(row, columns, header_keys)
        if why:
            skipped.append(Skipped(sheet, number, why))
        else:
            parsed = _parse_row(sheet, number, row, columns, as_of)
            rows.append(parsed)
            problems.extend(parsed.problems)
    skipped.sort(key=lambda entry: entry.source_row)
    return LegacyList(
        source=source,
        sheet=sheet,
        header_row=header_index + 1,
        columns=columns,
        rows=rows,
        skipped=skipped,
        problems=problems,
    )


def read_legacy(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    mapping: Mapping[str, str | None] | str | Path | None = None,
    as_of: dt.date | None = None,
    header_row: int | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> LegacyList:
    """Read a legacy waiting list from an xlsx, xlsm, xls, ods or csv file.

    - ``sheet``: a sheet name or 0-based index; by default the first visible sheet on which
      a header row is found (the others are named in ``sheets_not_read``). A csv file's
      "sheet" is its file name.
    - ``mapping``: header -> field (see :data:`FIELDS`; ``"ignore"`` drops a column), or the
      path of a TOML/JSON mapping file (:func:`load_mapping`). It overrides header words and
      also helps find the header row.
    - ``as_of``: the date two-digit years and "in the future" are judged against (default:
      today).
    - ``header_row``: the header's row number (1-based), when it should not be searched for.

    CSV files are read as UTF-8 (with or without a byte-order mark), else Windows-1252, with
    the delimiter sniffed from ``, ; tab |``. Raises :class:`ReadError` for a file that
    cannot be read at all, and ``ValueError`` for a mapping naming an unknown field.
    """
    path = Path(path)
    _check_file(path, max_bytes)
    as_of = as_of or normalise._today()
    checked = _any_mapping(mapping)

    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_grid(
            _csv_grid(path),
            source=path.name,
            sheet=path.name,
            mapping=checked,
            as_of=as_of,
            header_row=header_row,
        )
    if suffix not in SPREADSHEET_SUFFIXES:
        raise ReadError(f"{path.name}: is not a file Clearway reads (xlsx, xlsm, xls, ods or csv)")

    workbook = _workbook(path)
    names = list(workbook.sheet_names)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise ReadError(f"{path.name}: has no sheet number {sheet + 1}")
        sheet = names[sheet]
    if sheet is not None:
        if sheet not in names:
            raise ReadError(f"{path.name}: has no sheet '{sheet}' (sheets: {', '.join(names)})")
        candidates = [sheet]
    else:
        visible = {
            meta.name
            for meta in workbook.sheets_metadata
            if meta.visible == python_calamine.SheetVisibleEnum.Visible
            and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
        }
        candidates = [name for name in names if name in visible]

    first_error: ReadError | None = None
    for name in candidates:
        try:
            grid = _sheet_grid(workbook, name)
        except python_calamine.CalamineError as error:
            raise ReadError(f"{path.name}: cannot read sheet '{name}' ({error})") from error
        try:
            legacy = _read_grid(
                grid,
                source=path.name,
                sheet=name,
                mapping=checked,
                as_of=as_of,
                header_row=header_row,
            )
        except ReadError as error:
            first_error = first_error or error
            continue
        legacy.sheets_not_read = tuple(other for other in names if other != name)
        return legacy
    raise first_error or ReadError(f"{path.name}: has no worksheet to read")
