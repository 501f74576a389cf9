"""``clearway validate``: the files it writes, and one clear line for every bad input."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clearway.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
LEGACY = DATA / "samples" / "legacy_ptl.xlsx"
PAS = DATA / "samples" / "pas_extract.csv"


def validate(*args: str | Path) -> int:
    return main(["validate", *map(str, args)])


def test_writes_a_row_for_every_data_row_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert validate(LEGACY, "--pas", PAS, "--as-of", "2021-05-03", "--out", out) == 0
    with (out / "validation.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 80
    assert {row["outcome"] for row in rows} == {
        "waiting",
        "seen",
        "discharged",
        "deceased",
        "duplicate",
        "review",
    }
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 80
    assert summary["outcomes"] == {
        "waiting": 38,
        "seen": 24,
        "discharged": 12,
        "deceased": 1,
        "duplicate": 3,
        "review": 2,
    }
    assert [(s["source_row"], s["why"]) for s in summary["skipped"]] == [
        (19, "blank row"),
        (83, "blank row"),
        (84, "footer row: 'Total: 80'"),
    ]
    assert summary["as_of"] == "2021-05-03"
    printed = capsys.readouterr().out
    assert "80 rows validated as of 3 May 2021" in printed and "38 waiting" in printed


def test_exact_linkage_sends_the_typo_to_review(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("--pas", PAS, "--as-of", "2021-05-03", "--out", out, "--linkage", "exact")
    assert validate(LEGACY, *args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["outcomes"]["review"] == 3 and summary["linkage"] == "exact"


def _no_event_column(tmp_path: Path) -> Path:
    path = tmp_path / "pas_no_event.csv"
    path.write_text("pas_id,nhs_number,family_name,given_name,birth_date,event_date\n")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    return path


def _no_header(tmp_path: Path) -> Path:
    path = tmp_path / "shopping.csv"
    path.write_text("eggs,milk\nbread,jam\n")
    return path


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: 2 GB on paper, nothing on disk
        handle.truncate(2 * 1024**3)
    return path


@pytest.mark.parametrize(
    ("legacy", "pas", "message"),
    [
        (lambda tmp: LEGACY, lambda tmp: tmp / "missing.csv", "missing.csv: no such file"),
        (lambda tmp: LEGACY, _no_event_column, "missing the column 'event'"),
        (lambda tmp: tmp / "nope.xlsx", lambda tmp: PAS, "nope.xlsx: file not found"),
        (_empty, lambda tmp: PAS, "empty.xlsx: the file is empty"),
        (_no_header, lambda tmp: PAS, "shopping.csv: no header row found"),
        (lambda tmp: DATA / "intake" / "password_protected.xlsx", lambda tmp: PAS, "password"),
        (_huge, lambda tmp: PAS, "huge.csv: "),
    ],
    ids=["no PAS", "PAS without event", "no list", "empty", "no header", "password", "2 GB"],
)
def test_bad_files_exit_2_with_one_line_naming_the_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    legacy: object,
    pas: object,
    message: str,
) -> None:
    out = tmp_path / "out"
    legacy_path, pas_path = legacy(tmp_path), pas(tmp_path)  # type: ignore[operator]
    assert validate(legacy_path, "--pas", pas_path, "--as-of", "2021-05-03", "--out", out) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("clearway validate: ") and message in error
    assert len(error.splitlines()) == 1
    assert not out.exists(), "nothing is written when the input is refused"


def test_a_memory_budget_that_is_not_an_amount_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--pas", PAS, "--as-of", "2021-05-03", "--out", tmp_path, "--memory-limit", "lots")
    with pytest.raises(SystemExit) as exit_:
        validate(LEGACY, *args)
    assert exit_.value.code == 2
    assert "'lots' is not an amount of memory" in capsys.readouterr().err


def test_runs_without_django_or_a_database(tmp_path: Path) -> None:
    code = (
        "import sys; from clearway.cli import main; "
        f"code = main(['validate', {str(LEGACY)!r}, '--pas', {str(PAS)!r}, "
        f"'--as-of', '2021-05-03', '--out', {str(tmp_path / 'out')!r}]); "
        "sys.exit(code or ('django' in sys.modules) * 3)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DJANGO"))}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
