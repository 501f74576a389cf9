"""Today's work, a task, the call screen, chase rules and the workload, through the test client."""

import datetime as dt
import html as html_lib
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from clearway.accounts.models import Role
from clearway.contact import services
from clearway.contact.models import (
    ChaseRuleChange,
    ContactRecord,
    SaltStage,
    Task,
    TaskState,
)
from clearway.pathways import services as pathway
from clearway.pathways.models import DischargeReason, Referral, RequirementState

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def referral(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral(
        given_name="Ella", family_name="Brook", received_on=TODAY - dt.timedelta(days=40)
    )


def open_task(referral: Referral, kind: str, requirement: str = "") -> Task:
    query = Task.all_objects.filter(referral=referral, kind=kind, state=TaskState.OPEN)
    return query.filter(requirement=requirement).get() if requirement else query.get()


def test_the_worklist_shows_what_is_due_longest_waiting_first_with_counts(
    coordinator_client: Any, make_referral: Callable[..., Referral]
) -> None:
    newer = make_referral(given_name="Newer", received_on=TODAY - dt.timedelta(days=3))
    older = make_referral(given_name="Older", received_on=TODAY - dt.timedelta(days=300))
    page = coordinator_client.get("/worklist/")
    assert page.status_code == 200
    html = html_lib.unescape(page.content.decode())
    assert "Today's work" in html
    assert html.index(older.patient.listed_name) < html.index(newer.patient.listed_name)
    assert "Ask for the school report</a>: <strong>2</strong>" in html
    assert "Check SaLT sent the invitation</a>: <strong>1</strong>" in html  # only the older
    filtered = html_lib.unescape(
        coordinator_client.get("/worklist/?kind=request:consent").content.decode()
    )
    assert "Ask for the opt-in and consent form" in filtered


def test_the_worklist_with_nothing_due_says_so(coordinator_client: Any) -> None:
    html = html_lib.unescape(coordinator_client.get("/worklist/").content.decode())
    assert "Nothing is due today" in html
    assert "You are up to date" in html


def test_a_child_who_died_is_never_on_the_worklist(
    coordinator_client: Any, referral: Referral, coordinator: Any
) -> None:
    pathway.discharge(coordinator, referral, DischargeReason.DECEASED, TODAY, "GP letter")
    html = html_lib.unescape(coordinator_client.get("/worklist/").content.decode())
    assert referral.patient.listed_name not in html


def test_a_task_done_from_its_page_moves_the_worklist_on(
    coordinator_client: Any, referral: Referral
) -> None:
    task = open_task(referral, "request", "school_report")
    page = coordinator_client.get(f"/worklist/tasks/{task.pk}/")
    assert page.status_code == 200
    assert "Ask for the school report" in html_lib.unescape(page.content.decode())
    response = coordinator_client.post(
        f"/worklist/tasks/{task.pk}/",
        {"action": "done", "done-outcome": "Emailed the school office"},
    )
    assert response.status_code == 302
    assert referral.requirements.get(kind="school_report").state == RequirementState.REQUESTED
    assert open_task(referral, "chase", "school_report").due_on == TODAY + dt.timedelta(days=14)
    # Sent again (a double click): refused, nothing changes.
    again = coordinator_client.post(
        f"/worklist/tasks/{task.pk}/", {"action": "done", "done-outcome": "Again"}
    )
    assert again.status_code == 200
    assert Task.all_objects.filter(referral=referral, kind="chase").count() == 1


def test_a_task_can_be_put_aside_with_a_reason_or_given_to_a_colleague(
    coordinator_client: Any, referral: Referral, make_user: Callable[..., Any]
) -> None:
    task = open_task(referral, "request", "consent")
    missing = coordinator_client.post(f"/worklist/tasks/{task.pk}/", {"action": "snooze"})
    assert "Enter put aside until" in html_lib.unescape(missing.content.decode())
    day = TODAY + dt.timedelta(days=5)
    coordinator_client.post(
        f"/worklist/tasks/{task.pk}/",
        {
            "action": "snooze",
            "snooze-until_day": day.day,
            "snooze-until_month": day.month,
            "snooze-until_year": day.year,
            "snooze-reason": "Family on holiday",
        },
    )
    task.refresh_from_db()
    assert task.snoozed_until == day
    colleague = make_user(Role.SECRETARY, username="sec", first_name="Pat", last_name="Lee")
    coordinator_client.post(
        f"/worklist/tasks/{task.pk}/", {"action": "assign", "assign-person": colleague.pk}
    )
    task.refresh_from_db()
    assert task.assigned_to == colleague


def test_the_salt_steps_are_recorded_from_the_task_page(
    coordinator_client: Any, referral: Referral
) -> None:
    task = open_task(referral, "salt_check_invite")
    sent = TODAY - dt.timedelta(days=2)
    response = coordinator_client.post(
        f"/worklist/tasks/{task.pk}/",
        {
            "action": "salt",
            "salt-sent": "yes",
            "salt-sent_on_day": sent.day,
            "salt-sent_on_month": sent.month,
            "salt-sent_on_year": sent.year,
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.salt_follow_up.stage == SaltStage.CALL_CARER
    call = open_task(referral, "salt_call_carer")
    assert call.due_on == sent + dt.timedelta(days=7)


def test_the_call_screen_records_an_opt_in_in_a_few_clicks(
    coordinator_client: Any, referral: Referral, coordinator: Any
) -> None:
    services.record_salt_invite_check(coordinator, referral, sent_on=TODAY - dt.timedelta(days=8))
    task = open_task(referral, "salt_call_carer")
    page = coordinator_client.get(f"/referrals/{referral.pk}/call/?task={task.pk}")
    html = html_lib.unescape(page.content.decode())
    assert "A kind call, in four steps" in html
    assert "Jo Testcase" in html and "07700 900123" in html
    assert "(ring first)" in html
    carer_key = f"carer:{referral.patient.carers.get().pk}"
    response = coordinator_client.post(
        f"/referrals/{referral.pk}/call/?task={task.pk}",
        {
            "recipient": carer_key,
            "outcome": "spoke",
            "decision": "opted_in",
            "note": "Letter arrived; Jo would like SaLT",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/worklist/"
    record = ContactRecord.objects.get(referral=referral, channel="phone", decision="opted_in")
    assert record.recipient_name == "Jo Testcase"
    referral.refresh_from_db()
    assert referral.salt_follow_up.stage == SaltStage.AWAITING_APPOINTMENT
    # The child's record shows the call in its contact history.
    child = html_lib.unescape(coordinator_client.get(f"/referrals/{referral.pk}/").content.decode())
    assert "Phone call to Jo Testcase" in child


def test_the_call_screen_refuses_a_child_who_died(
    coordinator_client: Any, referral: Referral, coordinator: Any
) -> None:
    pathway.discharge(coordinator, referral, DischargeReason.DECEASED, TODAY, "GP letter")
    html = html_lib.unescape(
        coordinator_client.get(f"/referrals/{referral.pk}/call/").content.decode()
    )
    assert "Do not contact anyone about this referral" in html
    assert "Save the call" not in html


def test_the_manager_changes_a_chase_rule_with_a_reason(
    manager_client: Any, coordinator_client: Any, service: Any
) -> None:
    page = html_lib.unescape(coordinator_client.get("/worklist/rules/").content.decode())
    assert "chase 14 days after asking" in page
    assert "?requirement=school_report" not in page  # only the manager changes them
    missing = manager_client.post(
        "/worklist/rules/",
        {
            "requirement": "school_report",
            "request_after_days": 0,
            "chase_after_days": 7,
            "chase_every_days": 7,
            "escalate_after_chases": 3,
        },
    )
    assert "Say why the rule is changing" in html_lib.unescape(missing.content.decode())
    response = manager_client.post(
        "/worklist/rules/",
        {
            "requirement": "school_report",
            "request_after_days": 0,
            "chase_after_days": 7,
            "chase_every_days": 7,
            "escalate_after_chases": 3,
            "why": "Schools answer within a week",
        },
    )
    assert response.status_code == 302
    assert ChaseRuleChange.objects.get(service=service).why == "Schools answer within a week"
    assert "Schools answer within a week" in html_lib.unescape(
        manager_client.get("/worklist/rules/").content.decode()
    )


def test_the_workload_shows_tasks_done_per_person_and_what_waits_on_whom(
    manager_client: Any, referral: Referral, coordinator: Any
) -> None:
    services.complete_task(coordinator, open_task(referral, "request", "consent"), "Posted")
    html = html_lib.unescape(manager_client.get("/worklist/workload/").content.decode())
    assert "Sam Coordinator" in html
    assert "Anyone in the team (not assigned)" in html


def test_clinicians_do_not_work_the_list(clinician_client: Any) -> None:
    assert clinician_client.get("/worklist/").status_code == 403


def test_a_death_recorded_outside_the_pathway_still_keeps_the_child_off_the_page(
    coordinator_client: Any, referral: Referral
) -> None:
    # Recorded without a pathway event (an administrator's correction): no re-planning ran,
    # so the tasks are still open; the page checks each row it shows all the same.
    type(referral.patient).objects.unscoped().filter(pk=referral.patient_id).update(
        deceased_on=TODAY
    )
    assert Task.all_objects.filter(referral=referral, state=TaskState.OPEN).exists()
    html = html_lib.unescape(coordinator_client.get("/worklist/").content.decode())
    assert referral.patient.listed_name not in html
    task = Task.all_objects.filter(referral=referral, state=TaskState.OPEN).first()
    assert task is not None
    page = html_lib.unescape(coordinator_client.get(f"/worklist/tasks/{task.pk}/").content.decode())
    assert "Do not contact anyone about this referral" in page


def test_the_coordinator_starts_the_day_on_today_s_work_and_others_on_the_list(
    coordinator_client: Any, secretary_client: Any, manager_client: Any
) -> None:
    assert coordinator_client.get("/")["Location"] == "/worklist/"
    assert secretary_client.get("/")["Location"] == "/children/"
    assert manager_client.get("/")["Location"] == "/children/"
