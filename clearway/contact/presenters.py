"""What the worklist, task, call and workload pages show, shaped for NHS.UK components."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from clearway.contact.models import (
    ContactRecord,
    Message,
    MessageState,
    Task,
    TaskAction,
    TaskEvent,
    TaskKind,
    TaskState,
)
from clearway.core.formatting import format_nhs_number
from clearway.pathways.definition import PathwayDefinition
from clearway.pathways.models import WAITING, Referral
from clearway.pathways.presenters import in_sentence

#: Who a contact was with, as a sentence says it.
WHO = {
    "carer": "carer",
    "social_worker": "social worker",
    "school": "school",
    "salt": "SaLT service",
}

MESSAGE_TAG = {
    MessageState.QUEUED: "nhsuk-tag--grey",
    MessageState.SENDING: "nhsuk-tag--blue",
    MessageState.SENT: "nhsuk-tag--blue",
    MessageState.DELIVERED: "nhsuk-tag--green",
    MessageState.FAILED: "nhsuk-tag--red",
    MessageState.UNKNOWN: "nhsuk-tag--orange",
}


def task_label(kind: str, requirement: str, pathway: PathwayDefinition) -> str:
    """What to do, in a few words: "Chase the school report"."""
    name = ""
    if requirement:
        try:
            name = in_sentence(pathway.requirement(requirement).name)
        except KeyError:
            name = requirement.replace("_", " ")
    if kind == TaskKind.REQUEST:
        return f"Ask for the {name}"
    if kind == TaskKind.CHASE:
        return f"Chase the {name}"
    if kind == TaskKind.ESCALATE:
        return f"Escalate: {name} still not received"
    return str(TaskKind(kind).label)


def purpose_of(task: Task) -> str:
    """The template purpose a task offers first (see MessageTemplate.purpose)."""
    if task.kind == TaskKind.REQUEST:
        return f"request:{task.requirement}"
    if task.kind in (TaskKind.CHASE, TaskKind.ESCALATE):
        return f"chase:{task.requirement}"
    if task.kind == TaskKind.SALT_CALL_CARER:
        return "salt:call_carer"
    return "general"


def due_tasks(service: Any, day: dt.date) -> Any:
    """The tasks due on this day for this service: open, and not snoozed past it.

    Read from one index alone (counts, filters and order). A child who left the list or died
    has no open task: the planner closes them in the same transaction. The rows a page shows
    are checked again (:func:`still_waiting`).
    """
    return Task.objects.for_service(service).due_on(day)


def still_waiting(task: Task) -> bool:
    """The second guard, on the rows shown: the child is on the list and not recorded as died."""
    return task.referral.status in WAITING and task.referral.patient.deceased_on is None


def kind_counts(tasks: Any, pathway: PathwayDefinition) -> list[dict[str, Any]]:
    """How many of each kind of task are due, in the order work is usually done."""
    order = {kind: n for n, kind in enumerate(TaskKind.values)}
    rows = tasks.order_by().values("kind", "requirement").annotate(n=Count("pk"))
    counts = [
        {
            "key": f"{row['kind']}:{row['requirement']}",
            "label": task_label(row["kind"], row["requirement"], pathway),
            "count": row["n"],
            "order": (order.get(row["kind"], 99), row["requirement"]),
        }
        for row in rows
    ]
    return sorted(counts, key=lambda c: c["order"])


def filter_choices(pathway: PathwayDefinition) -> list[tuple[str, str]]:
    choices = []
    for kind in TaskKind.values:
        if kind in (TaskKind.REQUEST, TaskKind.CHASE, TaskKind.ESCALATE):
            choices += [
                (f"{kind}:{r.key}", task_label(kind, r.key, pathway)) for r in pathway.requirements
            ]
        elif kind.startswith("salt_"):
            salt = pathway.salt_requirement
            if salt is not None:
                choices.append((f"{kind}:{salt.key}", task_label(kind, salt.key, pathway)))
        else:
            choices.append((f"{kind}:", task_label(kind, "", pathway)))
    return choices


@dataclass
class TaskRow:
    task: Task
    day: dt.date
    pathway: PathwayDefinition

    @property
    def label(self) -> str:
        return task_label(self.task.kind, self.task.requirement, self.pathway)

    @property
    def child(self) -> Any:
        return self.task.referral.patient

    @property
    def nhs_number(self) -> str:
        return format_nhs_number(self.child.nhs_number) or "Not known"

    @property
    def days_waiting(self) -> int:
        return (self.day - self.task.wait_from).days

    @property
    def overdue_days(self) -> int:
        return (self.day - self.task.due_on).days

    @property
    def is_call(self) -> bool:
        return self.task.kind in (TaskKind.SALT_CALL_CARER, TaskKind.CALLBACK)


def contact_history(referral: Referral) -> list[dict[str, Any]]:
    """Every contact about this referral, newest first, with an SMS or email's delivery status."""
    rows = []
    for record in ContactRecord.objects.filter(referral=referral).select_related("message"):
        message: Message | None = record.message
        rows.append(
            {
                "record": record,
                "at": timezone.localtime(record.at),
                "what": f"{record.get_channel_display()} {'to' if record.outgoing else 'from'} "
                f"{record.recipient_name} ({WHO[record.recipient_kind]})",
                "purpose": record.purpose,
                "outcome": " – ".join(
                    x for x in (record.get_outcome_display(), record.get_decision_display()) if x
                ),
                "call_back_on": record.call_back_on,
                "body": record.body,
                "status": {
                    "text": message.get_state_display(),
                    "classes": MESSAGE_TAG[MessageState(message.state)],
                }
                if message
                else None,
                "status_detail": message.error if message else "",
                "letter": record.channel == "letter",
                "actor": record.actor_name,
            }
        )
    return rows


def open_tasks(
    referral: Referral, pathway: PathwayDefinition, day: dt.date
) -> list[dict[str, Any]]:
    tasks = Task.all_objects.filter(referral=referral, state=TaskState.OPEN).order_by(
        "due_on", "pk"
    )
    return [
        {
            "task": task,
            "label": task_label(task.kind, task.requirement, pathway),
            "due": task.due_on <= day and not (task.snoozed_until and task.snoozed_until > day),
        }
        for task in tasks.select_related("assigned_to")
    ]


def workload(service: Any, weeks: int, today: dt.date) -> dict[str, Any]:
    """Tasks done per person per week, and what is waiting on whom (open and due)."""
    start = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    done = (
        TaskEvent.objects.filter(service=service, action=TaskAction.DONE, at__date__gte=start)
        .annotate(week=TruncWeek("at"))
        .values("week", "actor_name")
        .annotate(n=Count("pk"))
    )
    mondays = [start + dt.timedelta(weeks=n) for n in range(weeks)]
    table: dict[str, dict[dt.date, int]] = defaultdict(lambda: dict.fromkeys(mondays, 0))
    for row in done:
        week = row["week"]
        monday = week.date() if isinstance(week, dt.datetime) else week
        if monday in table[row["actor_name"]] or monday in mondays:
            table[row["actor_name"]][monday] = row["n"]
    people = [
        {"name": name, "weeks": [weeks_[m] for m in mondays], "total": sum(weeks_.values())}
        for name, weeks_ in sorted(table.items())
    ]
    due = due_tasks(service, today)
    waiting = (
        Task.objects.for_service(service)
        .open()
        .filter(referral__status__in=WAITING)
        .values("assigned_to__username", "assigned_to__first_name", "assigned_to__last_name")
        .annotate(
            open=Count("pk"),
            due=Count("pk", filter=Q(pk__in=due.values("pk"))),
        )
        .order_by("assigned_to__username")
    )
    on_whom = [
        {
            "name": (
                f"{row['assigned_to__first_name']} {row['assigned_to__last_name']}".strip()
                or row["assigned_to__username"]
            )
            if row["assigned_to__username"]
            else "Anyone in the team (not assigned)",
            "open": row["open"],
            "due": row["due"],
        }
        for row in waiting
    ]
    return {"mondays": mondays, "people": people, "on_whom": on_whom}
