"""Every change to a child's pathway: one function per use case, each writing one event (or,
adding a whole list of children at once, one event for each).

Each function takes the acting user (or a named :class:`~clearway.core.actors.SystemActor`),
checks the step is allowed from the referral's current state, updates that state and appends
the event in one transaction. A refused step raises :class:`PathwayError` with a plain message
the pages show as it is.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from clearway.core.actors import actor_fields
from clearway.core.formatting import format_nhs_number
from clearway.pathways.models import (
    OPEN,
    REQUIREMENT_DONE,
    Carer,
    Consultant,
    DischargeReason,
    Event,
    EventKind,
    Patient,
    Priority,
    Referral,
    Requirement,
    RequirementState,
    School,
    Source,
    Status,
)
from clearway.pathways.presenters import in_sentence
from clearway.pathways.signals import referral_changed, referrals_added
from clearway.services.models import Service


class PathwayError(Exception):
    """A step that the pathway does not allow, explained in plain words.

    ``row``: when :func:`add_referrals` refuses a list, the position in it of the referral it
    refused (None when no one referral is to blame).
    """

    def __init__(self, message: str, *, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


def _day(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unrecorded date"


def _record(
    referral: Referral,
    kind: str,
    actor: Any,
    effective: dt.date,
    status_before: str,
    details: dict[str, Any] | None = None,
    reverses: Event | None = None,
    recorded_at: dt.datetime | None = None,
    *,
    commit: bool = True,
) -> Event:
    """Append an event to the referral's history (with ``commit=False``, the event unsaved, to
    be saved with others at once)."""
    event = Event(
        referral=referral,
        kind=kind,
        effective=effective,
        recorded_at=recorded_at or timezone.now(),
        status_before=status_before,
        status_after=referral.status,
        details=details or {},
        reverses=reverses,
        **actor_fields(actor),
    )
    if commit:
        event.save(force_insert=True)
        referral_changed.send(sender=Referral, referral=referral)
    return event


def _check_not_future(day: dt.date, what: str) -> None:
    if day > timezone.localdate():
        raise PathwayError(f"{what} cannot be in the future.")


@dataclass
class NewReferral:
    """What the add-a-referral form (or the demo, or an import) knows about a new child."""

    service: Service
    given_name: str
    family_name: str
    birth_date: dt.date
    received_on: dt.date
    nhs_number: str | None = None
    hospital_number: str | None = None
    source: str = Source.GP
    priority: str = Priority.ROUTINE
    consultant: Consultant | None = None
    school: School | None = None
    gp_practice: str = ""
    address: str = ""
    postcode: str = ""
    looked_after: bool = False
    social_worker_name: str = ""
    social_worker_phone: str = ""
    social_worker_email: str = ""
    carers: list[dict[str, Any]] = field(default_factory=list)
    requirements: dict[str, str] = field(default_factory=dict)


#: New referrals whose numbers are looked up in one query: each query's parameters stay well
#: inside every database's limit.
LOOKUP_CHUNK = 5000


class _KnownChildren:
    """The children that new referrals name by NHS or hospital number, and which of them have
    an open referral to the service (with its received date): those already recorded, found in
    one query, and then each child as a referral is added for them."""

    def __init__(self, service: Service, new_referrals: Sequence[NewReferral]) -> None:
        self.by_nhs: dict[str, Patient] = {}
        self.by_hospital: dict[str, Patient] = {}
        self.open_by_nhs: dict[str, tuple[Patient, dt.date]] = {}
        self.open_by_hospital: dict[str, tuple[Patient, dt.date]] = {}
        open_here = Referral.objects.for_service(service).filter(
            patient=OuterRef("pk"), status__in=OPEN
        )
        for start in range(0, len(new_referrals), LOOKUP_CHUNK):
            chunk = new_referrals[start : start + LOOKUP_CHUNK]
            nhs = {new.nhs_number for new in chunk if new.nhs_number}
            hospital = {new.hospital_number for new in chunk if new.hospital_number}
            if not nhs and not hospital:
                continue
            found = (
                Patient.objects.unscoped()
                .filter(Q(nhs_number__in=nhs) | Q(hospital_number__in=hospital))
                .annotate(open_received_on=Subquery(open_here.values("received_on")[:1]))
            )
            for patient in found:
                self.add(patient, patient.open_received_on)

    def add(self, patient: Patient, open_received_on: dt.date | None) -> None:
        """Know this child, and their open referral to the service if they have one."""
        for number, known, open_here in (
            (patient.nhs_number, self.by_nhs, self.open_by_nhs),
            (patient.hospital_number, self.by_hospital, self.open_by_hospital),
        ):
            if number:
                known[number] = patient
                if open_received_on is not None:
                    open_here[number] = (patient, open_received_on)

    def problems(self, new: NewReferral, today: dt.date) -> dict[str, str]:
        """See :func:`check_new_referral`."""
        problems: dict[str, str] = {}
        if new.birth_date > today:
            problems["birth_date"] = "Date of birth must be today or in the past"
        if new.received_on > today:
            problems["received_on"] = "Date referral received must be today or in the past"
        elif new.received_on < new.birth_date:
            problems["received_on"] = "Date referral received must be on or after the date of birth"
        if new.nhs_number and new.nhs_number in self.open_by_nhs:
            patient, received_on = self.open_by_nhs[new.nhs_number]
            problems["nhs_number"] = (
                f"{patient.full_name} (NHS number {format_nhs_number(new.nhs_number)}) "
                f"is already on the list, referred {_day(received_on)}"
            )
        if (
            new.hospital_number
            and "nhs_number" not in problems
            and new.hospital_number in self.open_by_hospital
        ):
            patient, received_on = self.open_by_hospital[new.hospital_number]
            problems["hospital_number"] = (
                f"{patient.full_name} (hospital number {new.hospital_number}) "
                f"is already on the list, referred {_day(received_on)}"
            )
        return problems

    def patient_for(self, new: NewReferral) -> Patient | None:
        """The child already known by the NHS number, or else by the hospital number."""
        patient = self.by_nhs.get(new.nhs_number) if new.nhs_number else None
        if patient is None and new.hospital_number:
            patient = self.by_hospital.get(new.hospital_number)
        if patient is not None and patient.birth_date != new.birth_date:
            raise PathwayError(
                "That NHS or hospital number belongs to a child with a different date of birth. "
                "Check the number before adding this referral."
            )
        return patient


def check_new_referral(new: NewReferral, today: dt.date | None = None) -> dict[str, str]:
    """The problems with a new referral, by field name, in words a person can act on.

    A child may wait for several services at once, but only once for each."""
    return _KnownChildren(new.service, [new]).problems(new, today or timezone.localdate())


def _new_patient(new: NewReferral) -> Patient:
    return Patient(
        nhs_number=new.nhs_number or None,
        hospital_number=new.hospital_number or None,
        given_name=new.given_name,
        family_name=new.family_name,
        birth_date=new.birth_date,
        address=new.address,
        postcode=new.postcode,
        school=new.school,
        gp_practice=new.gp_practice,
        looked_after=new.looked_after,
        social_worker_name=new.social_worker_name,
        social_worker_phone=new.social_worker_phone,
        social_worker_email=new.social_worker_email,
    )


def add_referral(
    actor: Any, new: NewReferral, *, recorded_at: dt.datetime | None = None
) -> Referral:
    """Put a child on the service's list: the referral's received date starts the clock."""
    (referral,) = add_referrals(actor, new.service, [new], recorded_at=recorded_at)
    return referral


@transaction.atomic
def add_referrals(
    actor: Any,
    service: Service,
    new_referrals: Sequence[NewReferral],
    *,
    recorded_at: dt.datetime | None = None,
) -> list[Referral]:
    """Put children on the service's list, all of them or none: each referral's received date
    starts its clock.

    Each is added, in order, as :func:`add_referral` adds one: checked
    (:func:`check_new_referral`, against the list as the earlier ones leave it), its child found
    by NHS number, then hospital number, or else recorded, its requirements in the states given,
    and a "referral received" event. The events share one ``recorded_at``: the moment the list
    was added. One query finds the children already recorded and one insert a table writes the
    rest, whatever the number of children (Django splits an insert only where the database
    limits a query's size: on SQLite, at 999 values). A refused referral raises
    :class:`PathwayError` with its position (``row``) and nothing is saved. See ADR 0004.
    """
    actor_fields(actor)
    if any(new.service.pk != service.pk for new in new_referrals):
        raise ValueError("Every new referral must be to the service named.")
    today = timezone.localdate()
    recorded_at = recorded_at or timezone.now()
    keys = service.pathway.requirement_keys
    known = _KnownChildren(service, new_referrals)
    patients: list[Patient] = []
    carers: list[Carer] = []
    referrals: list[Referral] = []
    requirements: list[Requirement] = []
    events: list[Event] = []
    for row, new in enumerate(new_referrals):
        try:
            problems = known.problems(new, today)
            if problems:
                raise PathwayError(" ".join(problems.values()))
            patient = known.patient_for(new)
        except PathwayError as error:
            error.row = row
            raise
        if patient is None:
            patient = _new_patient(new)
            patients.append(patient)
            carers += [Carer(patient=patient, **carer) for carer in new.carers]
        states = {key: new.requirements.get(key, RequirementState.OUTSTANDING) for key in keys}
        all_in = all(state == RequirementState.RECEIVED for state in states.values())
        referral = Referral(
            service=service,
            patient=patient,
            received_on=new.received_on,
            source=new.source,
            priority=new.priority,
            consultant=new.consultant,
            status=Status.READY_FOR_PANEL if all_in else Status.AWAITING_INFORMATION,
            ready_on=new.received_on if all_in else None,
        )
        known.add(patient, new.received_on)
        referrals.append(referral)
        requirements += [
            Requirement(
                referral=referral,
                kind=key,
                state=state,
                received_on=new.received_on if state == RequirementState.RECEIVED else None,
                requested_on=new.received_on if state == RequirementState.REQUESTED else None,
            )
            for key, state in states.items()
        ]
        events.append(
            _record(
                referral,
                EventKind.REFERRAL_RECEIVED,
                actor,
                new.received_on,
                "",
                {"source": new.source, "priority": new.priority, "requirements": states},
                recorded_at=recorded_at,
                commit=False,
            )
        )
    try:
        with transaction.atomic():
            # Each insert sets the new rows' ids on the objects (RETURNING, on SQLite and
            # PostgreSQL alike), so the rows after them can point at them.
            Patient.objects.bulk_create(patients)
            Carer.objects.bulk_create(carers)
            Referral.objects.bulk_create(referrals)
            Requirement.objects.bulk_create(requirements)
            Event.objects.bulk_create(events)
            referrals_added.send(sender=Referral, referrals=referrals)
    except IntegrityError as error:
        # Someone else added one of these children, or gave their number to another child,
        # since the checks above: the database's constraints refused it.
        raise PathwayError(
            f"{referrals[0].patient.full_name} already has an open referral to this service."
            if len(referrals) == 1
            else "One of these children was added to this service's list, or their NHS or "
            "hospital number given to another child, while the list was being added. "
            "Nothing was added."
        ) from error
    return referrals


def _requirement(referral: Referral, kind: str) -> Requirement:
    try:
        return referral.requirements.select_for_update().get(kind=kind)
    except Requirement.DoesNotExist:
        raise PathwayError(f"This pathway has no requirement called {kind!r}.") from None


def _locked(referral: Referral) -> Referral:
    """The referral, re-read and locked for this transaction, so two people cannot race."""
    locked = (
        Referral.objects.unscoped()
        .select_for_update()
        .select_related("patient", "service")
        .get(pk=referral.pk)
    )
    referral.__dict__.update(locked.__dict__)
    return referral


def _refuse_if_closed(referral: Referral, step: str) -> None:
    if referral.status == Status.DISCHARGED:
        raise PathwayError(
            f"{referral.patient.full_name} was discharged on {_day(referral.discharged_on)} "
            f"({referral.get_discharge_reason_display().lower()}), so {step}."
        )
    if referral.status == Status.ASSESSED:
        raise PathwayError(
            f"{referral.patient.full_name} was assessed on {_day(referral.assessed_on)}, so {step}."
        )


@transaction.atomic
def record_requirement_requested(
    actor: Any, referral: Referral, kind: str, requested_on: dt.date
) -> Event:
    """Record that a report or form was asked for."""
    _locked(referral)
    name = referral.service.pathway.requirement(kind).name
    _refuse_if_closed(referral, f"the {name.lower()} is no longer needed")
    _check_not_future(requested_on, "The date requested")
    requirement = _requirement(referral, kind)
    if requirement.state == RequirementState.RECEIVED:
        raise PathwayError(
            f"The {name.lower()} was already received on {_day(requirement.received_on)}."
        )
    if requirement.state == RequirementState.NOT_NEEDED:
        raise PathwayError(f"The {name.lower()} was recorded as not needed.")
    requirement.state = RequirementState.REQUESTED
    requirement.requested_on = requested_on
    requirement.save(update_fields=["state", "requested_on"])
    return _record(
        referral,
        EventKind.REQUIREMENT_REQUESTED,
        actor,
        requested_on,
        referral.status,
        {"requirement": kind},
    )


@transaction.atomic
def record_requirement_received(
    actor: Any,
    referral: Referral,
    kind: str,
    received_on: dt.date,
    *,
    recorded_at: dt.datetime | None = None,
) -> Event:
    """Record a report or form as received; the last one in makes the child ready for panel."""
    _locked(referral)
    name = referral.service.pathway.requirement(kind).name
    _refuse_if_closed(referral, f"the {name.lower()} cannot be recorded")
    if recorded_at is None:
        _check_not_future(received_on, "The date received")
    if received_on < referral.received_on:
        raise PathwayError(
            f"The date received must be on or after the referral, {_day(referral.received_on)}."
        )
    requirement = _requirement(referral, kind)
    if requirement.state == RequirementState.RECEIVED:
        raise PathwayError(
            f"The {name.lower()} was already recorded as received on "
            f"{_day(requirement.received_on)}."
        )
    requirement.state = RequirementState.RECEIVED
    requirement.received_on = received_on
    requirement.save(update_fields=["state", "received_on"])
    before = referral.status
    details: dict[str, Any] = {"requirement": kind}
    if _ready_now(referral, received_on):
        details["ready_for_panel"] = True
    return _record(
        referral,
        EventKind.REQUIREMENT_RECEIVED,
        actor,
        received_on,
        before,
        details,
        recorded_at=recorded_at,
    )


def _ready_now(referral: Referral, day: dt.date) -> bool:
    """Make a child waiting for information ready for panel once nothing is outstanding."""
    if referral.status != Status.AWAITING_INFORMATION:
        return False
    if referral.requirements.exclude(state__in=REQUIREMENT_DONE).exists():
        return False
    referral.status = Status.READY_FOR_PANEL
    referral.ready_on = day
    referral.save(update_fields=["status", "ready_on"])
    return True


@transaction.atomic
def record_requirement_not_needed(
    actor: Any, referral: Referral, kind: str, effective: dt.date, why: str
) -> Event:
    """The service decided the child goes to panel without this report (e.g. the family opted
    out of SaLT and the service chose to proceed without it). The reason is kept."""
    _locked(referral)
    name = referral.service.pathway.requirement(kind).name
    _refuse_if_closed(referral, f"the {name.lower()} cannot be changed")
    if not why.strip():
        raise PathwayError(f"Say why the {name.lower()} is not needed.")
    _check_not_future(effective, "The date decided")
    requirement = _requirement(referral, kind)
    if requirement.state in REQUIREMENT_DONE:
        raise PathwayError(
            f"The {name.lower()} is already {requirement.get_state_display().lower()}."
        )
    requirement.state = RequirementState.NOT_NEEDED
    requirement.save(update_fields=["state"])
    before = referral.status
    details: dict[str, Any] = {"requirement": kind, "why": why.strip()}
    if _ready_now(referral, effective):
        details["ready_for_panel"] = True
    return _record(referral, EventKind.REQUIREMENT_NOT_NEEDED, actor, effective, before, details)


@transaction.atomic
def reverse_requirement_received(actor: Any, referral: Referral, kind: str, why: str) -> Event:
    """Take back a report or form recorded as received by mistake (another child's report, or
    a different report): it goes back to asked for (or not requested, if it never was), and a
    child it left ready for panel is waiting for information again.

    The correction is recorded now, effective from the original's date, and names the
    "received" event it reverses, so "as now known" the report never arrived and "as recorded"
    both entries stand. A report recorded as received when the child was added (an import) has
    no event of its own: the correction then names none. A booked child keeps their booking
    until a person cancels it: the panel is theirs to change, not this correction's.
    """
    _locked(referral)
    name = in_sentence(referral.service.pathway.requirement(kind).name)
    _refuse_if_closed(referral, f"the {name} cannot be changed")
    if not why.strip():
        raise PathwayError(f"Say why the {name} was recorded as received by mistake.")
    requirement = _requirement(referral, kind)
    if requirement.state != RequirementState.RECEIVED:
        raise PathwayError(
            f"The {name} is not recorded as received "
            f"({requirement.get_state_display().lower()}), so there is nothing to take back."
        )
    if referral.status == Status.BOOKED:
        raise PathwayError(
            f"{referral.patient.full_name} is booked for panel on {_day(referral.panel_date)}: "
            f"cancel the booking first, then take back the {name}."
        )
    original = (
        referral.events.filter(
            kind=EventKind.REQUIREMENT_RECEIVED,
            details__requirement=kind,
            reversed_by__isnull=True,
        )
        .order_by("-recorded_at", "-pk")
        .first()
    )
    effective = original.effective if original else requirement.received_on
    requirement.state = (
        RequirementState.REQUESTED if requirement.requested_on else RequirementState.OUTSTANDING
    )
    requirement.received_on = None
    requirement.save(update_fields=["state", "received_on"])
    before = referral.status
    if referral.status == Status.READY_FOR_PANEL:
        referral.status = Status.AWAITING_INFORMATION
        referral.ready_on = None
        referral.save(update_fields=["status", "ready_on"])
    return _record(
        referral,
        EventKind.REVERSED,
        actor,
        effective or referral.received_on,
        before,
        {
            "why": why.strip(),
            "reversed_kind": EventKind.REQUIREMENT_RECEIVED.value,
            "requirement": kind,
        },
        reverses=original,
    )


@transaction.atomic
def book_for_panel(actor: Any, referral: Referral, panel_date: dt.date) -> Event:
    """Book a ready child onto a panel on this date."""
    _locked(referral)
    _refuse_if_closed(referral, "they cannot be booked for panel")
    if referral.status == Status.BOOKED:
        raise PathwayError(
            f"{referral.patient.full_name} is already booked for panel on "
            f"{_day(referral.panel_date)}."
        )
    if referral.status != Status.READY_FOR_PANEL:
        missing = [
            referral.service.pathway.requirement(r.kind).name.lower()
            for r in referral.requirements.exclude(state__in=REQUIREMENT_DONE)
        ]
        raise PathwayError(
            f"{referral.patient.full_name} is not ready for panel: still waiting for "
            f"{' and '.join(missing)}."
        )
    before = referral.status
    referral.status = Status.BOOKED
    referral.panel_date = panel_date
    referral.save(update_fields=["status", "panel_date"])
    return _record(
        referral,
        EventKind.BOOKED,
        actor,
        timezone.localdate(),
        before,
        {"panel_date": panel_date.isoformat()},
    )


@transaction.atomic
def cancel_booking(actor: Any, referral: Referral, reason: str) -> Event:
    """Take a child off a panel: they are ready again and keep their place in the queue."""
    _locked(referral)
    if referral.status != Status.BOOKED:
        raise PathwayError(f"{referral.patient.full_name} is not booked for a panel.")
    before = referral.status
    panel_date = referral.panel_date
    referral.status = Status.READY_FOR_PANEL
    referral.panel_date = None
    referral.save(update_fields=["status", "panel_date"])
    return _record(
        referral,
        EventKind.BOOKING_CANCELLED,
        actor,
        timezone.localdate(),
        before,
        {"panel_date": panel_date.isoformat() if panel_date else None, "reason": reason},
    )


@transaction.atomic
def record_assessed(actor: Any, referral: Referral, assessed_on: dt.date) -> Event:
    """The panel assessed the child: the clock stops on the panel date."""
    _locked(referral)
    _refuse_if_closed(referral, "they cannot be assessed again")
    if referral.status != Status.BOOKED:
        raise PathwayError(
            f"{referral.patient.full_name} must be booked onto a panel "
            "before an outcome is recorded."
        )
    _check_not_future(assessed_on, "The date assessed")
    before = referral.status
    referral.status = Status.ASSESSED
    referral.assessed_on = assessed_on
    referral.save(update_fields=["status", "assessed_on"])
    return _record(referral, EventKind.ASSESSED, actor, assessed_on, before)


@transaction.atomic
def discharge(
    actor: Any,
    referral: Referral,
    reason: str,
    effective: dt.date,
    note: str = "",
    *,
    evidence: dict[str, Any] | None = None,
    recorded_at: dt.datetime | None = None,
) -> Event:
    """Take a child off the list, with a reason, from the day it took effect.

    ``effective`` may be in the past: a discharge found by validation is effective on the day
    it happened, so the list "as now known" changes for the days since, while the list "as
    recorded" for those days does not.
    """
    _locked(referral)
    if reason not in DischargeReason.values:
        raise PathwayError("Choose a reason for the discharge.")
    if referral.status == Status.DISCHARGED:
        raise PathwayError(
            f"{referral.patient.full_name} was already discharged on "
            f"{_day(referral.discharged_on)}."
        )
    if reason == DischargeReason.ASSESSED and referral.status != Status.ASSESSED:
        raise PathwayError("Only a child recorded as assessed can be discharged as assessed.")
    if recorded_at is None:
        _check_not_future(effective, "The discharge date")
    if effective < referral.received_on:
        raise PathwayError(
            f"The discharge date must be on or after the referral, {_day(referral.received_on)}."
        )
    before = referral.status
    referral.status = Status.DISCHARGED
    referral.discharged_on = effective
    referral.discharge_reason = reason
    referral.save(update_fields=["status", "discharged_on", "discharge_reason"])
    if reason == DischargeReason.DECEASED and referral.patient.deceased_on is None:
        Patient.objects.unscoped().filter(pk=referral.patient_id).update(deceased_on=effective)
    details: dict[str, Any] = {"reason": reason, "note": note}
    if evidence:
        details["evidence"] = evidence
    return _record(
        referral, EventKind.DISCHARGED, actor, effective, before, details, recorded_at=recorded_at
    )


@transaction.atomic
def reverse_discharge(actor: Any, referral: Referral, why: str) -> Event:
    """Undo a wrong discharge: the child is back on the list as if never removed.

    The correction is recorded now and effective from the original's date, naming the event
    it reverses, so "as now known" the child never left, and "as recorded" both stand.
    """
    _locked(referral)
    if not why.strip():
        raise PathwayError("Say why the discharge was wrong.")
    if referral.status != Status.DISCHARGED:
        raise PathwayError(f"{referral.patient.full_name} is not discharged.")
    others = Referral.objects.for_service(referral.service_id).filter(
        patient=referral.patient, status__in=OPEN
    )
    if others.exists():
        raise PathwayError(
            f"{referral.patient.full_name} already has another open referral to this service."
        )
    original = (
        referral.events.filter(kind=EventKind.DISCHARGED, reversed_by__isnull=True)
        .order_by("-recorded_at", "-pk")
        .first()
    )
    if original is None:
        raise PathwayError("There is no discharge to reverse.")
    before = referral.status
    referral.status = original.status_before
    referral.discharged_on = None
    referral.discharge_reason = ""
    referral.save(update_fields=["status", "discharged_on", "discharge_reason"])
    if original.details.get("reason") == DischargeReason.DECEASED:
        Patient.objects.unscoped().filter(pk=referral.patient_id).update(deceased_on=None)
    return _record(
        referral,
        EventKind.REVERSED,
        actor,
        original.effective,
        before,
        {"why": why, "reversed_kind": original.kind},
        reverses=original,
    )
