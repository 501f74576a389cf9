"""``clearway validate LEGACY --pas PAS --as-of YYYY-MM-DD --out DIR``: no database needed.

Reads the legacy list and the PAS extract, validates every row, and writes
``DIR/validation.csv`` and ``DIR/summary.json``. Exits 0 on success, and 2 with a one-line
message naming the file and the problem when a file is missing, unreadable, or the PAS
extract lacks a required column. On a terminal it shows a progress bar.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

from clearway.validation.readers import ReadError

#: The share of the bar each stage fills (reading the list is the slowest part).
STAGES = {
    "reading the list": 35,
    "reading the PAS extract": 20,
    "matching": 20,
    "linking": 15,
    "deciding": 7,
    "writing": 3,
}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _memory(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", text.strip(), flags=re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of memory: use e.g. 1GB")
    return text.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("legacy", type=Path, help="the legacy list: xlsx, xls, ods or csv")
    parser.add_argument("--pas", type=Path, required=True, help="the PAS extract (csv)")
    parser.add_argument(
        "--as-of", type=_date, required=True, help="the validation date, YYYY-MM-DD"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    parser.add_argument(
        "--linkage",
        choices=("full", "exact"),
        default="full",
        help="full (default): probabilistic linkage for rows without a valid NHS number; "
        "exact: identifiers and exact names only",
    )
    parser.add_argument(
        "--panel-clinic",
        default="SCD Panel",
        help="the PAS clinic whose attendance means seen (default: 'SCD Panel')",
    )
    parser.add_argument(
        "--referral-clinic",
        default="SCD",
        help="the PAS clinic of this service's referrals, whose date stands in for a missing "
        "one on the list (default: 'SCD'; '' for any)",
    )
    parser.add_argument(
        "--memory-limit",
        type=_memory,
        default="1GB",
        help="the database engine's memory budget; beyond it work spills to a temporary "
        "folder (default: 1GB)",
    )
    parser.add_argument("--mapping", type=Path, help="a TOML or JSON file: header -> field")
    parser.add_argument("--sheet", help="the sheet to read (default: the first with a header)")


class _Bar:
    """One progress bar across the stages; silent when stderr is not a terminal."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=100,
            unit="%",
            disable=None,
            leave=False,
            bar_format="{desc} {bar} {percentage:3.0f}%",
        )
        self.done: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.done[stage] = STAGES.get(stage, 0) * (done / total if total else 1)
        self.bar.set_description_str(stage[:1].upper() + stage[1:])
        self.bar.n = min(100, round(sum(self.done.values())))
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


def run(args: argparse.Namespace) -> int:
    from clearway.validation.engine import Settings, check_pas, validate
    from clearway.validation.frame import read_legacy_table

    started = time.perf_counter()
    settings = Settings(
        as_of=args.as_of,
        panel_clinic=args.panel_clinic,
        referral_clinic=args.referral_clinic,
        linkage=args.linkage,
        memory_limit=args.memory_limit,
    )
    bar = _Bar()
    try:
        check_pas(args.pas)  # before the slow part: a wrong PAS file fails at once
        legacy = read_legacy_table(
            args.legacy, mapping=args.mapping, as_of=args.as_of, sheet=args.sheet, progress=bar
        )
        result = validate(
            legacy.table,
            args.pas,
            settings,
            progress=bar,
            skipped=[
                {"source_sheet": s.source_sheet, "source_row": s.source_row, "why": s.why}
                for s in legacy.skipped
            ],
            source=args.legacy.name,
        )
        bar("writing", 0, 1)
        csv_path, summary_path = result.write(args.out)
        bar("writing", 1, 1)
    except ReadError as error:
        bar.close()
        print(f"clearway validate: {error}", file=sys.stderr)
        return 2
    except ValueError as error:  # a mapping naming an unknown field
        bar.close()
        print(f"clearway validate: {args.mapping}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        bar.close()
        print(f"clearway validate: {error.filename or args.out}: {error.strerror}", file=sys.stderr)
        return 2
    bar.close()
    counts = ", ".join(f"{n:,} {outcome}" for outcome, n in result.outcome_counts().items() if n)
    print(
        f"{result.table.num_rows:,} rows validated as of {args.as_of:%-d %b %Y} in "
        f"{time.perf_counter() - started:.1f} s: {counts}."
    )
    for problem in result.pas.problems:
        print(f"Note: {problem}")
    if legacy.skipped:
        print(f"{len(legacy.skipped):,} rows skipped (blank, title or footer): see the summary.")
    print(f"Wrote {csv_path} and {summary_path}.")
    return 0
