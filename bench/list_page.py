"""The waiting list with 100,000 referrals: first page, filtered search, and the list's figures.

Reference: the foundation issue's budget of 300 ms for the list page's first page and for a
filtered search on this machine (2 cores). The figures for a past date are compared with the
slow way the design warns against — replaying every child's events in Python.

Uses its own database under ``var/bench/`` (SQLite) unless ``DATABASE_URL`` is set; the loaded
data is kept between runs.
"""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

BUDGET_MS = 300.0
ROOT = Path(__file__).resolve().parents[1]


def _setup(children: int) -> None:
    bench_dir = ROOT / "var" / "bench"
    (bench_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CLEARWAY_ENV", "local")
    os.environ["ALLOWED_HOSTS"] = "testserver"  # Django's test client, in process
    os.environ["CLEARWAY_VAR_DIR"] = str(bench_dir)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{bench_dir / f'list-{children}.sqlite3'}")
    from clearway.cli import setup_django

    setup_django()
    from django.core.management import call_command

    from clearway.demo.service import load_demo
    from clearway.pathways.models import Referral

    call_command("migrate", interactive=False, verbosity=0)
    if Referral.objects.unscoped().filter(service__slug="scd").count() != children:
        started = time.perf_counter()
        load_demo(seed=1, reset=True, children=children)
        print(f"loaded {children:,} children in {time.perf_counter() - started:.1f} s")


def _time(call: Callable[[], object], repeat: int) -> list[float]:
    call()  # warm the caches once, as a page in use would be
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _row(name: str, times: list[float], reference_ms: float, reference: str) -> None:
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1] if len(times) > 1 else times[0]
    print(
        f"{name:<38} median {median:8.1f} ms   p95 {p95:8.1f} ms   "
        f"{reference:<22} {reference_ms:8.1f} ms   ratio {median / reference_ms:5.2f}"
    )


def main(children: int = 100_000, repeat: int = 20) -> None:
    _setup(children)
    import datetime as dt

    from django.db import connection
    from django.test import Client

    from clearway.accounts.models import Role, User
    from clearway.pathways.history import list_figures
    from clearway.pathways.models import Event, Referral
    from clearway.services.models import Service

    scd = Service.objects.get(slug="scd")
    user, _ = User.objects.get_or_create(username="bench", defaults={"role": Role.COORDINATOR})
    user.services.set([scd])
    client = Client()
    client.force_login(user)
    referrals = Referral.objects.for_service(scd)
    surname = referrals.order_by("pk").values_list("patient__family_name", flat=True)[0]

    def get(url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return response

        return call

    print(f"\nClearway list benchmark: {children:,} referrals on {connection.vendor}")
    print("reference: the issue's budget of 300 ms a page on this machine\n")
    _row("list, first page", _time(get("/children/"), repeat), BUDGET_MS, "budget")
    _row("list, page 1,000", _time(get("/children/?page=1000"), repeat), BUDGET_MS, "budget")
    search = f"/children/?q={surname}&outstanding=salt_report&wait=over-52&sort=longest"
    _row(f"search '{surname}' + 2 filters", _time(get(search), repeat), BUDGET_MS, "budget")
    _row(
        "search by NHS number", _time(get("/children/?q=999+000+0000"), repeat), BUDGET_MS, "budget"
    )

    day = dt.date.today() - dt.timedelta(days=200)
    fast = _time(lambda: list_figures(scd, day), max(3, repeat // 5))

    def replay() -> int:
        """The slow way: every child's events, replayed in Python."""
        removed: dict[int, bool] = {}
        started: set[int] = set()
        rows = Event.objects.filter(effective__lte=day, referral__service=scd).values_list(
            "referral_id", "kind", "pk"
        )
        reversed_ids = set(
            Event.objects.filter(kind="reversed").values_list("reverses_id", flat=True)
        )
        for referral_id, kind, pk in rows.iterator(chunk_size=10_000):
            if kind == "referral_received":
                started.add(referral_id)
            elif kind in ("assessed", "discharged") and pk not in reversed_ids:
                removed[referral_id] = True
        return len(started - set(removed))

    slow = _time(replay, 3)
    print()
    _row("figures on a past day (SQL)", fast, statistics.median(slow), "Python replay")
    print()
