"""The engine holds the bar on generated lists, whatever their layout and traps.

For each generated list (:mod:`clearway.validation.synthetic`), validated as of its date:

- **no wrong removals**: no row whose truth is ``waiting`` or ``unmatched`` is proposed
  ``seen``, ``discharged``, ``deceased`` or ``duplicate``;
- **every death found**: every ``deceased`` row is proposed ``deceased``;
- **removals found**: at least 97% of the removable rows (truth ``seen``, ``discharged``,
  ``deceased``, ``duplicate``) get exactly their truth (a duplicate of the right row);
- **review kept small**: no more ``review`` rows than twice the truly unmatched rows (or
  two, when none are).

With ``linkage="exact"`` only the first two bars hold. A failure prints the offending rows
with the trap each one sets.
"""

import datetime as dt
from pathlib import Path

import pytest

from clearway.validation.engine import Linkage, Proposal, Settings, validate
from clearway.validation.synthetic import REMOVABLE, Generated, Row, generate

KEPT = ("waiting", "unmatched")
SHARE_FOUND = 0.97

# (seed, layout, as-of date): every named layout, and layouts made up from the seed.
FULL = [
    (101, "xlsx", dt.date(2021, 5, 3)),
    (102, "xlsx_single_name", dt.date(2021, 5, 3)),
    (103, "csv", dt.date(2022, 9, 30)),
    (104, "csv_cp1252", dt.date(2021, 5, 3)),
    (105, None, dt.date(2021, 5, 3)),
    (106, None, dt.date(2024, 1, 31)),
    (107, None, dt.date(2021, 5, 3)),
    (108, None, dt.date(2023, 6, 1)),
]
EXACT = [
    (201, "xlsx", dt.date(2021, 5, 3)),
    (202, "csv", dt.date(2021, 5, 3)),
    (203, None, dt.date(2022, 3, 1)),
]


def _id(case: tuple[int, str | None, dt.date]) -> str:
    return f"seed{case[0]}-{case[1] or 'random'}"


def _run(
    case: tuple[int, str | None, dt.date], directory: Path, linkage: Linkage
) -> tuple[Generated, dict[int, Proposal]]:
    # The list as `clearway validate` reads it.
    from clearway.validation.frame import read_legacy_table

    seed, layout, as_of = case
    generated = generate(seed, children=300, as_of=as_of, layout=layout)
    legacy_path, pas_path, _ = generated.write(directory)
    settings = Settings(as_of=as_of, panel_clinic=generated.panel_clinic, linkage=linkage)
    legacy = read_legacy_table(legacy_path, as_of=as_of)
    result = validate(legacy.table, pas_path, settings)
    return generated, {proposal.source_row: proposal for proposal in result.proposals}


def _table(rows: list[Row], proposals: dict[int, Proposal]) -> str:
    lines = [f"{'row':>6}  {'trap':<32} {'truth':<10} {'outcome':<10} {'dup of':<9} reason"]
    for row in rows:
        proposal = proposals.get(row.source_row)
        outcome = proposal.outcome if proposal else "(none)"
        duplicate = (
            f"{row.duplicate_of_row or '-'}/{proposal.duplicate_of_row if proposal else '-'}"
        )
        reason = proposal.reason if proposal else ""
        lines.append(
            f"{row.source_row:>6}  {row.trap:<32} {row.truth:<10} {outcome:<10} {duplicate:<9} "
            f"{reason[:110]}"
        )
    return "\n".join(lines)


def _exact(row: Row, proposal: Proposal | None) -> bool:
    if proposal is None or proposal.outcome != row.truth:
        return False
    return row.truth != "duplicate" or proposal.duplicate_of_row == row.duplicate_of_row


def _bars(generated: Generated, proposals: dict[int, Proposal], *, full: bool) -> list[str]:
    """Every bar that failed, each with a table of the rows that failed it."""
    failures = []
    rows = generated.rows

    def fail(what: str, offending: list[Row]) -> None:
        failures.append(f"{what}:\n{_table(offending, proposals)}")

    missing = [row for row in rows if row.source_row not in proposals]
    if missing or len(proposals) != len(rows):
        fail(f"{len(proposals)} proposals for {len(rows)} rows; rows without one", missing)

    wrong = [
        row
        for row in rows
        if row.truth in KEPT
        and row.source_row in proposals
        and proposals[row.source_row].outcome in REMOVABLE
    ]
    if wrong:
        fail(f"{len(wrong)} wrong removals", wrong)

    deaths = [row for row in rows if row.truth == "deceased"]
    missed = [row for row in deaths if not _exact(row, proposals.get(row.source_row))]
    if missed:
        fail(f"{len(missed)} of {len(deaths)} deaths not found", missed)

    if full:
        removable = [row for row in rows if row.truth in REMOVABLE]
        not_found = [row for row in removable if not _exact(row, proposals.get(row.source_row))]
        found = len(removable) - len(not_found)
        if found < SHARE_FOUND * len(removable):
            fail(
                f"{found} of {len(removable)} removable rows ({found / len(removable):.1%}) got "
                f"their truth, fewer than {SHARE_FOUND:.0%}",
                not_found,
            )

        unmatched = sum(row.truth == "unmatched" for row in rows)
        limit = 2 * unmatched if unmatched else 2
        reviews = [
            row
            for row in rows
            if row.source_row in proposals and proposals[row.source_row].outcome == "review"
        ]
        if len(reviews) > limit:
            fail(
                f"{len(reviews)} rows for review, more than {limit} (twice the {unmatched} "
                "truly unmatched); those not truly unmatched",
                [row for row in reviews if row.truth != "unmatched"],
            )
    if failures:
        counts = ", ".join(f"{n} {truth}" for truth, n in sorted(generated.truth_counts().items()))
        failures.insert(
            0,
            f"seed {generated.seed}, layout {generated.layout.name}, as of {generated.as_of}, "
            f"linkage {'full' if full else 'exact'}: {len(rows)} rows ({counts})",
        )
    return failures


@pytest.mark.parametrize("case", FULL, ids=_id)
def test_full_linkage_holds_the_bar(case: tuple[int, str | None, dt.date], tmp_path: Path) -> None:
    generated, proposals = _run(case, tmp_path, "full")
    failures = _bars(generated, proposals, full=True)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("case", EXACT, ids=_id)
def test_exact_linkage_never_removes_wrongly_and_finds_every_death(
    case: tuple[int, str | None, dt.date], tmp_path: Path
) -> None:
    generated, proposals = _run(case, tmp_path, "exact")
    failures = _bars(generated, proposals, full=False)
    assert not failures, "\n\n".join(failures)
