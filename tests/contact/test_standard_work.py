"""Standard work as a pure function: which steps are due on which day (time travel by facts)."""

import datetime as dt

import pytest

from clearway.contact import standard_work as work
from clearway.contact.standard_work import ReferralFacts, RequirementFacts, Rules, SaltFacts
from clearway.pathways.definition import ChaseRule, pathway_for

SCD = pathway_for("scd")
RULES = Rules(SCD)
REFERRED = dt.date(2026, 3, 2)


def facts(
    *requirements: RequirementFacts,
    salt: SaltFacts | None = None,
    deceased: bool = False,
    awaiting_information: bool = True,
) -> ReferralFacts:
    return ReferralFacts(REFERRED, awaiting_information, deceased, requirements, salt)


def school(state: str = "outstanding", **kw: object) -> RequirementFacts:
    return RequirementFacts("school_report", state, **kw)  # type: ignore[arg-type]


def due_on(day: dt.date, referral: ReferralFacts, rules: Rules = RULES) -> list[str]:
    return [f"{s.kind}:{s.requirement}" for s in work.due_by(work.next_steps(referral, rules), day)]


def test_a_new_referral_asks_for_each_report_at_once_and_starts_the_salt_follow_up() -> None:
    referral = facts(
        school(),
        RequirementFacts("salt_report", "outstanding"),
        RequirementFacts("consent", "outstanding"),
    )
    assert due_on(REFERRED, referral) == ["request:school_report", "request:consent"]
    # SaLT: check the invitation went out 14 days after the referral.
    assert due_on(REFERRED + dt.timedelta(days=13), referral) == [
        "request:school_report",
        "request:consent",
    ]
    assert "salt_check_invite:salt_report" in due_on(REFERRED + dt.timedelta(days=14), referral)


def test_a_request_is_chased_after_14_days_then_every_14_and_escalated_after_3_chases() -> None:
    asked = dt.date(2026, 3, 5)
    requested = facts(school("requested", requested_on=asked))
    assert due_on(asked + dt.timedelta(days=13), requested) == []
    (step,) = work.next_steps(requested, RULES)
    assert (step.kind, step.sequence, step.due_on) == ("chase", 1, asked + dt.timedelta(days=14))
    assert "asked for on 5 March 2026" in step.why

    chased_twice = facts(
        school("requested", requested_on=asked, chases_done=2, last_chased_on=dt.date(2026, 4, 2))
    )
    (step,) = work.next_steps(chased_twice, RULES)
    assert (step.kind, step.sequence, step.due_on) == ("chase", 3, dt.date(2026, 4, 16))
    assert "chased twice" in step.why

    chased_thrice = facts(
        school("requested", requested_on=asked, chases_done=3, last_chased_on=dt.date(2026, 4, 16))
    )
    (step,) = work.next_steps(chased_thrice, RULES)
    assert (step.kind, step.due_on) == ("escalate", dt.date(2026, 4, 30))
    assert "service manager" in step.why

    escalated = facts(
        school(
            "requested",
            requested_on=asked,
            chases_done=3,
            last_chased_on=dt.date(2026, 4, 16),
            escalated_on=dt.date(2026, 5, 1),
        )
    )
    (step,) = work.next_steps(escalated, RULES)
    assert (step.kind, step.sequence, step.due_on) == ("chase", 4, dt.date(2026, 5, 15))


def test_the_service_s_own_rule_replaces_the_pathway_s() -> None:
    rules = Rules(SCD, {"school_report": ChaseRule(2, 7, 7, 1)})
    asked = dt.date(2026, 3, 5)
    assert work.next_steps(facts(school()), rules)[0].due_on == REFERRED + dt.timedelta(days=2)
    step = work.next_steps(facts(school("requested", requested_on=asked)), rules)[0]
    assert step.due_on == asked + dt.timedelta(days=7)
    once = facts(school("requested", requested_on=asked, chases_done=1, last_chased_on=asked))
    assert work.next_steps(once, rules)[0].kind == "escalate"


def test_received_or_not_needed_reports_are_not_chased() -> None:
    assert work.next_steps(facts(school("received")), RULES) == []
    assert work.next_steps(facts(RequirementFacts("salt_report", "not_needed")), RULES) == []


@pytest.mark.parametrize(
    "change", [{"deceased": True}, {"awaiting_information": False}], ids=["died", "not waiting"]
)
def test_no_step_at_all_for_a_child_who_died_or_is_no_longer_waiting_for_reports(
    change: dict[str, bool],
) -> None:
    assert work.next_steps(facts(school(), salt=None, **change), RULES) == []


def salt(
    stage: str,
    since: dt.date,
    state: str = "outstanding",
    requested_on: dt.date | None = None,
    appointment_on: dt.date | None = None,
) -> ReferralFacts:
    requirement = RequirementFacts("salt_report", state, requested_on=requested_on)
    return facts(requirement, salt=SaltFacts(stage, since, appointment_on))


def test_the_salt_follow_up_walks_through_its_steps_at_their_times() -> None:
    sent = dt.date(2026, 3, 20)
    (step,) = work.next_steps(salt("call_carer", sent), RULES)
    assert (step.kind, step.due_on) == ("salt_call_carer", sent + dt.timedelta(days=7))
    assert "20 March 2026" in step.why

    opted_in = dt.date(2026, 3, 30)
    (step,) = work.next_steps(salt("awaiting_appointment", opted_in, "requested"), RULES)
    assert (step.kind, step.due_on) == ("salt_appointment", opted_in + dt.timedelta(days=21))

    appointment = dt.date(2026, 5, 11)
    waiting = salt(
        "awaiting_report",
        appointment,
        "requested",
        requested_on=opted_in,
        appointment_on=appointment,
    )
    (step,) = work.next_steps(waiting, RULES)
    expected = appointment + dt.timedelta(days=28)
    assert (step.kind, step.sequence, step.due_on) == ("chase", 1, expected)
    assert "expected by 8 June 2026" in step.why
    assert due_on(expected - dt.timedelta(days=1), waiting) == []
    assert due_on(expected, waiting) == ["chase:salt_report"]


def test_an_opt_out_asks_the_service_to_decide_at_once() -> None:
    day = dt.date(2026, 4, 1)
    (step,) = work.next_steps(salt("opted_out", day), RULES)
    assert (step.kind, step.due_on) == ("salt_opt_out", day)
    assert work.next_steps(salt("done", day, "not_needed"), RULES) == []


def test_a_salt_report_asked_for_before_clearway_is_expected_after_salt_s_usual_time() -> None:
    asked = dt.date(2026, 1, 10)
    (step,) = work.next_steps(
        facts(RequirementFacts("salt_report", "requested", requested_on=asked)), RULES
    )
    assert (step.kind, step.due_on) == ("chase", asked + dt.timedelta(days=28))
