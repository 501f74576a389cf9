"""The demo's standard work: a lived-in worklist that matches every child's record, before and
after validation, the same for a seed, and wiped with the demo."""

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from clearway.accounts.models import Role, User
from clearway.contact import services as work
from clearway.contact.models import (
    CallDecision,
    ChaseRuleChange,
    ContactRecord,
    MessageTemplate,
    SaltFollowUp,
    SaltStage,
    ServiceContactDetails,
    Task,
    TaskAction,
    TaskEvent,
    TaskKind,
    TaskState,
)
from clearway.contact.presenters import due_tasks
from clearway.demo.service import load_demo
from clearway.demo.validation import play_validation
from clearway.pathways.definition import ChaseRule
from clearway.pathways.models import Referral, Status
from clearway.services.models import Service

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 5, 4)  # a Tuesday
SMALL = 120


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path


def scd() -> Service:
    return Service.objects.get(slug="scd")


def load(seed: int = 5, reset: bool = False, children: int = SMALL) -> str:
    return load_demo(seed=seed, today=DAY, children=children, autism_children=20, reset=reset)


def open_tasks_of(referrals: Any) -> Any:
    return Task.all_objects.filter(referral__in=referrals, state=TaskState.OPEN)


def worklist(service: Service) -> list[tuple[Any, ...]]:
    return list(
        Task.all_objects.filter(service=service)
        .order_by("pk")
        .values_list(
            # The child, not the row's number: a reset on PostgreSQL numbers rows afresh.
            "referral__patient__nhs_number",
            "kind",
            "requirement",
            "sequence",
            "due_on",
            "state",
            "snoozed_until",
            "closed_at",
            "why",
        )
    )


@pytest.fixture
def demo(var_dir: Path) -> str:
    return load()


def test_every_child_awaiting_information_has_work_to_do_and_no_one_else_has(demo: str) -> None:
    for service in Service.objects.filter(slug__in=["scd", "autism"]):
        referrals = Referral.objects.for_service(service)
        awaiting = referrals.filter(status=Status.AWAITING_INFORMATION)
        assert awaiting.exists()
        with_work = set(open_tasks_of(awaiting).values_list("referral_id", flat=True))
        assert with_work == set(awaiting.values_list("pk", flat=True))
        others = referrals.exclude(status=Status.AWAITING_INFORMATION)
        # A child ready for panel has no report to chase; a call back stands, though.
        assert not open_tasks_of(others).exclude(kind=TaskKind.CALLBACK).exists()


def test_the_planner_agrees_with_the_history_written(demo: str) -> None:
    # Every open task is the step standard work plans: planning again changes nothing.
    for service in Service.objects.filter(slug__in=["scd", "autism"]):
        before = worklist(service)
        assert work.plan_service(service) == 0
        assert worklist(service) == before
    assert not Task.all_objects.filter(state=TaskState.CANCELLED).exists()


def test_the_history_is_in_the_past_and_recorded(demo: str) -> None:
    done = Task.all_objects.filter(service=scd(), state=TaskState.DONE)
    assert done.count() > SMALL
    for task in done:
        assert task.closed_at is not None
        assert task.created_at <= task.closed_at
        assert task.due_on <= task.closed_at.date() < DAY
        assert task.closed_by_name == "Clearway demo (system)"
    events = Counter(TaskEvent.objects.filter(service=scd()).values_list("action", flat=True))
    assert events[TaskAction.DONE] == done.count()
    snoozed = Task.all_objects.filter(service=scd(), snoozed_until__isnull=False)
    assert events[TaskAction.SNOOZED] == snoozed.count() > 0
    assert set(snoozed.values_list("state", flat=True)) == {TaskState.OPEN}
    manager = User.objects.get(username="manager")
    escalations = Task.all_objects.filter(service=scd(), kind=TaskKind.ESCALATE)
    assert escalations.exists()
    assert set(escalations.values_list("assigned_to", flat=True)) == {manager.pk}
    assert manager.role == Role.MANAGER
    contacts = ContactRecord.objects.filter(service=scd())
    assert set(contacts.values_list("channel", flat=True)) == {"letter", "phone", "email"}
    assert contacts.filter(channel="phone", outcome="spoke").exists()
    assert all(record.at.date() < DAY for record in contacts)


def test_the_salt_follow_up_stands_at_each_stage(demo: str) -> None:
    stages = Counter(
        SaltFollowUp.objects.filter(referral__service=scd()).values_list("stage", flat=True)
    )
    for stage in (
        SaltStage.CALL_CARER,
        SaltStage.AWAITING_APPOINTMENT,
        SaltStage.AWAITING_REPORT,
        SaltStage.OPTED_OUT,
    ):
        assert stages[stage] > 0, stage
    assert 1 <= stages[SaltStage.OPTED_OUT] <= 3
    report = SaltFollowUp.objects.filter(stage=SaltStage.AWAITING_REPORT)
    assert all(f.appointment_on == f.stage_since for f in report)
    opted_out = ContactRecord.objects.filter(decision=CallDecision.OPTED_OUT)
    assert opted_out.count() == stages[SaltStage.OPTED_OUT]


def test_a_larger_demo_has_every_kind_of_task_due_on_its_day_in_sensible_numbers(
    var_dir: Path,
) -> None:
    summary = load(seed=1, children=400)

    due = due_tasks(scd(), DAY)
    counts = Counter(due.values_list("kind", flat=True))
    assert set(counts) == set(TaskKind.values), counts
    assert counts[TaskKind.CHASE] > counts[TaskKind.ESCALATE] > 0
    assert 2 <= counts[TaskKind.CALLBACK] <= 10
    assert 1 <= counts[TaskKind.SALT_OPT_OUT] <= 3
    assert 20 <= sum(counts.values()) <= 150
    assert due.filter(kind=TaskKind.SALT_CALL_CARER, snoozed_until=DAY).exists()
    assert ContactRecord.objects.filter(outcome="no_answer").exists()
    assert f"today's work: {sum(counts.values()):,} tasks due (" in summary
    # The callbacks due today were asked for on a call in the last week.
    for task in due.filter(kind=TaskKind.CALLBACK):
        call = ContactRecord.objects.get(referral=task.referral, decision=CallDecision.CALL_BACK)
        assert call.call_back_on == DAY
        assert not call.outgoing
        assert DAY - dt.timedelta(days=7) <= call.at.date() < DAY


def test_the_service_contact_details_are_invented(demo: str) -> None:
    details = ServiceContactDetails.objects.get(service=scd())
    assert re.fullmatch(r"0113 496 0\d{3}", details.phone)
    assert re.fullmatch(r"0113 496 0\d{3}", details.salt_phone)
    assert details.email.endswith("@example.nhs.uk")
    assert details.salt_email.endswith("@example.nhs.uk")
    assert "(demo)" in details.salt_service_name
    assert MessageTemplate.objects.filter(service=scd()).exists()


def test_the_same_seed_gives_the_same_worklist(demo: str) -> None:
    first = worklist(scd())
    contacts = list(
        ContactRecord.objects.order_by("pk").values_list(
            "referral__patient__nhs_number", "at", "body"
        )
    )

    load(reset=True)

    assert worklist(scd()) == first
    assert (
        list(
            ContactRecord.objects.order_by("pk").values_list(
                "referral__patient__nhs_number", "at", "body"
            )
        )
        == contacts
    )
    load(seed=6, reset=True)
    assert worklist(scd()) != first


def test_a_reset_wipes_the_worklist_and_the_services_settings(demo: str) -> None:
    manager = User.objects.get(username="manager")
    service = scd()
    fresh = worklist(service)
    work.change_chase_rule(manager, service, "school_report", ChaseRule(0, 7, 7, 2), "Testing")
    MessageTemplate.objects.filter(service=service).update(body="Changed")
    assert worklist(service) != fresh

    load(reset=True)

    assert not ChaseRuleChange.objects.exists()
    assert not MessageTemplate.objects.filter(body="Changed").exists()
    assert MessageTemplate.objects.filter(service=service).exists()
    assert ServiceContactDetails.objects.filter(service=service).exists()
    assert worklist(service) == fresh


def test_after_validation_no_discharged_child_has_work_and_less_is_due(var_dir: Path) -> None:
    load()
    service = scd()
    due_before = due_tasks(service, DAY).count()

    play_validation(DAY)

    referrals = Referral.objects.for_service(service)
    gone = referrals.exclude(status__in=[Status.AWAITING_INFORMATION, Status.READY_FOR_PANEL])
    assert gone.exists()
    assert not open_tasks_of(gone).exists()
    assert not open_tasks_of(referrals.filter(patient__deceased_on__isnull=False)).exists()
    awaiting = referrals.filter(status=Status.AWAITING_INFORMATION)
    assert set(open_tasks_of(awaiting).values_list("referral_id", flat=True)) == set(
        awaiting.values_list("pk", flat=True)
    )
    assert 0 < due_tasks(service, DAY).count() < due_before


def test_the_coordinator_opens_the_demo_days_worklist(demo: str) -> None:
    client = Client()
    client.force_login(User.objects.get(username="coordinator"))
    response = client.get(f"/worklist/?on={DAY.isoformat()}")
    assert response.status_code == 200
    assert due_tasks(scd(), DAY).exists()
