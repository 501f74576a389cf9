"""Run every benchmark: ``make bench`` or ``python -m bench [--children N]``."""

import argparse

from bench import list_page

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--children", type=int, default=100_000, help="referrals to load")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    args = parser.parse_args()
    list_page.main(children=args.children, repeat=args.repeat)
