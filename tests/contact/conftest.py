"""Fixtures for contact: the local Notify-compatible server, and time passing for tasks."""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db.models import F
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from clearway.contact.notify_server import NotifyServer, start_notify_server
from clearway.contact.tasks import run_due_tasks


@pytest.fixture
def notify_server(settings: Any) -> Iterator[NotifyServer]:
    """The local Notify-compatible server on a free port of 127.0.0.1, for this test, with
    Clearway's (test) key and templates; Clearway's client is pointed at it. A message is
    "sending" after 1 second and delivered after 3 (``server.advance(seconds)`` moves its
    clock on)."""
    server, url = start_notify_server("127.0.0.1", 0, sending_after=1.0, final_after=3.0)
    settings.NOTIFY_BASE_URL = url
    yield server
    server.stop()


@pytest.fixture
def time_passes(notify_server: NotifyServer) -> Callable[[float], int]:
    """time_passes(seconds): that long later, for the tasks waiting in the database and for the
    Notify server; then the worker runs every task due. Returns how many tasks ran."""

    def later(seconds: float) -> int:
        notify_server.advance(seconds)
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, run_after__lt=get_date_max()
        ).update(run_after=F("run_after") - dt.timedelta(seconds=seconds))
        return run_due_tasks()

    return later
