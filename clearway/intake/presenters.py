"""View-models for the intake pages, shaped for NHS.UK components."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils.text import slugify

from clearway.core.formatting import format_nhs_number
from clearway.intake.forms import FIELD_LABELS
from clearway.intake.models import (
    GROUPABLE,
    Outcome,
    Proposal,
    State,
    ValidationRun,
)
from clearway.intake.services import ImportPlan, group_digest, group_label
from clearway.validation.readers import Column

OUTCOME_TAG = {
    Outcome.WAITING: "nhsuk-tag--white",
    Outcome.SEEN: "nhsuk-tag--blue",
    Outcome.DISCHARGED: "nhsuk-tag--purple",
    Outcome.DECEASED: "nhsuk-tag--grey",
    Outcome.DUPLICATE: "nhsuk-tag--aqua-green",
    Outcome.REVIEW: "nhsuk-tag--orange",
}
STATE_TAG = {
    State.TO_DECIDE: "nhsuk-tag--yellow",
    State.CONFIRMED: "nhsuk-tag--green",
    State.KEPT: "nhsuk-tag--blue",
    State.DECIDED_BEFORE: "nhsuk-tag--white",
    State.OFF_LIST: "nhsuk-tag--grey",
    State.NOTHING_TO_DO: "nhsuk-tag--white",
}
MATCH_WORDS = {
    "nhs_number": "NHS number",
    "hospital_number": "Hospital number",
    "name_birth_date": "Name and date of birth (the only such child in PAS)",
    "linkage": "Probable match (record linkage)",
    "": "Not found in PAS",
}
EVENT_WORDS = {
    "referral": "Referral",
    "attended": "Attended",
    "was_not_brought": "Was not brought",
    "cancelled": "Cancelled",
    "discharged": "Discharged",
    "deceased": "Died",
}


def uk_date(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
    else:
        day = value
    return f"{day.day} {day:%B %Y}"


def outcome_tag(outcome: str) -> dict[str, str]:
    return {"text": Outcome(outcome).label, "classes": OUTCOME_TAG[Outcome(outcome)]}


def state_tag(state: str) -> dict[str, str]:
    return {"text": State(state).label, "classes": STATE_TAG[State(state)]}


def confidence_text(confidence: str) -> str:
    return {"high": "High", "medium": "Medium"}.get(confidence, "Not matched")


def column_rows(columns: list[Column]) -> list[dict[str, str]]:
    """What each column of a list became, in words."""
    how = {
        "mapping": "as you chose",
        "header word": "from its header",
        "guessed": "guessed from its header: check it",
    }
    rows = []
    for column in columns:
        if column.field:
            read_as = f"{FIELD_LABELS[column.field]} ({how.get(column.how, column.how)})"
        else:
            read_as = "Not used" + (f": {column.note}" if column.note else "")
        rows.append({"letter": column.letter, "header": column.header, "read_as": read_as})
    return rows


def raw_cells(raw: dict[str, Any]) -> str:
    """A row's original cells on one line: "NHS Number: 999 …; Surname: Smith"."""
    return "; ".join(f"{k}: {v}" for k, v in raw.items() if v not in (None, ""))


def plan_counts(plan: ImportPlan) -> list[dict[str, Any]]:
    legacy = plan.legacy
    return [
        {"key": {"text": "Sheet read"}, "value": {"text": legacy.sheet}},
        {"key": {"text": "Header row"}, "value": {"text": f"Row {legacy.header_row}"}},
        {"key": {"text": "Children's rows"}, "value": {"text": f"{len(plan.rows):,}"}},
        {"key": {"text": "Can be imported"}, "value": {"text": f"{len(plan.importable):,}"}},
        {"key": {"text": "Cannot be imported"}, "value": {"text": f"{len(plan.refused):,}"}},
        {
            "key": {"text": "Rows that are not children"},
            "value": {"text": f"{len(legacy.skipped):,} (blank, title or total rows)"},
        },
    ]


@dataclass
class ProposalRow:
    """One child on the worklist."""

    proposal: Proposal

    @property
    def name(self) -> str:
        record = self.proposal.list_record
        return f"{record.get('family_name', '').upper()}, {record.get('given_name', '')}"

    @property
    def nhs_number(self) -> str:
        return format_nhs_number(self.proposal.list_record.get("nhs_number")) or "Not known"

    @property
    def birth_date(self) -> str:
        return uk_date(self.proposal.list_record.get("birth_date"))

    @property
    def referral_date(self) -> str:
        return uk_date(self.proposal.list_record.get("referral_date"))

    @property
    def outcome(self) -> dict[str, str]:
        return outcome_tag(self.proposal.outcome)

    @property
    def state(self) -> dict[str, str]:
        return state_tag(getattr(self.proposal, "state", State.TO_DECIDE))

    @property
    def confidence(self) -> str:
        return confidence_text(self.proposal.confidence)

    @property
    def evidence(self) -> str:
        p = self.proposal
        if p.outcome == Outcome.DUPLICATE and p.duplicate_of_id:
            return "Entered twice: same child as another entry"
        if p.event and p.event_date:
            return f"{EVENT_WORDS.get(p.event, p.event)} {uk_date(p.event_date)}"
        return p.agreement if p.match else MATCH_WORDS[""]


def outcome_table(run: ValidationRun) -> list[dict[str, Any]]:
    """For each outcome: how many proposals, and where they stand."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in run.proposals.with_state().values("outcome", "state").annotate(n=Count("pk")):
        counts[(row["outcome"], row["state"])] += row["n"]
    rows = []
    for outcome in Outcome:
        total = sum(n for (o, _), n in counts.items() if o == outcome)
        rows.append(
            {
                "outcome": outcome.value,
                "tag": outcome_tag(outcome),
                "total": total,
                "to_decide": counts[(outcome, State.TO_DECIDE)],
                "confirmed": counts[(outcome, State.CONFIRMED)],
                "kept": counts[(outcome, State.KEPT)],
                "before": counts[(outcome, State.DECIDED_BEFORE)],
                "off_list": counts[(outcome, State.OFF_LIST)],
            }
        )
    return rows


@dataclass
class Group:
    """High-confidence proposals of one outcome and agreement, to confirm together."""

    outcome: str
    agreement: str
    count: int

    @property
    def slug(self) -> str:
        return group_slug(self.outcome, self.agreement)

    @property
    def label(self) -> str:
        return group_label(self.outcome, self.agreement)


def group_slug(outcome: str, agreement: str) -> str:
    return slugify(f"{outcome} {agreement}")[:200] or outcome


def groups(run: ValidationRun) -> list[Group]:
    """The groups of the run that still have children to confirm, largest first."""
    found = (
        run.proposals.to_decide()
        .filter(outcome__in=GROUPABLE, confidence="high")
        .values("outcome", "agreement")
        .annotate(n=Count("pk"))
        .order_by("-n", "outcome", "agreement")
    )
    return [Group(row["outcome"], row["agreement"], row["n"]) for row in found]


def find_group(run: ValidationRun, slug: str) -> tuple[str, str] | None:
    """The (outcome, agreement) a group's slug names, among every proposal of the run."""
    pairs = (
        run.proposals.filter(outcome__in=GROUPABLE, confidence="high")
        .values_list("outcome", "agreement")
        .distinct()
    )
    for outcome, agreement in pairs:
        if group_slug(outcome, agreement) == slug:
            return outcome, agreement
    return None


def digest(proposals: list[Proposal]) -> str:
    return group_digest(proposals)


def comparison_rows(proposal: Proposal) -> list[dict[str, str]]:
    """The child as the list has them beside the PAS patient they were matched to."""
    mine, theirs = proposal.list_record, proposal.pas_record or {}

    def name(record: dict[str, Any]) -> str:
        return f"{record.get('given_name', '')} {str(record.get('family_name', '')).upper()}"

    return [
        {
            "what": "NHS number",
            "list": format_nhs_number(mine.get("nhs_number")) or "Not known",
            "pas": format_nhs_number(theirs.get("nhs_number")) or ("Not known" if theirs else ""),
        },
        {
            "what": "Hospital number (PAS id)",
            "list": mine.get("hospital_number") or "Not known",
            "pas": theirs.get("pas_id", ""),
        },
        {"what": "Name", "list": name(mine), "pas": name(theirs) if theirs else ""},
        {
            "what": "Date of birth",
            "list": uk_date(mine.get("birth_date")),
            "pas": uk_date(theirs.get("birth_date")),
        },
        {
            "what": "Referral date",
            "list": uk_date(mine.get("referral_date")),
            "pas": uk_date(proposal.referral_date)
            if proposal.referral_date and str(proposal.referral_date) != mine.get("referral_date")
            else "",
        },
    ]


def pas_events(proposal: Proposal) -> list[dict[str, str]]:
    events = (proposal.pas_record or {}).get("events", [])
    return [
        {
            "date": uk_date(e.get("date")),
            "event": EVENT_WORDS.get(e.get("event", ""), e.get("event", "")),
            "clinic": e.get("clinic", ""),
            "decisive": e.get("event") == proposal.event
            and e.get("date") == (proposal.event_date.isoformat() if proposal.event_date else None),
        }
        for e in events
    ]


def evidence_rows(proposal: Proposal) -> list[dict[str, Any]]:
    rows = [
        {"key": {"text": "Proposed"}, "value": {"text": proposal.get_outcome_display()}},
        {"key": {"text": "Why"}, "value": {"text": proposal.reason}},
        {
            "key": {"text": "Matched by"},
            "value": {"text": MATCH_WORDS.get(proposal.match, proposal.match)},
        },
        {"key": {"text": "What agrees"}, "value": {"text": proposal.agreement or "Nothing"}},
        {"key": {"text": "Confidence"}, "value": {"text": confidence_text(proposal.confidence)}},
    ]
    if proposal.match_probability is not None:
        rows.append(
            {
                "key": {"text": "Match probability"},
                "value": {"text": f"{proposal.match_probability:.1%}"},
            }
        )
    if proposal.event:
        rows.append(
            {
                "key": {"text": "PAS event that decided it"},
                "value": {
                    "text": f"{EVENT_WORDS.get(proposal.event, proposal.event)} on "
                    f"{uk_date(proposal.event_date)}"
                },
            }
        )
    return rows
