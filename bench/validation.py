"""Validating a 1,000,000-row legacy list against a 5,000,000-event PAS extract.

Three implementations, each run as its own process on the same synthetic files, side by side:

- ``pandas``: :mod:`bench.pandas_reference`, a plain pandas script of the exact-match rules
  (the reference the issue measured at about 15 s and 1.9 GB on this 2-core machine);
- ``exact``: ``clearway validate --linkage exact``;
- ``full``: ``clearway validate`` (exact matching, then probabilistic linkage of the rows
  without a valid NHS number).

Targets, from the issue: exact at most 8 s and 1.5 GB, and at least 2x faster than pandas;
full at most 30 s and 4 GB. Each run's wall time, CPU time and peak memory (its maximum
resident set, from ``wait4``) include starting Python and importing its libraries; the load
average is printed too, as other work on the machine slows every run. After the table, the
outcome counts of pandas and exact (which should broadly agree: Clearway's rules are
stricter and richer) and of exact and full are compared, in total and row by row.

The data are synthetic (every NHS number is in the 999 test range) and generated once into
``var/bench/validation/``, then reused while the parameters are the same: a legacy list csv
(the columns of the sample spreadsheet, ``dd/mm/yyyy`` dates, NHS numbers with and without
spaces, blank, "TBC" or mistyped in about 12% of rows, names with typos, day and month
swapped, duplicates, a blank row now and then and a "Total" footer) and a PAS extract csv
(the canonical columns, one row per event, about 2.94 events per patient, other clinics'
patients as well as the list's children).

Run it::

    python -m bench validation                                # 1,000,000 x 5,000,000
    python -m bench validation --rows 20000 --events 100000   # a smoke run
    python -m bench validation --impl pandas --impl exact     # some implementations only
    python -m bench validation --generate-only                # just make (or find) the data

The 999 range holds only 909,091 valid NHS numbers, so not every PAS patient can have one:
the list's children get theirs first and PAS patients beyond the range have none (the
generator says how many).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench" / "validation"
GENERATOR_VERSION = 1
"""Bump when the generated data change, so cached files are made again."""

AS_OF = dt.date(2021, 5, 3)
PANEL_CLINIC = "SCD Panel"
EVENTS_PER_PATIENT = 2.94
"""5,000,000 events make about 1.7 million PAS patients, as in the issue."""

OUTCOMES = ("waiting", "seen", "discharged", "deceased", "duplicate", "review")
IMPLEMENTATIONS = ("pandas", "exact", "full")
TARGETS: dict[str, tuple[float, float]] = {"exact": (8.0, 1500.0), "full": (30.0, 4000.0)}
"""Wall seconds and peak MB at the issue's scale (1,000,000 x 5,000,000)."""
SPEEDUP_OVER_PANDAS = 2.0

# --- synthetic data -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FAMILY_NAMES = _words(
    """
SMITH JONES WILLIAMS TAYLOR BROWN DAVIES EVANS WILSON THOMAS JOHNSON ROBERTS ROBINSON
THOMPSON WRIGHT WALKER WHITE EDWARDS HUGHES GREEN HALL LEWIS HARRIS CLARKE PATEL JACKSON
WOOD TURNER MARTIN COOPER HILL WARD MORRIS MOORE CLARK LEE KING BAKER HARRISON MORGAN ALLEN
JAMES SCOTT PHILLIPS WATSON DAVIS PARKER PRICE BENNETT YOUNG GRIFFITHS MITCHELL KELLY COOK
CARTER RICHARDSON BAILEY COLLINS BELL SHAW MURPHY MILLER COX RICHARDS KHAN MARSHALL ANDERSON
SIMPSON ELLIS ADAMS SINGH BEGUM WILKINSON FOSTER CHAPMAN POWELL WEBB ROGERS GRAY MASON ALI
HUNT HUSSAIN CAMPBELL MATTHEWS OWEN PALMER HOLMES MILLS BARNES KNIGHT LLOYD BUTLER RUSSELL
BARKER FISHER STEVENS JENKINS MURRAY DIXON HARVEY GRAHAM PEARSON AHMED FLETCHER WALSH KAUR
GIBSON HOWARD ANDREWS STEWART ELLIOTT REYNOLDS SAUNDERS PAYNE FOX FORD PEARCE DAY BROOKS WEST
LAWRENCE COLE ATKINSON BRADLEY SPENCER GILL DAWSON BALL BURTON O'BRIEN WATTS ROSE BOOTH PERRY
RYAN GRANT WELLS ARMSTRONG FRANCIS REES HAYES HART HUDSON NEWMAN BARRETT WEBSTER HUNTER GREGORY
CARR LOWE PAGE MARSH RILEY DUNN WOODS PARSONS BERRY STONE REID HOLLAND HAWKINS HARDING PORTER
ROBERTSON NEWTON OLIVER REED KENNEDY WILLIAMSON BIRD GARDNER SHAH DEAN LANE COLEMAN FOWLER
NGUYEN KOWALSKI ADEYEMI OKAFOR MENSAH MOYO BANDA CHEN WONG NOWAK RODRIGUEZ O'NEILL
MACDONALD MCCARTHY SMITH-JONES DOHERTY JOHNSTON SMYTH LINDQVIST HAMILTON IBRAHIM OSEI
"""
)
GIVEN_NAMES = _words(
    """
Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie
Theo Alfie Jacob Thomas Finley Arlo William Lucas Roman Tommy Isaac Teddy Alexander Luca Edward
James Joshua Albie Elijah Max Mohammed Reuben Mason Sebastian Rory Jude Louie Benjamin Ethan
Adam Hugo Joseph Reggie Ronnie Louis Frankie Daniel Zac Caleb Ibrahim Jaxon Dylan Finn Harrison
Olivia Amelia Isla Ava Ivy Freya Lily Florence Mia Willow Rosie Sophia Isabella Grace Daisy
Sienna Poppy Elsie Emily Ella Evelyn Phoebe Sofia Evie Charlotte Harper Millie Matilda Maya
Sophie Alice Emilia Isabelle Ruby Luna Maisie Aria Penelope Mila Bonnie Eva Hallie Layla Zara
Eliza Esme Erin Hannah Robyn Riley Amber Ayla Laayla Maryam Aisha Fatima Priya Chloe Jessica
Ellie Molly Lucy Megan Holly Scarlett Imogen Violet Aurora Nancy Mabel Thea Ada Iris Orla
"""
)
CONSULTANTS = ("Dr Okafor", "Dr Hughes", "Dr Lindqvist", "Dr Patel")
REQUIREMENT_CELLS = ("y", "Y", "Yes", "N", "No", "Received", "rec'd", "chased", "awaiting", "")
NOTES = ("mum rang 3/2", "chase school", "seen at panel - d/c letter sent?", "interpreter", "")
OTHER_CLINICS = ("General Paediatrics", "Neurodevelopmental", "Community Paediatrics")
DISCHARGE_CLINICS = (
    "SCD - moved out of area",
    "SCD - opted out",
    "SCD - no longer required",
    "SCD",
)
EVENTS = ("referral", "attended", "was_not_brought", "cancelled", "discharged", "deceased")
CLINICS = ("", PANEL_CLINIC, "SCD", *OTHER_CLINICS, *DISCHARGE_CLINICS[:3])
"""Event clinics by code (the events are generated as codes, then written as names)."""
_PANEL, _SCD, _OTHER = 1, 2, 3  # codes: _OTHER.._OTHER+2 are OTHER_CLINICS
_DISCHARGE = np.array([6, 7, 8, _SCD], dtype=np.int8)
LEGACY_HEADER = (
    "NHS Number",
    "Surname",
    "Forename",
    "Date of Birth",
    "Referral Received",
    "Consultant",
    "School Report",
    "SaLT Report",
    "Consent",
    "Notes",
)

_EPOCH = dt.date(1970, 1, 1)


def _day(date: dt.date) -> int:
    return (date - _EPOCH).days


FIRST_REFERRAL = _day(dt.date(2016, 6, 1))
LAST_REFERRAL = _day(dt.date(2021, 4, 30))
LAST_EVENT = _day(dt.date(2021, 12, 31))
BIRTHS = (_day(dt.date(2003, 6, 1)), _day(dt.date(2019, 5, 1)))

# Shares of the legacy rows and children (the rest follow from the rules).
DUPLICATE_ROWS = 0.02
INVALID_NHS_ROWS = 0.12  # blank, placeholder, wrong check digit, nine digits
INVALID_KINDS = {"blank": 0.45, "placeholder": 0.20, "check_digit": 0.25, "nine_digits": 0.10}
NOT_IN_PAS = 0.01
FAMILY_TYPO, GIVEN_TYPO = 0.03, 0.015
BIRTH_SWAPPED, BIRTH_BLANK = 0.02, 0.01
REFERRAL_SHIFTED, REFERRAL_BLANK = 0.03, 0.02
FATES = {"seen": 0.33, "discharged": 0.12, "deceased": 0.005}  # the rest: still waiting


@dataclass(frozen=True)
class Dataset:
    legacy: Path
    pas: Path
    stats: dict[str, Any] = field(default_factory=dict)
    made: bool = False
    """True when this call generated the files, False when they were found in the cache."""


def valid_nhs_numbers() -> np.ndarray:
    """Every valid NHS number in the 999 test range (909,091 of them), ascending."""
    prefix = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    check = _check_digits(prefix)
    keep = check != 10
    return prefix[keep] * 10 + check[keep]


def _typo(names: list[str], seeds: np.ndarray) -> list[str]:
    """One keying slip per name: a letter dropped, doubled, or two swapped."""
    out = []
    for name, seed in zip(names, seeds.tolist(), strict=True):
        if len(name) < 4:
            out.append(name + name[-1:])
            continue
        i = 1 + seed % (len(name) - 2)
        kind = (seed // 7) % 3
        if kind == 0:
            out.append(name[:i] + name[i + 1 :])
        elif kind == 1:
            out.append(name[:i] + name[i] + name[i:])
        else:
            out.append(name[:i] + name[i + 1] + name[i] + name[i + 2 :])
    return out


def _check_digits(prefix: np.ndarray) -> np.ndarray:
    """The NHS check digit of each nine-digit prefix (10: no valid number has it)."""
    total = np.zeros_like(prefix)
    rest = prefix.copy()
    for weight in range(2, 11):  # the ninth digit weighs 2, the first 10
        total += (rest % 10) * weight
        rest //= 10
    return (11 - total % 11) % 11


def _pick(values: tuple[str, ...], rng: np.random.Generator, n: int, p: Any = None) -> pl.Series:
    """``n`` cells drawn from ``values`` ("" written as an empty cell)."""
    picked = pl.Series(values).gather(rng.choice(len(values), n, p=p))
    return pl.select(pl.when(picked != "").then(picked)).to_series()


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def _weights(n: int) -> np.ndarray:
    """Common names first: weight 1/sqrt(rank)."""
    w = 1.0 / np.sqrt(np.arange(1, n + 1))
    return w / w.sum()


def _paths(rows: int, events: int, seed: int, directory: Path) -> tuple[Path, Path, Path]:
    stem = f"v{GENERATOR_VERSION}-{rows}x{events}-s{seed}"
    return (
        directory / f"legacy-{stem}.csv",
        directory / f"pas-{stem}.csv",
        directory / f"stats-{stem}.json",
    )


def generate(
    rows: int = 1_000_000, events: int = 5_000_000, seed: int = 1, directory: Path = CACHE
) -> Dataset:
    """Make (or find, when made before with these parameters) the legacy list and PAS csvs."""
    legacy_path, pas_path, stats_path = _paths(rows, events, seed, directory)
    if legacy_path.exists() and pas_path.exists() and stats_path.exists():
        return Dataset(legacy_path, pas_path, json.loads(stats_path.read_text()))
    directory.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)

    # --- people: the list's children (in PAS or not), and PAS's other patients -------------
    duplicates = round(rows * DUPLICATE_ROWS)
    children = rows - duplicates
    out_of_pas = round(children * NOT_IN_PAS)
    in_pas = children - out_of_pas
    patients = max(round(events / EVENTS_PER_PATIENT), in_pas)
    # People 0..in_pas-1 are children in PAS, in_pas..patients-1 PAS's other patients,
    # patients..people-1 children PAS has never heard of.
    people = patients + out_of_pas
    child = np.zeros(people, dtype=bool)
    child[:in_pas] = True
    child[patients:] = True
    child_ids = np.flatnonzero(child)

    family = rng.choice(len(FAMILY_NAMES), people, p=_weights(len(FAMILY_NAMES)))
    given = rng.choice(len(GIVEN_NAMES), people, p=_weights(len(GIVEN_NAMES)))
    birth = rng.integers(*BIRTHS, people)
    referral = rng.integers(np.maximum(birth + 180, FIRST_REFERRAL), LAST_REFERRAL + 1)

    # How each child's NHS number appears on the list (valid unless marked here).
    invalid_rows = round(rows * INVALID_NHS_ROWS)
    kinds = list(INVALID_KINDS)
    cell_kind = np.full(people, -1, dtype=np.int8)  # -1: valid
    invalid_children = rng.choice(child_ids, min(invalid_rows, children), replace=False)
    cell_kind[invalid_children] = rng.choice(
        len(kinds), invalid_children.size, p=list(INVALID_KINDS.values())
    )

    # NHS numbers: children with a valid cell first, then the other children in PAS, then
    # the other PAS patients, for as long as the test range lasts.
    pool = rng.permutation(valid_nhs_numbers())
    valid_cell = child & (cell_kind == -1)
    order = np.concatenate(
        [
            np.flatnonzero(valid_cell),
            np.flatnonzero(child & ~valid_cell & (np.arange(people) < patients)),
            np.flatnonzero(~child),
        ]
    )
    if valid_cell.sum() > pool.size:
        raise ValueError(f"{rows:,} rows need more valid NHS numbers than the 999 range holds")
    nhs = np.zeros(people, dtype=np.int64)  # 0: none
    given_out = min(pool.size, order.size)
    nhs[order[:given_out]] = pool[:given_out]

    pas_ids = rng.choice(9_000_000, patients, replace=False) + 1_000_000

    # --- PAS events ----------------------------------------------------------------------
    other_clinic = (rng.integers(0, len(OTHER_CLINICS), patients) + _OTHER).astype(np.int8)
    scd_referral = np.arange(patients) < in_pas
    scd_referral[in_pas:] = rng.random(patients - in_pas) < 0.05  # SCD, but not on the list
    ev_person: list[np.ndarray] = [np.arange(patients)]
    ev_kind: list[np.ndarray] = [np.zeros(patients, dtype=np.int8)]  # a referral each
    ev_date: list[np.ndarray] = [referral[:patients]]
    ev_clinic: list[np.ndarray] = [np.where(scd_referral, _SCD, other_clinic).astype(np.int8)]

    def add(who: np.ndarray, kind: str, dates: np.ndarray, clinic: np.ndarray | int) -> None:
        ev_person.append(who)
        ev_kind.append(np.full(who.size, EVENTS.index(kind), dtype=np.int8))
        ev_date.append(np.minimum(dates, LAST_EVENT))
        ev_clinic.append(np.broadcast_to(np.asarray(clinic, dtype=np.int8), who.shape))

    # The list's children: seen at the panel, discharged, died, or (the rest) still waiting.
    fate = rng.random(patients)
    cuts = np.cumsum(list(FATES.values()))
    kids = np.arange(patients) < in_pas
    seen = np.flatnonzero(kids & (fate < cuts[0]))
    attended = referral[seen] + rng.integers(20, 500, seen.size)  # some after AS_OF
    add(seen, "attended", attended, _PANEL)
    then = rng.random(seen.size) < 0.03  # discharged after the panel: still seen
    add(seen[then], "discharged", attended[then] + rng.integers(1, 60, then.sum()), _SCD)
    gone = np.flatnonzero(kids & (fate >= cuts[0]) & (fate < cuts[1]))
    add(
        gone,
        "discharged",
        referral[gone] + rng.integers(10, 500, gone.size),
        _DISCHARGE[rng.integers(0, _DISCHARGE.size, gone.size)],
    )
    died = np.flatnonzero(kids & (fate >= cuts[1]) & (fate < cuts[2]))
    add(died, "deceased", referral[died] + rng.integers(10, 700, died.size), 0)
    before = np.flatnonzero(kids & (rng.random(patients) < 0.02))  # an earlier episode
    add(before, "attended", referral[before] - rng.integers(30, 400, before.size), _PANEL)
    # Other clinics' patients.
    others = np.arange(in_pas, patients)
    went = others[fate[in_pas:] < 0.5]
    add(went, "attended", referral[went] + rng.integers(10, 400, went.size), other_clinic[went])
    left = others[(fate[in_pas:] >= 0.5) & (fate[in_pas:] < 0.7)]
    add(left, "discharged", referral[left] + rng.integers(10, 600, left.size), other_clinic[left])
    lost = others[(fate[in_pas:] >= 0.7) & (fate[in_pas:] < 0.701)]
    add(lost, "deceased", referral[lost] + rng.integers(10, 700, lost.size), 0)

    # The rest: missed and cancelled appointments (half of them at the panel), other clinics'
    # attendances and referrals, spread over every PAS patient.
    filler = events - sum(part.size for part in ev_person)
    if filler < 0:
        raise ValueError(f"{events:,} events are too few for {rows:,} legacy rows")
    who = rng.integers(0, patients, filler)
    kind = np.array([2, 3, 1, 0], dtype=np.int8)[
        rng.choice(4, filler, p=[0.25, 0.25, 0.35, 0.15])
    ]  # was_not_brought, cancelled, attended, referral
    clinic = (rng.integers(0, len(OTHER_CLINICS), filler) + _OTHER).astype(np.int8)
    clinic[(kind >= 2) & (rng.random(filler) < 0.5)] = _PANEL
    clinic[(kind == 1) & (rng.random(filler) < 0.1)] = _SCD  # attended SCD, not the panel
    offset = np.where(kind == 0, rng.integers(1, 700, filler), rng.integers(-300, 600, filler))
    ev_person.append(who)
    ev_kind.append(kind)
    ev_date.append(np.minimum(referral[who] + offset, LAST_EVENT))
    ev_clinic.append(clinic)

    shuffle = rng.permutation(events)
    person = np.concatenate(ev_person)[shuffle]
    numbers = pl.Series(nhs[person])
    pas = pl.DataFrame(
        {
            "pas_id": "RX" + pl.Series(pas_ids[person]).cast(pl.String),
            "nhs_number": pl.select(
                pl.when(numbers != 0).then(numbers.cast(pl.String))
            ).to_series(),
            "family_name": pl.Series(FAMILY_NAMES).gather(family[person]),
            "given_name": pl.Series(GIVEN_NAMES).gather(given[person]),
            "birth_date": _dates(birth[person]),
            "event": pl.Series(EVENTS).gather(np.concatenate(ev_kind)[shuffle]),
            "event_date": _dates(np.concatenate(ev_date)[shuffle]),
            "clinic": pl.Series(CLINICS).gather(np.concatenate(ev_clinic)[shuffle]),
        }
    ).with_columns(pl.col("clinic").replace("", None))
    _write(pas, pas_path)
    del pas, person, shuffle, numbers

    # --- the legacy list -------------------------------------------------------------------
    # One row per child, and duplicates (later rows of a child with a valid number), shuffled.
    dup_of = rng.choice(np.flatnonzero(valid_cell), duplicates, replace=False)
    row_person = rng.permutation(np.concatenate([child_ids, dup_of]))
    first = np.zeros(rows, dtype=bool)
    first[np.unique(row_person, return_index=True)[1]] = True
    is_dup = ~first

    number = nhs[row_person]
    kind_row = np.where(is_dup, -1, cell_kind[row_person])
    digits = pl.Series(number).cast(pl.String)
    spaced = digits.str.slice(0, 3) + " " + digits.str.slice(3, 3) + " " + digits.str.slice(6, 4)
    # A mistyped cell keys the child's number wrongly (or, when PAS has none, some number).
    prefix = np.where(number == 0, rng.integers(999_000_000, 1_000_000_000, rows), number // 10)
    wrong = prefix * 10 + (_check_digits(prefix) + rng.integers(1, 10, rows)) % 10
    nhs_cell = (
        pl.DataFrame(
            {
                "kind": kind_row,
                "plain": digits,
                "spaced": spaced,
                "use_spaced": rng.random(rows) < 0.4,
                "wrong": pl.Series(wrong).cast(pl.String),
                "nine": pl.Series(prefix).cast(pl.String),
                "placeholder": _pick(("TBC", "N/K", "awaiting", "unknown"), rng, rows),
            }
        )
        .select(
            pl.when(pl.col("kind") == kinds.index("blank"))
            .then(None)
            .when(pl.col("kind") == kinds.index("placeholder"))
            .then(pl.col("placeholder"))
            .when(pl.col("kind") == kinds.index("check_digit"))
            .then(pl.col("wrong"))
            .when(pl.col("kind") == kinds.index("nine_digits"))
            .then(pl.col("nine"))
            .when(pl.col("use_spaced"))
            .then(pl.col("spaced"))
            .otherwise(pl.col("plain"))
        )
        .to_series()
    )

    # Names as a list keeper types them ("O'NEILL" -> "O'Neill", sometimes "Oneill"), with
    # the odd keying slip.
    surname = pl.Series([name.title() for name in FAMILY_NAMES]).gather(family[row_person])
    surname = pl.select(
        pl.when(pl.Series(rng.random(rows) < 0.3))
        .then(surname.str.replace("'", "", literal=True))
        .otherwise(surname)
    ).to_series()
    forename = pl.Series(GIVEN_NAMES).gather(given[row_person])
    for series, share in ((surname, FAMILY_TYPO), (forename, GIVEN_TYPO)):
        where = np.flatnonzero(rng.random(rows) < share)
        slips = _typo(series.gather(where).to_list(), rng.integers(0, 1 << 30, where.size))
        series.scatter(where, slips)

    referred = referral[row_person] + np.where(
        rng.random(rows) < REFERRAL_SHIFTED, rng.integers(-14, 15, rows), 0
    )
    rereferred = is_dup & (rng.random(rows) < 0.5)
    referred = np.where(rereferred, referred + rng.integers(30, 300, rows), referred)
    legacy = pl.DataFrame(
        {
            "born": _dates(birth[row_person]),
            "swap": rng.random(rows) < BIRTH_SWAPPED,
            "no_birth": rng.random(rows) < BIRTH_BLANK,
            "referred": _dates(referred),
            "no_referral": rng.random(rows) < REFERRAL_BLANK,
        }
    ).select(
        nhs_cell.alias("NHS Number"),
        surname.alias("Surname"),
        forename.alias("Forename"),
        pl.when(pl.col("no_birth"))
        .then(None)
        .when(
            pl.col("swap")
            & (pl.col("born").dt.day() <= 12)
            & (pl.col("born").dt.day() != pl.col("born").dt.month())
        )
        .then(pl.col("born").dt.strftime("%m/%d/%Y"))
        .otherwise(pl.col("born").dt.strftime("%d/%m/%Y"))
        .alias("Date of Birth"),
        pl.when(pl.col("no_referral"))
        .then(None)
        .otherwise(pl.col("referred").dt.strftime("%d/%m/%Y"))
        .alias("Referral Received"),
        _pick(CONSULTANTS, rng, rows).alias("Consultant"),
        _pick(REQUIREMENT_CELLS, rng, rows).alias("School Report"),
        _pick(REQUIREMENT_CELLS, rng, rows).alias("SaLT Report"),
        _pick(REQUIREMENT_CELLS, rng, rows).alias("Consent"),
        _pick(NOTES, rng, rows, p=[0.01, 0.01, 0.01, 0.01, 0.96]).alias("Notes"),
    )
    # A blank row every 100,000 or so, and a blank row and a "Total" footer at the end.
    blanks = max(1, rows // 100_000)
    at = np.sort(rng.choice(np.arange(1, rows), min(blanks, rows - 1), replace=False))
    empty = pl.DataFrame({name: [None] for name in LEGACY_HEADER}, schema=legacy.schema)
    pieces = []
    start = 0
    for stop in at.tolist():
        pieces += [legacy.slice(start, stop - start), empty]
        start = stop
    footer = empty.with_columns(pl.lit(f"Total: {rows}").alias("Surname"))
    pieces += [legacy.slice(start), empty, footer]
    _write(pl.concat(pieces), legacy_path)

    stats = {
        "rows": rows,
        "events": events,
        "seed": seed,
        "pas_patients": patients,
        "pas_patients_without_nhs_number": int((nhs[:patients] == 0).sum()),
        "legacy_children": children,
        "legacy_children_not_in_pas": out_of_pas,
        "legacy_duplicate_rows": duplicates,
        "legacy_rows_without_valid_nhs_number": int((kind_row >= 0).sum()),
        "legacy_blank_rows": int(at.size) + 1,
        "generated_in_s": round(time.perf_counter() - started, 1),
    }
    stats_path.write_text(json.dumps(stats, indent=2) + "\n")
    return Dataset(legacy_path, pas_path, stats, made=True)


def _write(frame: pl.DataFrame, path: Path) -> None:
    """Write a csv whole or not at all (a half-written cache would be reused)."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as handle:
        part = Path(handle.name)
    try:
        frame.write_csv(part, null_value="")
        part.chmod(0o644)
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


# --- running and comparing ------------------------------------------------------------------


@dataclass
class Run:
    """One implementation's run: wall time, peak memory and what it wrote."""

    name: str
    label: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_mb: float = 0.0
    summary: dict[str, Any] | None = None
    error: str = ""
    out: Path = field(default_factory=Path)


def _command(name: str, data: Dataset, out: Path) -> list[str]:
    common = [str(data.legacy), "--pas", str(data.pas), "--as-of", AS_OF.isoformat()]
    common += ["--out", str(out), "--panel-clinic", PANEL_CLINIC]
    if name == "pandas":
        return [sys.executable, "-m", "bench.pandas_reference", *common]
    return [sys.executable, "-m", "clearway.cli", "validate", *common, "--linkage", name]


LABELS = {
    "pandas": "pandas script (reference)",
    "exact": "clearway validate --linkage exact",
    "full": "clearway validate (full linkage)",
}


def run(name: str, data: Dataset, directory: Path = CACHE) -> Run:
    """Run one implementation in its own process; its peak memory comes from ``wait4``."""
    out = directory / f"out-{name}"
    result = Run(name, LABELS[name], out=out)
    for stale in ("validation.csv", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    env = dict(os.environ)
    env.setdefault("CLEARWAY_ENV", "local")
    env.setdefault("CLEARWAY_VAR_DIR", str(ROOT / "var" / "bench"))
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            _command(name, data, out), cwd=ROOT, env=env, stdout=output, stderr=output
        )
        _, status, usage = os.wait4(process.pid, 0)
        result.seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        result.cpu_seconds = usage.ru_utime + usage.ru_stime
        result.peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
        if process.returncode != 0:
            output.seek(0)
            lines = output.read().decode(errors="replace").strip().splitlines()
            result.error = f"exit {process.returncode}: {lines[-1] if lines else 'no output'}"
            return result
    try:
        result.summary = json.loads((out / "summary.json").read_text())
    except (OSError, ValueError) as error:
        result.error = f"no summary.json ({error})"
    return result


def _outcomes(result: Run) -> dict[str, int]:
    counts = (result.summary or {}).get("outcomes", {})
    return {outcome: int(counts.get(outcome, 0)) for outcome in OUTCOMES}


def _verdict(result: Run, pandas: Run | None, full_scale: bool) -> str:
    if result.name not in TARGETS:
        return ""
    seconds, mb = TARGETS[result.name]
    wants = f"<= {seconds:g} s, <= {mb:,.0f} MB"
    if result.name == "exact":
        wants += f", >= {SPEEDUP_OVER_PANDAS:g}x pandas"
    if result.error:
        return f"{wants}: not run"
    if not full_scale:
        return f"{wants}: judged at 1,000,000 x 5,000,000 only"
    missed = []
    if result.seconds > seconds:
        missed.append("time")
    if result.peak_mb > mb:
        missed.append("memory")
    slow = pandas and not pandas.error and pandas.seconds < SPEEDUP_OVER_PANDAS * result.seconds
    if result.name == "exact" and slow:
        missed.append("speed-up")
    return f"{wants}: " + ("met" if not missed else "MISSED (" + ", ".join(missed) + ")")


def report(results: list[Run], full_scale: bool) -> None:
    """The side-by-side table, then each target and whether it is met."""
    pandas = next((r for r in results if r.name == "pandas" and not r.error), None)
    heads = ["rows", *OUTCOMES]
    print(
        f"{'implementation':<34} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} "
        + " ".join(f"{h:>10}" for h in heads)
        + f" {'speed-up':>9} {'memory':>7}"
    )
    for result in results:
        if result.error:
            print(
                f"{result.label:<34} {result.seconds:7.1f} {result.cpu_seconds:6.1f} "
                f"{result.peak_mb:8.0f}  {result.error}"
            )
            continue
        counts = _outcomes(result)
        rows = int((result.summary or {}).get("rows", 0))
        ratios = ""
        if pandas:
            ratios = (
                f" {pandas.seconds / result.seconds:8.2f}x {result.peak_mb / pandas.peak_mb:6.2f}x"
            )
        print(
            f"{result.label:<34} {result.seconds:7.1f} {result.cpu_seconds:6.1f} "
            f"{result.peak_mb:8.0f} "
            + " ".join(f"{n:>10,}" for n in (rows, *counts.values()))
            + ratios
        )
    print(
        "(cpu s: user + system time, all threads; peak MB: maximum resident set, MiB"
        + (
            "; speed-up: pandas's wall time / this one's; memory: this peak / pandas's)"
            if pandas
            else ")"
        )
    )
    if (load := os.getloadavg()[0]) > 0.5:
        print(f"note: load average {load:.1f} at the end: other work shared the cores")
    print()
    for result in results:
        if verdict := _verdict(result, pandas, full_scale):
            print(f"target, {result.label}: {verdict}")


def compare(first: Run, second: Run) -> None:
    """How two implementations' outcomes differ: the counts, then row by row."""
    if first.error or second.error:
        return
    print(f"\n{first.label} vs {second.label}:")
    a, b = _outcomes(first), _outcomes(second)
    for outcome in OUTCOMES:
        diff = b[outcome] - a[outcome]
        print(f"  {outcome:<11} {a[outcome]:>10,} {b[outcome]:>10,}   {diff:+,}")
    columns = {"source_row": pl.Int64, "outcome": pl.String}
    rows = pl.read_csv(first.out / "validation.csv", columns=list(columns)).join(
        pl.read_csv(second.out / "validation.csv", columns=list(columns)),
        on="source_row",
        how="full",
        suffix="_b",
    )
    differ = rows.filter(pl.col("outcome").ne_missing(pl.col("outcome_b")))
    print(f"  rows whose outcome differs: {differ.height:,} of {rows.height:,}")
    pairs = differ.group_by("outcome", "outcome_b").len().sort("len", descending=True)
    for was, now, count in pairs.head(12).iter_rows():
        print(f"    {was or '(no row)'} -> {now or '(no row)'}: {count:,}")


def main(
    rows: int = 1_000_000,
    events: int = 5_000_000,
    seed: int = 1,
    implementations: tuple[str, ...] = IMPLEMENTATIONS,
    generate_only: bool = False,
) -> None:
    data = generate(rows, events, seed)
    stats = data.stats
    print(
        f"\nValidation benchmark: {rows:,} legacy rows x {events:,} PAS events "
        f"({stats['pas_patients']:,} PAS patients), as of {AS_OF.isoformat()}"
    )
    how = f"made in {stats['generated_in_s']:.1f} s" if data.made else "reused"
    print(f"data ({how}): {data.legacy.relative_to(ROOT)}, {data.pas.relative_to(ROOT)}")
    print(
        f"  {stats['legacy_rows_without_valid_nhs_number']:,} rows without a valid NHS number, "
        f"{stats['legacy_duplicate_rows']:,} duplicate rows, "
        f"{stats['legacy_children_not_in_pas']:,} children PAS does not have; "
        f"{stats['pas_patients_without_nhs_number']:,} PAS patients without an NHS number"
    )
    if generate_only:
        return
    print(f"reference: the issue's targets on this machine ({os.cpu_count()} cores)\n")
    results = []
    for name in implementations:
        load = os.getloadavg()[0]
        print(f"running {LABELS[name]} ... (load average {load:.1f})", flush=True)
        results.append(run(name, data))
    print()
    report(results, full_scale=rows >= 1_000_000 and events >= 5_000_000)
    by_name = {result.name: result for result in results}
    for first, second in (("pandas", "exact"), ("exact", "full")):
        if first in by_name and second in by_name:
            compare(by_name[first], by_name[second])
    print()
