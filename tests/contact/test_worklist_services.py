"""The worklist kept in step with the pathway: planning, doing, snoozing, calls and the SaLT
follow-up, with the real database."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from clearway.accounts.models import Role
from clearway.contact import services
from clearway.contact.models import (
    CallDecision,
    CallOutcome,
    ChaseRuleChange,
    ContactRecord,
    SaltStage,
    Task,
    TaskAction,
    TaskEvent,
    TaskKind,
    TaskState,
)
from clearway.contact.presenters import due_tasks
from clearway.contact.recipients import ContactRefused, default_recipient, family_recipients
from clearway.pathways import services as pathway
from clearway.pathways.definition import ChaseRule
from clearway.pathways.models import Carer, DischargeReason, Referral, RequirementState, Status

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def open_tasks(referral: Referral) -> set[tuple[str, str]]:
    return {
        (t.kind, t.requirement)
        for t in Task.all_objects.filter(referral=referral, state=TaskState.OPEN)
    }


def task(referral: Referral, kind: str, requirement: str = "") -> Task:
    query = Task.all_objects.filter(referral=referral, kind=kind, state=TaskState.OPEN)
    if requirement:
        query = query.filter(requirement=requirement)
    return query.get()


@pytest.fixture
def referral(make_referral: Callable[..., Referral], coordinator: Any) -> Referral:
    referral = make_referral(received_on=TODAY - dt.timedelta(days=30))
    Carer.objects.create(
        patient=referral.patient,
        name="Sam Carter",
        relationship="mother",
        parental_responsibility=True,
        phone="07700 900123",
        main_contact=True,
    )
    services.plan_referral(referral)
    return referral


def test_a_new_referral_is_planned_asks_for_its_reports_and_starts_the_salt_follow_up(
    referral: Referral,
) -> None:
    assert open_tasks(referral) == {
        ("request", "school_report"),
        ("request", "consent"),
        ("salt_check_invite", "salt_report"),
    }
    # Referred 30 days ago: all three are due today (SaLT's check after 14 days).
    assert due_tasks(referral.service, TODAY).filter(referral=referral).count() == 3


def test_adding_a_referral_through_the_pathway_plans_it_in_the_same_transaction(
    make_referral: Callable[..., Referral],
) -> None:
    referral = make_referral()
    assert ("request", "school_report") in open_tasks(referral)


def test_a_request_done_is_recorded_on_the_pathway_and_planned_for_a_chase(
    referral: Referral, coordinator: Any
) -> None:
    services.complete_task(
        coordinator, task(referral, "request", "school_report"), "Emailed the school"
    )
    requirement = referral.requirements.get(kind="school_report")
    assert requirement.state == RequirementState.REQUESTED
    chase = task(referral, "chase", "school_report")
    assert chase.due_on == TODAY + dt.timedelta(days=14)
    assert chase.sequence == 1
    assert TaskEvent.objects.filter(action=TaskAction.DONE, actor=coordinator).count() == 1


def test_a_double_click_does_a_task_once(referral: Referral, coordinator: Any) -> None:
    request = task(referral, "request", "school_report")
    services.complete_task(coordinator, request, "Emailed the school")
    with pytest.raises(services.WorkError, match="already done"):
        services.complete_task(coordinator, Task.all_objects.get(pk=request.pk), "Again")


def test_three_chases_then_an_escalation_to_the_manager(
    referral: Referral, coordinator: Any, make_user: Callable[..., Any]
) -> None:
    manager = make_user(Role.MANAGER, username="manager")
    services.complete_task(coordinator, task(referral, "request", "consent"), "Posted the form")
    for n in (1, 2, 3):
        chase = task(referral, "chase", "consent")
        assert chase.sequence == n
        services.complete_task(coordinator, chase, f"Chase {n}: rang and posted another form")
    escalation = task(referral, "escalate", "consent")
    assert escalation.assigned_to == manager
    assert "service manager" in escalation.why
    services.complete_task(manager, escalation, "Wrote to the family myself")
    assert task(referral, "chase", "consent").sequence == 4


def test_a_report_received_closes_its_chase_and_the_last_one_makes_the_child_ready(
    referral: Referral, coordinator: Any
) -> None:
    services.complete_task(coordinator, task(referral, "request", "school_report"), "Emailed")
    pathway.record_requirement_received(coordinator, referral, "school_report", TODAY)
    assert ("chase", "school_report") not in open_tasks(referral)
    pathway.record_requirement_received(coordinator, referral, "consent", TODAY)
    pathway.record_requirement_received(coordinator, referral, "salt_report", TODAY)
    referral.refresh_from_db()
    assert referral.status == Status.READY_FOR_PANEL
    assert open_tasks(referral) == set()


def test_a_child_recorded_as_died_has_every_task_closed_and_no_contact(
    referral: Referral, coordinator: Any
) -> None:
    services._callback(
        coordinator, referral, TODAY + dt.timedelta(days=2), family_recipients(referral)[0]
    )
    pathway.discharge(coordinator, referral, DischargeReason.DECEASED, TODAY, "Informed by GP")
    assert open_tasks(referral) == set()
    assert due_tasks(referral.service, TODAY + dt.timedelta(days=30)).count() == 0
    referral.refresh_from_db()
    assert family_recipients(referral) == []
    with pytest.raises(ContactRefused, match="died"):
        services.record_call(
            coordinator,
            referral,
            recipient=_carer(referral),
            outcome=CallOutcome.SPOKE,
        )


def _carer(referral: Referral) -> Any:
    from clearway.contact.recipients import Recipient

    return Recipient("carer:1", "carer", "Sam Carter", "mother", phone="07700 900123")


def test_a_snoozed_task_leaves_the_worklist_until_its_day(
    referral: Referral, coordinator: Any
) -> None:
    request = task(referral, "request", "school_report")
    services.snooze_task(coordinator, request, TODAY + dt.timedelta(days=3), "School closed")
    assert not due_tasks(referral.service, TODAY).filter(pk=request.pk).exists()
    assert due_tasks(referral.service, TODAY + dt.timedelta(days=3)).filter(pk=request.pk).exists()
    with pytest.raises(services.WorkError, match="after today"):
        services.snooze_task(coordinator, request, TODAY, "no")


def test_a_task_is_given_only_to_someone_in_the_service(
    referral: Referral, coordinator: Any, make_user: Callable[..., Any], other_service: Any
) -> None:
    colleague = make_user(Role.SECRETARY, username="sec")
    services.assign_task(coordinator, task(referral, "request", "consent"), colleague)
    assert task(referral, "request", "consent").assigned_to == colleague
    stranger = make_user(Role.COORDINATOR, username="other", services=[other_service])
    with pytest.raises(services.WorkError, match="does not work in this service"):
        services.assign_task(coordinator, task(referral, "request", "consent"), stranger)


def walk_to_the_call(referral: Referral, coordinator: Any) -> Task:
    services.record_salt_invite_check(
        coordinator, referral, sent_on=TODAY - dt.timedelta(days=7), note="Rang SaLT admin"
    )
    return task(referral, "salt_call_carer")


def test_the_salt_follow_up_from_invitation_to_report(referral: Referral, coordinator: Any) -> None:
    call = walk_to_the_call(referral, coordinator)
    assert call.due_on == TODAY
    carer = default_recipient(referral)
    assert carer is not None
    # No answer: tried again in two days, and the worklist says so.
    services.record_call(
        coordinator, referral, recipient=carer, outcome=CallOutcome.NO_ANSWER, task=call
    )
    call.refresh_from_db()
    assert call.state == TaskState.OPEN
    assert call.snoozed_until == TODAY + dt.timedelta(days=2)
    # Spoke: opted in. The SaLT report is now asked for, and the appointment to be found out.
    services.record_call(
        coordinator,
        referral,
        recipient=carer,
        outcome=CallOutcome.SPOKE,
        decision=CallDecision.OPTED_IN,
        note="Mum was glad we rang; letter arrived",
        task=Task.all_objects.get(pk=call.pk),
    )
    assert referral.salt_follow_up.stage == SaltStage.AWAITING_APPOINTMENT
    assert referral.requirements.get(kind="salt_report").state == RequirementState.REQUESTED
    appointment = task(referral, "salt_appointment")
    assert appointment.due_on == TODAY + dt.timedelta(days=21)
    services.record_salt_appointment(
        coordinator, referral, appointment_on=TODAY - dt.timedelta(days=1)
    )
    chase = task(referral, "chase", "salt_report")
    assert chase.due_on == TODAY - dt.timedelta(days=1) + dt.timedelta(days=28)
    assert ContactRecord.objects.filter(referral=referral).count() == 4


def test_an_opt_out_asks_the_service_and_proceeding_without_salt_can_make_the_child_ready(
    referral: Referral, coordinator: Any
) -> None:
    call = walk_to_the_call(referral, coordinator)
    carer = default_recipient(referral)
    assert carer is not None
    services.record_call(
        coordinator,
        referral,
        recipient=carer,
        outcome=CallOutcome.SPOKE,
        decision=CallDecision.OPTED_OUT,
        task=call,
    )
    assert open_tasks(referral) >= {("salt_opt_out", "salt_report")}
    pathway.record_requirement_received(coordinator, referral, "school_report", TODAY)
    pathway.record_requirement_received(coordinator, referral, "consent", TODAY)
    services.decide_after_opt_out(
        coordinator, referral, choice="proceed", why="Enough evidence from school and nursery"
    )
    referral.refresh_from_db()
    assert referral.requirements.get(kind="salt_report").state == RequirementState.NOT_NEEDED
    assert referral.status == Status.READY_FOR_PANEL
    assert open_tasks(referral) == set()


def test_an_opt_out_can_end_in_a_discharge_with_its_reason(
    referral: Referral, coordinator: Any
) -> None:
    call = walk_to_the_call(referral, coordinator)
    carer = default_recipient(referral)
    assert carer is not None
    services.record_call(
        coordinator,
        referral,
        recipient=carer,
        outcome=CallOutcome.SPOKE,
        decision=CallDecision.OPTED_OUT,
        task=call,
    )
    services.decide_after_opt_out(coordinator, referral, choice="discharge", why="Family's wish")
    referral.refresh_from_db()
    assert referral.status == Status.DISCHARGED
    assert referral.discharge_reason == DischargeReason.OPTED_OUT
    assert open_tasks(referral) == set()


def test_a_call_back_promised_is_on_the_worklist_that_day(
    referral: Referral, coordinator: Any
) -> None:
    carer = default_recipient(referral)
    assert carer is not None
    day = TODAY + dt.timedelta(days=4)
    services.record_call(
        coordinator,
        referral,
        recipient=carer,
        outcome=CallOutcome.SPOKE,
        decision=CallDecision.CALL_BACK,
        call_back_on=day,
    )
    callback = task(referral, TaskKind.CALLBACK)
    assert callback.due_on == day
    assert "asked to be called back" in callback.why
    services.record_call(
        coordinator, referral, recipient=carer, outcome=CallOutcome.SPOKE, task=callback
    )
    assert ("callback", "") not in open_tasks(referral)


def test_an_opt_in_needs_a_conversation(referral: Referral, coordinator: Any) -> None:
    call = walk_to_the_call(referral, coordinator)
    carer = default_recipient(referral)
    assert carer is not None
    with pytest.raises(services.WorkError, match="only be recorded when you spoke"):
        services.record_call(
            coordinator,
            referral,
            recipient=carer,
            outcome=CallOutcome.VOICEMAIL,
            decision=CallDecision.OPTED_IN,
            task=call,
        )


def test_changing_a_chase_rule_moves_open_tasks_and_is_recorded(
    referral: Referral, coordinator: Any, make_user: Callable[..., Any]
) -> None:
    manager = make_user(Role.MANAGER, username="manager")
    services.complete_task(coordinator, task(referral, "request", "school_report"), "Emailed")
    chase = task(referral, "chase", "school_report")
    assert chase.due_on == TODAY + dt.timedelta(days=14)
    services.change_chase_rule(
        manager, referral.service, "school_report", ChaseRule(0, 7, 7, 2), "Schools reply faster"
    )
    chase.refresh_from_db()
    assert chase.due_on == TODAY + dt.timedelta(days=7)
    change = ChaseRuleChange.objects.get()
    assert change.before["chase_after_days"] == 14
    assert change.after["chase_after_days"] == 7
    assert change.actor == manager
    with pytest.raises(services.WorkError, match="same as before"):
        services.change_chase_rule(
            manager, referral.service, "school_report", ChaseRule(0, 7, 7, 2), "again"
        )


def test_a_looked_after_child_s_contact_goes_to_the_social_worker(
    referral: Referral,
) -> None:
    patient = referral.patient
    patient.looked_after = True
    patient.social_worker_name = "Jo Bloggs"
    patient.social_worker_phone = "07700 900456"
    patient.save()
    Carer.objects.create(
        patient=patient, name="Pat Carter", relationship="grandfather", phone="07700 900789"
    )
    people = family_recipients(referral)
    assert people[0].name == "Jo Bloggs"
    recipient = default_recipient(referral)
    assert recipient is not None and recipient.kind == "social_worker"
    assert all(not p.responsible for p in people if p.kind == "carer")


def test_a_carer_without_parental_responsibility_is_never_the_default(
    make_referral: Callable[..., Referral],
) -> None:
    referral = make_referral(carers=[])
    Carer.objects.create(
        patient=referral.patient,
        name="Pat Carter",
        relationship="grandfather",
        parental_responsibility=False,
        phone="07700 900789",
        main_contact=True,
    )
    assert default_recipient(referral) is None
    Carer.objects.create(
        patient=referral.patient,
        name="Alex Carter",
        relationship="father",
        parental_responsibility=True,
        phone="07700 900111",
    )
    referral = Referral.objects.unscoped().get(pk=referral.pk)
    recipient = default_recipient(referral)
    assert recipient is not None and recipient.name == "Alex Carter"
