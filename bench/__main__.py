"""Run the benchmarks: ``make bench`` or ``python -m bench [BENCHMARK ...] [options]``.

Benchmarks: ``list_page`` (the waiting list with 100,000 referrals), ``worklist`` (today's
worklist with 100,000 open referrals, and planning their tasks), ``validation``
(validating a 1,000,000-row legacy list against 5,000,000 PAS events: pandas, exact, full) and
``legacy_import`` (importing the case's 1,109-row list in one request). With none named, all
run. For example::

    python -m bench validation --rows 20000 --events 100000 --impl pandas --impl exact
"""

import argparse

from bench import legacy_import, list_page, validation, worklist

BENCHMARKS = ("list_page", "worklist", "validation", "legacy_import")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help=f"which to run: {', '.join(BENCHMARKS)} (default: all)",
    )
    page = parser.add_argument_group("list_page and worklist")
    page.add_argument("--children", type=int, default=100_000, help="referrals to load")
    page.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    valid = parser.add_argument_group("validation")
    valid.add_argument("--rows", type=int, default=1_000_000, help="legacy list rows")
    valid.add_argument("--events", type=int, default=5_000_000, help="PAS extract events")
    valid.add_argument("--seed", type=int, default=1, help="for the synthetic data")
    valid.add_argument(
        "--impl",
        action="append",
        choices=validation.IMPLEMENTATIONS,
        help="run only this implementation (repeatable; default: all three)",
    )
    valid.add_argument(
        "--generate-only", action="store_true", help="make (or find) the data, run nothing"
    )
    importing = parser.add_argument_group("legacy_import")
    importing.add_argument("--list-rows", type=int, default=1109, help="legacy list rows")
    importing.add_argument("--imports", type=int, default=5, help="timed imports")
    args = parser.parse_args()
    unknown = sorted(set(args.benchmarks) - set(BENCHMARKS))
    if unknown:
        parser.error(
            f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})"
        )
    chosen = args.benchmarks or BENCHMARKS
    if "list_page" in chosen:
        list_page.main(children=args.children, repeat=args.repeat)
    if "worklist" in chosen:
        worklist.main(children=args.children, repeat=args.repeat)
    if "validation" in chosen:
        validation.main(
            rows=args.rows,
            events=args.events,
            seed=args.seed,
            implementations=tuple(args.impl or validation.IMPLEMENTATIONS),
            generate_only=args.generate_only,
        )
    if "legacy_import" in chosen:
        legacy_import.main(rows=args.list_rows, repeat=args.imports)
