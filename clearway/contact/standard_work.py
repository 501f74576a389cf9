"""Standard work, as a pure function: what the coordinator does next for a referral, and when.

Given what is known of a referral (:class:`ReferralFacts`) and the pathway's rules,
:func:`next_steps` returns each step still to take with the day it falls due and why, in plain
words. Nothing here reads the database or the clock, so "what is due on 3 March" is a question of
passing the facts as they stand and comparing ``due_on`` with that day
(``tests/contact/test_standard_work.py`` travels in time this way).

The rules, per requirement (``chase`` in the pathway file, changeable by the service manager):

- **request** it ``request_after_days`` after the referral;
- **chase** it ``chase_after_days`` after asking, then every ``chase_every_days``;
- after ``escalate_after_chases`` chases, **escalate** to the service manager (once); chasing
  then goes on every ``chase_every_days``.

The SaLT report comes through the **SaLT opt-in follow-up** instead of a request: check SaLT sent
its invitation; ring the carer (in or out?); if in, find out the SaLT appointment date; the
report is then expected ``report_due_days`` after the appointment and chased from then as above.
An opt-out asks the service to decide: proceed to panel without SaLT, or discharge.

A child who has died, or whose referral is no longer waiting for information, has no steps.
"""

import datetime as dt
from dataclasses import dataclass, field

from clearway.pathways.definition import ChaseRule, PathwayDefinition

REQUEST = "request"
CHASE = "chase"
ESCALATE = "escalate"
SALT_CHECK_INVITE = "salt_check_invite"
SALT_CALL_CARER = "salt_call_carer"
SALT_APPOINTMENT = "salt_appointment"
SALT_OPT_OUT = "salt_opt_out"

#: The kinds of step planned from the facts (a promised call back is made by a person instead).
PLANNED_KINDS = (
    REQUEST,
    CHASE,
    ESCALATE,
    SALT_CHECK_INVITE,
    SALT_CALL_CARER,
    SALT_APPOINTMENT,
    SALT_OPT_OUT,
)

ASKED_WHO = {"school": "the school", "salt": "the SaLT service", "carer": "the family"}


@dataclass(frozen=True)
class RequirementFacts:
    key: str
    #: outstanding, requested, received or not_needed
    state: str
    requested_on: dt.date | None = None
    #: Chases done since it was requested, and the day of the last.
    chases_done: int = 0
    last_chased_on: dt.date | None = None
    #: The day the service manager's escalation was done, if it was.
    escalated_on: dt.date | None = None


@dataclass(frozen=True)
class SaltFacts:
    #: check_invite, call_carer, awaiting_appointment, awaiting_report, opted_out or done
    stage: str
    stage_since: dt.date
    appointment_on: dt.date | None = None


@dataclass(frozen=True)
class ReferralFacts:
    received_on: dt.date
    #: True while the referral waits for reports (awaiting information).
    awaiting_information: bool
    deceased: bool = False
    requirements: tuple[RequirementFacts, ...] = ()
    #: None: the follow-up has not begun (it starts at the referral).
    salt: SaltFacts | None = None


@dataclass(frozen=True)
class Step:
    kind: str
    requirement: str
    sequence: int
    basis_on: dt.date
    due_on: dt.date
    why: str


@dataclass(frozen=True)
class Rules:
    """The pathway, with the service's own chase rules where it changed them."""

    pathway: PathwayDefinition
    chase: dict[str, ChaseRule] = field(default_factory=dict)

    def for_requirement(self, key: str) -> ChaseRule:
        return self.chase.get(key) or self.pathway.requirement(key).chase


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def due_chase(
    name: str, facts: RequirementFacts, rule: ChaseRule, first_basis: dt.date, asked: str
) -> Step:
    """The next chase or escalation of a requested report."""
    if facts.chases_done == 0:
        return Step(
            CHASE,
            facts.key,
            1,
            first_basis,
            first_basis + dt.timedelta(days=rule.chase_after_days),
            f"{name} asked for on {long_date(facts.requested_on or first_basis)}, "
            f"not yet received: chase {asked}",
        )
    last = max(d for d in (facts.last_chased_on, facts.escalated_on, first_basis) if d)
    chased = f"chased {_times(facts.chases_done)}, last on {long_date(last)}"
    if facts.chases_done >= rule.escalate_after_chases and facts.escalated_on is None:
        return Step(
            ESCALATE,
            facts.key,
            0,
            last,
            last + dt.timedelta(days=rule.chase_every_days),
            f"{name} still not received after being {chased}: the service manager to step in",
        )
    return Step(
        CHASE,
        facts.key,
        facts.chases_done + 1,
        last,
        last + dt.timedelta(days=rule.chase_every_days),
        f"{name} not yet received, {chased}: chase {asked} again",
    )


def _requirement_step(
    facts: RequirementFacts, rule: ChaseRule, name: str, asked: str, received_on: dt.date
) -> Step | None:
    if facts.state == "outstanding":
        return Step(
            REQUEST,
            facts.key,
            0,
            received_on,
            received_on + dt.timedelta(days=rule.request_after_days),
            f"{name} not yet asked for: ask {asked} (referral received {long_date(received_on)})",
        )
    if facts.state == "requested":
        return due_chase(name, facts, rule, facts.requested_on or received_on, asked)
    return None


def _salt_steps(
    facts: ReferralFacts, requirement: RequirementFacts, rules: Rules, name: str
) -> list[Step]:
    salt = rules.pathway.salt
    if requirement.state in ("received", "not_needed"):
        return []
    follow_up = facts.salt
    if follow_up is None:
        if requirement.state == "requested":
            # Asked for before Clearway (an imported list): expect it after SaLT's usual time.
            basis = (requirement.requested_on or facts.received_on) + dt.timedelta(
                days=salt.report_due_days
            )
            rule = rules.for_requirement(requirement.key)
            return [due_chase(name, requirement, rule, basis, ASKED_WHO["salt"])]
        follow_up = SaltFacts("check_invite", facts.received_on)
    stage, since = follow_up.stage, follow_up.stage_since
    if stage == "check_invite":
        return [
            Step(
                SALT_CHECK_INVITE,
                requirement.key,
                0,
                since,
                since + dt.timedelta(days=salt.check_invite_after_days),
                "Check with the SaLT service that they sent the family their invitation letter",
            )
        ]
    if stage == "call_carer":
        return [
            Step(
                SALT_CALL_CARER,
                requirement.key,
                0,
                since,
                since + dt.timedelta(days=salt.call_carer_after_days),
                f"SaLT sent the invitation on {long_date(since)}: ring the carer to check it "
                "arrived and whether they want to opt in",
            )
        ]
    if stage == "awaiting_appointment":
        return [
            Step(
                SALT_APPOINTMENT,
                requirement.key,
                0,
                since,
                since + dt.timedelta(days=salt.appointment_check_after_days),
                f"The family opted in to SaLT on {long_date(since)}: find out the appointment date",
            )
        ]
    if stage == "awaiting_report":
        appointment = follow_up.appointment_on or since
        basis = appointment + dt.timedelta(days=salt.report_due_days)
        rule = rules.for_requirement(requirement.key)
        step = due_chase(name, requirement, rule, basis, ASKED_WHO["salt"])
        if step.kind == CHASE and step.sequence == 1:
            step = Step(
                step.kind,
                step.requirement,
                step.sequence,
                step.basis_on,
                step.due_on,
                f"SaLT appointment on {long_date(appointment)}: the report was expected by "
                f"{long_date(basis)}: chase the SaLT service",
            )
        return [step]
    if stage == "opted_out":
        return [
            Step(
                SALT_OPT_OUT,
                requirement.key,
                0,
                since,
                since,
                f"The family opted out of SaLT on {long_date(since)}: decide whether "
                "to go to panel without the SaLT report, or to discharge",
            )
        ]
    return []


def next_steps(facts: ReferralFacts, rules: Rules) -> list[Step]:
    """Every step still to take for this referral, each with its due day and why."""
    if facts.deceased or not facts.awaiting_information:
        return []
    steps: list[Step] = []
    for requirement in facts.requirements:
        try:
            definition = rules.pathway.requirement(requirement.key)
        except KeyError:
            continue  # a requirement the pathway no longer has: nothing to chase
        if definition.salt_follow_up:
            steps.extend(_salt_steps(facts, requirement, rules, definition.name))
            continue
        step = _requirement_step(
            requirement,
            rules.for_requirement(requirement.key),
            definition.name,
            ASKED_WHO.get(definition.ask, "the family"),
            facts.received_on,
        )
        if step is not None:
            steps.append(step)
    return steps


def due_by(steps: list[Step], day: dt.date) -> list[Step]:
    """The steps due on or before this day: the day's worklist for one referral."""
    return [step for step in steps if step.due_on <= day]
