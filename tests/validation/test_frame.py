"""Legacy lists as Arrow tables: the fast csv path gives exactly what read_legacy gives."""

import csv
import datetime as dt
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearway.validation import frame
from clearway.validation.engine import legacy_schema
from clearway.validation.frame import (
    LEGACY_SCHEMA,
    LegacyTable,
    legacy_table,
    read_legacy_table,
)
from clearway.validation.readers import ReadError, read_legacy

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
AS_OF = dt.date(2021, 5, 3)


def same_as_read_legacy(path: Path, **options: object) -> LegacyTable:
    """Read ``path`` both ways, check the results agree, and return the fast one."""
    fast = read_legacy_table(path, as_of=AS_OF, **options)  # type: ignore[arg-type]
    legacy = read_legacy(path, as_of=AS_OF, **options)  # type: ignore[arg-type]
    want = legacy_table(legacy)
    assert fast.table.schema == LEGACY_SCHEMA
    assert fast.table.to_pylist() == want.to_pylist()
    assert fast.table.equals(want)
    assert fast.skipped == legacy.skipped
    assert (fast.source, fast.sheet, fast.header_row) == (
        legacy.source,
        legacy.sheet,
        legacy.header_row,
    )
    assert fast.columns == legacy.columns
    assert fast.problem_count == len(legacy.problems)
    return fast


def same_refusal(path: Path, **options: object) -> str:
    """Check both ways refuse ``path`` with the same message, and return it."""
    with pytest.raises(ReadError) as reference:
        read_legacy(path, as_of=AS_OF, **options)  # type: ignore[arg-type]
    with pytest.raises(ReadError) as fast:
        read_legacy_table(path, as_of=AS_OF, **options)  # type: ignore[arg-type]
    assert str(fast.value) == str(reference.value)
    return str(fast.value)


def same_either_way(path: Path) -> None:
    """Same table, or the same refusal (a generated file may have no header row)."""
    try:
        read_legacy(path, as_of=AS_OF)
    except ReadError:
        same_refusal(path)
    else:
        same_as_read_legacy(path)


def write_csv(path: Path, rows: Sequence[Sequence[str]], **format: str) -> Path:
    with path.open("w", encoding=format.pop("encoding", "utf-8"), newline="") as file:
        csv.writer(file, **format).writerows(rows)  # type: ignore[arg-type]
    return path


def rows_of(table: pa.Table) -> dict[int, dict[str, object]]:
    return {row["source_row"]: row for row in table.to_pylist()}


def test_the_schema_is_the_engines() -> None:
    assert legacy_schema() == LEGACY_SCHEMA


# --- the sample spreadsheet: the reference path ---------------------------------------------


def test_sample_spreadsheet() -> None:
    progress: list[tuple[str, int, int]] = []
    sample = read_legacy_table(
        SAMPLES / "legacy_ptl.xlsx", as_of=AS_OF, progress=lambda *step: progress.append(step)
    )
    assert sample.table.num_rows == 80
    with (SAMPLES / "truth.csv").open(encoding="utf-8") as file:
        truth_rows = [int(row["source_row"]) for row in csv.DictReader(file)]
    assert sample.table.column("source_row").to_pylist() == truth_rows
    assert set(sample.table.column("source_sheet").to_pylist()) == {"Waiting List"}
    legacy = read_legacy(SAMPLES / "legacy_ptl.xlsx", as_of=AS_OF)
    assert sample.table.equals(legacy_table(legacy))
    assert (sample.sheet, sample.header_row, sample.skipped) == ("Waiting List", 1, legacy.skipped)
    assert sample.problem_count == len(legacy.problems)
    assert progress[-1] == ("reading the list", 5, 5)


# --- hand-written messy csv files -----------------------------------------------------------

MESSY = '''\
SCD waiting list - all sites,,,,,,
Updated 3/5/21 by JS,,,,,,

NHS Number,Surname,Forename,Date of Birth,Referral Received,Hosp No,Notes
999 743 0816,SMITH,jane,01/06/2015,03/02/2021,rx9,"seen twice
letter sent"
9997597516.0,O'NEILL,Tom,5.1.12,2020-11-30, RX 12 ,
TBC,Lee,Amy,31/02/2016,3 May 2021,N/K,"said ""soon"""
9997430817,Khan,Leo,42000,,,
   ,,, ,,,

NHS Number,Surname,Forename,Date of Birth,Referral Received,Hosp No,Notes
999-815-1414,Shah,Zoë,10/03/2016,01/01/2016,,before birth
9997781902,Reid,Evie,2030-03-01,2030-02-01,,future
"9990143919",,,,,,
,,,,,,
Total: 7,,,,,,
,,,,,,
'''


def test_messy_csv(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(MESSY, encoding="utf-8")
    table = same_as_read_legacy(path)
    assert table.header_row == 4
    assert [(entry.source_row, entry.why) for entry in table.skipped] == [
        (1, "title row above the header: 'SCD waiting list - all sites'"),
        (2, "title row above the header: 'Updated 3/5/21 by JS'"),
        (3, "blank row"),
        (9, "blank row"),  # spaces only
        (10, "blank row"),
        (11, "the header row, repeated"),
        (15, "blank row"),
        (16, "footer row: 'Total: 7'"),
    ]  # row 17, blank and last, is dropped as read_legacy drops it
    rows = rows_of(table.table)
    assert sorted(rows) == [5, 6, 7, 8, 12, 13, 14]  # the quoted newline stays in row 5
    jane, tom, amy, leo, zoe, evie, alone = (rows[n] for n in sorted(rows))
    assert (jane["nhs_number"], jane["hospital_number"]) == ("9997430816", "RX9")
    assert (jane["given_name"], jane["family_name"]) == ("Jane", "Smith")
    assert (jane["birth_date"], jane["referral_date"]) == (dt.date(2015, 6, 1), dt.date(2021, 2, 3))
    assert jane["referral_date_problem"] is None
    assert (tom["nhs_number"], tom["hospital_number"]) == ("9997597516", "RX 12")
    assert (tom["family_name"], tom["birth_date"]) == ("O'Neill", dt.date(2012, 1, 5))
    assert (amy["nhs_number"], amy["nhs_number_problem"], amy["hospital_number"]) == (
        None,
        None,
        None,
    )
    assert amy["birth_date"] is None
    assert amy["referral_date"] == dt.date(2021, 5, 3)
    assert leo["nhs_number_problem"] == (
        "'9997430817' is not a valid NHS number: its check digit is wrong"
    )
    assert leo["birth_date"] == dt.date(2014, 12, 27)  # an Excel serial number
    assert leo["referral_date_problem"] == "no referral date"
    assert zoe["referral_date_problem"] == (
        "referral date 1 January 2016 is before the birth date 10 March 2016"
    )
    assert evie["referral_date_problem"] == (
        "1 February 2030 is after the as-of date, 3 May 2021; "
        "referral date 1 February 2030 is before the birth date 1 March 2030"
    )
    assert alone["nhs_number"] == "9990143919"


def test_windows_1252_semicolons_and_one_name_column(tmp_path: Path) -> None:
    text = (
        "Clinic list;;;;\r\n"
        "NHS No.;Patient Name;D.O.B;Date Ref Rec'd;Comments\r\n"
        "999 743 0816;BRONTË, Zoë;1.2.15;12/01/21;owes £5 for café\r\n"
        "9997597516;Tom O'NEILL;05/01/2012;42300;\r\n"
        "9998151414;Lee;;03-May-21;one name\r\n"
        "9997781902;  mary-jane VAN DER BERG ;1/1/16;2021-13-01;\r\n"
        ";;;;\r\n"
        "Total;4;;;\r\n"
    )
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode("cp1252"))
    table = same_as_read_legacy(path)
    rows = rows_of(table.table)
    assert (rows[3]["given_name"], rows[3]["family_name"]) == ("Zoë", "Brontë")
    assert rows[3]["birth_date"] == dt.date(2015, 2, 1)
    assert (rows[4]["given_name"], rows[4]["family_name"]) == ("Tom", "O'Neill")
    assert (rows[5]["given_name"], rows[5]["family_name"]) == (None, "Lee")
    assert (rows[6]["given_name"], rows[6]["family_name"]) == ("Mary-Jane", "van der Berg")
    assert rows[6]["referral_date_problem"] == "'2021-13-01' is not a real date"
    assert table.problem_count == 2  # "Lee" has one name; 2021-13-01 is not a date


def test_rows_with_more_or_fewer_cells(tmp_path: Path) -> None:
    text = (
        "NHS Number,Name,DOB,Referral date\n"
        "9997430816,Amy Lee,01/02/2015,03/04/2020\n"
        "9997597516,Tom Ali\n"  # short
        "9998151414,Eve Cole,01/02/2016,03/04/2020,extra,cells\n"  # long
        ",,,,,,,only an extra cell\n"
        "\n"
        "9997781902,Ben Ray,1/1/16,2/2/20\n"
        'Total,"4"\n'
        ",,\n"
    )
    path = tmp_path / "ragged.csv"
    path.write_text(text, encoding="utf-8")
    table = same_as_read_legacy(path)
    assert table.table.column("source_row").to_pylist() == [2, 3, 4, 5, 7]
    assert [entry.source_row for entry in table.skipped] == [6, 8]


def test_header_repeated_in_other_words(tmp_path: Path) -> None:
    rows = [
        ["NHS Number", "Surname", "Forename", "Date of Birth"],
        ["9997430816", "Lee", "Amy", "01/02/2015"],
        ["(N.H.S. number)", " SURNAME ", "", ""],  # two cells read as their header
        ["nhs-number", "Sur-name", "fore name", "date of birth"],
        ["NHS Number", "Smith", "Ann", "ß"],  # one cell only: a child's row
        ["ﬁ", "İ", "Surname", "NHS Number"],  # header words, but not in their columns
    ]
    table = same_as_read_legacy(write_csv(tmp_path / "again.csv", rows))
    assert [(entry.source_row, entry.why) for entry in table.skipped] == [
        (3, "the header row, repeated"),
        (4, "the header row, repeated"),
    ]


def test_quoted_line_breaks(tmp_path: Path) -> None:
    rows = [["NHS Number", "Name", "Notes"]]
    rows += [["9997430816", f"Amy Lee{n}", "one\r\ntwo\rthree\n" * (n % 3)] for n in range(40)]
    rows += [["Total", "40"]]
    path = write_csv(tmp_path / "notes.csv", rows)
    table = same_as_read_legacy(path)
    assert table.table.column("source_row").to_pylist() == list(range(2, 42))


def test_whitespace_is_what_str_strip_strips() -> None:
    spaces = "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())
    assert spaces == frame._WHITESPACE


def test_mapping_header_row_and_tabs(tmp_path: Path) -> None:
    rows = [
        ["Child", "Born", "Ref", "Info", "Unit"],
        ["Amy JONES", "01/02/2015", "03/04/2020", "hello", "u1"],
        ["Ben Ali", "02/02/2015", "", "", "TBC"],
    ]
    path = write_csv(tmp_path / "list.tsv", rows, delimiter="\t")
    mapping = {"Born": "birth_date", "Ref": "referral_date", "Info": "ignore"}
    mapping |= {"Unit": "hospital_number", "Gone": "notes"}
    table = same_as_read_legacy(path, mapping=mapping, header_row=1)
    assert table.table.column("hospital_number").to_pylist() == ["U1", None]
    assert table.problem_count == 1  # the mapping names a column 'Gone' the file lacks
    same_as_read_legacy(path, mapping=mapping, header_row=2)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    def refused(text: str, **options: object) -> str:
        path = tmp_path / "refused.csv"
        path.write_text(text, encoding="utf-8")
        return same_refusal(path, **options)

    assert refused("") == "refused.csv: the file is empty"
    assert "no header row found" in refused("eggs,milk\nbread,jam\n")
    assert "has no data" in refused(",,\n\n , \n")
    assert "has no row 3" in refused("NHS Number,Name\n\n\n", header_row=3)
    too_long = "x" * 200_000
    assert "field larger than field limit" in refused(f'NHS Number,Name\n1,"{too_long}"\n')
    far_down = "NHS Number,Name\n" + "1,a\n" * 200 + f'2,"{too_long}"\n'
    assert "field larger than field limit" in refused(far_down)
    (tmp_path / "list.pdf").write_bytes(b"%PDF")
    with pytest.raises(ReadError, match="not a file Clearway reads"):
        read_legacy_table(tmp_path / "list.pdf")


# --- generated files ------------------------------------------------------------------------

HEADERS = ["NHS Number", "Surname", "Forename", "Name", "DOB", "Referral date", "Hosp No"]
HEADERS += ["Notes", "Consent", "School report", "Panel date"]
CELLS = [
    *("999 743 0816", "9997430816", "9997430816.0", "999-759-7516", "9997430817"),
    *("0101011234", "4000000004", "9.99743E+09", "TBC", "N/K", "unknown", "n/a"),
    *("999 743 081", "1-2", "-", "0123", "99974308160.0", "0101011234.00", "999\t743\t0816"),
    *("01/02/2015", "1.2.15", "2015-02-01", "42000", "31/02/2016", "03-May-21"),
    *("2030-01-01", "01/02/0000", "12/2016", "3/5/21"),
    *("SMITH, Jane", "Tom O'NEILL", "amy", "Lee", "Zoë BRONTË", "Mary-Jane VAN DER BERG"),
    *("rx9", "RX 12", "ß", "İ", "ﬁ", "y", "chased 3/2", "rec'd?", "no", "Received"),
    *("Total", "Total: 5", "grand total", "End of list", "Number of children"),
    *("NHS Number", "nhs-number", "N.H.S. No", "(surname)", "SURNAME", "Date of birth"),
    *("", "", "", " ", "\u00a0", "\t", "a\nb", "x\r\ny", '"', "a,b", "c;d", "\x1c"),
]


@st.composite
def csv_lists(draw: st.DrawFn) -> str:
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=2, max_size=6, unique=True))
    width = len(header)
    cell = st.sampled_from(CELLS) | st.text(max_size=4)
    row = st.lists(cell, min_size=width, max_size=width) | st.lists(cell, max_size=width + 2)
    rows = draw(st.lists(row | st.just(header) | st.just([]), max_size=12))
    titles = draw(st.lists(st.sampled_from([["SCD list"], [], ["", "", "Updated"]]), max_size=2))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=ending)
    if draw(st.booleans()):
        writer = csv.writer(out, delimiter=delimiter, lineterminator=ending, quoting=csv.QUOTE_ALL)
    writer.writerows([*titles, header, *rows])
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=csv_lists(), encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_generated_lists(
    tmp_path_factory: pytest.TempPathFactory, text: str, encoding: str
) -> None:
    path = tmp_path_factory.mktemp("generated") / "list.csv"
    path.write_bytes(text.encode(encoding))
    same_either_way(path)


@settings(max_examples=150, deadline=None)
@given(
    body=st.lists(st.sampled_from([*'ab1,;"\n\r \t/é', "Total", "999 743 0816"])).map("".join),
    header=st.sampled_from(["NHS Number,Name,DOB", "Surname;Forename;DOB;Notes"]),
)
def test_any_text_below_the_header(
    tmp_path_factory: pytest.TempPathFactory, body: str, header: str
) -> None:
    """Quotes in odd places, ragged rows, bare carriage returns: split as csv splits them."""
    path = tmp_path_factory.mktemp("text") / "list.csv"
    path.write_text(header + "\n" + body, encoding="utf-8", newline="")
    same_either_way(path)
