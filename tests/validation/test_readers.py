"""Reading legacy lists: the sample spreadsheet, and synthetic files with real lists' traps."""

import csv
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest

from clearway.validation.readers import (
    FIELDS,
    LegacyList,
    ReadError,
    load_mapping,
    read_legacy,
)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
AS_OF = dt.date(2021, 5, 3)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], *, title: str = "PTL") -> Path:
    """An xlsx file whose first sheet holds ``rows`` from A1 (None = empty cell)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def by_row(legacy: LegacyList) -> dict[int, object]:
    return {row.source_row: row for row in legacy.rows}


# --- the sample file ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> LegacyList:
    return read_legacy(SAMPLES / "legacy_ptl.xlsx", as_of=AS_OF)


def test_sample_header_and_columns(sample: LegacyList) -> None:
    assert (sample.source, sample.sheet, sample.header_row) == (
        "legacy_ptl.xlsx",
        "Waiting List",
        1,
    )
    assert {column.header: column.field for column in sample.columns} == {
        "NHS Number": "nhs_number",
        "Surname": "family_name",
        "Forename": "given_name",
        "Date of Birth": "birth_date",
        "Referral Received": "referral_date",
        "Consultant": "consultant",
        "School Report": "school_report",
        "SaLT Report": "salt_report",
        "Consent": "consent",
        "Panel Date": "panel_date",
        "Notes": "notes",
    }


def test_sample_every_row_is_accounted_for(sample: LegacyList) -> None:
    # Count the non-empty rows independently of the reader, with openpyxl.
    sheet = openpyxl.load_workbook(SAMPLES / "legacy_ptl.xlsx", read_only=True).active
    assert sheet is not None
    all_rows = {
        number
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        if any(value not in (None, "") for value in values)
    } | {19, 83}  # the two blank rows inside the list
    seen = [row.source_row for row in sample.rows] + [entry.source_row for entry in sample.skipped]
    assert len(seen) == len(set(seen))
    assert set(seen) | {sample.header_row} == all_rows
    assert len(sample.rows) == 80

    with (SAMPLES / "truth.csv").open(newline="") as handle:
        truth_rows = {int(line["source_row"]) for line in csv.DictReader(handle)}
    assert truth_rows == {row.source_row for row in sample.rows}


def test_sample_skipped_rows_say_why(sample: LegacyList) -> None:
    assert [(entry.source_row, entry.why) for entry in sample.skipped] == [
        (19, "blank row"),
        (83, "blank row"),
        (84, "footer row: 'Total: 80'"),
    ]


def test_sample_cells_are_parsed_and_originals_kept(sample: LegacyList) -> None:
    rows = {row.source_row: row for row in sample.rows}
    first = rows[2]
    assert first.source_sheet == "Waiting List"
    assert first.raw["Date of Birth"] == "28.1.07"
    assert first.birth_date == dt.date(2007, 1, 28)
    assert first.referral_date == dt.date(2020, 11, 28)
    assert (first.given_name, first.family_name) == ("Max", "Thompon")
    assert first.requirements == {
        "school_report": "received",
        "salt_report": "requested",
        "consent": "received",
    }
    assert rows[7].raw["NHS Number"] == 9997728378.0
    assert rows[7].nhs_number == "9997728378"
    assert rows[3].nhs_number == "9997430816"  # "999 743 0816"
    for placeholder_row in (10, 18, 43, 52):  # awaiting, N/K, blank, TBC
        assert rows[placeholder_row].nhs_number is None
        assert not rows[placeholder_row].problems_with("nhs_number")
    assert rows[60].panel_date == dt.date(2021, 6, 19)


def test_sample_problems_name_row_and_column(sample: LegacyList) -> None:
    messages = [str(problem) for problem in sample.problems]
    assert (
        "row 21, column 'NHS Number': '9996831518' is not a valid NHS number: "
        "its check digit is wrong"
    ) in messages
    assert (
        "row 47, column 'Referral Received': 20 May 2021 is after the as-of date, 3 May 2021"
    ) in messages
    # Every problem belongs to a row that was kept.
    kept = {row.source_row for row in sample.rows}
    assert all(problem.source_row in kept for problem in sample.problems)


# --- synthetic spreadsheets -----------------------------------------------------------------

MESSY_HEADER = ["NHS No.", "Hosp No", "Patient Name", "D.O.B", "Date Ref Rec'd", "School Rpt"]
MESSY_HEADER += ["SLT", "Opt in", "Comments"]


@pytest.fixture
def messy(tmp_path: Path) -> LegacyList:
    rows: list[list[object]] = [
        ["SCD waiting list", None, None],
        ["Updated 3/5/21 by JS"],
        [],
        [None, *MESSY_HEADER],
        [None, 9997430816.0, 12345.0, "SMITH, Jane", serial(dt.date(2015, 6, 1)), "3/2/21"],
        [None, "999-759-7516", "RX9", "Tom O'NEILL", dt.datetime(2012, 1, 5), "2020-11-30"],
        [],
        [None, "TBC", None, "Amy Lee", "31/02/2016", "03-May-21", "chased 3/2", "Y", "no"],
        [None, 9997430817, None, "Lee", "1/1/16", "12/01/21", "what?", "✓", "sent"],
        [None, *MESSY_HEADER],
        [None, None, None, "Ben Ali", None, None, None, None, None, "extra notes"],
        [],
        [None, None, None, "Total", 5],
    ]
    return read_legacy(write_xlsx(tmp_path / "messy.xlsx", rows), as_of=AS_OF)


def test_header_below_title_rows_and_off_column_a(messy: LegacyList) -> None:
    assert messy.header_row == 4
    fields = {column.letter: column.field for column in messy.columns}
    assert fields == {
        "A": None,
        "B": "nhs_number",
        "C": "hospital_number",
        "D": "name",
        "E": "birth_date",
        "F": "referral_date",
        "G": "school_report",
        "H": "salt_report",
        "I": "consent",
        "J": "notes",
    }
    assert [row.source_row for row in messy.rows] == [5, 6, 8, 9, 11]
    assert [(entry.source_row, entry.why) for entry in messy.skipped] == [
        (1, "title row above the header: 'SCD waiting list'"),
        (2, "title row above the header: 'Updated 3/5/21 by JS'"),
        (3, "blank row"),
        (7, "blank row"),
        (10, "the header row, repeated"),
        (12, "blank row"),
        (13, "footer row: 'Total 5'"),
    ]


def test_messy_cells(messy: LegacyList) -> None:
    rows = {row.source_row: row for row in messy.rows}
    jane, tom, amy, lee, ben = (rows[n] for n in (5, 6, 8, 9, 11))
    assert (jane.nhs_number, jane.hospital_number) == ("9997430816", "12345")
    assert (jane.given_name, jane.family_name) == ("Jane", "Smith")
    assert jane.birth_date == dt.date(2015, 6, 1)  # an Excel serial number
    assert jane.referral_date == dt.date(2021, 2, 3)  # d/m/yy, day first
    assert (tom.given_name, tom.family_name, tom.nhs_number) == ("Tom", "O'Neill", "9997597516")
    assert tom.birth_date == dt.date(2012, 1, 5)
    assert amy.nhs_number is None and not amy.problems_with("nhs_number")
    assert amy.requirements == {
        "school_report": "requested",
        "salt_report": "received",
        "consent": "outstanding",
    }
    assert [str(p) for p in amy.problems] == [
        "row 8, column 'D.O.B': '31/02/2016' is not a real date",
    ]
    assert amy.referral_date == dt.date(2021, 5, 3)
    assert [p.field for p in lee.problems] == ["nhs_number", "name", "school_report"]
    assert lee.requirements["school_report"] == "outstanding"
    assert lee.requirements["consent"] == "requested"
    assert ben.notes == "extra notes"
    assert ben.raw["Patient Name"] == "Ben Ali"


def test_name_in_two_columns_and_first_sheet_without_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["This workbook holds the SCD list on the next tab"])
    hidden = workbook.create_sheet("Old")
    hidden.append(["NHS Number", "Surname", "Forename"])
    hidden.sheet_state = "hidden"
    data = workbook.create_sheet("List")
    data.append(["Surname", "First name", "Date of birth", "Referral date"])
    data.append(["JONES", "amy", "01/02/2015", "2020-03-04"])
    workbook.save(tmp_path / "tabs.xlsx")

    legacy = read_legacy(tmp_path / "tabs.xlsx", as_of=AS_OF)
    assert legacy.sheet == "List"
    assert legacy.sheets_not_read == ("Read me", "Old")
    (row,) = legacy.rows
    assert (row.source_sheet, row.source_row) == ("List", 2)
    assert (row.given_name, row.family_name) == ("Amy", "Jones")
    assert row.name is not None and row.name.family_original == "JONES"
    assert row.birth_date == dt.date(2015, 2, 1)

    chosen = read_legacy(tmp_path / "tabs.xlsx", sheet="Old", as_of=AS_OF)
    assert (chosen.sheet, chosen.rows) == ("Old", [])
    with pytest.raises(ReadError, match="has no sheet 'Nope'"):
        read_legacy(tmp_path / "tabs.xlsx", sheet="Nope")


# --- csv ------------------------------------------------------------------------------------


def test_cp1252_csv_with_semicolons(tmp_path: Path) -> None:
    text = (
        "Clinic list;;;\r\n"
        "NHS Number;Name;DOB;Notes\r\n"
        "999 743 0816;Zoë BRONTË;01/02/2015;owes £5 for café\r\n"
        ";;;\r\n"
        "Total;1;;\r\n"
    )
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode("cp1252"))
    legacy = read_legacy(path, as_of=AS_OF)
    assert (legacy.sheet, legacy.header_row) == ("list.csv", 2)
    (row,) = legacy.rows
    assert row.source_row == 3
    assert (row.given_name, row.family_name) == ("Zoë", "Brontë")
    assert row.notes == "owes £5 for café"
    assert row.birth_date == dt.date(2015, 2, 1)
    assert [entry.source_row for entry in legacy.skipped] == [1, 4, 5]


def test_utf8_csv_with_bom_and_excel_serials(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Surname,Forename,D.O.B,Date received\n"
        f"Shah,Leo,{serial(dt.date(2016, 3, 10))},9.99887E+09\n"
        "Khan,Zoë,10/03/2016,\n",
        encoding="utf-8-sig",
    )
    legacy = read_legacy(path, as_of=AS_OF)
    assert legacy.columns[0].header == "Surname"  # no BOM in the header
    shah, khan = legacy.rows
    assert shah.birth_date == dt.date(2016, 3, 10)
    assert [str(p) for p in shah.problems] == [
        "row 2, column 'Date received': '9.99887E+09' is not a date in a form Clearway "
        "reads (use dd/mm/yyyy)"
    ]
    assert khan.given_name == "Zoë"


# --- mappings -------------------------------------------------------------------------------


def test_mapping_overrides_header_words(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Child,Born,Ref,Info,Unit\nAmy JONES,01/02/2015,03/04/2020,hello,U1\n",
        encoding="utf-8",
    )
    with pytest.raises(ReadError, match="no header row found"):
        read_legacy(path, as_of=AS_OF)

    mapping = {
        "Born": "birth_date",
        "ref": "referral_date",
        "Info": "ignore",
        "Unit": "hospital_number",
    }
    legacy = read_legacy(path, mapping=mapping, as_of=AS_OF)
    how = {column.header: (column.field, column.how) for column in legacy.columns}
    assert how == {
        "Child": ("name", "header word"),
        "Born": ("birth_date", "mapping"),
        "Ref": ("referral_date", "mapping"),
        "Info": (None, "mapping"),
        "Unit": ("hospital_number", "mapping"),
    }
    (row,) = legacy.rows
    assert (row.birth_date, row.referral_date) == (dt.date(2015, 2, 1), dt.date(2020, 4, 3))
    assert (row.notes, row.raw["Info"], row.hospital_number) == ("", "hello", "U1")

    toml = tmp_path / "mapping.toml"
    toml.write_text('[columns]\nBorn = "birth_date"\nRef = "referral_date"\n', encoding="utf-8")
    assert load_mapping(toml) == {"born": "birth_date", "ref": "referral_date"}
    from_toml = read_legacy(path, mapping=toml, as_of=AS_OF)
    assert from_toml.rows[0].birth_date == dt.date(2015, 2, 1)

    as_json = tmp_path / "mapping.json"
    as_json.write_text(json.dumps({"Born": "birth_date", "Child": "name", "Gone": "notes"}))
    from_json = read_legacy(path, mapping=as_json, as_of=AS_OF)
    assert [str(p) for p in from_json.problems] == [
        "the mapping names a column 'gone' that the header row does not have"
    ]


def test_mapping_to_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("NHS Number,Name\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'shoe_size', which is not a field"):
        read_legacy(path, mapping={"Name": "shoe_size"})
    assert "nhs_number" in FIELDS


def test_second_column_for_a_field_is_kept_but_not_read(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("NHS No,Name,Notes,Comments\n9997430816,Amy Lee,a,b\n", encoding="utf-8")
    legacy = read_legacy(path, as_of=AS_OF)
    comments = legacy.columns[3]
    assert (comments.field, comments.note) == (
        None,
        "also looks like notes, already read from column 'Notes'",
    )
    assert legacy.rows[0].notes == "a"
    assert legacy.rows[0].raw["Comments"] == "b"


# --- files that cannot be read --------------------------------------------------------------


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"^nope\.xlsx: file not found"):
        read_legacy(tmp_path / "nope.xlsx")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ReadError, match=r"^empty\.csv: the file is empty$"):
        read_legacy(tmp_path / "empty.csv")
    (tmp_path / "list.pdf").write_bytes(b"%PDF")
    with pytest.raises(ReadError, match="not a file Clearway reads"):
        read_legacy(tmp_path / "list.pdf")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip at all")
    with pytest.raises(ReadError, match=r"^fake\.xlsx: cannot be read as a spreadsheet"):
        read_legacy(tmp_path / "fake.xlsx")
    (tmp_path / "big.csv").write_text("NHS Number,Name\n" * 100, encoding="utf-8")
    with pytest.raises(ReadError, match="more than the"):
        read_legacy(tmp_path / "big.csv", max_bytes=1000)
    write_xlsx(tmp_path / "words.xlsx", [["Shopping"], ["eggs", "milk"]])
    with pytest.raises(ReadError, match="no header row found"):
        read_legacy(tmp_path / "words.xlsx")


def test_the_engine_imports_without_django() -> None:
    code = (
        "import sys, clearway.validation.readers, clearway.validation.normalise; "
        "sys.exit('django' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
