"""Taking back a report or form recorded as received by mistake: the service, the child's
history and worklist, and the two-step page coordinators use."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.audit.models import AuditEntry
from clearway.contact.models import Task, TaskKind, TaskState
from clearway.pathways import services
from clearway.pathways.history import list_figures, on_list_as_at
from clearway.pathways.models import (
    DischargeReason,
    Event,
    EventKind,
    Referral,
    RequirementState,
    Status,
)
from clearway.pathways.presenters import timeline
from clearway.pathways.services import PathwayError
from tests.conftest import TEST_ACTOR
from tests.documents.factories import stored_document
from tests.pathways.test_views import banner, error_summary, page, text_of

pytestmark = pytest.mark.django_db

MakeReferral = Callable[..., Referral]
ASKED = dt.date(2021, 4, 1)
RECEIVED_ON = dt.date(2021, 5, 3)
RECEIVED = RequirementState.RECEIVED
WHY = "It was Emma's school report, filed to Ella"


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def ready_child(make_referral: MakeReferral, **fields: Any) -> Referral:
    """A child made ready for panel by their school report, the last one in."""
    referral = make_referral(
        requirements={"salt_report": RECEIVED, "consent": RECEIVED},
        recorded_at=at(dt.date(2020, 1, 1)),
        **fields,
    )
    services.record_requirement_received(
        TEST_ACTOR, referral, "school_report", RECEIVED_ON, recorded_at=at(RECEIVED_ON)
    )
    referral.refresh_from_db()
    assert referral.status == Status.READY_FOR_PANEL
    return referral


def entries(referral: Referral) -> list[str]:
    """The child's history as its page words it, newest first."""
    return [item["text"] for item in timeline(referral, referral.service.pathway)]


# The service ------------------------------------------------------------------------------


def test_a_report_asked_for_goes_back_to_asked_for(make_referral: MakeReferral) -> None:
    referral = make_referral()
    services.record_requirement_requested(TEST_ACTOR, referral, "school_report", ASKED)
    received = services.record_requirement_received(
        TEST_ACTOR, referral, "school_report", RECEIVED_ON
    )

    correction = services.reverse_requirement_received(
        TEST_ACTOR, referral, "school_report", f"  {WHY} "
    )

    requirement = referral.requirements.get(kind="school_report")
    assert (requirement.state, requirement.requested_on, requirement.received_on) == (
        RequirementState.REQUESTED,
        ASKED,
        None,
    )
    assert correction.kind == EventKind.REVERSED
    assert correction.reverses == received
    assert correction.effective == RECEIVED_ON  # from the original's date, recorded now
    assert correction.details == {
        "why": WHY,
        "reversed_kind": EventKind.REQUIREMENT_RECEIVED,
        "requirement": "school_report",
    }
    assert (correction.status_before, correction.status_after) == (
        Status.AWAITING_INFORMATION,
        Status.AWAITING_INFORMATION,
    )
    assert referral.events.count() == 4  # nothing removed
    assert entries(referral)[0] == (
        f"Correction: the school report was not received after all – {WHY}"
    )


def test_a_report_never_asked_for_goes_back_to_not_requested(make_referral: MakeReferral) -> None:
    referral = make_referral()
    services.record_requirement_received(TEST_ACTOR, referral, "salt_report", RECEIVED_ON)
    services.reverse_requirement_received(TEST_ACTOR, referral, "salt_report", "Wrong child")
    requirement = referral.requirements.get(kind="salt_report")
    assert (requirement.state, requirement.received_on) == (RequirementState.OUTSTANDING, None)
    # "SaLT" keeps its capitals in the sentence.
    assert entries(referral)[0] == (
        "Correction: the SaLT report was not received after all – Wrong child"
    )


def test_a_child_it_made_ready_for_panel_is_waiting_for_information_again(
    make_referral: MakeReferral,
) -> None:
    referral = ready_child(make_referral)

    correction = services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)

    referral.refresh_from_db()
    assert (referral.status, referral.ready_on) == (Status.AWAITING_INFORMATION, None)
    assert (correction.status_before, correction.status_after) == (
        Status.READY_FOR_PANEL,
        Status.AWAITING_INFORMATION,
    )
    texts = entries(referral)
    assert texts[0] == (
        "Correction: the school report was not received after all (no longer ready for "
        f"panel) – {WHY}"
    )
    original = next(i for i in timeline(referral, referral.service.pathway) if i["reversed_by"])
    assert original["text"] == "School report received – ready for panel"
    with pytest.raises(PathwayError, match="is not ready for panel: still waiting for school"):
        services.book_for_panel(TEST_ACTOR, referral, dt.date(2030, 1, 1))

    # The real report arrives: received again, ready again; a second mistake reverses it.
    again = services.record_requirement_received(
        TEST_ACTOR, referral, "school_report", dt.date(2021, 6, 1)
    )
    referral.refresh_from_db()
    assert (referral.status, referral.ready_on) == (Status.READY_FOR_PANEL, dt.date(2021, 6, 1))
    second = services.reverse_requirement_received(
        TEST_ACTOR, referral, "school_report", "Still the wrong one"
    )
    assert second.reverses == again
    assert second.effective == dt.date(2021, 6, 1)


def test_a_report_recorded_as_received_when_the_child_was_added_can_be_taken_back(
    make_referral: MakeReferral,
) -> None:
    # An imported child's report has no "received" event of its own: the correction names none.
    referral = make_referral(received_on=dt.date(2020, 2, 1), requirements={"consent": RECEIVED})
    correction = services.reverse_requirement_received(
        TEST_ACTOR, referral, "consent", "The list was wrong: no form on file"
    )
    assert correction.reverses is None
    assert correction.effective == dt.date(2020, 2, 1)
    assert referral.requirements.get(kind="consent").state == RequirementState.OUTSTANDING
    assert entries(referral)[0] == (
        "Correction: the opt-in and consent form was not received after all – The list was "
        "wrong: no form on file"
    )


@pytest.mark.parametrize("state", ["outstanding", "requested", "not_needed"])
def test_a_report_not_recorded_as_received_is_refused(
    make_referral: MakeReferral, state: str
) -> None:
    referral = make_referral()
    if state == "requested":
        services.record_requirement_requested(TEST_ACTOR, referral, "school_report", ASKED)
    if state == "not_needed":
        services.record_requirement_not_needed(
            TEST_ACTOR, referral, "school_report", ASKED, "Home educated"
        )
    events = referral.events.count()
    with pytest.raises(PathwayError) as refused:
        services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)
    label = RequirementState(state).label.lower()
    assert str(refused.value) == (
        f"The school report is not recorded as received ({label}), so there is nothing to "
        "take back."
    )
    assert referral.events.count() == events


def test_a_correction_needs_a_reason(make_referral: MakeReferral) -> None:
    referral = ready_child(make_referral)
    with pytest.raises(PathwayError) as refused:
        services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", "  ")
    assert str(refused.value) == "Say why the school report was recorded as received by mistake."
    referral.refresh_from_db()
    assert referral.status == Status.READY_FOR_PANEL
    assert referral.requirements.get(kind="school_report").state == RECEIVED


def test_a_child_booked_for_panel_keeps_the_report_until_the_booking_is_cancelled(
    make_referral: MakeReferral,
) -> None:
    referral = ready_child(make_referral, given_name="Ella")
    services.book_for_panel(TEST_ACTOR, referral, dt.date(2030, 3, 5))
    events = referral.events.count()

    with pytest.raises(PathwayError) as refused:
        services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)

    assert str(refused.value) == (
        "Ella Testcase is booked for panel on 5 March 2030: cancel the booking first, then "
        "take back the school report."
    )
    assert referral.events.count() == events
    assert referral.requirements.get(kind="school_report").state == RECEIVED
    services.cancel_booking(TEST_ACTOR, referral, "Wrong report filed")
    services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)
    referral.refresh_from_db()
    assert referral.status == Status.AWAITING_INFORMATION


def test_a_closed_referral_is_refused(make_referral: MakeReferral) -> None:
    discharged = make_referral(given_name="Ella")
    services.record_requirement_received(TEST_ACTOR, discharged, "consent", RECEIVED_ON)
    services.discharge(TEST_ACTOR, discharged, DischargeReason.MOVED_AWAY, dt.date(2021, 6, 1))
    with pytest.raises(PathwayError) as refused:
        services.reverse_requirement_received(TEST_ACTOR, discharged, "consent", WHY)
    assert str(refused.value) == (
        "Ella Testcase was discharged on 1 June 2021 (moved away), so the opt-in and consent "
        "form cannot be changed."
    )
    assessed = ready_child(make_referral)
    services.book_for_panel(TEST_ACTOR, assessed, dt.date(2021, 7, 1))
    services.record_assessed(TEST_ACTOR, assessed, dt.date(2021, 7, 1))
    with pytest.raises(PathwayError, match="was assessed on 1 July 2021, so the school report"):
        services.reverse_requirement_received(TEST_ACTOR, assessed, "school_report", WHY)
    assert assessed.requirements.get(kind="school_report").state == RECEIVED


def test_the_worklist_chases_the_report_again(make_referral: MakeReferral) -> None:
    referral = make_referral()
    services.record_requirement_requested(TEST_ACTOR, referral, "school_report", ASKED)
    open_tasks = Task.all_objects.filter(
        referral=referral, requirement="school_report", state=TaskState.OPEN
    )
    assert list(open_tasks.values_list("kind", flat=True)) == [TaskKind.CHASE]
    services.record_requirement_received(TEST_ACTOR, referral, "school_report", RECEIVED_ON)
    assert not open_tasks.exists()  # the report came in: nothing to chase

    services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)

    (chase,) = open_tasks
    assert chase.kind == TaskKind.CHASE
    assert chase.basis_on == ASKED  # chased from when it was asked for


def test_the_worklist_asks_again_for_a_report_never_requested(
    make_referral: MakeReferral,
) -> None:
    referral = ready_child(make_referral)
    assert not Task.all_objects.filter(referral=referral, state=TaskState.OPEN).exists()
    services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)
    tasks = Task.all_objects.filter(referral=referral, state=TaskState.OPEN)
    assert list(tasks.values_list("kind", "requirement")) == [(TaskKind.REQUEST, "school_report")]


def test_the_list_as_it_stood_is_right_in_both_views(make_referral: MakeReferral) -> None:
    referral = ready_child(make_referral)
    services.reverse_requirement_received(TEST_ACTOR, referral, "school_report", WHY)
    service = referral.service
    day = RECEIVED_ON + dt.timedelta(days=1)
    # Who is on the list does not change: a report is not a removal.
    for as_recorded in (False, True):
        assert list(on_list_as_at(day, service, as_recorded=as_recorded)) == [referral]
    # As recorded then, the child was ready; as now known, they never were.
    assert list_figures(service, day, as_recorded=True).ready_for_panel == 1
    assert list_figures(service, day).ready_for_panel == 0
    assert list_figures(service).ready_for_panel == 0


# The page ---------------------------------------------------------------------------------


def undo_url(referral: Referral, kind: str = "school_report") -> str:
    return reverse("pathways:reverse-requirement", kwargs={"pk": referral.pk, "kind": kind})


def record_url(referral: Referral) -> str:
    return reverse("pathways:referral", kwargs={"pk": referral.pk})


def links(response: Any) -> dict[str, str]:
    """Each link's text by its address (a visually hidden suffix read on, as a screen reader
    reads it)."""
    return {
        a.attrs.get("href", ""): a.all_text().replace(" :", ":")
        for a in page(response).find_all("a")
    }


def test_the_record_offers_to_take_back_a_received_report_to_coordinators(
    coordinator_client: Client,
    secretary_client: Client,
    clinician_client: Client,
    make_referral: MakeReferral,
) -> None:
    referral = ready_child(make_referral)
    found = links(coordinator_client.get(record_url(referral)))
    assert found[undo_url(referral)] == "Recorded by mistake? Take it back: School report"
    assert found[undo_url(referral, "consent")].endswith(": Opt-in and consent form")
    for client in (secretary_client, clinician_client):
        assert undo_url(referral) not in links(client.get(record_url(referral)))
    # Not for a report not yet received, nor once the child has left the list.
    waiting = make_referral()
    assert undo_url(waiting) not in links(coordinator_client.get(record_url(waiting)))
    services.discharge(TEST_ACTOR, referral, DischargeReason.MOVED_AWAY, dt.date(2021, 6, 1))
    assert undo_url(referral) not in links(coordinator_client.get(record_url(referral)))


def test_the_page_says_what_will_happen_then_asks_to_check_and_confirm(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = ready_child(make_referral, given_name="Ella")
    url = undo_url(referral)

    first = page(coordinator_client.get(url))
    assert first.find("h1").all_text() == "Take back the school report"
    happens = first.find(id="what-will-happen").all_text()
    assert "The school report goes back to not requested, and Today's work asks for it." in (
        happens
    )
    assert "Ella is no longer ready for panel" in happens

    response = coordinator_client.post(url, {"why": WHY})

    check = page(response)
    assert check.find("h1").all_text() == "Check and take back the school report"
    text = check.all_text()
    assert "Recorded as received 3 May 2021" in text
    assert "Goes back to Not requested" in text
    assert f"Why {WHY}" in text
    referral.refresh_from_db()
    assert referral.status == Status.READY_FOR_PANEL  # nothing changed yet
    assert not referral.events.filter(kind=EventKind.REVERSED).exists()

    response = coordinator_client.post(url, {"why": WHY, "confirm": "yes"})

    assert response.status_code == 302
    child = coordinator_client.get(response["Location"])
    assert banner(child) == (
        "The school report is no longer recorded as received. Ella Testcase is no longer ready "
        "for panel."
    )
    assert "Status Awaiting information" in text_of(child)
    history = page(child).find("ol", cls="app-timeline").all_text()
    assert "Correction: the school report was not received after all" in history
    correction = referral.events.get(kind=EventKind.REVERSED)
    assert correction.actor_name == "Test Coordinator"
    assert AuditEntry.objects.filter(
        obj=f"referral {referral.pk}: school_report received taken back"
    ).exists()


def test_a_report_asked_for_is_said_to_go_back_to_asked_for(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    services.record_requirement_requested(TEST_ACTOR, referral, "school_report", ASKED)
    services.record_requirement_received(TEST_ACTOR, referral, "school_report", RECEIVED_ON)
    happens = page(coordinator_client.get(undo_url(referral))).find(id="what-will-happen")
    assert (
        "The school report goes back to asked for (it was asked for on 1 April 2021), and "
        "Today's work chases it again."
    ) in happens.all_text()
    assert "no longer ready" not in happens.all_text()
    response = coordinator_client.post(undo_url(referral), {"why": WHY})
    assert "Goes back to Requested (asked for on 1 April 2021)" in text_of(response)


def test_the_page_needs_a_reason(coordinator_client: Client, make_referral: MakeReferral) -> None:
    referral = ready_child(make_referral)
    for answers in ({"why": ""}, {"why": " ", "confirm": "yes"}):
        response = coordinator_client.post(undo_url(referral), answers)
        assert error_summary(response) == [
            ("Say why the school report was recorded as received by mistake", "#id_why")
        ]
    assert referral.requirements.get(kind="school_report").state == RECEIVED


def test_a_booked_child_s_page_says_to_cancel_the_booking_first(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = ready_child(make_referral, given_name="Ella")
    services.book_for_panel(TEST_ACTOR, referral, dt.date(2030, 3, 5))
    shown = page(coordinator_client.get(undo_url(referral)))
    assert "Cancel the panel booking first" in shown.all_text()
    assert not shown.find_all("textarea")

    response = coordinator_client.post(undo_url(referral), {"why": WHY, "confirm": "yes"})

    assert error_summary(response) == [
        (
            "Ella Testcase is booked for panel on 5 March 2030: cancel the booking first, then "
            "take back the school report.",
            "#main-content-form",
        )
    ]
    assert referral.requirements.get(kind="school_report").state == RECEIVED


def test_a_report_not_received_has_nothing_to_take_back(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    referral = make_referral()
    shown = page(coordinator_client.get(undo_url(referral)))
    assert shown.find("h1").all_text() == "The school report cannot be taken back"
    assert "not recorded as received (it is not requested)" in shown.all_text()
    assert not shown.find_all("textarea")


def test_a_filed_report_points_to_marking_the_document_as_filed_in_error(
    coordinator_client: Client, make_referral: MakeReferral, settings: Any, tmp_path: Path
) -> None:
    settings.CLEARWAY_UPLOAD_DIR = tmp_path
    referral = ready_child(make_referral)
    document = stored_document(referral, "ella-school.pdf")
    found = links(coordinator_client.get(undo_url(referral)))
    mark = reverse("documents:file-in-error", kwargs={"pk": document.pk})
    assert found[mark] == "Mark ella-school.pdf as filed in error"


def test_only_coordinators_and_admins_take_back_a_report(
    secretary_client: Client, make_referral: MakeReferral
) -> None:
    referral = ready_child(make_referral)
    response = secretary_client.post(undo_url(referral), {"why": WHY, "confirm": "yes"})
    assert response.status_code == 403
    assert referral.requirements.get(kind="school_report").state == RECEIVED
    assert not Event.objects.filter(referral=referral, kind=EventKind.REVERSED).exists()


def test_a_requirement_the_pathway_does_not_have_is_page_not_found(
    coordinator_client: Client, make_referral: MakeReferral
) -> None:
    assert coordinator_client.get(undo_url(make_referral(), "x_ray")).status_code == 404
