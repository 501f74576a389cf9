"""The state machine and its history: each step writes one event; impossible steps are refused."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from clearway.core.actors import MissingActorError
from clearway.core.append_only import AppendOnlyError
from clearway.pathways import services
from clearway.pathways.models import (
    DischargeReason,
    Event,
    EventKind,
    Patient,
    Referral,
    RequirementState,
    Status,
)
from clearway.pathways.services import PathwayError
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 5, 3)


def receive_all(referral: Referral, on: dt.date = DAY) -> None:
    for kind in ("school_report", "salt_report", "consent"):
        services.record_requirement_received(TEST_ACTOR, referral, kind, on)


def test_a_new_referral_is_waiting_with_every_requirement_outstanding(make_referral):
    referral = make_referral(received_on=dt.date(2020, 2, 1))
    assert referral.status == Status.AWAITING_INFORMATION
    assert sorted(r.kind for r in referral.requirements.all()) == [
        "consent",
        "salt_report",
        "school_report",
    ]
    assert set(referral.requirements.values_list("state", flat=True)) == {
        RequirementState.OUTSTANDING
    }
    (event,) = referral.events.all()
    assert (event.kind, event.effective, event.status_after) == (
        EventKind.REFERRAL_RECEIVED,
        dt.date(2020, 2, 1),
        Status.AWAITING_INFORMATION,
    )
    assert event.actor_name == "Clearway tests (system)"


def test_a_change_without_an_actor_is_refused(make_referral):
    with pytest.raises(MissingActorError):
        make_referral(actor=None)
    referral = make_referral()
    with pytest.raises(MissingActorError):
        services.record_requirement_received(None, referral, "consent", DAY)
    assert referral.events.count() == 1


def test_the_last_report_in_makes_the_child_ready_for_panel(make_referral):
    referral = make_referral()
    services.record_requirement_received(TEST_ACTOR, referral, "school_report", dt.date(2021, 1, 5))
    services.record_requirement_received(TEST_ACTOR, referral, "consent", dt.date(2021, 2, 5))
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION
    event = services.record_requirement_received(
        TEST_ACTOR, referral, "salt_report", dt.date(2021, 3, 5)
    )
    referral.refresh_from_db()
    assert referral.status == Status.READY_FOR_PANEL
    assert referral.ready_on == dt.date(2021, 3, 5)
    assert event.details == {"requirement": "salt_report", "ready_for_panel": True}
    assert (event.status_before, event.status_after) == (
        Status.AWAITING_INFORMATION,
        Status.READY_FOR_PANEL,
    )


def test_a_report_cannot_be_received_twice(make_referral):
    referral = make_referral()
    services.record_requirement_received(TEST_ACTOR, referral, "school_report", DAY)
    with pytest.raises(PathwayError, match="already recorded as received on 3 May 2021"):
        services.record_requirement_received(TEST_ACTOR, referral, "school_report", DAY)
    assert referral.events.filter(kind=EventKind.REQUIREMENT_RECEIVED).count() == 1


def test_a_report_cannot_arrive_before_the_referral_or_in_the_future(make_referral):
    referral = make_referral(received_on=dt.date(2020, 1, 1))
    with pytest.raises(PathwayError, match="on or after the referral"):
        services.record_requirement_received(TEST_ACTOR, referral, "consent", dt.date(2019, 12, 31))
    with pytest.raises(PathwayError, match="cannot be in the future"):
        services.record_requirement_received(
            TEST_ACTOR, referral, "consent", dt.date.today() + dt.timedelta(days=2)
        )


def test_booking_needs_every_report(make_referral):
    referral = make_referral()
    services.record_requirement_received(TEST_ACTOR, referral, "consent", DAY)
    with pytest.raises(
        PathwayError, match="not ready for panel: still waiting for school report and salt report"
    ):
        services.book_for_panel(TEST_ACTOR, referral, dt.date(2021, 6, 1))


def test_the_pathway_from_referral_to_discharge(make_referral):
    referral = make_referral()
    receive_all(referral)
    services.book_for_panel(TEST_ACTOR, referral, dt.date(2021, 6, 1))
    with pytest.raises(PathwayError, match="already booked"):
        services.book_for_panel(TEST_ACTOR, referral, dt.date(2021, 6, 8))
    services.record_assessed(TEST_ACTOR, referral, dt.date(2021, 6, 1))
    referral.refresh_from_db()
    assert referral.status == Status.ASSESSED
    assert (
        referral.days_waiting(dt.date(2030, 1, 1))
        == (dt.date(2021, 6, 1) - referral.received_on).days
    )
    services.discharge(TEST_ACTOR, referral, DischargeReason.ASSESSED, dt.date(2021, 6, 2))
    kinds = list(referral.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == [
        "referral_received",
        "requirement_received",
        "requirement_received",
        "requirement_received",
        "booked",
        "assessed",
        "discharged",
    ]


def test_a_cancelled_booking_makes_the_child_ready_again(make_referral):
    referral = make_referral()
    receive_all(referral)
    services.book_for_panel(TEST_ACTOR, referral, dt.date(2021, 6, 1))
    services.cancel_booking(TEST_ACTOR, referral, "family asked to rearrange")
    referral.refresh_from_db()
    assert (referral.status, referral.panel_date) == (Status.READY_FOR_PANEL, None)


def test_a_discharged_child_cannot_be_booked_or_sent_reports(make_referral):
    referral = make_referral()
    receive_all(referral)
    services.discharge(TEST_ACTOR, referral, DischargeReason.MOVED_AWAY, DAY)
    with pytest.raises(
        PathwayError, match="discharged on 3 May 2021 \\(moved away\\), so they cannot be booked"
    ):
        services.book_for_panel(TEST_ACTOR, referral, dt.date(2021, 6, 1))
    with pytest.raises(PathwayError, match="already discharged"):
        services.discharge(TEST_ACTOR, referral, DischargeReason.MOVED_AWAY, DAY)


def test_only_an_assessed_child_is_discharged_as_assessed(make_referral):
    with pytest.raises(PathwayError, match="Only a child recorded as assessed"):
        services.discharge(TEST_ACTOR, make_referral(), DischargeReason.ASSESSED, DAY)


def test_a_death_is_recorded_on_the_child(make_referral):
    referral = make_referral()
    services.discharge(TEST_ACTOR, referral, DischargeReason.DECEASED, DAY)
    assert Patient.objects.unscoped().get(pk=referral.patient_id).deceased_on == DAY


def test_a_wrong_discharge_is_reversed_not_erased(make_referral):
    referral = make_referral()
    services.record_requirement_received(TEST_ACTOR, referral, "consent", dt.date(2020, 6, 1))
    discharge = services.discharge(
        TEST_ACTOR, referral, DischargeReason.SEEN_ELSEWHERE, dt.date(2020, 3, 1)
    )
    with pytest.raises(PathwayError, match="Say why"):
        services.reverse_discharge(TEST_ACTOR, referral, "  ")
    correction = services.reverse_discharge(TEST_ACTOR, referral, "Wrong child: namesake")
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION
    assert (referral.discharged_on, referral.discharge_reason) == (None, "")
    assert correction.reverses == discharge
    assert correction.effective == discharge.effective
    assert referral.events.count() == 4  # nothing removed


def test_one_open_referral_per_child(make_referral):
    first = make_referral(nhs_number="9991717811")
    with pytest.raises(PathwayError, match="already on the list"):
        make_referral(nhs_number="9991717811", hospital_number="RX9999999")
    services.discharge(TEST_ACTOR, first, DischargeReason.MOVED_AWAY, DAY)
    second = make_referral(
        nhs_number="9991717811",
        hospital_number=first.patient.hospital_number,
        received_on=dt.date(2021, 5, 10),
    )
    assert second.patient_id == first.patient_id


def test_a_number_belonging_to_another_child_is_refused(make_referral):
    first = make_referral(nhs_number="9991717811")
    services.discharge(TEST_ACTOR, first, DischargeReason.MOVED_AWAY, DAY)
    with pytest.raises(PathwayError, match="different date of birth"):
        make_referral(nhs_number="9991717811", birth_date=dt.date(2015, 7, 7))


def test_the_database_refuses_a_second_open_referral_even_past_the_service(make_referral):
    referral = make_referral()
    with pytest.raises(DatabaseError), transaction.atomic():
        Referral.objects.unscoped().create(patient=referral.patient, received_on=DAY)


def test_events_cannot_be_changed_or_deleted_by_the_app(make_referral):
    event = make_referral().events.get()
    event.effective = dt.date(2000, 1, 1)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(effective=dt.date(2000, 1, 1))
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).delete()


def test_the_database_refuses_to_change_an_event(make_referral):
    event = make_referral().events.get()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE pathways_event SET effective = %s WHERE id = %s", ["2000-01-01", event.pk]
        )
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM pathways_event WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).effective == event.effective
