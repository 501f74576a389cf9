"""The synthetic list generator: deterministic, readable, labelled, every trap set."""

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from nhs_number import is_valid

from clearway.validation.readers import LegacyList, LegacyRow, read_legacy
from clearway.validation.synthetic import (
    HOSPITAL_TRAPS,
    LAYOUTS,
    MIN_CHILDREN,
    PANEL_CLINIC,
    TRAPS,
    TRUTHS,
    Entry,
    Event,
    Generated,
    Person,
    Row,
    Story,
    generate,
    label,
    layout_named,
)

AS_OF = dt.date(2021, 5, 3)
ROOT = Path(__file__).resolve().parents[2]

# (seed, layout, as-of date): every named layout and a few made up from the seed.
CASES = [
    (1, "xlsx", AS_OF),
    (2, "xlsx_single_name", AS_OF),
    (3, "csv", AS_OF),
    (4, "csv_cp1252", dt.date(2024, 11, 30)),
    (5, None, AS_OF),
    (6, None, dt.date(2023, 2, 14)),
    (9, None, AS_OF),
    (10, None, AS_OF),
]


def _id(case: tuple[int, str | None, dt.date]) -> str:
    return f"seed{case[0]}-{case[1] or 'random'}"


class Written:
    """A generated case on disk, and its list as the reader reads it."""

    def __init__(self, generated: Generated, directory: Path) -> None:
        self.generated = generated
        self.legacy_path, self.pas_path, self.truth_path = generated.write(directory)
        self.legacy: LegacyList = read_legacy(self.legacy_path, as_of=generated.as_of)
        self.read: dict[int, LegacyRow] = {row.source_row: row for row in self.legacy.rows}


@pytest.fixture(scope="module", params=CASES, ids=_id)
def written(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Written:
    seed, layout, as_of = request.param
    generated = generate(seed, children=150, as_of=as_of, layout=layout)
    return Written(generated, tmp_path_factory.mktemp(_id(request.param)))


def _pas(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _by_trap(generated: Generated) -> dict[str, list[Row]]:
    rows: dict[str, list[Row]] = defaultdict(list)
    for row in generated.rows:
        rows[row.trap].append(row)
    return rows


# --- deterministic --------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    for layout in (*LAYOUTS, None):
        first = generate(7, children=60, as_of=AS_OF, layout=layout)
        again = generate(7, children=60, as_of=AS_OF, layout=layout)
        assert first.fingerprint() == again.fingerprint()
        assert (
            first.fingerprint()
            != generate(8, children=60, as_of=AS_OF, layout=layout).fingerprint()
        )

    # Written twice, text files are byte for byte the same (xlsx files carry a timestamp).
    one = generate(7, children=60, as_of=AS_OF, layout="csv_cp1252").write(tmp_path / "one")
    two = generate(7, children=60, as_of=AS_OF, layout="csv_cp1252").write(tmp_path / "two")
    for path_one, path_two in zip(one, two, strict=True):
        assert path_one.read_bytes() == path_two.read_bytes()


def test_the_same_seed_gives_the_same_files_in_another_process() -> None:
    # Nothing may depend on set order, which changes with PYTHONHASHSEED.
    code = (
        "import datetime as dt; from clearway.validation.synthetic import generate; "
        "print(generate(11, children=60, as_of=dt.date(2021, 5, 3)).fingerprint())"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert prints == {generate(11, children=60, as_of=AS_OF).fingerprint()}


# --- the files ------------------------------------------------------------------------------


def test_every_list_row_has_a_truth_row_and_is_read(written: Written) -> None:
    generated = written.generated
    with written.truth_path.open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    assert [int(line["source_row"]) for line in truth] == [row.source_row for row in generated.rows]
    assert {line["truth"] for line in truth} <= set(TRUTHS)
    # Every data row the reader finds is a truth row, and every truth row is read.
    assert set(written.read) == {row.source_row for row in generated.rows}
    if generated.layout.file_format == "xlsx":  # past any cover sheet
        assert written.legacy.sheet == generated.sheet_name


def test_cells_read_back_as_written(written: Written) -> None:
    """The reader sees each row as the story wrote it: a check on the generator's cells."""
    hospital_column = written.generated.layout.hospital_numbers
    for row in written.generated.rows:
        entry, read = row.entry, written.read[row.source_row]
        nhs = entry.nhs_number
        assert read.nhs_number == (nhs if nhs and is_valid(nhs) else None), row
        assert read.name is not None
        assert (read.given_name or "").casefold() == entry.given.casefold(), row
        assert (read.family_name or "").casefold() == entry.family.casefold(), row
        assert read.birth_date == entry.birth_date, row
        written_referral = entry.referral_written
        assert read.referral_date == (
            written_referral if isinstance(written_referral, dt.date) else None
        ), row
        hospital = (read.hospital_number or "").strip().upper() or None
        assert hospital == (entry.hospital_number if hospital_column else None), row


def test_header_words_and_where_the_header_is(written: Written) -> None:
    layout, legacy = written.generated.layout, written.legacy
    for field, header in layout.headers.items():
        column = legacy.column_for(field)
        assert column is not None, f"{header!r} was not read as {field}"
        assert column.header == header
    assert legacy.header_row == len(layout.title_rows) + layout.blank_rows_above_header + 1


def test_the_layouts_vary_what_the_sample_does_not() -> None:
    layouts = [layout_named(name) for name in LAYOUTS] + [
        generate(seed, children=MIN_CHILDREN, as_of=AS_OF).layout for seed in range(20)
    ]
    assert {layout.file_format for layout in layouts} == {"xlsx", "csv"}
    assert {layout.encoding for layout in layouts} >= {"utf-8", "utf-8-sig", "cp1252"}
    assert {layout.name_style for layout in layouts} == {
        "two",
        "family_comma_given",
        "given_family",
        "given_FAMILY",
        "FAMILY_given",
    }
    assert any(layout.title_rows for layout in layouts)
    assert any(layout.hospital_numbers for layout in layouts)
    assert any(not layout.hospital_numbers for layout in layouts)
    assert any(layout.columns[0] == "" for layout in layouts)
    assert any(layout.cover_sheet for layout in layouts)
    headers = {header for layout in layouts for header in layout.headers.values()}
    assert {"NHS No.", "Hosp No", "D.O.B", "Date Ref Rec'd", "Patient Name", "Child's name"} <= (
        headers
    )
    assert "Unit No" in headers


def test_cell_styles_in_the_files(tmp_path: Path) -> None:
    xlsx = generate(1, children=150, as_of=AS_OF, layout="xlsx")
    cells = [cell for row in xlsx.grid for cell in row]
    assert any(isinstance(cell, dt.date) for cell in cells)  # date cells
    assert any(type(cell) is int and 30000 < cell < 60000 for cell in cells)  # Excel serials
    assert any(isinstance(cell, float) and cell > 9e9 for cell in cells)  # NHS numbers as floats
    assert any(isinstance(cell, str) and re.fullmatch(r"\d+\.\d+\.\d\d", cell) for cell in cells)
    assert any(
        isinstance(cell, str) and cell.count("-") == 2 and cell[:3] == "999" for cell in cells
    )
    assert any(cell in ("N/K", "TBC", "awaiting", "unknown") for cell in cells)

    plain = generate(3, children=150, as_of=AS_OF, layout="csv")
    text = [cell for row in plain.grid for cell in row if isinstance(cell, str)]
    assert any(cell.endswith("E+09") for cell in text)  # scientific notation
    assert any(cell.startswith("999") and cell.endswith(".0") for cell in text)

    legacy, _, _ = generate(4, children=150, as_of=AS_OF, layout="csv_cp1252").write(tmp_path)
    with pytest.raises(UnicodeDecodeError):
        legacy.read_bytes().decode("utf-8")
    legacy.read_bytes().decode("cp1252")


def test_nhs_numbers_are_valid_and_in_the_999_range(written: Written) -> None:
    pas = _pas(written.pas_path)
    assert pas
    for line in pas:
        assert is_valid(line["nhs_number"]) and line["nhs_number"].startswith("999"), line
    for row in written.generated.rows:
        nhs = row.entry.nhs_number
        if nhs is None:
            continue
        assert nhs.startswith("999"), row
        if not is_valid(nhs):
            assert row.trap == "nhs_number_mistyped", row
    read = [row.nhs_number for row in written.legacy.rows if row.nhs_number]
    assert read and all(number.startswith("999") and is_valid(number) for number in read)


def test_the_pas_extract_is_canonical(written: Written) -> None:
    with written.pas_path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == [
        "pas_id",
        "nhs_number",
        "family_name",
        "given_name",
        "birth_date",
        "event",
        "event_date",
        "clinic",
    ]
    events = {"referral", "attended", "was_not_brought", "cancelled", "discharged", "deceased"}
    people: dict[str, tuple[str, str, str, str]] = {}
    for line in _pas(written.pas_path):
        assert line["event"] in events
        dt.date.fromisoformat(line["birth_date"])
        dt.date.fromisoformat(line["event_date"])
        who = (line["nhs_number"], line["family_name"], line["given_name"], line["birth_date"])
        assert people.setdefault(line["pas_id"], who) == who, "one person per pas_id"
    assert len({who[0] for who in people.values()}) == len(people), "one NHS number per person"


# --- the truth ------------------------------------------------------------------------------


def _story(events: list[Event], referral: dt.date, **entry: object) -> tuple[Story, Entry]:
    person = Person("RX1000001", "9990000018", "Ava", "Smith", dt.date(2015, 3, 4))
    plain = Entry("Ava", "Smith", person.birth_date, person.nhs_number, None, referral, referral)
    written = replace(plain, **entry)  # type: ignore[arg-type]
    return Story("plain", person, True, tuple(events), (written,)), written


def test_label_follows_the_rules() -> None:
    referral = dt.date(2020, 6, 1)

    def truth(*events: tuple[str, dt.date, str], **entry: object) -> str:
        story, written = _story([Event(*event) for event in events], referral, **entry)
        return label(story, written, as_of=AS_OF)

    panel, before, after, late = PANEL_CLINIC, dt.date(2020, 1, 5), dt.date(2020, 9, 1), AS_OF
    assert truth() == "waiting"
    assert truth(("attended", after, panel)) == "seen"
    assert truth(("attended", referral, panel)) == "seen"  # on the referral day counts
    assert truth(("attended", late, panel)) == "seen"  # on the as-of date counts
    assert truth(("attended", late + dt.timedelta(days=1), panel)) == "waiting"
    assert truth(("attended", before, panel)) == "waiting"  # an earlier episode
    assert truth(("attended", after, "General Paediatrics")) == "waiting"
    assert truth(("was_not_brought", after, panel), ("cancelled", after, panel)) == "waiting"
    assert truth(("discharged", after, "SCD")) == "discharged"
    assert truth(("discharged", before, "SCD")) == "waiting"  # closed before this referral
    assert truth(("attended", after, panel), ("discharged", after, "SCD")) == "seen"
    assert truth(("attended", after, panel), ("deceased", after, "")) == "deceased"
    assert truth(("deceased", before, "")) == "deceased"  # death wins over everything
    assert truth(("attended", after, panel), duplicate_of=0) == "duplicate"
    assert truth(("attended", after, panel), identifiable=False) == "unmatched"


def test_each_trap_occurs_with_its_truth(written: Written) -> None:
    generated = written.generated
    expected = set(TRAPS) - (set() if generated.layout.hospital_numbers else set(HOSPITAL_TRAPS))
    traps = _by_trap(generated)
    assert set(traps) == expected

    truths = {trap: {row.truth for row in rows} for trap, rows in traps.items()}
    for trap in ("nhs_number_of_other", "namesakes_same_birth_date", "not_in_pas"):
        assert truths[trap] == {"unmatched"}, trap
    if generated.layout.hospital_numbers:
        assert truths["hospital_number_of_other"] == {"unmatched"}
    for trap in (
        "namesakes",
        "namesake_seen",
        "was_not_brought",
        "cancelled",
        "other_clinic",
        "attended_after_as_of",
        "seen_before_re_referral",
    ):
        assert truths[trap] == {"waiting"}, trap
    assert truths["deceased_only"] == truths["deceased_after_events"] == {"deceased"}
    assert truths["was_not_brought_then_discharged"] == {"discharged"}
    assert set(generated.truth_counts()) == set(TRUTHS)


def test_duplicates_and_re_referrals(written: Written) -> None:
    traps = _by_trap(written.generated)
    for trap in ("duplicate_exact", "duplicate_later_referral"):
        rows = traps[trap]
        originals = {row.source_row: row for row in rows if row.truth != "duplicate"}
        duplicates = [row for row in rows if row.truth == "duplicate"]
        assert duplicates and len(duplicates) == len(originals)
        for duplicate in duplicates:
            assert duplicate.duplicate_of_row is not None
            original = originals[duplicate.duplicate_of_row]
            assert original.source_row < duplicate.source_row
            assert original.group == duplicate.group and original.pas_id == duplicate.pas_id
            shift = (duplicate.entry.referral_date - original.entry.referral_date).days
            assert shift == 0 if trap == "duplicate_exact" else 1 <= shift <= 14
    rows = traps["re_referral_two_rows"]
    by_group: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_group[row.group].append(row)
    for earlier, later in by_group.values():
        assert earlier.truth in ("seen", "discharged") and later.truth == "waiting"
        assert later.duplicate_of_row is None
        closed = max(e.date for e in earlier.story.events if e.event in ("attended", "discharged"))
        assert earlier.entry.referral_date < closed < later.entry.referral_date


def test_identifier_traps_are_what_they_say(written: Written) -> None:
    generated, traps = written.generated, _by_trap(written.generated)
    pas = _pas(written.pas_path)
    by_nhs = {line["nhs_number"]: line for line in pas}
    by_name: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for line in pas:
        by_name[line["given_name"], line["family_name"]].add((line["pas_id"], line["birth_date"]))

    for row in traps["name_typo"]:
        person = row.story.person
        assert (row.entry.given, row.entry.family) != (person.given, person.family)
        assert row.entry.birth_date == person.birth_date
    for row in traps["birth_date_swapped"]:
        born = row.story.person.birth_date
        assert row.entry.birth_date == dt.date(born.year, born.day, born.month) != born
    for row in traps["nhs_number_mistyped"]:
        assert row.entry.nhs_number and not is_valid(row.entry.nhs_number)
        assert row.entry.birth_date == row.story.person.birth_date
    for row in traps["nhs_number_of_other"]:
        assert row.entry.nhs_number and is_valid(row.entry.nhs_number)
        owner = by_nhs[row.entry.nhs_number]
        assert owner["given_name"] != row.entry.given or owner["birth_date"] != str(
            row.entry.birth_date
        )
    for row in traps["namesakes_same_birth_date"]:
        person = row.story.person
        twins = by_name[person.given, person.family.upper()]
        assert len(twins) == 2 and {born for _, born in twins} == {str(person.birth_date)}
        assert row.entry.nhs_number is None and row.entry.hospital_number is None
    for row in traps["namesake_seen"]:
        person = row.story.person
        assert len(by_name[person.given, person.family.upper()]) == 2
        assert row.entry.nhs_number is None
    namesakes = traps["namesakes"]
    assert len({row.pas_id for row in namesakes}) == len(namesakes)
    assert len({(row.entry.given, row.entry.family) for row in namesakes}) == len(namesakes) // 2
    for row in traps["not_in_pas"]:
        assert row.story.person.pas_id not in {line["pas_id"] for line in pas}
        assert row.entry.nhs_number is None or row.entry.nhs_number not in by_nhs
    for row in traps["referral_date_missing"]:
        assert written.read[row.source_row].referral_date is None
        assert any(
            e.event == "referral" and e.date == row.entry.referral_date for e in row.story.events
        )
    if generated.layout.hospital_numbers:
        for row in traps["hospital_number_only"]:
            assert row.entry.hospital_number == row.story.person.pas_id
            assert row.entry.nhs_number is None
        for row in traps["hospital_number_of_other"]:
            assert row.entry.hospital_number not in (None, row.story.person.pas_id)


def test_no_two_people_are_confusable_except_by_design(written: Written) -> None:
    """Typos and swapped birth dates never make a child look like someone else: no two
    people share a family name, or a given name, with a birth date that is the same either
    way round -- except the namesakes with one birth date that a trap sets on purpose."""
    people: dict[str, tuple[str, str, dt.date]] = {}
    for line in _pas(written.pas_path):
        born = dt.date.fromisoformat(line["birth_date"])
        people[line["pas_id"]] = (line["given_name"], line["family_name"].casefold(), born)
    for story in written.generated.stories:
        person = story.person
        people[person.pas_id] = (person.given, person.family.casefold(), person.birth_date)
    sharing: dict[tuple[str, int, int, int], set[str]] = defaultdict(set)
    for pas_id, (given, family, born) in people.items():
        day_month = (born.year, min(born.day, born.month), max(born.day, born.month))
        sharing["given " + given, *day_month].add(pas_id)
        sharing["family " + family, *day_month].add(pas_id)
    on_purpose = [
        {row.story.person.pas_id, *(other.pas_id for other, _ in row.story.others)}
        for row in written.generated.rows
        if row.trap == "namesakes_same_birth_date"
    ]
    for key, pas_ids in sharing.items():
        assert len(pas_ids) == 1 or pas_ids in on_purpose, (key, pas_ids)


# --- sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("children", [MIN_CHILDREN, 50, 2000])
def test_sizes(children: int, tmp_path: Path) -> None:
    generated = generate(21, children=children, as_of=AS_OF, layout="xlsx_single_name")
    assert len({row.group for row in generated.rows}) == children
    assert generated.traps() == set(TRAPS)
    legacy_path, _, _ = generated.write(tmp_path)
    legacy = read_legacy(legacy_path, as_of=AS_OF)
    assert [row.source_row for row in legacy.rows] == [row.source_row for row in generated.rows]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(1, children=MIN_CHILDREN - 1, as_of=AS_OF)
    with pytest.raises(ValueError, match="no layout"):
        generate(1, as_of=AS_OF, layout="ods")
