"""View-models for the pathway pages, shaped for NHS.UK components."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from clearway.core.formatting import format_nhs_number
from clearway.pathways.definition import PathwayDefinition
from clearway.pathways.models import (
    Event,
    EventKind,
    Referral,
    Requirement,
    RequirementState,
    Status,
)

STATUS_TAG = {
    Status.AWAITING_INFORMATION: "nhsuk-tag--yellow",
    Status.READY_FOR_PANEL: "nhsuk-tag--green",
    Status.BOOKED: "nhsuk-tag--blue",
    Status.ASSESSED: "nhsuk-tag--purple",
    Status.DISCHARGED: "nhsuk-tag--grey",
}
REQUIREMENT_TAG = {
    RequirementState.OUTSTANDING: "nhsuk-tag--red",
    RequirementState.REQUESTED: "nhsuk-tag--yellow",
    RequirementState.RECEIVED: "nhsuk-tag--green",
    RequirementState.NOT_NEEDED: "nhsuk-tag--grey",
}


def in_sentence(name: str) -> str:
    """A report's name inside a sentence: "School report" → "school report", but "SaLT
    report" keeps its capitals."""
    first_word = name.split(" ", 1)[0]
    if any(letter.isupper() for letter in first_word[1:]):
        return name
    return name[:1].lower() + name[1:]


def uk_date(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def status_tag(referral: Referral) -> dict[str, str]:
    return {"text": referral.get_status_display(), "classes": STATUS_TAG[Status(referral.status)]}


def requirement_rows(referral: Referral, pathway: PathwayDefinition) -> list[dict[str, Any]]:
    """Each requirement of the pathway with its state, in the pathway's order."""
    by_kind: dict[str, Requirement] = {r.kind: r for r in referral.requirements.all()}
    rows = []
    for definition in pathway.requirements:
        requirement = by_kind.get(definition.key)
        state = RequirementState(requirement.state) if requirement else RequirementState.OUTSTANDING
        when = ""
        if requirement and state == RequirementState.RECEIVED:
            when = uk_date(requirement.received_on)
        elif requirement and state == RequirementState.REQUESTED:
            when = uk_date(requirement.requested_on)
        rows.append(
            {
                "key": definition.key,
                "name": definition.name,
                "short_name": definition.short_name,
                "state": state.value,
                "tag": {"text": state.label, "classes": REQUIREMENT_TAG[state]},
                "when": when,
                "received": state in (RequirementState.RECEIVED, RequirementState.NOT_NEEDED),
            }
        )
    return rows


@dataclass
class ListRow:
    referral: Referral
    today: dt.date
    pathway: PathwayDefinition

    @property
    def nhs_number(self) -> str:
        return format_nhs_number(self.referral.patient.nhs_number) or "Not known"

    @property
    def age(self) -> int:
        return self.referral.patient.age_on(self.today)

    @property
    def days_waiting(self) -> int:
        return self.referral.days_waiting(self.today)

    @property
    def requirements(self) -> list[dict[str, Any]]:
        return requirement_rows(self.referral, self.pathway)

    @property
    def status(self) -> dict[str, str]:
        return status_tag(self.referral)


def describe_event(event: Event, pathway: PathwayDefinition) -> str:
    """One line, in plain words, of what happened."""
    details = event.details or {}
    kind = event.kind
    requirement = details.get("requirement")
    name = ""
    if requirement:
        try:
            name = pathway.requirement(requirement).name
        except KeyError:
            name = requirement
    if kind == EventKind.REFERRAL_RECEIVED:
        return "Referral received"
    if kind == EventKind.REQUIREMENT_REQUESTED:
        return f"{name} requested"
    if kind == EventKind.REQUIREMENT_RECEIVED:
        text = f"{name} received"
        return text + " – ready for panel" if details.get("ready_for_panel") else text
    if kind == EventKind.REQUIREMENT_NOT_NEEDED:
        text = f"{name} not needed: {details.get('why', '')}".rstrip(": ")
        return text + " – ready for panel" if details.get("ready_for_panel") else text
    if kind == EventKind.BOOKED:
        return f"Booked for panel on {uk_date(dt.date.fromisoformat(details['panel_date']))}"
    if kind == EventKind.BOOKING_CANCELLED:
        return f"Panel booking cancelled: {details.get('reason', '')}".rstrip(": ")
    if kind == EventKind.ASSESSED:
        return "Assessed at panel (clock stopped)"
    if kind == EventKind.DISCHARGED:
        from clearway.pathways.models import DischargeReason

        reason = DischargeReason(details["reason"]).label if details.get("reason") else ""
        return f"Discharged: {reason}"
    if kind == EventKind.REVERSED and details.get("reversed_kind") == (
        EventKind.REQUIREMENT_RECEIVED
    ):
        text = f"Correction: the {in_sentence(name or 'report')} was not received after all"
        if (event.status_before, event.status_after) == (
            Status.READY_FOR_PANEL,
            Status.AWAITING_INFORMATION,
        ):
            text += " (no longer ready for panel)"
        return f"{text} – {details.get('why', '')}".rstrip(" –")
    if kind == EventKind.REVERSED:
        what = event.reverses.get_kind_display().lower() if event.reverses else "earlier event"
        return f"Correction: the {what} was wrong – {details.get('why', '')}"
    return event.get_kind_display()


def timeline(referral: Referral, pathway: PathwayDefinition) -> list[dict[str, Any]]:
    """Every event, newest first by when it took effect, with who recorded it and when."""
    events = (
        referral.events.select_related("reverses")
        .prefetch_related("reversed_by")
        .order_by("-effective", "-recorded_at", "-pk")
    )
    items = []
    for event in events:
        reversed_by = getattr(event, "reversed_by", None) if hasattr(event, "reversed_by") else None
        items.append(
            {
                "event": event,
                "text": describe_event(event, pathway),
                "note": (event.details or {}).get("note", ""),
                "effective": uk_date(event.effective),
                "recorded_at": event.recorded_at,
                "actor": event.actor_name,
                "late": event.recorded_at.date() > event.effective,
                "reversed_by": reversed_by,
            }
        )
    return items
