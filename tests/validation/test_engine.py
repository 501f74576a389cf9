"""The validation engine: the sample's truth, the rules one by one, and what it refuses."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from clearway.validation.engine import (
    REMOVALS,
    Linkage,
    Proposal,
    Settings,
    legacy_schema,
    read_pas,
    validate,
)
from clearway.validation.frame import legacy_table
from clearway.validation.readers import ReadError, read_legacy

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
AS_OF = dt.date(2021, 5, 3)
D = dt.date.fromisoformat

PAS_HEADER = "pas_id,nhs_number,family_name,given_name,birth_date,event,event_date,clinic"


def sample_truth() -> dict[int, str]:
    with (SAMPLES / "truth.csv").open() as handle:
        return {int(row["source_row"]): row["truth"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def sample_table() -> pa.Table:
    return legacy_table(read_legacy(SAMPLES / "legacy_ptl.xlsx", as_of=AS_OF))


@pytest.mark.parametrize("linkage", ["full", "exact"])
def test_sample_outcomes_match_the_truth(sample_table: pa.Table, linkage: Linkage) -> None:
    result = validate(
        sample_table, SAMPLES / "pas_extract.csv", Settings(as_of=AS_OF, linkage=linkage)
    )
    truth = sample_truth()
    got = {p.source_row: p for p in result.proposals}
    assert set(got) == set(truth)
    for row, want in truth.items():
        proposal = got[row]
        if want in ("waiting", "unmatched"):
            assert proposal.outcome not in REMOVALS, (row, proposal.reason)
        if linkage == "full":
            assert proposal.outcome == ("review" if want == "unmatched" else want), (
                row,
                proposal.reason,
            )
    duplicates = {p.source_row: p.duplicate_of_row for p in got.values() if p.duplicate_of_row}
    assert duplicates == {47: 7, 63: 44, 71: 45}


def test_every_removal_names_its_evidence(sample_table: pa.Table) -> None:
    result = validate(sample_table, SAMPLES / "pas_extract.csv", Settings(as_of=AS_OF))
    for proposal in result.proposals:
        assert proposal.reason
        if proposal.outcome in ("seen", "discharged", "deceased"):
            assert proposal.event_date is not None and proposal.pas_id
            assert proposal.pas_id in proposal.reason
        if proposal.outcome != "review":
            assert proposal.match and proposal.confidence in ("high", "medium")
    seen = next(p for p in result.proposals if p.source_row == 5)
    assert seen.confidence == "high"
    assert seen.reason.startswith("Seen: attended SCD Panel on 3 Jul 2020")


def test_write_gives_one_csv_row_per_legacy_row_and_a_summary(
    sample_table: pa.Table, tmp_path: Path
) -> None:
    result = validate(
        sample_table,
        SAMPLES / "pas_extract.csv",
        Settings(as_of=AS_OF),
        skipped=[{"source_row": 19, "why": "blank row"}],
    )
    csv_path, summary_path = result.write(tmp_path / "out")
    with csv_path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "source_sheet",
        "source_row",
        "outcome",
        "duplicate_of_row",
        "pas_id",
        "nhs_number",
        "reason",
    ]
    assert len(rows) == 80
    summary = result.summary()
    assert summary["rows"] == 80 and sum(summary["outcomes"].values()) == 80
    assert summary["skipped"] == [{"source_row": 19, "why": "blank row"}]
    assert summary["as_of"] == "2021-05-03"
    assert summary_path.read_text().startswith("{")


# --- the rules, one by one, on hand-made records -------------------------------------------


def legacy(*rows: dict[str, Any]) -> pa.Table:
    defaults: dict[str, Any] = {
        "source_sheet": "List",
        "nhs_number": None,
        "nhs_number_problem": None,
        "hospital_number": None,
        "given_name": None,
        "family_name": None,
        "birth_date": None,
        "referral_date": None,
        "referral_date_problem": None,
    }
    return pa.Table.from_pylist(
        [{**defaults, "source_row": n, **row} for n, row in enumerate(rows, start=2)],
        schema=legacy_schema(),
    )


def pas(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "pas.csv"
    path.write_text("\n".join([PAS_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def run(tmp_path: Path, rows: list[dict[str, Any]], *lines: str, **kw: Any) -> list[Proposal]:
    settings = Settings(as_of=kw.pop("as_of", AS_OF), **kw)
    return validate(legacy(*rows), pas(tmp_path, *lines), settings).proposals


AVA = {
    "nhs_number": "9990000018",
    "given_name": "Ava",
    "family_name": "Smith",
    "birth_date": D("2015-03-04"),
    "referral_date": D("2020-01-10"),
}
AVA_PAS = "RX1,9990000018,SMITH,Ava,2015-03-04"


def test_attendance_at_the_panel_after_the_referral_is_seen(tmp_path: Path) -> None:
    [p] = run(tmp_path, [AVA], f"{AVA_PAS},attended,2020-06-01,SCD Panel")
    assert (p.outcome, p.event_date, p.confidence) == ("seen", D("2020-06-01"), "high")


@pytest.mark.parametrize(
    "event",
    [
        "was_not_brought,2020-06-01,SCD Panel",
        "cancelled,2020-06-01,SCD Panel",
        "attended,2020-06-01,General Paediatrics",
        "attended,2019-06-01,SCD Panel",  # an earlier episode
        "attended,2021-06-01,SCD Panel",  # after the validation date
        "discharged,2019-12-01,SCD",  # closed before this referral
    ],
)
def test_what_is_not_seen_leaves_the_child_waiting(tmp_path: Path, event: str) -> None:
    [p] = run(tmp_path, [AVA], f"{AVA_PAS},{event}")
    assert p.outcome == "waiting", p.reason


def test_a_discharge_without_attendance_is_discharged_effective_on_its_day(
    tmp_path: Path,
) -> None:
    [p] = run(tmp_path, [AVA], f"{AVA_PAS},discharged,2020-09-09,SCD - moved out of area")
    assert (p.outcome, p.event_date) == ("discharged", D("2020-09-09"))
    assert "moved out of area" in p.reason


def test_attendance_wins_over_a_later_discharge(tmp_path: Path) -> None:
    [p] = run(
        tmp_path,
        [AVA],
        f"{AVA_PAS},attended,2020-06-01,SCD Panel",
        f"{AVA_PAS},discharged,2020-07-01,SCD",
    )
    assert p.outcome == "seen"


def test_death_wins_over_everything_whenever_it_is_dated(tmp_path: Path) -> None:
    rows = [AVA, {**AVA, "referral_date": D("2020-02-01")}]
    proposals = run(
        tmp_path,
        rows,
        f"{AVA_PAS},attended,2020-06-01,SCD Panel",
        f"{AVA_PAS},deceased,2021-06-30,",
    )
    assert [p.outcome for p in proposals] == ["deceased", "deceased"]


def test_an_nhs_number_belonging_to_a_twin_is_not_a_match(tmp_path: Path) -> None:
    [p] = run(tmp_path, [AVA], "RX2,9990000018,SMITH,Mia,2015-03-04,attended,2020-06-01,SCD Panel")
    assert p.outcome == "review"
    assert "belongs to Mia SMITH" in p.reason and "given name" in p.reason


def test_a_given_name_one_letter_out_matches_unless_pas_has_a_twin(tmp_path: Path) -> None:
    row = {**AVA, "given_name": "Ada"}
    [alone] = run(tmp_path, [row], f"{AVA_PAS},discharged,2020-09-09,SCD")
    assert (alone.outcome, alone.confidence) == ("discharged", "medium"), alone.reason
    [twin] = run(
        tmp_path,
        [row],
        f"{AVA_PAS},discharged,2020-09-09,SCD",
        "RX2,9990000026,SMITH,Ida,2015-03-04,referral,2020-01-10,SCD",
    )
    assert twin.outcome == "review" and "belongs to Ava SMITH" in twin.reason


def test_a_typo_in_the_name_still_matches_on_nhs_number_with_medium_confidence(
    tmp_path: Path,
) -> None:
    [p] = run(tmp_path, [{**AVA, "family_name": "Smyth"}], f"{AVA_PAS},referral,2020-01-10,SCD")
    assert (p.outcome, p.match, p.confidence) == ("waiting", "nhs_number", "medium")


def test_namesakes_with_other_birth_dates_are_different_children(tmp_path: Path) -> None:
    no_number = {**AVA, "nhs_number": None}
    [p] = run(
        tmp_path,
        [no_number],
        "RX1,9990000018,SMITH,Ava,2015-03-04,referral,2020-01-10,SCD",
        "RX9,9999999999,SMITH,Ava,2012-11-23,attended,2020-06-01,SCD Panel",
    )
    assert (p.outcome, p.pas_id) == ("waiting", "RX1")


@pytest.mark.parametrize("linkage", ["full", "exact"])
def test_namesakes_with_the_same_birth_date_are_never_guessed(tmp_path: Path, linkage: str) -> None:
    [p] = run(
        tmp_path,
        [{**AVA, "nhs_number": None}],
        "RX1,,SMITH,Ava,2015-03-04,attended,2020-06-01,SCD Panel",
        "RX9,,SMITH,Ava,2015-03-04,referral,2020-01-10,SCD",
        linkage=linkage,
    )
    assert p.outcome == "review" and "share this name and birth date" in p.reason


@pytest.mark.parametrize(
    "trap",
    [{"given_name": "Avaa"}, {"birth_date": D("2015-04-03")}],
    ids=["typo in the name", "day and month swapped"],
)
def test_linkage_finds_a_typo_or_a_swapped_birth_date_but_exact_does_not(
    tmp_path: Path, trap: dict[str, Any]
) -> None:
    row = {**AVA, "nhs_number": None, **trap}
    lines = [f"{AVA_PAS},discharged,2020-09-09,SCD"] + [
        f"RX{n},,JONES,Name{n},2014-01-{n:02d},referral,2020-01-10,SCD" for n in range(10, 28)
    ]
    [full] = run(tmp_path, [row], *lines)
    assert (full.outcome, full.match) == ("discharged", "linkage"), full.reason
    [exact] = run(tmp_path, [row], *lines, linkage="exact")
    assert exact.outcome == "review"


def test_matching_by_hospital_number_checks_the_name_too(tmp_path: Path) -> None:
    rows = [
        {**AVA, "nhs_number": None, "hospital_number": "RX1"},
        {**AVA, "nhs_number": None, "hospital_number": "RX1", "given_name": "Zak"},
    ]
    first, second = run(tmp_path, rows, f"{AVA_PAS},attended,2020-06-01,SCD Panel")
    assert (first.outcome, first.match) == ("seen", "hospital_number")
    assert second.outcome == "review"


def test_duplicates_keep_the_earliest_referral_and_a_later_episode_is_its_own(
    tmp_path: Path,
) -> None:
    rows = [
        {**AVA, "referral_date": D("2020-01-20")},
        AVA,
        {**AVA, "referral_date": D("2020-08-01")},  # after the first episode closed
    ]
    proposals = run(
        tmp_path,
        rows,
        f"{AVA_PAS},attended,2020-06-01,SCD Panel",
        f"{AVA_PAS},referral,2020-08-01,SCD",
    )
    assert [(p.outcome, p.duplicate_of_row) for p in proposals] == [
        ("duplicate", 3),
        ("seen", None),
        ("waiting", None),
    ]


def test_a_missing_referral_date_is_taken_from_pas_or_else_reviewed(tmp_path: Path) -> None:
    row = {**AVA, "referral_date": None, "referral_date_problem": "no referral date"}
    [from_pas] = run(
        tmp_path,
        [row],
        f"{AVA_PAS},referral,2020-01-10,SCD",
        f"{AVA_PAS},discharged,2020-03-01,SCD",
    )
    assert (from_pas.outcome, from_pas.referral_date) == ("discharged", D("2020-01-10"))
    assert "is from PAS" in from_pas.reason
    [none] = run(tmp_path, [row], f"{AVA_PAS},discharged,2020-03-01,SCD")
    assert none.outcome == "review" and "no referral" in none.reason


def test_a_referral_date_is_taken_only_from_this_services_referrals(tmp_path: Path) -> None:
    row = {**AVA, "referral_date": None, "referral_date_problem": "no referral date"}
    [p] = run(
        tmp_path,
        [row],
        f"{AVA_PAS},referral,2017-10-15,SCD",
        f"{AVA_PAS},attended,2018-07-31,SCD Panel",
        f"{AVA_PAS},referral,2018-11-05,Neurodevelopmental",
    )
    assert (p.outcome, p.referral_date) == ("seen", D("2017-10-15")), p.reason


def test_an_nhs_number_not_in_pas_is_reviewed(tmp_path: Path) -> None:
    [p] = run(tmp_path, [AVA], "RX5,9999999999,JONES,Leo,2016-01-01,referral,2020-01-10,SCD")
    assert p.outcome == "review" and "not in the PAS extract" in p.reason


# --- bad PAS extracts ----------------------------------------------------------------------


def test_a_pas_extract_missing_a_required_column_is_refused(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "pas.csv"
    path.write_text("pas_id,nhs_number,family_name,given_name,birth_date,event_date\n")
    with pytest.raises(ReadError, match=r"pas.csv: the PAS extract is missing the column 'event' "):
        read_pas(duckdb.connect(), path)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "the file is empty"), (b"\xff\xfe\x00bad", "not a UTF-8")],
)
def test_unreadable_pas_extracts_are_refused(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    import duckdb

    path = tmp_path / "pas.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReadError, match=message):
        read_pas(duckdb.connect(), path)


def test_pas_events_with_unreadable_dates_are_reported_not_silently_dropped(
    tmp_path: Path,
) -> None:
    result = validate(
        legacy(AVA),
        pas(tmp_path, f"{AVA_PAS},referral,2020-01-10,SCD", f"{AVA_PAS},attended,31/13/2020,X"),
        Settings(as_of=AS_OF),
    )
    assert result.pas.events == 1
    assert any("31/13/2020" in problem for problem in result.pas.problems)


def test_pas_records_give_the_evidence_for_matched_patients_only(tmp_path: Path) -> None:
    result = validate(
        legacy(AVA),
        pas(
            tmp_path,
            f"{AVA_PAS},attended,2020-06-01,SCD Panel",
            f"{AVA_PAS},referral,2020-01-10,SCD",
            f"{AVA_PAS},discharged,2021-06-01,SCD",  # after the validation date
            "RX9,9999999999,JONES,Leo,2016-01-01,referral,2020-01-10,SCD",
        ),
        Settings(as_of=AS_OF),
        pas_records=True,
    )
    assert list(result.pas_records) == ["RX1"]
    record = result.pas_records["RX1"]
    assert (record["given_name"], record["birth_date"]) == ("Ava", "2015-03-04")
    assert record["events"] == [
        {"event": "referral", "date": "2020-01-10", "clinic": "SCD"},
        {"event": "attended", "date": "2020-06-01", "clinic": "SCD Panel"},
    ]
