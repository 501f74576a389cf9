"""The list as it stood on any past date, derived from the event history.

Two views of the past (see docs/history.md):

- **as now known** — every event, by its effective date;
- **as recorded** — only the events recorded by the end of that day.

A child is on the list on day D when their referral was received on or before D and no removal
(assessment or discharge) is in force on D; a removal stops being in force when a correction
that reverses it counts in the same view.
"""

import datetime as dt
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from clearway.pathways.models import REMOVALS, Event, EventKind, Referral, Status


def end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in the service's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def _events_counted(day: dt.date, as_recorded: bool) -> QuerySet[Event]:
    events = Event.objects.filter(referral=OuterRef("pk"), effective__lte=day)
    if as_recorded:
        events = events.filter(recorded_at__lte=end_of_day(day))
    return events


def on_list_as_at(day: dt.date, service: Any, *, as_recorded: bool = False) -> QuerySet[Referral]:
    """The service's referrals on its waiting list on ``day``, as now known or as recorded then."""
    corrections = Event.objects.filter(reverses=OuterRef("pk"), kind=EventKind.REVERSED)
    if as_recorded:
        corrections = corrections.filter(recorded_at__lte=end_of_day(day))
    removals = (
        _events_counted(day, as_recorded).filter(kind__in=REMOVALS).exclude(Exists(corrections))
    )
    started = _events_counted(day, as_recorded).filter(kind=EventKind.REFERRAL_RECEIVED)
    return Referral.objects.for_service(service).filter(Exists(started)).exclude(Exists(removals))


def status_as_at(day: dt.date, *, as_recorded: bool = False) -> Subquery:
    """The status after the latest counted, uncorrected event on or before ``day``."""
    corrections = Event.objects.filter(reverses=OuterRef("pk"))
    if as_recorded:
        corrections = corrections.filter(recorded_at__lte=end_of_day(day))
    latest = (
        _events_counted(day, as_recorded)
        .exclude(kind=EventKind.REVERSED)
        .exclude(Exists(corrections))
        .order_by("-effective", "-recorded_at", "-pk")
        .values("status_after")[:1]
    )
    return Subquery(latest)


@dataclass(frozen=True)
class ListFigures:
    """The list's headline figures on one day."""

    as_of: str
    as_recorded: bool
    waiting: int
    ready_for_panel: int
    mean_wait_days: float | None
    median_wait_days: float | None
    max_wait_days: int | None
    over_18_weeks: int
    over_52_weeks: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wait_figures(waits: list[int]) -> dict[str, Any]:
    """Mean, median, maximum and breaches of 18 and 52 weeks for a list of waits in days."""
    return {
        "waiting": len(waits),
        "mean_wait_days": round(statistics.fmean(waits), 1) if waits else None,
        "median_wait_days": float(statistics.median(waits)) if waits else None,
        "max_wait_days": max(waits) if waits else None,
        "over_18_weeks": sum(1 for w in waits if w > 18 * 7),
        "over_52_weeks": sum(1 for w in waits if w > 52 * 7),
    }


def list_figures(
    service: Any, day: dt.date | None = None, *, as_recorded: bool = False
) -> ListFigures:
    """The service's list's figures on ``day`` (today by default), as now known or as recorded
    then."""
    day = day or timezone.localdate()
    rows = (
        on_list_as_at(day, service, as_recorded=as_recorded)
        .annotate(status_then=status_as_at(day, as_recorded=as_recorded))
        .values_list("received_on", "status_then")
    )
    waits: list[int] = []
    ready = 0
    for received_on, status_then in rows.iterator(chunk_size=5000):
        waits.append((day - received_on).days)
        ready += status_then == Status.READY_FOR_PANEL
    return ListFigures(
        as_of=day.isoformat(), as_recorded=as_recorded, ready_for_panel=ready, **wait_figures(waits)
    )
