"""Running Clearway's background tasks (sending messages, fetching their status).

Tasks are django-tasks tasks kept in the database (``TASKS`` in settings; the tasks
themselves are in :mod:`clearway.contact.messaging`). django-tasks-db's own worker runs them:

- in production, as a service of its own: ``clearway manage db_worker`` (docs/messages.md);
- locally, ``clearway serve`` runs the same worker in a thread (:func:`start_local_helpers`),
  with the local Notify-compatible server when ``NOTIFY_BASE_URL`` points at this machine;
- in the tests, :func:`run_due_tasks` runs it in batch mode, in the test's own thread.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from clearway.contact.notify_server import NotifyServer, local_address, start_notify_server

logger = logging.getLogger(__name__)


def _worker(*, batch: bool, interval: float, max_tasks: int | None = None) -> Worker:
    return Worker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=f"clearway-{get_random_string(12)}",
    )


def run_due_tasks(*, max_tasks: int | None = None) -> int:
    """Run every task due now, with django-tasks-db's worker in batch mode, in this thread;
    return how many ran. Tasks due later (a status check in a minute) stay queued."""
    worker = _worker(batch=True, interval=0, max_tasks=max_tasks)
    worker.run()
    return worker._run_tasks


class BackgroundWorker:
    """django-tasks-db's worker in a thread of this process (for ``clearway serve``)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.worker = _worker(batch=False, interval=interval)
        self.thread = threading.Thread(target=self._run, name="clearway-tasks", daemon=True)

    def start(self) -> "BackgroundWorker":
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            while self.worker.running:
                try:
                    self.worker.run()
                except Exception:
                    logger.exception("The background worker stopped; starting it again")
                    time.sleep(5)
        finally:
            connections.close_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the task in hand (if any), then stop."""
        self.worker.running = False
        self.thread.join(timeout)


@dataclass
class LocalHelpers:
    """What ``clearway serve`` starts beside the site locally; ``stop()`` stops them all."""

    worker: BackgroundWorker
    notify_server: NotifyServer | None = None

    def stop(self) -> None:
        self.worker.stop()
        if self.notify_server is not None:
            self.notify_server.stop()


def start_local_helpers(say: Callable[[str], None] = print) -> LocalHelpers:
    """Start the background worker and, when ``NOTIFY_BASE_URL`` is on this machine and its
    port is free, the local Notify-compatible server (for local use only, never production)."""
    server = None
    address = local_address(settings.NOTIFY_BASE_URL)
    if address is not None:
        try:
            server, url = start_notify_server(*address)
        except OSError:
            say(
                f"Something is already listening at {settings.NOTIFY_BASE_URL}: Clearway sends "
                "text messages and emails there."
            )
        else:
            say(f"Local GOV.UK Notify stand-in at {url}: messages go nowhere else.")
    worker = BackgroundWorker().start()
    say("The background worker is running: queued messages are sent and their status fetched.")
    return LocalHelpers(worker=worker, notify_server=server)
