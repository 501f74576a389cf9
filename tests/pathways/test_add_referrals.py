"""Adding a list of children at once (an import): the same records as adding each in turn, in a
handful of queries, and all of them or none."""

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from clearway.core.actors import MissingActorError
from clearway.pathways import services
from clearway.pathways.models import (
    Carer,
    Consultant,
    Event,
    EventKind,
    Patient,
    Referral,
    Requirement,
    RequirementState,
    Source,
    Status,
)
from clearway.pathways.services import NewReferral, PathwayError
from clearway.services.models import Service
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2021, 5, 3, 9, 30, tzinfo=dt.UTC)
RECEIVED = RequirementState.RECEIVED
REQUESTED = RequirementState.REQUESTED


def new_child(service: Service, n: int, nhs_number: str | None, **fields: Any) -> NewReferral:
    values: dict[str, Any] = {
        "service": service,
        "given_name": f"Child{n}",
        "family_name": "Listcase",
        "birth_date": dt.date(2015, 1, 1) + dt.timedelta(days=n),
        "received_on": dt.date(2020, 6, 1) + dt.timedelta(days=n),
        "nhs_number": nhs_number,
        "hospital_number": f"RL{n:06d}",
        "source": Source.OTHER,
    }
    values.update(fields)
    return NewReferral(**values)


def everything() -> dict[str, list[tuple[Any, ...]]]:
    """Every pathway record but its own id, each naming its child by name and birth date."""

    def child(prefix: str) -> list[str]:
        return [f"{prefix}given_name", f"{prefix}family_name", f"{prefix}birth_date"]

    def rows(queryset: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(queryset.values_list(*fields), key=repr)

    referral = ["service_id", *child("patient__"), "received_on"]
    return {
        "patients": rows(
            Patient.objects.unscoped(),
            *[f.attname for f in Patient._meta.concrete_fields if f.name != "id"],
        ),
        "carers": rows(
            Carer.objects.all(),
            *child("patient__"),
            *[f.attname for f in Carer._meta.concrete_fields if f.name not in ("id", "patient")],
        ),
        "referrals": rows(
            Referral.objects.unscoped(),
            *child("patient__"),
            *[
                f.attname
                for f in Referral._meta.concrete_fields
                if f.name not in ("id", "patient", "created_at")
            ],
        ),
        "requirements": rows(
            Requirement.objects.all(),
            *[f"referral__{f}" for f in referral],
            "kind",
            "state",
            "requested_on",
            "received_on",
        ),
        "events": rows(
            Event.objects.all(),
            *[f"referral__{f}" for f in referral],
            *[
                f.attname
                for f in Event._meta.concrete_fields
                if f.name not in ("id", "referral", "reverses")
            ],
            "reverses_id",
        ),
    }


def counts() -> tuple[int, ...]:
    return (
        Patient.objects.unscoped().count(),
        Carer.objects.count(),
        Referral.objects.unscoped().count(),
        Requirement.objects.count(),
        Event.objects.count(),
    )


@pytest.fixture
def mixed_list(
    service: Service,
    other_service: Service,
    make_referral: Callable[..., Referral],
    nhs_numbers: Iterator[str],
) -> list[NewReferral]:
    """Children new to Clearway and known to it: by NHS number, by hospital number only, with
    no number at all; reports in every state; a carer, a consultant, an urgent referral."""
    known_by_nhs = make_referral(
        service=other_service, birth_date=dt.date(2014, 3, 3), hospital_number=None
    ).patient
    known_by_hospital = make_referral(
        service=other_service,
        birth_date=dt.date(2013, 4, 4),
        nhs_number=None,
        hospital_number="RL900001",
    ).patient
    # Discharged from this service: a new referral is a second one for the same child.
    discharged = make_referral(birth_date=dt.date(2012, 5, 5))
    services.discharge(TEST_ACTOR, discharged, "opted_out", dt.date(2020, 2, 1), recorded_at=WHEN)
    consultant = Consultant.objects.create(name="Dr Okafor")
    carer = {"name": "Jo Listcase", "relationship": "father", "phone": "07700 900456"}
    every_report = {"school_report": RECEIVED, "salt_report": RECEIVED, "consent": RECEIVED}
    return [
        new_child(service, 1, next(nhs_numbers), carers=[carer], consultant=consultant),
        new_child(service, 2, next(nhs_numbers), requirements=every_report),
        new_child(
            service,
            3,
            known_by_nhs.nhs_number,
            given_name=known_by_nhs.given_name,
            birth_date=known_by_nhs.birth_date,
            hospital_number=None,
            requirements={"school_report": REQUESTED, "consent": RECEIVED},
        ),
        new_child(
            service,
            4,
            None,
            birth_date=known_by_hospital.birth_date,
            hospital_number="RL900001",
            priority="urgent",
        ),
        new_child(service, 5, None, hospital_number=None),
        new_child(service, 6, None, hospital_number=None),
        new_child(
            service,
            7,
            discharged.patient.nhs_number,
            birth_date=discharged.patient.birth_date,
            hospital_number=None,
        ),
    ]


def test_a_list_gives_the_same_records_as_adding_each_child_in_turn(
    service: Service, mixed_list: list[NewReferral]
) -> None:
    with transaction.atomic():
        for new in mixed_list:
            services.add_referral(TEST_ACTOR, new, recorded_at=WHEN)
        one_by_one = everything()
        transaction.set_rollback(True)
    before = counts()

    referrals = services.add_referrals(TEST_ACTOR, service, mixed_list, recorded_at=WHEN)

    assert everything() == one_by_one
    # 4 new children (the 3rd, 4th and 7th were known), 7 referrals, 3 reports each, 1 event each
    assert [b - a for a, b in zip(before, counts(), strict=True)] == [4, 1, 7, 21, 7]
    assert [(r.received_on, r.patient.birth_date) for r in referrals] == [
        (new.received_on, new.birth_date) for new in mixed_list
    ]
    assert referrals[1].status == Status.READY_FOR_PANEL
    assert referrals[1].ready_on == mixed_list[1].received_on
    assert (
        referrals[2].patient_id
        == Patient.objects.unscoped().get(nhs_number=mixed_list[2].nhs_number).pk
    )
    events = list(Event.objects.filter(referral__in=referrals).order_by("pk"))
    assert [e.referral_id for e in events] == [r.pk for r in referrals]
    assert {(e.kind, e.recorded_at, e.status_before) for e in events} == {
        (EventKind.REFERRAL_RECEIVED, WHEN, "")
    }
    assert events[2].details == {
        "source": "other",
        "priority": "routine",
        "requirements": {
            "school_report": "requested",
            "salt_report": "outstanding",
            "consent": "received",
        },
    }


def test_the_events_of_a_list_are_recorded_at_one_moment_in_the_list_s_order(
    service: Service, nhs_numbers: Iterator[str]
) -> None:
    rows = [new_child(service, n, next(nhs_numbers)) for n in range(1, 6)]
    started = timezone.now()
    referrals = services.add_referrals(TEST_ACTOR, service, rows)
    events = list(Event.objects.all())  # in the history's order: effective, recorded_at, pk
    assert [e.referral_id for e in events] == [r.pk for r in referrals]
    assert len({e.recorded_at for e in events}) == 1
    assert started <= events[0].recorded_at <= timezone.now()
    assert {e.actor_name for e in events} == {"Clearway tests (system)"}


@pytest.mark.parametrize("children", [1, 60])
def test_a_list_takes_the_same_few_queries_however_long(
    children: int,
    service: Service,
    other_service: Service,
    make_referral: Callable[..., Referral],
    nhs_numbers: Iterator[str],
    django_assert_max_num_queries: Any,
) -> None:
    known = make_referral(service=other_service, birth_date=dt.date(2015, 1, 1) + dt.timedelta(1))
    carer = {"name": "Jo Listcase", "relationship": "mother"}
    rows = [new_child(service, 1, known.patient.nhs_number, hospital_number=None)]
    rows += [
        new_child(service, n, next(nhs_numbers), carers=[carer]) for n in range(2, children + 1)
    ]
    # savepoints (2 + 2), one look-up, and one insert each of children, carers, referrals,
    # reports and events. (On SQLite Django splits an insert at 999 values: about 60 children.)
    # Then the worklist plans them all at once: the service's rules and manager, their reports,
    # chases, escalations, SaLT follow-ups and open tasks, and an insert of their tasks (split
    # as above: three for 60 children).
    with django_assert_max_num_queries(22):
        services.add_referrals(TEST_ACTOR, service, rows)
    assert Referral.objects.for_service(service).count() == children


def test_a_list_naming_a_child_already_on_the_list_is_refused_and_nothing_is_saved(
    service: Service, make_referral: Callable[..., Referral], nhs_numbers: Iterator[str]
) -> None:
    waiting = make_referral(given_name="Omar", family_name="Said", received_on=dt.date(2020, 1, 1))
    rows = [
        new_child(service, 1, next(nhs_numbers)),
        new_child(service, 2, next(nhs_numbers)),
        new_child(service, 3, waiting.patient.nhs_number, birth_date=waiting.patient.birth_date),
        new_child(service, 4, next(nhs_numbers)),
    ]
    before = counts()
    with pytest.raises(PathwayError, match=r"Omar Said .* is already on the list") as refused:
        services.add_referrals(TEST_ACTOR, service, rows)
    assert refused.value.row == 2
    assert counts() == before


def test_a_child_twice_in_a_list_is_refused_the_second_time(
    service: Service, nhs_numbers: Iterator[str]
) -> None:
    number = next(nhs_numbers)
    rows = [
        new_child(service, 1, number),
        new_child(service, 2, next(nhs_numbers)),
        new_child(service, 3, None, hospital_number="RL000001"),  # the first child's
    ]
    with pytest.raises(PathwayError, match="Child1 Listcase") as refused:
        services.add_referrals(TEST_ACTOR, service, rows)
    assert refused.value.row == 2
    rows[2] = new_child(service, 3, number, hospital_number=None)
    with pytest.raises(PathwayError, match="Child1 Listcase") as again:
        services.add_referrals(TEST_ACTOR, service, rows)
    assert again.value.row == 2
    assert counts() == (0, 0, 0, 0, 0)


def test_a_number_of_a_child_born_on_another_day_is_refused(
    service: Service, make_referral: Callable[..., Referral], other_service: Service
) -> None:
    known = make_referral(service=other_service, birth_date=dt.date(2016, 2, 1))
    before = counts()
    rows = [new_child(service, 1, None), new_child(service, 2, known.patient.nhs_number)]
    with pytest.raises(PathwayError, match="different date of birth") as refused:
        services.add_referrals(TEST_ACTOR, service, rows)
    assert refused.value.row == 1
    assert counts() == before


def test_the_database_still_refuses_a_second_open_referral_if_the_checks_are_outrun(
    service: Service,
    make_referral: Callable[..., Referral],
    nhs_numbers: Iterator[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiting = make_referral()
    # As if a colleague added the child between the checks and the inserts.
    monkeypatch.setattr(services._KnownChildren, "problems", lambda self, new, today: {})
    rows = [
        new_child(service, 1, next(nhs_numbers)),
        new_child(service, 2, waiting.patient.nhs_number, birth_date=waiting.patient.birth_date),
    ]
    before = counts()
    with pytest.raises(PathwayError, match="Nothing was added") as refused:
        services.add_referrals(TEST_ACTOR, service, rows)
    assert refused.value.row is None
    assert counts() == before
    # The transaction is still usable after the refusal (on PostgreSQL too).
    assert Referral.objects.for_service(service).count() == 1


def test_a_list_needs_an_actor_and_one_service(
    service: Service, other_service: Service, nhs_numbers: Iterator[str]
) -> None:
    rows = [new_child(service, 1, next(nhs_numbers))]
    with pytest.raises(MissingActorError):
        services.add_referrals(None, service, rows)
    with pytest.raises(ValueError, match="the service named"):
        services.add_referrals(TEST_ACTOR, other_service, rows)
    assert services.add_referrals(TEST_ACTOR, service, []) == []
    assert counts() == (0, 0, 0, 0, 0)
