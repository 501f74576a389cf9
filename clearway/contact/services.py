"""Every change to the worklist and the contact log: one function per use case, taking the
acting person, each in one transaction.

Tasks are planned from the facts of each referral (``standard_work.next_steps``) by
:func:`plan_referrals`, which runs inside every pathway change (it listens to
``clearway.pathways.signals``) and after every step done here: the worklist always matches the
child's record. A refused step raises :class:`WorkError` with a plain message.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from clearway.accounts.models import Role
from clearway.contact import standard_work as work
from clearway.contact.models import (
    CALL_TASKS,
    CallDecision,
    CallOutcome,
    Channel,
    ChaseRuleChange,
    ChaseRuleSetting,
    ContactRecord,
    RecipientKind,
    SaltFollowUp,
    SaltStage,
    Task,
    TaskAction,
    TaskEvent,
    TaskKind,
    TaskState,
)
from clearway.contact.recipients import ContactRefused, Recipient, check_contact_allowed
from clearway.core.actors import SystemActor, actor_fields
from clearway.pathways import services as pathway
from clearway.pathways.definition import ChaseRule
from clearway.pathways.models import (
    WAITING,
    DischargeReason,
    Referral,
    Requirement,
    Status,
)
from clearway.pathways.presenters import in_sentence
from clearway.services.models import Service

PLANNER = SystemActor("Clearway worklist")
BATCH = 2000


class WorkError(Exception):
    """A step the worklist does not allow, explained in plain words."""


def _today() -> dt.date:
    return timezone.localdate()


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


# --- rules ------------------------------------------------------------------------------------


def rules_for(service: Service) -> work.Rules:
    """The pathway's rules with the service's own chase rules where it changed them."""
    own = {
        setting.requirement: ChaseRule(
            setting.request_after_days,
            setting.chase_after_days,
            setting.chase_every_days,
            setting.escalate_after_chases,
        )
        for setting in ChaseRuleSetting.objects.filter(service=service)
    }
    return work.Rules(service.pathway, own)


@transaction.atomic
def change_chase_rule(
    actor: Any, service: Service, requirement: str, rule: ChaseRule, why: str
) -> ChaseRuleChange:
    """Change when a requirement is requested, chased and escalated; open tasks move with it."""
    try:
        service.pathway.requirement(requirement)
    except KeyError:
        raise WorkError(f"This pathway has no requirement called {requirement!r}.") from None
    if not why.strip():
        raise WorkError("Say why the rule is changing: the change is recorded with it.")
    if rule.chase_every_days < 1:
        raise WorkError("Chase at least every 1 day.")
    if rule.escalate_after_chases < 1:
        raise WorkError("Escalate after at least 1 chase.")
    before = rules_for(service).for_requirement(requirement)
    if before == rule:
        raise WorkError("The rule is the same as before: nothing was changed.")
    ChaseRuleSetting.objects.update_or_create(
        service=service, requirement=requirement, defaults=rule.as_dict()
    )
    change = ChaseRuleChange.objects.create(
        service=service,
        requirement=requirement,
        before=before.as_dict(),
        after=rule.as_dict(),
        why=why.strip(),
        **actor_fields(actor),
    )
    _reschedule(service, requirement, rule)
    if rule.escalate_after_chases != before.escalate_after_chases:
        # A chase may now be an escalation, or the other way round.
        plan_referrals(
            Referral.objects.for_service(service).filter(
                tasks__state=TaskState.OPEN, tasks__requirement=requirement
            )
        )
    return change


def _reschedule(service: Service, requirement: str, rule: ChaseRule) -> int:
    """Move the open tasks of this requirement to the new rule's days, from their basis."""
    tasks = Task.objects.for_service(service).filter(
        state=TaskState.OPEN,
        requirement=requirement,
        kind__in=(TaskKind.REQUEST, TaskKind.CHASE, TaskKind.ESCALATE),
    )
    moved = []
    for task in tasks.only("pk", "kind", "sequence", "basis_on", "due_on").iterator(BATCH):
        if task.kind == TaskKind.REQUEST:
            days = rule.request_after_days
        elif task.kind == TaskKind.CHASE and task.sequence == 1:
            days = rule.chase_after_days
        else:
            days = rule.chase_every_days
        due = task.basis_on + dt.timedelta(days=days)
        if due != task.due_on:
            task.due_on = due
            moved.append(task)
    Task.all_objects.bulk_update(moved, ["due_on"], batch_size=BATCH)
    return len(moved)


# --- planning ---------------------------------------------------------------------------------


def _facts(referrals: Sequence[Referral]) -> dict[int, work.ReferralFacts]:
    """What standard work needs to know of each referral, read in a few queries."""
    ids = [r.pk for r in referrals]
    requirements: dict[int, list[Requirement]] = defaultdict(list)
    chases: dict[tuple[int, str], tuple[int, dt.date | None]] = {}
    escalations: dict[tuple[int, str], dt.date | None] = {}
    salt: dict[int, work.SaltFacts] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        # In the pathway's order (the order they were made), so tasks are planned the same way
        # on every database.
        for requirement in (
            Requirement.objects.filter(referral_id__in=chunk)
            .order_by("referral_id", "pk")
            .only("referral_id", "kind", "state", "requested_on")
        ):
            requirements[requirement.referral_id].append(requirement)
        done = Task.all_objects.filter(referral_id__in=chunk, state=TaskState.DONE)
        for row in (
            done.filter(kind=TaskKind.CHASE)
            .values("referral_id", "requirement")
            .annotate(n=Count("pk"), last=Max("closed_at"))
        ):
            chases[row["referral_id"], row["requirement"]] = (row["n"], _local_day(row["last"]))
        for row in (
            done.filter(kind=TaskKind.ESCALATE)
            .values("referral_id", "requirement")
            .annotate(last=Max("closed_at"))
        ):
            escalations[row["referral_id"], row["requirement"]] = _local_day(row["last"])
        for follow_up in SaltFollowUp.objects.filter(referral_id__in=chunk):
            salt[follow_up.referral_id] = work.SaltFacts(
                follow_up.stage, follow_up.stage_since, follow_up.appointment_on
            )
    facts = {}
    for referral in referrals:
        facts[referral.pk] = work.ReferralFacts(
            received_on=referral.received_on,
            awaiting_information=referral.status == Status.AWAITING_INFORMATION,
            deceased=referral.patient.deceased_on is not None,
            requirements=tuple(
                work.RequirementFacts(
                    key=r.kind,
                    state=r.state,
                    requested_on=r.requested_on,
                    chases_done=chases.get((referral.pk, r.kind), (0, None))[0],
                    last_chased_on=chases.get((referral.pk, r.kind), (0, None))[1],
                    escalated_on=escalations.get((referral.pk, r.kind)),
                )
                for r in requirements[referral.pk]
            ),
            salt=salt.get(referral.pk),
        )
    return facts


def _managers(service: Service) -> Any:
    return service.staff.filter(role=Role.MANAGER, is_active=True).order_by("username").first()


def plan_referrals(referrals: Iterable[Referral] | QuerySet[Referral]) -> int:
    """Bring these referrals' open tasks in line with standard work: create the steps that are
    missing, close the ones no longer needed (report received, child discharged or died).

    A task already open for a step keeps its dates (a snooze or a retry stands). Returns the
    number of tasks created. Runs inside the caller's transaction.
    """
    if isinstance(referrals, QuerySet):
        referrals = referrals.select_related("patient", "service").distinct()
    created = 0
    batch: list[Referral] = []
    for referral in referrals.iterator(BATCH) if isinstance(referrals, QuerySet) else referrals:
        batch.append(referral)
        if len(batch) >= BATCH:
            created += _plan_batch(batch)
            batch = []
    if batch:
        created += _plan_batch(batch)
    return created


def _plan_batch(referrals: list[Referral]) -> int:
    facts = _facts(referrals)
    rules: dict[int, work.Rules] = {}
    managers: dict[int, Any] = {}
    open_tasks: dict[int, list[Task]] = defaultdict(list)
    for start in range(0, len(referrals), 900):
        chunk = [r.pk for r in referrals[start : start + 900]]
        for task in Task.all_objects.filter(referral_id__in=chunk, state=TaskState.OPEN).only(
            "pk", "referral_id", "service_id", "kind", "requirement"
        ):
            open_tasks[task.referral_id].append(task)
    new: list[Task] = []
    closing: list[Task] = []
    for referral in referrals:
        if referral.service_id not in rules:
            rules[referral.service_id] = rules_for(referral.service)
            managers[referral.service_id] = _managers(referral.service)
        steps = work.next_steps(facts[referral.pk], rules[referral.service_id])
        wanted = {(s.kind, s.requirement): s for s in steps}
        ended = referral.status not in WAITING or referral.patient.deceased_on is not None
        for task in open_tasks[referral.pk]:
            key = (task.kind, task.requirement)
            if key in wanted:
                del wanted[key]
            elif task.kind in work.PLANNED_KINDS or ended:
                closing.append(task)
        for step in wanted.values():
            new.append(
                Task(
                    service_id=referral.service_id,
                    referral=referral,
                    kind=step.kind,
                    requirement=step.requirement,
                    sequence=step.sequence,
                    basis_on=step.basis_on,
                    due_on=step.due_on,
                    wait_from=referral.received_on,
                    why=step.why[:300],
                    assigned_to=(
                        managers[referral.service_id] if step.kind == TaskKind.ESCALATE else None
                    ),
                )
            )
    if closing:
        now = timezone.now()
        for task in closing:
            task.state = TaskState.CANCELLED
            task.closed_at = now
            task.closed_by_name = str(PLANNER.name)
            task.outcome = "No longer needed"
        Task.all_objects.bulk_update(
            closing, ["state", "closed_at", "closed_by_name", "outcome"], batch_size=BATCH
        )
        TaskEvent.objects.bulk_create(
            [
                TaskEvent(
                    task=task,
                    service_id=task.service_id,
                    action=TaskAction.CANCELLED,
                    at=now,
                    **actor_fields(PLANNER),
                )
                for task in closing
            ],
            batch_size=BATCH,
        )
    Task.all_objects.bulk_create(new, batch_size=BATCH)
    return len(new)


def plan_referral(referral: Referral) -> int:
    return plan_referrals([referral])


def plan_service(service: Service) -> int:
    """Plan every waiting referral of a service (the demo, after an import, a new install)."""
    with transaction.atomic():
        return plan_referrals(Referral.objects.for_service(service).filter(status__in=WAITING))


def _on_referral_changed(sender: Any, referral: Referral, **kwargs: Any) -> None:
    plan_referral(referral)


def _on_referrals_added(sender: Any, referrals: list[Referral], **kwargs: Any) -> None:
    plan_referrals(referrals)


# --- doing the work ---------------------------------------------------------------------------


def _locked_task(task: Task) -> Task:
    locked = (
        Task.all_objects.select_for_update()
        .select_related("referral", "referral__patient", "referral__service")
        .get(pk=task.pk)
    )
    if locked.state != TaskState.OPEN:
        who = f" by {locked.closed_by_name}" if locked.closed_by_name else ""
        when = timezone.localtime(locked.closed_at) if locked.closed_at else None
        raise WorkError(
            f"This task was already {locked.get_state_display().lower()}{who}"
            + (f" at {when:%H:%M on %d/%m/%Y}" if when else "")
            + ". Nothing was changed."
        )
    task.__dict__.update(locked.__dict__)
    return task


def _event(task: Task, action: str, actor: Any, **details: Any) -> TaskEvent:
    return TaskEvent.objects.create(
        task=task, service_id=task.service_id, action=action, details=details, **actor_fields(actor)
    )


def _close(task: Task, actor: Any, outcome: str) -> None:
    fields = actor_fields(actor)
    task.state = TaskState.DONE
    task.closed_at = timezone.now()
    task.closed_by = fields["actor"]
    task.closed_by_name = fields["actor_name"]
    task.outcome = outcome[:300]
    task.save(update_fields=["state", "closed_at", "closed_by", "closed_by_name", "outcome"])
    _event(task, TaskAction.DONE, actor, outcome=outcome)


@transaction.atomic
def complete_task(actor: Any, task: Task, outcome: str, on: dt.date | None = None) -> Task:
    """Mark a request, chase or escalation done. A request records the report as asked for
    (on ``on``, default today), and the next chase is planned from it."""
    _locked_task(task)
    if task.kind not in (TaskKind.REQUEST, TaskKind.CHASE, TaskKind.ESCALATE, TaskKind.CALLBACK):
        raise WorkError("Record what happened on this step's own page.")
    if not outcome.strip():
        raise WorkError("Say what was done.")
    if task.kind != TaskKind.ESCALATE:
        check_contact_allowed(task.referral)
    _close(task, actor, outcome.strip())
    if task.kind == TaskKind.REQUEST:
        try:
            pathway.record_requirement_requested(
                actor, task.referral, task.requirement, on or _today()
            )
        except pathway.PathwayError as error:
            raise WorkError(str(error)) from error
    else:
        plan_referral(task.referral)
    return task


@transaction.atomic
def snooze_task(actor: Any, task: Task, until: dt.date, reason: str) -> Task:
    """Put a task aside until a day, with a reason; it comes back on the worklist that day."""
    _locked_task(task)
    if until <= _today():
        raise WorkError("Snooze until a day after today.")
    if not reason.strip():
        raise WorkError("Say why the task is put aside.")
    _snooze_for(task, actor, until, reason.strip())
    return task


@transaction.atomic
def assign_task(actor: Any, task: Task, person: Any | None) -> Task:
    """Give a task to one person of the service, or back to everyone (``person`` None)."""
    _locked_task(task)
    if person is not None and not person.services.filter(pk=task.service_id).exists():
        raise WorkError(f"{person} does not work in this service.")
    task.assigned_to = person
    task.save(update_fields=["assigned_to"])
    _event(task, TaskAction.ASSIGNED, actor, to=str(person) if person else "everyone")
    return task


# --- calls and the SaLT opt-in follow-up ------------------------------------------------------


def salt_follow_up(referral: Referral) -> SaltFollowUp:
    follow_up, _ = SaltFollowUp.objects.select_for_update().get_or_create(
        referral=referral,
        defaults={"stage": SaltStage.CHECK_INVITE, "stage_since": referral.received_on},
    )
    return follow_up


def _salt_key(referral: Referral) -> str:
    requirement = referral.service.pathway.salt_requirement
    if requirement is None:
        raise WorkError("This pathway has no SaLT opt-in follow-up.")
    return requirement.key


def _move_salt(follow_up: SaltFollowUp, stage: str, since: dt.date, **fields: Any) -> None:
    follow_up.stage = stage
    follow_up.stage_since = since
    for name, value in fields.items():
        setattr(follow_up, name, value)
    follow_up.save()


def _open_task(referral: Referral, kind: str) -> Task | None:
    return Task.all_objects.filter(referral=referral, kind=kind, state=TaskState.OPEN).first()


def _note_contact(
    actor: Any, referral: Referral, task: Task | None, **fields: Any
) -> ContactRecord:
    return ContactRecord.objects.create(
        service_id=referral.service_id,
        referral=referral,
        task=task,
        **fields,
        **actor_fields(actor),
    )


def _salt_recipient(referral: Referral) -> tuple[str, str]:
    details = getattr(referral.service, "contact_details", None)
    name = details.salt_service_name if details and details.salt_service_name else "SaLT service"
    return name, (details.salt_phone if details else "")


@transaction.atomic
def record_salt_invite_check(
    actor: Any,
    referral: Referral,
    *,
    sent_on: dt.date | None,
    check_again_on: dt.date | None = None,
    note: str = "",
) -> SaltFollowUp:
    """What SaLT said: the invitation went out on ``sent_on``, or not yet (check again then)."""
    pathway._locked(referral)
    check_contact_allowed(referral)
    follow_up = salt_follow_up(referral)
    task = _open_task(referral, TaskKind.SALT_CHECK_INVITE)
    name, phone = _salt_recipient(referral)
    if sent_on is None and check_again_on is None:
        raise WorkError("Give the day SaLT sent the invitation, or when to check again.")
    if sent_on is not None:
        if sent_on > _today():
            raise WorkError("The day SaLT sent the invitation cannot be in the future.")
        if sent_on < referral.received_on:
            raise WorkError("The invitation cannot have been sent before the referral.")
    _note_contact(
        actor,
        referral,
        task,
        channel=Channel.PHONE,
        recipient_kind=RecipientKind.SALT,
        recipient_name=name,
        recipient_address=phone,
        purpose="Checked SaLT sent the invitation",
        requirement=_salt_key(referral),
        body=(
            f"SaLT sent the invitation on {work.long_date(sent_on)}. {note}"
            if sent_on
            else f"SaLT have not sent the invitation yet. {note}"
        ).strip(),
    )
    if sent_on is not None:
        _move_salt(follow_up, SaltStage.CALL_CARER, sent_on, invite_sent_on=sent_on)
        if task:
            _close(task, actor, f"Invitation sent on {work.long_date(sent_on)}")
    elif task and check_again_on:
        _snooze_for(task, actor, check_again_on, "SaLT have not sent the invitation yet")
    plan_referral(referral)
    return follow_up


def _snooze_for(task: Task, actor: Any, until: dt.date, reason: str) -> None:
    if until <= _today():
        raise WorkError("Choose a day after today.")
    task.snoozed_until = until
    task.snooze_reason = reason[:300]
    task.save(update_fields=["snoozed_until", "snooze_reason"])
    _event(task, TaskAction.SNOOZED, actor, until=until.isoformat(), reason=reason)


@transaction.atomic
def record_salt_appointment(
    actor: Any,
    referral: Referral,
    *,
    appointment_on: dt.date | None,
    check_again_on: dt.date | None = None,
    note: str = "",
) -> SaltFollowUp:
    """The SaLT appointment date once known (the report is then expected after it), or when to
    ask again."""
    pathway._locked(referral)
    check_contact_allowed(referral)
    follow_up = salt_follow_up(referral)
    task = _open_task(referral, TaskKind.SALT_APPOINTMENT)
    if appointment_on is None and check_again_on is None:
        raise WorkError("Give the appointment date, or when to ask again.")
    name, phone = _salt_recipient(referral)
    _note_contact(
        actor,
        referral,
        task,
        channel=Channel.PHONE,
        recipient_kind=RecipientKind.SALT,
        recipient_name=name,
        recipient_address=phone,
        purpose="Asked SaLT for the appointment date",
        requirement=_salt_key(referral),
        body=(
            f"SaLT appointment on {work.long_date(appointment_on)}. {note}"
            if appointment_on
            else f"The SaLT appointment is not booked yet. {note}"
        ).strip(),
    )
    if appointment_on is not None:
        if appointment_on < referral.received_on:
            raise WorkError("The appointment cannot be before the referral.")
        _move_salt(
            follow_up, SaltStage.AWAITING_REPORT, appointment_on, appointment_on=appointment_on
        )
        if task:
            _close(task, actor, f"Appointment on {work.long_date(appointment_on)}")
    elif task and check_again_on:
        _snooze_for(task, actor, check_again_on, "The SaLT appointment is not booked yet")
    plan_referral(referral)
    return follow_up


def _apply_salt_decision(actor: Any, referral: Referral, decision: str) -> str:
    """An opt-in or opt-out heard from the carer moves the SaLT follow-up on."""
    if decision not in (CallDecision.OPTED_IN, CallDecision.OPTED_OUT):
        return ""
    key = _salt_key(referral)
    follow_up = salt_follow_up(referral)
    today = _today()
    if follow_up.stage not in (SaltStage.CHECK_INVITE, SaltStage.CALL_CARER):
        raise WorkError(
            f"The SaLT follow-up is at “{follow_up.get_stage_display()}”: an opt-in or "
            "opt-out is no longer asked for."
        )
    if decision == CallDecision.OPTED_IN:
        _move_salt(
            follow_up, SaltStage.AWAITING_APPOINTMENT, today, opted_in=True, decided_on=today
        )
        requirement = referral.requirements.get(kind=key)
        if requirement.state == "outstanding":
            pathway.record_requirement_requested(actor, referral, key, today)
        return "Opted in to SaLT"
    _move_salt(follow_up, SaltStage.OPTED_OUT, today, opted_in=False, decided_on=today)
    return "Opted out of SaLT"


@transaction.atomic
def record_call(
    actor: Any,
    referral: Referral,
    *,
    recipient: Recipient,
    outcome: str,
    decision: str = CallDecision.NONE,
    call_back_on: dt.date | None = None,
    note: str = "",
    task: Task | None = None,
) -> ContactRecord:
    """Record a phone call and what came of it; the worklist moves on by itself.

    Spoke and a decision: an opt-in or opt-out moves the SaLT follow-up on; "call back" puts
    the call aside to that day. No answer or a voicemail: tried again in a couple of days.
    """
    pathway._locked(referral)
    check_contact_allowed(referral)
    if task is not None:
        _locked_task(task)
        if task.referral_id != referral.pk:
            raise WorkError("This task belongs to another child.")
    if outcome not in CallOutcome.values:
        raise WorkError("Choose how the call went.")
    decision = decision or CallDecision.NONE
    if decision not in CallDecision.values:
        raise WorkError("Choose what was decided.")
    if outcome != CallOutcome.SPOKE and decision in (
        CallDecision.OPTED_IN,
        CallDecision.OPTED_OUT,
    ):
        raise WorkError("An opt-in or opt-out can only be recorded when you spoke to them.")
    if decision == CallDecision.CALL_BACK:
        if call_back_on is None:
            raise WorkError("Give the day to call back.")
        if call_back_on < _today():
            raise WorkError("The day to call back cannot be in the past.")
    if (
        task is not None
        and task.kind == TaskKind.SALT_CALL_CARER
        and outcome == CallOutcome.SPOKE
        and decision == CallDecision.NONE
    ):
        raise WorkError("Choose what the carer decided: opted in, opted out, or call back.")
    purpose = task.get_kind_display() if task is not None else "Phone call"
    if task is not None and task.requirement and task.kind in (TaskKind.REQUEST, TaskKind.CHASE):
        name = in_sentence(referral.service.pathway.requirement(task.requirement).name)
        purpose = f"{task.get_kind_display()} the {name}"
    record = _note_contact(
        actor,
        referral,
        task,
        channel=Channel.PHONE,
        recipient_kind=recipient.kind,
        recipient_name=recipient.name,
        recipient_address=recipient.phone,
        purpose=purpose,
        requirement=task.requirement if task else "",
        outcome=outcome,
        decision="" if decision == CallDecision.NONE else decision,
        call_back_on=call_back_on,
        body=note.strip(),
    )
    decided = _apply_salt_decision(actor, referral, decision)
    salt = referral.service.pathway.salt
    if task is None:
        if decision == CallDecision.CALL_BACK and call_back_on is not None:
            _callback(actor, referral, call_back_on, recipient)
    elif decision == CallDecision.CALL_BACK and call_back_on is not None:
        if call_back_on > _today():
            _snooze_for(task, actor, call_back_on, f"{recipient.name} asked to be called back")
    elif outcome in (CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL) and task.kind in CALL_TASKS:
        retry = _today() + dt.timedelta(days=salt.retry_call_after_days)
        what = "No answer" if outcome == CallOutcome.NO_ANSWER else "Left a voicemail"
        _snooze_for(task, actor, retry, f"{what}: try again")
    elif outcome == CallOutcome.WRONG_NUMBER:
        pass  # stays on the worklist: the number needs checking first
    elif outcome == CallOutcome.NO_ANSWER:
        pass  # a chase by phone not answered is not a chase: it stays due
    else:
        _close(task, actor, decided or CallOutcome(outcome).label)
        if task.kind == TaskKind.REQUEST:
            pathway.record_requirement_requested(actor, referral, task.requirement, _today())
    plan_referral(referral)
    return record


def _callback(actor: Any, referral: Referral, day: dt.date, recipient: Recipient) -> Task:
    existing = _open_task(referral, TaskKind.CALLBACK)
    why = f"{recipient.name} ({recipient.relationship}) asked to be called back"
    if existing is not None:
        existing.due_on = day
        existing.basis_on = _today()
        existing.why = why[:300]
        existing.snoozed_until = None
        existing.save(update_fields=["due_on", "basis_on", "why", "snoozed_until"])
        _event(existing, TaskAction.RESCHEDULED, actor, due_on=day.isoformat())
        return existing
    return Task.all_objects.create(
        service_id=referral.service_id,
        referral=referral,
        kind=TaskKind.CALLBACK,
        basis_on=_today(),
        due_on=day,
        wait_from=referral.received_on,
        why=why[:300],
    )


@transaction.atomic
def decide_after_opt_out(actor: Any, referral: Referral, *, choice: str, why: str) -> Any:
    """After a SaLT opt-out the service decides: "proceed" to panel without the SaLT report, or
    "discharge" the child (family opted out). The choice and its reason are recorded."""
    pathway._locked(referral)
    follow_up = salt_follow_up(referral)
    if follow_up.stage != SaltStage.OPTED_OUT:
        raise WorkError("The family has not opted out of SaLT: there is nothing to decide.")
    if choice not in ("proceed", "discharge"):
        raise WorkError("Choose whether to go to panel without SaLT, or to discharge.")
    if not why.strip():
        raise WorkError("Say why: the decision is recorded with its reason.")
    task = _open_task(referral, TaskKind.SALT_OPT_OUT)
    today = _today()
    _move_salt(follow_up, SaltStage.DONE, today, opt_out_choice=choice)
    if task is not None:
        label = "Go to panel without SaLT" if choice == "proceed" else "Discharge"
        _close(task, actor, f"{label}: {why.strip()}")
    try:
        if choice == "proceed":
            return pathway.record_requirement_not_needed(
                actor, referral, _salt_key(referral), today, f"Family opted out of SaLT: {why}"
            )
        return pathway.discharge(
            actor, referral, DischargeReason.OPTED_OUT, today, f"Family opted out of SaLT: {why}"
        )
    except pathway.PathwayError as error:
        raise WorkError(str(error)) from error


__all__ = [
    "ContactRefused",
    "WorkError",
    "assign_task",
    "change_chase_rule",
    "complete_task",
    "decide_after_opt_out",
    "plan_referral",
    "plan_referrals",
    "plan_service",
    "record_call",
    "record_salt_appointment",
    "record_salt_invite_check",
    "rules_for",
    "snooze_task",
]
