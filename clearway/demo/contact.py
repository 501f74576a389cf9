"""The demo's standard work: a worklist that looks lived in on the demo day.

The demo's children are inserted in bulk, so no pathway signal plans their tasks. Once they are
in, :func:`prepare_standard_work` gives a demo service its contact details and default
templates, writes a history of standard work consistent with the dates already planned, then
plans the service (``clearway.contact.services.plan_service``), so every child's next step falls
due when standard work says it does.

The story: the coordinator has worked the list with Clearway for the ten weeks before the
demo day. What was overdue when it began (reports never asked for, chases) was cleared in its
first three weeks, longest waits first; since then each step was taken on the day it fell due,
or a day or two after, and the service manager stepped in after three chases. The SaLT opt-in
follow-up stands at each of its stages: invitations checked with SaLT, carers rung (some did not
answer; one or two opted out and wait for the service's decision), appointment dates found out,
reports chased. The past week's new referrals still need their reports asked for, and a few
carers rang in and asked to be called back, most of them today. What else is due is what the
chase rules make due: on a weekday, about a tenth of the reports asked for.

Every step is planned by the worklist's own rules (``clearway.contact.standard_work.next_steps``)
and written by the demo's system actor, as the pathway's history is. The same seed and day give
the same worklist. Rows are written with ``executemany`` (``_insert_rows``): Django's
``bulk_create`` took longer than loading the children themselves.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Count, Max

from clearway.accounts.models import Role, User
from clearway.contact import standard_work as work
from clearway.contact.models import (
    CallDecision,
    CallOutcome,
    Channel,
    ContactRecord,
    RecipientKind,
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
from clearway.contact.services import plan_service, rules_for
from clearway.core.actors import SystemActor, actor_fields
from clearway.pathways.definition import RequirementDefinition
from clearway.pathways.models import (
    Carer,
    Event,
    EventKind,
    Referral,
    Requirement,
    RequirementState,
    Status,
)
from clearway.services.models import Service

__all__ = ["CONTACT_DETAILS", "WorklistStory", "prepare_standard_work", "worklist_summary"]

#: Who the history is written by: the demo loader, as it writes the pathway's history.
ACTOR = SystemActor("Clearway demo")
#: Clearway's worklist has been in use for this many days before the demo day.
IN_USE_DAYS = 70
#: What was overdue when the worklist began was cleared over this many days, longest waits
#: first.
BACKLOG_DAYS = 21
#: Referrals received in the last week whose reports are not asked for yet: today's work.
NEW_DAYS = 7
#: How many working days after it fell due a step was taken: mostly on the day.
LATENESS = (0, 0, 0, 0, 0, 0, 1, 1, 2, 3)
#: Of the children whose SaLT invitation was not yet followed up, the share who opted out.
OPT_OUT_SHARE = 0.03
#: Children whose carer rang in and asked to be called back (a third of them later this week).
CALLBACK_SHARE = 0.006
BATCH = 2000

#: How families reach each demo service, and how it reaches SaLT. Ofcom's drama numbers and
#: example addresses: nothing here is anyone's.
CONTACT_DETAILS: dict[str, dict[str, str]] = {
    "scd": {
        "phone": "0113 496 0000",
        "email": "scd.demo@example.nhs.uk",
        "address": "Children's Assessment Centre (demo)\n1 Example Street\nLeeds\nLS1 0ZZ",
        "signature": "The SCD coordinator",
        "salt_service_name": "Leeds Children's SaLT (demo)",
        "salt_phone": "0113 496 0999",
        "salt_email": "salt.demo@example.nhs.uk",
    },
    "autism": {
        "phone": "0113 496 0001",
        "email": "autism.demo@example.nhs.uk",
        "address": "Children's Assessment Centre (demo)\n1 Example Street\nLeeds\nLS1 0ZZ",
        "signature": "The autism assessment coordinator",
        "salt_service_name": "",
        "salt_phone": "",
        "salt_email": "",
    },
}

#: How a chase was made, by who is asked: channel, call outcome, and what the task says.
CHASES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "school": (
        (Channel.PHONE, CallOutcome.SPOKE, "Spoke to the school office: they will send it"),
        (Channel.PHONE, CallOutcome.SPOKE, "Spoke to the SENCo: the report is nearly done"),
        (Channel.PHONE, CallOutcome.VOICEMAIL, "Left a message with the school office"),
        (Channel.EMAIL, "", "Emailed the school office a reminder"),
    ),
    "carer": (
        (Channel.LETTER, "", "Reminder letter sent with another copy of the form"),
        (Channel.PHONE, CallOutcome.SPOKE, "Spoke to the family: they will post the form back"),
        (Channel.PHONE, CallOutcome.VOICEMAIL, "Left a voicemail about the form"),
    ),
    "salt": (
        (Channel.PHONE, CallOutcome.SPOKE, "Spoke to the SaLT admin team: the report is typed"),
        (Channel.PHONE, CallOutcome.SPOKE, "Spoke to the SaLT admin team: they will chase it"),
        (Channel.EMAIL, "", "Emailed the SaLT service a reminder"),
    ),
}
ESCALATIONS = {
    "school": "The service manager wrote to the head teacher",
    "carer": "The service manager rang the family to offer help with the form",
    "salt": "The service manager spoke to the SaLT team lead",
}
#: What carers who rang in said, kept as the call's note.
CALLBACK_NOTES = (
    "Rang to ask how much longer the wait will be. Explained where things are up to. "
    "Asked us to ring back when they are home from work.",
    "Rang because a letter had not arrived. Checked the address. Asked us to ring back "
    "once we have spoken to school.",
    "Rang, worried about how things are at home. Listened, and agreed to ring back to talk "
    "through what happens next.",
    "Rang to say they have moved house. Asked us to ring back to check the new details.",
)

#: How the loader's summary groups the kinds of task.
SUMMARY_GROUPS = {
    TaskKind.REQUEST: "requests",
    TaskKind.CHASE: "chases",
    TaskKind.ESCALATE: "escalations",
    TaskKind.SALT_CHECK_INVITE: "SaLT follow-up steps",
    TaskKind.SALT_CALL_CARER: "SaLT follow-up steps",
    TaskKind.SALT_APPOINTMENT: "SaLT follow-up steps",
    TaskKind.SALT_OPT_OUT: "SaLT follow-up steps",
    TaskKind.CALLBACK: "callbacks",
}
SUMMARY_ORDER = ("requests", "chases", "escalations", "SaLT follow-up steps", "callbacks", "other")


@dataclass
class _Person:
    """Someone contacted: the family's default recipient, the school, or the SaLT service."""

    kind: str
    name: str
    phone: str = ""
    email: str = ""
    postal: str = ""
    relationship: str = ""

    def address(self, channel: str) -> str:
        addresses: dict[str, str] = {Channel.PHONE: self.phone, Channel.EMAIL: self.email}
        return addresses.get(channel, self.postal)


@dataclass
class _Child:
    referral_id: int
    received_on: dt.date
    requirements: dict[str, work.RequirementFacts]
    #: The pk of each requirement row, by key.
    requirement_ids: dict[str, int]
    family: _Person | None
    school: _Person | None
    salt: work.SaltFacts | None = None
    #: When the worklist's backlog reached this child: longest waits first.
    backlog_on: dt.date = dt.date.min


class _Task(NamedTuple):
    """A task written by the story: its id (given here) and when it was done or put aside."""

    id: int
    at: dt.datetime


@dataclass
class WorklistStory:
    """What :func:`prepare_standard_work` wrote, for the tests."""

    done: int = 0
    planned: int = 0
    snoozed: int = 0
    callbacks: int = 0
    contacts: int = 0
    asked: int = 0
    salt_stages: Counter[str] = field(default_factory=Counter)


def _working(day: dt.date) -> dt.date:
    """This day, or the Monday after if it falls at a weekend."""
    return day + dt.timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)


def _lower_first(name: str) -> str:
    """ "School report" → "school report"; "SaLT report" stays as it is."""
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts by attribute name; the others take their defaults) with
    ``executemany``: many times quicker than ``bulk_create``, which prepares every value of
    every row through its field."""
    if not rows:
        return
    ops = connection.ops
    fields = [
        f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in rows[0])
    ]

    def adapter(f: models.Field[Any, Any]) -> Any:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value
        if kind == "DateField":
            return ops.adapt_datefield_value
        if kind == "JSONField":
            return lambda value: ops.adapt_json_value(value, getattr(f, "encoder", None))
        return None

    spec = [(f.attname, f.get_default(), adapter(f)) for f in fields]

    def convert(row: dict[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, default, adapt in spec:
            value = row.get(name, default)
            values.append(adapt(value) if adapt is not None and value is not None else value)
        return tuple(values)

    quote = ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - our own table and columns
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join('%s' for _ in fields)})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, [convert(row) for row in rows[start : start + BATCH]])
        if "id" in rows[0]:  # ids given here: PostgreSQL's sequence must move past them
            for statement in ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)


class _Story:
    """Builds the history of one service in memory, then writes it in a few inserts."""

    def __init__(self, service: Service, seed: int, today: dt.date, time_zone: ZoneInfo) -> None:
        self.service = service
        self.pathway = service.pathway
        self.rules = rules_for(service)
        self.today = today
        self.began = today - dt.timedelta(days=IN_USE_DAYS)
        self.rng = random.Random(f"{seed}:worklist:{service.slug}")
        self.time_zone = time_zone
        self.actor_name = actor_fields(ACTOR)["actor_name"]
        manager = (
            User.objects.filter(services=service, role=Role.MANAGER, is_active=True)
            .order_by("username")
            .first()
        )
        self.manager_id = manager.pk if manager else None
        details = CONTACT_DETAILS.get(service.slug, CONTACT_DETAILS["scd"])
        self.salt_service = _Person(
            RecipientKind.SALT,
            details["salt_service_name"] or "SaLT service",
            phone=details["salt_phone"],
            email=details["salt_email"],
        )
        self.next_id = (Task.all_objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.tasks: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.follow_ups: list[dict[str, Any]] = []
        self.asked: list[tuple[str, dt.date, int]] = []
        self.pathway_events: list[dict[str, Any]] = []

    # --- days and times -----------------------------------------------------------------

    def _at(self, day: dt.date) -> dt.datetime:
        minute = self.rng.randint(9 * 60, 16 * 60 + 30)
        return dt.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.time_zone
        )

    def _done_on(self, due: dt.date, earliest: dt.date | None = None) -> dt.date | None:
        """The working day a step due then was taken, or None if it is still to do."""
        day = _working(max(due, earliest or due))
        for _ in range(self.rng.choice(LATENESS)):
            day = _working(day + dt.timedelta(days=1))
        return day if day < self.today else None

    def _between(self, lo: dt.date, hi: dt.date) -> dt.date | None:
        """A working day in [lo, hi], if there is one."""
        if lo > hi:
            return None
        day = _working(lo + dt.timedelta(days=self.rng.randint(0, (hi - lo).days)))
        if day > hi:
            day = _working(lo)
        return day if day <= hi else None

    # --- writing ------------------------------------------------------------------------

    def _task(self, child: _Child, step: work.Step, at: dt.datetime, **fields: Any) -> _Task:
        task = _Task(self.next_id + len(self.tasks), at)
        self.tasks.append(
            {
                "id": task.id,
                "service_id": self.service.pk,
                "referral_id": child.referral_id,
                "kind": step.kind,
                "requirement": step.requirement,
                "sequence": step.sequence,
                "basis_on": step.basis_on,
                "due_on": step.due_on,
                "wait_from": child.received_on,
                "why": step.why[:300],
                "created_at": min(
                    at,
                    dt.datetime.combine(
                        max(step.basis_on, self.began), dt.time(7, 0), tzinfo=self.time_zone
                    ),
                ),
                **fields,
            }
        )
        return task

    def _done(
        self, child: _Child, step: work.Step, day: dt.date, outcome: str, **fields: Any
    ) -> _Task:
        """A step taken on ``day``, with its event."""
        at = self._at(day)
        task = self._task(
            child,
            step,
            at,
            state=TaskState.DONE,
            closed_at=at,
            closed_by_name=self.actor_name,
            outcome=outcome[:300],
            **fields,
        )
        self._event(task, TaskAction.DONE, outcome=outcome)
        return task

    def _aside(
        self, child: _Child, step: work.Step, day: dt.date, until: dt.date, reason: str
    ) -> _Task:
        """A step put aside on ``day`` until ``until``: an open task, as the planner would have
        made it (it keeps it), with its event."""
        task = self._task(
            child, step, self._at(day), snoozed_until=until, snooze_reason=reason[:300]
        )
        self._event(task, TaskAction.SNOOZED, until=until.isoformat(), reason=reason)
        return task

    def _event(self, task: _Task, action: str, **details: Any) -> None:
        self.events.append(
            {
                "task_id": task.id,
                "service_id": self.service.pk,
                "action": action,
                "at": task.at,
                "details": details,
                "actor_name": self.actor_name,
            }
        )

    def _contact(
        self,
        child: _Child,
        task: _Task | None,
        person: _Person,
        channel: str,
        purpose: str,
        requirement: str = "",
        at: dt.datetime | None = None,
        **fields: Any,
    ) -> None:
        self.contacts.append(
            {
                "service_id": self.service.pk,
                "referral_id": child.referral_id,
                "task_id": task.id if task else None,
                "channel": channel,
                "recipient_kind": person.kind,
                "recipient_name": person.name,
                "recipient_address": person.address(channel),
                "purpose": purpose[:200],
                "requirement": requirement,
                "at": at or (task.at if task else self._at(self.today - dt.timedelta(days=1))),
                "actor_name": self.actor_name,
                **fields,
            }
        )

    # --- requests, chases and escalations -----------------------------------------------

    def _step(self, child: _Child, key: str) -> work.Step | None:
        """The step standard work plans next for this requirement, as things stand."""
        facts = work.ReferralFacts(
            received_on=child.received_on,
            awaiting_information=True,
            requirements=(child.requirements[key],),
            salt=child.salt,
        )
        steps = work.next_steps(facts, self.rules)
        return steps[0] if steps else None

    def _asked(self, definition: RequirementDefinition, child: _Child) -> _Person | None:
        if definition.ask == "school":
            return child.school
        if definition.ask == "salt":
            return self.salt_service
        return child.family

    def _request_done(
        self, child: _Child, definition: RequirementDefinition, step: work.Step, day: dt.date
    ) -> _Task:
        name = _lower_first(definition.name)
        email = definition.ask == "school"
        outcome = f"Emailed the school for the {name}" if email else f"Letter sent with the {name}"
        task = self._done(child, step, day, outcome)
        person = self._asked(definition, child)
        if person is not None:
            self._contact(
                child,
                task,
                person,
                Channel.EMAIL if email else Channel.LETTER,
                f"Ask for the {name}",
                definition.key,
                subject=f"Asking for the {name}" if email else "",
                body=outcome + ".",
            )
        return task

    def request(self, child: _Child, definition: RequirementDefinition) -> None:
        """Asked for through the worklist since it began: the request, done that day."""
        facts = child.requirements[definition.key]
        asked_on = facts.requested_on
        if asked_on is None or not self.began <= asked_on < self.today:
            return
        before = {definition.key: replace(facts, state="outstanding", requested_on=None)}
        step = self._step(replace(child, requirements=before), definition.key)
        if step is not None and step.kind == TaskKind.REQUEST and step.due_on <= asked_on:
            self._request_done(child, definition, step, asked_on)

    def ask(self, child: _Child, definition: RequirementDefinition) -> None:
        """Never asked for: asked for once the worklist showed it (the backlog in its first
        weeks), but for the newest referrals. The report is then requested, as the pathway
        records it."""
        step = self._step(child, definition.key)
        if step is None or step.kind != TaskKind.REQUEST:
            return
        if child.received_on >= self.today - dt.timedelta(days=NEW_DAYS):
            return  # a new referral: today's work
        day = self._done_on(step.due_on, child.backlog_on)
        if day is None:
            return
        task = self._request_done(child, definition, step, day)
        child.requirements[definition.key] = replace(
            child.requirements[definition.key], state=RequirementState.REQUESTED, requested_on=day
        )
        self.asked.append((definition.key, day, child.requirement_ids[definition.key]))
        self.pathway_events.append(
            {
                "referral_id": child.referral_id,
                "kind": EventKind.REQUIREMENT_REQUESTED,
                "effective": day,
                "recorded_at": task.at,
                "actor_name": self.actor_name,
                "status_before": Status.AWAITING_INFORMATION,
                "status_after": Status.AWAITING_INFORMATION,
                "details": {"requirement": definition.key},
            }
        )

    def chase(self, child: _Child, definition: RequirementDefinition) -> None:
        """Chases and escalations since the worklist began, each taken when it fell due (the
        backlog in the first weeks); the next one is left to the planner."""
        key = definition.key
        ask = "salt" if definition.salt_follow_up else definition.ask
        name = _lower_first(definition.name)
        for _ in range(20):
            step = self._step(child, key)
            if step is None or step.kind not in (TaskKind.CHASE, TaskKind.ESCALATE):
                return
            day = self._done_on(step.due_on, child.backlog_on)
            if day is None:
                self._school_closed(child, definition, step)
                return
            facts = child.requirements[key]
            if step.kind == TaskKind.ESCALATE:
                self._done(child, step, day, ESCALATIONS[ask], assigned_to_id=self.manager_id)
                child.requirements[key] = replace(facts, escalated_on=day)
                continue
            channel, call, outcome = self.rng.choice(CHASES[ask])
            task = self._done(child, step, day, outcome)
            person = self._asked(definition, child)
            if person is not None:
                self._contact(
                    child,
                    task,
                    person,
                    channel,
                    f"Chase the {name}",
                    key,
                    outcome=call,
                    subject=f"The {name} for our assessment" if channel == Channel.EMAIL else "",
                    body=outcome + ".",
                )
            child.requirements[key] = replace(
                facts, chases_done=facts.chases_done + 1, last_chased_on=day
            )

    def _school_closed(
        self, child: _Child, definition: RequirementDefinition, step: work.Step
    ) -> None:
        """Now and then a school chase due is put aside: the school is closed this week."""
        if (
            step.kind != TaskKind.CHASE
            or definition.ask != "school"
            or child.school is None
            or self.rng.random() >= 0.04
        ):
            return
        day = self._between(
            max(step.due_on, self.today - dt.timedelta(days=6)), self.today - dt.timedelta(days=1)
        )
        if day is None:
            return
        until = _working(self.today + dt.timedelta(days=self.rng.randint(1, 7)))
        task = self._aside(
            child, step, day, until, "The school office is closed this week: chase when it reopens"
        )
        self._contact(
            child,
            task,
            child.school,
            Channel.PHONE,
            f"Chase the {_lower_first(definition.name)}",
            step.requirement,
            outcome=CallOutcome.NO_ANSWER,
            body="No answer: the school's message says it is closed this week.",
        )

    # --- the SaLT opt-in follow-up ------------------------------------------------------

    def _follow_up(self, child: _Child, stage: str, since: dt.date, **fields: Any) -> None:
        self.follow_ups.append(
            {"referral_id": child.referral_id, "stage": stage, "stage_since": since, **fields}
        )
        child.salt = work.SaltFacts(stage, since, fields.get("appointment_on"))

    def _salt_step(self, child: _Child, key: str, stage: str, since: dt.date) -> work.Step | None:
        """The follow-up's step while it stood at ``stage`` since ``since``."""
        saved, child.salt = child.salt, work.SaltFacts(stage, since)
        step = self._step(child, key)
        child.salt = saved
        return step

    def _salt_done(
        self, child: _Child, key: str, stage: str, since: dt.date, day: dt.date, outcome: str
    ) -> _Task | None:
        """A follow-up step taken on ``day``; None if that was before the worklist began (or
        before the step fell due)."""
        step = self._salt_step(child, key, stage, since)
        if step is None or not self.began <= day < self.today or day < step.due_on:
            return None
        return self._done(child, step, day, outcome)

    def _invite_checked(self, child: _Child, key: str, checked: dt.date, sent: dt.date) -> None:
        task = self._salt_done(
            child,
            key,
            SaltStage.CHECK_INVITE,
            child.received_on,
            checked,
            f"Invitation sent on {work.long_date(sent)}",
        )
        if task is not None:
            self._contact(
                child,
                task,
                self.salt_service,
                Channel.PHONE,
                "Checked SaLT sent the invitation",
                key,
                body=f"SaLT sent the invitation on {work.long_date(sent)}.",
            )

    def _carer_decided(
        self, child: _Child, key: str, family: _Person, sent: dt.date, day: dt.date, opted_in: bool
    ) -> None:
        outcome = "Opted in to SaLT" if opted_in else "Opted out of SaLT"
        call = self._salt_done(child, key, SaltStage.CALL_CARER, sent, day, outcome)
        self._contact(
            child,
            call,
            family,
            Channel.PHONE,
            str(TaskKind.SALT_CALL_CARER.label),
            key,
            at=None if call else self._at(day),
            outcome=CallOutcome.SPOKE,
            decision=CallDecision.OPTED_IN if opted_in else CallDecision.OPTED_OUT,
            body="The invitation arrived. They would like SaLT to see their child."
            if opted_in
            else "They have decided not to go ahead with SaLT for now. We said we would let "
            "them know what happens next.",
        )

    def salt_opted_in(self, child: _Child, key: str) -> None:
        """The family opted in (the report is requested): waiting for the appointment date, or
        for the report after it."""
        opted = child.requirements[key].requested_on or child.received_on
        sent = max(child.received_on, opted - dt.timedelta(days=self.rng.randint(7, 21)))
        checked = self._between(sent, opted - dt.timedelta(days=1))
        if checked is not None:
            self._invite_checked(child, key, checked, sent)
        if child.family is not None and self.began <= opted < self.today:
            self._carer_decided(child, key, child.family, sent, opted, opted_in=True)
        known = _working(opted + dt.timedelta(days=self.rng.randint(10, 40)))
        decided = {"invite_sent_on": sent, "opted_in": True, "decided_on": opted}
        if known >= self.today:
            self._follow_up(child, SaltStage.AWAITING_APPOINTMENT, opted, **decided)
            step = self._step(child, key)
            asked = self._done_on(step.due_on) if step and self.rng.random() < 0.6 else None
            if step is not None and asked is not None:
                task = self._aside(
                    child, step, asked, known, "The SaLT appointment is not booked yet"
                )
                self._contact(
                    child,
                    task,
                    self.salt_service,
                    Channel.PHONE,
                    "Asked SaLT for the appointment date",
                    key,
                    body="The SaLT appointment is not booked yet.",
                )
            return
        appointment = _working(known + dt.timedelta(days=self.rng.randint(7, 70)))
        found = self._salt_done(
            child,
            key,
            SaltStage.AWAITING_APPOINTMENT,
            opted,
            known,
            f"Appointment on {work.long_date(appointment)}",
        )
        if found is not None:
            self._contact(
                child,
                found,
                self.salt_service,
                Channel.PHONE,
                "Asked SaLT for the appointment date",
                key,
                body=f"SaLT appointment on {work.long_date(appointment)}.",
            )
        self._follow_up(
            child, SaltStage.AWAITING_REPORT, appointment, appointment_on=appointment, **decided
        )

    def salt_opted_out(self, child: _Child, key: str, family: _Person) -> None:
        """The carer said no to SaLT in the last week: the service is to decide."""
        day = self._between(self.today - dt.timedelta(days=8), self.today - dt.timedelta(days=1))
        day = day or self.today - dt.timedelta(days=1)
        sent = max(child.received_on, day - dt.timedelta(days=self.rng.randint(7, 14)))
        self._carer_decided(child, key, family, sent, day, opted_in=False)
        self._follow_up(
            child, SaltStage.OPTED_OUT, day, invite_sent_on=sent, opted_in=False, decided_on=day
        )

    def salt_undecided(self, child: _Child, key: str) -> None:
        """The family has not opted in yet: SaLT's invitation to check, or the carer to ring
        (some did not answer; one or two asked to be called back)."""
        if self.rng.random() < 0.3:
            # SaLT had not sent it when last asked: asked again in the last fortnight.
            self._follow_up(child, SaltStage.CHECK_INVITE, child.received_on)
            step = self._step(child, key)
            if step is None or step.due_on >= self.today:
                return
            asked = self._between(
                max(step.due_on, self.today - dt.timedelta(days=14)),
                self.today - dt.timedelta(days=1),
            )
            if asked is None:
                return
            until = _working(asked + dt.timedelta(days=self.rng.randint(7, 14)))
            task = self._aside(child, step, asked, until, "SaLT have not sent the invitation yet")
            self._contact(
                child,
                task,
                self.salt_service,
                Channel.PHONE,
                "Checked SaLT sent the invitation",
                key,
                body="SaLT have not sent the invitation yet: they send them on Fridays.",
            )
            return
        # SaLT sent it in the last three weeks; the carer is rung a week after.
        lo = max(child.received_on + dt.timedelta(days=14), self.today - dt.timedelta(days=21))
        checked = self._between(lo, self.today - dt.timedelta(days=1))
        if checked is None:
            return  # no row: the follow-up starts at the referral
        sent = max(child.received_on, checked - dt.timedelta(days=self.rng.randint(0, 7)))
        self._invite_checked(child, key, checked, sent)
        self._follow_up(child, SaltStage.CALL_CARER, sent, invite_sent_on=sent)
        step = self._step(child, key)
        family = child.family
        if step is None or family is None or step.due_on > self.today - dt.timedelta(days=2):
            return  # not rung yet: due today or soon
        tried = self._between(
            max(step.due_on, self.today - dt.timedelta(days=4)), self.today - dt.timedelta(days=1)
        )
        if tried is None:
            return
        chance = self.rng.random()
        if chance < 0.15:
            back = self.today + dt.timedelta(days=self.rng.randint(0, 3))
            reason = f"{family.name} asked to be called back"
            task = self._aside(child, step, tried, back, reason)
            self._contact(
                child,
                task,
                family,
                Channel.PHONE,
                str(TaskKind.SALT_CALL_CARER.label),
                key,
                outcome=CallOutcome.SPOKE,
                decision=CallDecision.CALL_BACK,
                call_back_on=back,
                body="The invitation arrived. They would like to talk it over at home first.",
            )
            return
        retry = _working(tried + dt.timedelta(days=self.pathway.salt.retry_call_after_days))
        voicemail = chance < 0.5
        reason = ("Left a voicemail" if voicemail else "No answer") + ": try again"
        self._contact(
            child,
            self._aside(child, step, tried, retry, reason),
            family,
            Channel.PHONE,
            str(TaskKind.SALT_CALL_CARER.label),
            key,
            outcome=CallOutcome.VOICEMAIL if voicemail else CallOutcome.NO_ANSWER,
        )

    # --- callbacks ----------------------------------------------------------------------

    def callback(self, child: _Child, family: _Person, due: dt.date) -> None:
        """The carer rang in during the last week and asked to be called back on ``due``."""
        rang = self._between(self.today - dt.timedelta(days=7), self.today - dt.timedelta(days=1))
        rang = rang or self.today - dt.timedelta(days=1)
        at = self._at(rang)
        why = f"{family.name} ({family.relationship}) asked to be called back"
        self._task(child, work.Step(TaskKind.CALLBACK, "", 0, rang, due, why), at)
        self._contact(
            child,
            None,
            family,
            Channel.PHONE,
            "Phone call",
            at=at,
            outgoing=False,
            outcome=CallOutcome.SPOKE,
            decision=CallDecision.CALL_BACK,
            call_back_on=due,
            body=self.rng.choice(CALLBACK_NOTES),
        )

    # --- saving -------------------------------------------------------------------------

    def save(self) -> WorklistStory:
        """Write it all, then plan the service: the planner keeps the open tasks written here
        (they are the steps it would plan) and adds every other."""
        if self.asked:
            table = connection.ops.quote_name(Requirement._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET state = %s, requested_on = %s WHERE id = %s",  # noqa: S608
                    [
                        (RequirementState.REQUESTED, connection.ops.adapt_datefield_value(d), pk)
                        for _, d, pk in self.asked
                    ],
                )
        _insert_rows(Event, self.pathway_events)
        _insert_rows(SaltFollowUp, self.follow_ups)
        _insert_rows(Task, self.tasks)
        _insert_rows(TaskEvent, sorted(self.events, key=lambda row: row["at"]))
        _insert_rows(ContactRecord, sorted(self.contacts, key=lambda row: row["at"]))
        planned = plan_service(self.service)
        return WorklistStory(
            done=sum(row.get("state") == TaskState.DONE for row in self.tasks),
            planned=planned,
            snoozed=sum(bool(row.get("snoozed_until")) for row in self.tasks),
            callbacks=sum(row["kind"] == TaskKind.CALLBACK for row in self.tasks),
            contacts=len(self.contacts),
            asked=len(self.asked),
            salt_stages=Counter(row["stage"] for row in self.follow_ups),
        )


def _children(service: Service) -> list[_Child]:
    """The service's children awaiting information, with their facts and whom to contact."""
    awaiting = Referral.objects.for_service(service).filter(
        status=Status.AWAITING_INFORMATION, patient__deceased_on__isnull=True
    )
    requirements: dict[int, dict[str, work.RequirementFacts]] = {}
    requirement_ids: dict[int, dict[str, int]] = {}
    for pk, referral_id, kind, state, requested_on in (
        Requirement.objects.filter(referral__in=awaiting.values("pk"))
        .order_by("referral_id", "pk")
        .values_list("pk", "referral_id", "kind", "state", "requested_on")
    ):
        requirements.setdefault(referral_id, {})[kind] = work.RequirementFacts(
            kind, state, requested_on
        )
        requirement_ids.setdefault(referral_id, {})[kind] = pk
    # The default recipient, as clearway.contact.recipients chooses it: a looked-after child's
    # social worker, else the first carer with parental responsibility, the main contact first.
    carers: dict[int, Carer] = {}
    for carer in Carer.objects.filter(
        patient_id__in=awaiting.values("patient_id"), parental_responsibility=True
    ).order_by("patient_id", "-main_contact", "name", "pk"):
        carers.setdefault(carer.patient_id, carer)
    children = []
    for row in awaiting.order_by("pk").values(
        "pk",
        "received_on",
        "patient_id",
        "patient__looked_after",
        "patient__social_worker_name",
        "patient__social_worker_phone",
        "patient__social_worker_email",
        "patient__address",
        "patient__postcode",
        "patient__school__name",
        "patient__school__phone",
        "patient__school__email",
        "patient__school__address",
    ):
        family: _Person | None = None
        main = carers.get(row["patient_id"])
        if row["patient__looked_after"]:
            family = _Person(
                RecipientKind.SOCIAL_WORKER,
                row["patient__social_worker_name"] or "The child's social worker",
                phone=row["patient__social_worker_phone"],
                email=row["patient__social_worker_email"],
                relationship="social worker",
            )
        elif main is not None:
            home = f"{row['patient__address']}\n{row['patient__postcode']}".strip()
            family = _Person(
                RecipientKind.CARER,
                main.name,
                phone=main.phone,
                email=main.email,
                postal=main.address or home,
                relationship=main.relationship.lower(),
            )
        school = None
        if row["patient__school__name"]:
            school = _Person(
                RecipientKind.SCHOOL,
                row["patient__school__name"],
                phone=row["patient__school__phone"],
                email=row["patient__school__email"],
                postal=row["patient__school__address"],
            )
        children.append(
            _Child(
                row["pk"],
                row["received_on"],
                requirements.get(row["pk"], {}),
                requirement_ids.get(row["pk"], {}),
                family,
                school,
            )
        )
    return children


def _ensure_templates(service: Service) -> None:
    try:
        from clearway.contact.defaults import ensure_default_templates
    except ImportError:  # pragma: no cover - written alongside this module
        return
    ensure_default_templates(service)


def prepare_standard_work(service: Service, seed: int, today: dt.date) -> WorklistStory:
    """Give ``service`` its contact details and default templates, ten weeks of standard work
    up to ``today``, and its planned tasks. Runs inside the loader's transaction."""
    ServiceContactDetails.objects.update_or_create(
        service=service, defaults=CONTACT_DETAILS.get(service.slug, CONTACT_DETAILS["scd"])
    )
    _ensure_templates(service)
    story = _Story(service, seed, today, ZoneInfo(settings.TIME_ZONE))
    salt = service.pathway.salt_requirement
    children = _children(service)
    for n, child in enumerate(sorted(children, key=lambda c: (c.received_on, c.referral_id))):
        child.backlog_on = today - dt.timedelta(
            days=IN_USE_DAYS - BACKLOG_DAYS * n // max(1, len(children))
        )
    # Children whose SaLT invitation is still being followed up; a few of them opted out.
    undecided = [
        child
        for child in children
        if salt is not None
        and salt.key in child.requirements
        and child.requirements[salt.key].state == RequirementState.OUTSTANDING
        and child.received_on < today - dt.timedelta(days=21)
    ]
    reachable = [child for child in undecided if child.family is not None]
    opted_out = {
        child.referral_id
        for child in story.rng.sample(
            reachable, min(len(reachable), max(1, round(len(undecided) * OPT_OUT_SHARE)))
        )
    }
    undecided_ids = {child.referral_id for child in undecided}
    for child in children:
        for definition in service.pathway.requirements:
            facts = child.requirements.get(definition.key)
            if facts is None:
                continue
            if definition.salt_follow_up:
                if facts.state == RequirementState.REQUESTED:
                    story.salt_opted_in(child, definition.key)
                    story.chase(child, definition)
                elif child.referral_id in opted_out and child.family is not None:
                    story.salt_opted_out(child, definition.key, child.family)
                elif child.referral_id in undecided_ids:
                    story.salt_undecided(child, definition.key)
                continue
            if facts.state == RequirementState.OUTSTANDING:
                story.ask(child, definition)
            else:
                story.request(child, definition)
            if child.requirements[definition.key].state == RequirementState.REQUESTED:
                story.chase(child, definition)
    calling = [child for child in children if child.family is not None]
    calling = story.rng.sample(
        calling, min(len(calling), max(2, round(len(children) * CALLBACK_SHARE)))
    )
    for n, child in enumerate(calling):
        later = 0 if n % 3 < 2 else story.rng.randint(1, 4)
        assert child.family is not None
        story.callback(child, child.family, today + dt.timedelta(days=later))
    return story.save()


def worklist_summary(service: Service, day: dt.date) -> str:
    """How many tasks are due on ``day``, by kind of work, in one line."""
    counts: Counter[str] = Counter()
    for kind, n in due_tasks(service, day).order_by().values_list("kind").annotate(n=Count("pk")):
        counts[SUMMARY_GROUPS.get(kind, "other")] += n
    total = sum(counts.values())
    parts = [f"{counts[group]:,} {group}" for group in SUMMARY_ORDER if counts[group]]
    return f"{total:,} {'task' if total == 1 else 'tasks'} due" + (
        f" ({', '.join(parts)})" if parts else ""
    )
