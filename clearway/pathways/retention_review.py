"""The records past their retention date, and a person's approval of each for deletion review.

The dates come from the pure rule in :mod:`clearway.pathways.retention`. Nothing here deletes:
approving only records who decided, when, and why.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from clearway.core.actors import actor_fields
from clearway.pathways.models import OPEN, Patient, Referral, RetentionDecision
from clearway.pathways.retention import (
    CHILD_RETENTION_AGE,
    YEARS_AFTER,
    care_ended,
    referral_care_ended,
    retain_until,
)


class RetentionError(Exception):
    """An approval that cannot be recorded, explained in plain words."""


@dataclass(frozen=True)
class PastRetention:
    """A child whose record is past its date on ``day``, and its approval, if there is one."""

    patient: Patient
    care_ended_on: dt.date
    retain_until: dt.date
    day: dt.date
    decision: RetentionDecision | None

    @property
    def days_past(self) -> int:
        return (self.day - self.retain_until).days


def _due_dates(day: dt.date, patients: Any) -> dict[int, tuple[dt.date, dt.date]]:
    """{patient pk: (care ended, retain until)} for those of ``patients`` past their date."""
    # Only a child born in or before the year 25 years ago, or who died in or before the year
    # 8 years ago, can be past their date: the rule never gives an earlier one.
    patients = patients.filter(
        Q(birth_date__lt=dt.date(day.year - CHILD_RETENTION_AGE + 1, 1, 1))
        | Q(deceased_on__lt=dt.date(day.year - YEARS_AFTER + 1, 1, 1))
    )
    people = {
        pk: (born, died)
        for pk, born, died in patients.values_list("pk", "birth_date", "deceased_on")
    }
    referrals: dict[int, list[tuple[bool, dt.date | None]]] = defaultdict(list)
    # Every service's referrals count: a child is one record, kept while any service needs it.
    rows = (
        Referral.objects.unscoped()
        .filter(patient__in=patients.values("pk"))
        .values_list("patient_id", "status", "discharged_on", "assessed_on")
    )
    for patient_id, status, discharged_on, assessed_on in rows:
        referrals[patient_id].append(
            (status in OPEN, referral_care_ended(discharged_on, assessed_on))
        )
    due = {}
    for pk, (born, died) in people.items():
        ended = care_ended(referrals.get(pk, []))
        if ended is None:
            continue
        until = retain_until(born, ended, died)
        if day > until:
            due[pk] = (ended, until)
    return due


def past_retention(day: dt.date, patients: Any) -> list[PastRetention]:
    """Those of ``patients`` (a service's children) whose every referral is closed and whose
    record is past its date on ``day``, longest past first, each with its approval for deletion
    review if one was recorded."""
    due = _due_dates(day, patients)
    children = Patient.objects.unscoped().in_bulk(list(due))
    decisions = {
        (d.patient_id, d.retain_until): d
        for d in RetentionDecision.objects.filter(patient__in=list(due))
    }
    found = [
        PastRetention(
            patient=children[pk],
            care_ended_on=ended,
            retain_until=until,
            day=day,
            decision=decisions.get((pk, until)),
        )
        for pk, (ended, until) in due.items()
    ]
    return sorted(found, key=lambda r: (r.retain_until, r.patient.family_name, r.patient.pk))


@transaction.atomic
def approve_for_deletion_review(
    actor: Any, patient: Patient, note: str, day: dt.date
) -> RetentionDecision:
    """Record that ``actor`` approved this child's record for deletion review. Deletes nothing.

    Refused unless the record is past its date on ``day`` and not yet approved for that date.
    """
    fields = actor_fields(actor)
    if not note.strip():
        raise RetentionError("Enter a note about this approval.")
    Patient.objects.unscoped().select_for_update().filter(pk=patient.pk).first()
    due = _due_dates(day, Patient.objects.unscoped().filter(pk=patient.pk))
    if patient.pk not in due:
        raise RetentionError(f"{patient.full_name}'s record is not past its retention date.")
    _, until = due[patient.pk]
    try:
        with transaction.atomic():
            return RetentionDecision.objects.create(
                patient=patient, retain_until=until, note=note.strip(), **fields
            )
    except IntegrityError:
        raise RetentionError(
            f"{patient.full_name}'s record is already approved for deletion review."
        ) from None
