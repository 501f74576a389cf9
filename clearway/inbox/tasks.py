"""Fetching the shared inbox in the background, every few minutes.

:func:`fetch_inbox` is a django-tasks task (database backend, run by django-tasks-db's worker:
``clearway manage db_worker`` in production, a thread of ``clearway serve`` locally). It fetches
every enabled mailbox, then queues itself again ``CLEARWAY_INBOX_FETCH_MINUTES`` later: one
chain of fetches, never two (:func:`schedule_fetch` queues a fetch only when none is waiting).
The chain stops when no mailbox is enabled; :func:`start_fetching` starts it again (``clearway
serve`` calls it, and the admin does when a mailbox is saved enabled).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks import task as background_task
from django_tasks_db.models import DBTaskResult

from clearway.inbox.fetch import fetch_all
from clearway.inbox.models import Mailbox


@background_task()
def fetch_inbox() -> dict[str, Any]:
    """Fetch every enabled mailbox, then queue the next fetch (a background task)."""
    try:
        results = fetch_all()
    finally:
        if Mailbox.objects.filter(enabled=True).exists():
            schedule_fetch(delay=dt.timedelta(minutes=settings.CLEARWAY_INBOX_FETCH_MINUTES))
    return {
        "fetched": sum(result.count for result in results),
        "errors": [f"{result.mailbox.name}: {result.error}" for result in results if result.error],
    }


def waiting_fetches() -> Any:
    """The fetches queued and not yet started."""
    return DBTaskResult.objects.filter(
        task_path=fetch_inbox.module_path, status=TaskResultStatus.READY
    )


def schedule_fetch(delay: dt.timedelta = dt.timedelta(0)) -> bool:
    """Queue a fetch ``delay`` from now, unless one is already waiting; True if queued."""
    with transaction.atomic():
        if waiting_fetches().exists():
            return False
        if delay:
            fetch_inbox.using(run_after=timezone.now() + delay).enqueue()
        else:
            fetch_inbox.enqueue()
    return True


def start_fetching() -> str:
    """Start the chain of background fetches if a mailbox is enabled; what it did, in words."""
    names = list(Mailbox.objects.filter(enabled=True).values_list("name", flat=True))
    if not names:
        return ""
    schedule_fetch()
    minutes = settings.CLEARWAY_INBOX_FETCH_MINUTES
    return (
        f"The shared inbox ({', '.join(names)}) is fetched in the background every "
        f"{minutes:g} minute{'s' * (minutes != 1)}."
    )
