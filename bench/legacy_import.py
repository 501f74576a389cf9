"""Importing a legacy list of 1,109 rows (the case's list) as a coordinator does: one request.

Reference: the row-by-row import it replaced, one ``add_referral`` (about ten queries) and one
audit entry per child: 10,233 queries; on SQLite 11.5 to 12.3 s for the service and 12.7 to
20 s for the request on this machine (2 cores, busy with other work); on PostgreSQL 21 to
135 s, each child's look-ups planned against tables growing inside the transaction. A
coordinator waited, and a 10,000-row list would have timed out. Now: 78 queries on SQLite (20
on PostgreSQL), about 1.5 s for the service and 2.2 s (2.5 s) for the request.

Two figures, each the median of ``--repeat`` runs on the same uploaded file, every run rolled
back so the next one imports the same children again: the service alone
(``import_legacy_list``, with its query count) and the whole web request a coordinator waits
for (``POST`` of the check page with "Import", which also reads and checks the list and writes
the audit trail). Wall time and this process's CPU time are both shown, and the load average:
other work on the machine slows the wall time.

The list is synthetic (``bench.validation``'s generator: NHS numbers in the 999 test range,
some blank or mistyped, duplicate rows, a footer), made once under ``var/bench/import/``.
Uses its own SQLite database there unless ``DATABASE_URL`` is set.
"""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench" / "import"
#: The row-by-row import's service time on SQLite (see above).
REFERENCE_S = 12.3


class _RolledBack(Exception):
    """Raised to roll a timed run back."""


def _counting(counted: list[int]) -> Callable[..., Any]:
    """A database execute wrapper that counts queries (cheaper than Django's debug cursor)."""

    def wrapper(execute: Callable[..., Any], *args: Any) -> Any:
        counted[0] += 1
        return execute(*args)

    return wrapper


def _since(started: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - started[0], time.process_time() - started[1]


def _setup(rows: int) -> Path:
    (BENCH_DIR / "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CLEARWAY_ENV", "local")
    os.environ["ALLOWED_HOSTS"] = "testserver"  # Django's test client, in process
    os.environ["CLEARWAY_VAR_DIR"] = str(BENCH_DIR)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'import.sqlite3'}")
    from bench import validation

    data = validation.generate(rows=rows, events=rows * 4, seed=1, directory=BENCH_DIR)
    from clearway.cli import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return data.legacy


def main(rows: int = 1109, repeat: int = 5) -> None:
    legacy_csv = _setup(rows)
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse

    from clearway.accounts.models import Role, User
    from clearway.intake import services
    from clearway.intake.models import LegacyImport, UploadKind
    from clearway.pathways.models import Referral
    from clearway.services.models import DEFAULT_SERVICE_SLUG, Service
    from clearway.validation.readers import read_legacy

    scd = Service.objects.get(slug=DEFAULT_SERVICE_SLUG)
    if Referral.objects.for_service(scd).exists() or LegacyImport.objects.exists():
        raise SystemExit(f"{connection.settings_dict['NAME']} is not empty: use a fresh database")
    user, _ = User.objects.get_or_create(
        username="bench", defaults={"role": Role.COORDINATOR, "first_name": "Bench"}
    )
    user.services.set([scd])
    upload = services.receive_upload(
        user, scd, UploadKind.LEGACY_LIST, [legacy_csv.read_bytes()], legacy_csv.name
    )
    columns = read_legacy(upload.path).columns
    post = {
        f"column_{c.letter}": c.field or "" for c in columns if not c.header.startswith("column ")
    }
    post |= {"action": "import", "acknowledge": "on"}
    check_url = reverse("intake:check-list", kwargs={"upload": upload.pk})
    client = Client()
    client.force_login(user)

    service_times: list[tuple[float, float]] = []
    request_times: list[tuple[float, float]] = []
    queries = imported = 0
    for _ in range(repeat):
        try:
            with transaction.atomic():
                counted = [0]
                with connection.execute_wrapper(_counting(counted)):
                    started = time.perf_counter(), time.process_time()
                    batch = services.import_legacy_list(user, upload)
                    service_times.append(_since(started))
                queries, imported = counted[0], batch.imported_count
                raise _RolledBack
        except _RolledBack:
            pass
        try:
            with transaction.atomic():
                started = time.perf_counter(), time.process_time()
                response = client.post(check_url, post)
                request_times.append(_since(started))
                assert response.status_code == 302, response.status_code
                raise _RolledBack
        except _RolledBack:
            pass

    print(
        f"legacy list of {rows:,} rows ({imported:,} imported) on {connection.vendor}, "
        f"median of {repeat} (load average {os.getloadavg()[0]:.1f}):"
    )
    for name, times, extra in (
        ("import_legacy_list", service_times, f"{queries:,} queries"),
        ("the import request", request_times, ""),
    ):
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        print(f"  {name:<20} {wall:6.2f} s wall  {cpu:6.2f} s CPU   {extra}")
    print(f"  reference (row by row, import_legacy_list) {REFERENCE_S:.1f} s")
