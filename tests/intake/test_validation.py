"""Validation: one proposal per child with its evidence; a person decides each; a confirmed
removal is effective on the PAS event's day and recorded now; decisions are never re-asked."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.accounts.models import Role, User
from clearway.core.append_only import AppendOnlyError
from clearway.intake import services
from clearway.intake.models import (
    Decision,
    LegacyImport,
    Outcome,
    Proposal,
    State,
    Upload,
    UploadKind,
    ValidationRun,
    Verdict,
)
from clearway.intake.presenters import group_slug
from clearway.pathways import services as pathway
from clearway.pathways.history import on_list_as_at
from clearway.pathways.models import DischargeReason, Event, EventKind, Referral, Status
from clearway.services.models import Service
from tests.intake.conftest import AS_OF, PAS_SAMPLE
from tests.pathways.test_views import error_summary, page, text_of

pytestmark = pytest.mark.django_db

HIGH = "NHS number, name and birth date agree"


def proposals(run: ValidationRun) -> Any:
    return run.proposals.with_state().select_related("referral__patient")


def a_proposal(run: ValidationRun, **filters: Any) -> Proposal:
    found = proposals(run).filter(**filters).order_by("pk").first()
    assert found is not None, f"no proposal with {filters}"
    return found


def run_url(run: ValidationRun) -> str:
    return reverse("intake:run", kwargs={"run": run.pk})


def decide_url(proposal: Proposal) -> str:
    return reverse("intake:decide", kwargs={"run": proposal.run_id, "proposal": proposal.pk})


def test_every_child_on_the_list_gets_one_proposal_with_its_evidence(
    sample_run: ValidationRun, sample_import: LegacyImport, service: Service
) -> None:
    assert sample_run.list_size == sample_import.imported_count
    assert sample_run.proposals.count() == sample_import.imported_count
    assert sum(sample_run.counts.values()) == sample_run.list_size
    assert sample_run.counts["seen"] > 10 and sample_run.counts["waiting"] > 10
    seen = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high")
    assert seen.event == "attended" and seen.event_date is not None
    assert seen.pas_record["pas_id"] == seen.pas_id
    assert any(e["event"] == "attended" for e in seen.pas_record["events"])
    assert seen.list_record["nhs_number"] == seen.referral.patient.nhs_number
    assert getattr(seen, "state") == State.TO_DECIDE  # noqa: B009 - an annotation
    # Nothing left the list: validation only proposes.
    assert Referral.objects.for_service(service).filter(status__in=[Status.DISCHARGED]).count() == 0


def recorded(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def small_run(
    make_referral: Callable[..., Referral],
    upload: Callable[..., Upload],
    coordinator: User,
    service: Service,
    tmp_path: Path,
) -> ValidationRun:
    """Ann, seen at panel on 1 June 2020; Ben, still waiting, and entered a second time
    without his numbers. Each was recorded in Clearway on the day referred."""
    children = [
        ("Ann", "Smith", dt.date(2015, 3, 2), "9991717811", "RX0000001", dt.date(2020, 1, 6)),
        ("Ben", "Jones", dt.date(2014, 6, 7), "9997430816", "RX0000002", dt.date(2020, 2, 3)),
        ("Ben", "Jones", dt.date(2014, 6, 7), None, None, dt.date(2020, 3, 4)),
    ]
    for given, family, born, nhs, hospital, received in children:
        make_referral(
            given_name=given,
            family_name=family,
            birth_date=born,
            nhs_number=nhs,
            hospital_number=hospital,
            received_on=received,
            recorded_at=recorded(received),
        )
    pas = tmp_path / "pas.csv"
    pas.write_text(
        "pas_id,nhs_number,family_name,given_name,birth_date,event,event_date,clinic\n"
        "RX0000001,9991717811,SMITH,Ann,2015-03-02,referral,2020-01-06,SCD\n"
        "RX0000001,9991717811,SMITH,Ann,2015-03-02,attended,2020-06-01,SCD Panel\n"
        "RX0000002,9997430816,JONES,Ben,2014-06-07,referral,2020-02-03,SCD\n",
        encoding="utf-8",
    )
    return services.validate_list(coordinator, service, upload(pas, UploadKind.PAS_EXTRACT), AS_OF)


def test_a_confirmed_removal_is_effective_on_the_pas_day_and_recorded_now(
    small_run: ValidationRun, coordinator: User, service: Service
) -> None:
    seen = a_proposal(small_run, outcome=Outcome.SEEN)
    assert (seen.referral.patient.given_name, seen.event_date) == ("Ann", dt.date(2020, 6, 1))
    assert seen.confidence == "high"
    july = dt.date(2020, 7, 1)
    assert on_list_as_at(july, service).filter(pk=seen.referral_id).exists()

    decision = services.confirm(coordinator, seen, "Checked PAS")

    referral = Referral.objects.for_service(service).get(pk=seen.referral_id)
    assert referral.status == Status.DISCHARGED
    assert referral.discharge_reason == DischargeReason.SEEN_ELSEWHERE
    event = Event.objects.get(referral=referral, kind=EventKind.DISCHARGED)
    assert decision.event == event
    assert event.effective == dt.date(2020, 6, 1)
    assert timezone.now() - event.recorded_at < dt.timedelta(minutes=1)
    assert event.details["evidence"]["pas_id"] == "RX0000001"
    assert event.details["evidence"]["pas_extract_sha256"] == small_run.pas_upload.sha256
    # As now known Ann left on the PAS day; as recorded then, she was still waiting.
    assert not on_list_as_at(july, service).filter(pk=referral.pk).exists()
    assert on_list_as_at(july, service, as_recorded=True).filter(pk=referral.pk).exists()
    assert (decision.verdict, decision.actor, decision.note) == (
        Verdict.CONFIRMED,
        coordinator,
        "Checked PAS",
    )


def test_a_second_entry_leaves_from_its_own_referral_date(
    small_run: ValidationRun, coordinator: User, service: Service
) -> None:
    twice = a_proposal(small_run, outcome=Outcome.DUPLICATE)
    first = a_proposal(small_run, outcome=Outcome.WAITING)
    assert twice.duplicate_of_id == first.referral_id
    assert twice.referral.patient.nhs_number is None
    with pytest.raises(services.IntakeError, match="Only children seen or discharged"):
        services.confirm_group(coordinator, small_run, Outcome.DUPLICATE, twice.agreement, "")
    services.confirm(coordinator, twice)
    twice.referral.refresh_from_db()
    assert twice.referral.discharge_reason == DischargeReason.DUPLICATE
    # A second entry never waited on its own: as now known, it was never on the list.
    assert twice.referral.discharged_on == twice.referral.received_on
    assert not on_list_as_at(dt.date(2021, 1, 1), service).filter(pk=twice.referral_id).exists()
    assert on_list_as_at(dt.date(2021, 1, 1), service).filter(pk=first.referral_id).exists()


def test_a_death_is_recorded_on_the_child(sample_run: ValidationRun, coordinator: User) -> None:
    died = a_proposal(sample_run, outcome=Outcome.DECEASED)
    services.confirm(coordinator, died)
    died.referral.refresh_from_db()
    assert died.referral.discharge_reason == DischargeReason.DECEASED
    assert died.referral.patient.deceased_on == died.event_date


def test_keeping_a_child_on_the_list_needs_a_reason_and_is_kept(
    sample_run: ValidationRun, coordinator: User
) -> None:
    seen = a_proposal(sample_run, outcome=Outcome.SEEN)
    with pytest.raises(services.IntakeError, match="Say why"):
        services.reject(coordinator, seen, "  ")
    decision = services.reject(coordinator, seen, "PAS has another child's attendance")
    seen.referral.refresh_from_db()
    assert seen.referral.status != Status.DISCHARGED
    assert decision.note == "PAS has another child's attendance"
    with pytest.raises(services.IntakeError, match="already decided"):
        services.confirm(coordinator, seen)
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()


def test_nothing_to_confirm_for_a_child_still_waiting_or_to_review(
    sample_run: ValidationRun, coordinator: User
) -> None:
    waiting = a_proposal(sample_run, outcome=Outcome.WAITING)
    with pytest.raises(services.IntakeError, match="still waiting"):
        services.confirm(coordinator, waiting)
    review = a_proposal(sample_run, outcome=Outcome.REVIEW)
    with pytest.raises(services.IntakeError, match="Only a proposed removal"):
        services.confirm(coordinator, review)
    services.reject(coordinator, review, "Checked: still waiting")


def group_members(run: ValidationRun, outcome: str = Outcome.SEEN) -> list[Proposal]:
    return list(run.proposals.group(outcome, HIGH).order_by("pk"))


def test_a_group_is_confirmed_exactly_as_shown_or_not_at_all(
    sample_run: ValidationRun, coordinator: User, service: Service
) -> None:
    members = group_members(sample_run)
    assert len(members) > 3
    assert all(m.confidence == "high" and m.agreement == HIGH for m in members)
    shown = services.group_digest(members)

    # Someone decides one child of the group after the coordinator looked at it
    services.reject(coordinator, members[0], "Checked: a different episode")
    with pytest.raises(services.IntakeError, match="The group has changed"):
        services.confirm_group(coordinator, sample_run, Outcome.SEEN, HIGH, shown)
    assert Decision.objects.filter(verdict=Verdict.CONFIRMED).count() == 0

    rest = group_members(sample_run)
    decisions = services.confirm_group(
        coordinator, sample_run, Outcome.SEEN, HIGH, services.group_digest(rest)
    )
    assert {d.proposal_id for d in decisions} == {p.pk for p in rest}
    assert all(d.group == f"Seen at panel: {HIGH}" for d in decisions)
    left = Referral.objects.for_service(service).filter(status=Status.DISCHARGED)
    assert set(left.values_list("pk", flat=True)) == {p.referral_id for p in rest}
    members[0].referral.refresh_from_db()
    assert members[0].referral.status != Status.DISCHARGED


def test_deaths_and_second_entries_are_never_confirmed_as_a_group(
    sample_run: ValidationRun, coordinator: User
) -> None:
    for outcome in (Outcome.DECEASED, Outcome.DUPLICATE):
        with pytest.raises(services.IntakeError, match="Only children seen or discharged"):
            services.confirm_group(coordinator, sample_run, outcome, HIGH, "x")


def test_a_group_stops_whole_if_one_child_cannot_be_discharged(
    sample_run: ValidationRun, coordinator: User
) -> None:
    members = group_members(sample_run)
    last = members[-1]
    # The last child's PAS attendance turns out to be before their referral
    Proposal.objects.filter(pk=last.pk).update(
        event_date=last.referral.received_on - dt.timedelta(days=1)
    )
    with pytest.raises(services.IntakeError, match="Nothing in the group was confirmed"):
        services.confirm_group(
            coordinator, sample_run, Outcome.SEEN, HIGH, services.group_digest(members)
        )
    assert not Event.objects.filter(kind=EventKind.DISCHARGED).exists()
    assert not Decision.objects.exists()


def rerun(
    upload: Callable[..., Upload], coordinator: User, service: Service, path: Path = PAS_SAMPLE
) -> ValidationRun:
    return services.validate_list(
        coordinator, service, upload(path, UploadKind.PAS_EXTRACT, "newer.csv"), AS_OF
    )


def test_a_rerun_does_not_propose_again_what_a_person_decided(
    sample_run: ValidationRun,
    coordinator: User,
    service: Service,
    upload: Callable[..., Upload],
    tmp_path: Path,
) -> None:
    kept = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high")
    services.reject(coordinator, kept, "The attendance was for a sibling")
    confirmed = a_proposal(sample_run, outcome=Outcome.DISCHARGED)
    services.confirm(coordinator, confirmed)

    second = rerun(upload, coordinator, service)
    # The confirmed child is off the list, so not validated again.
    assert not second.proposals.filter(referral=confirmed.referral).exists()
    again = proposals(second).get(referral=kept.referral)
    assert again.state == State.DECIDED_BEFORE
    assert again.carried_from_id == kept.pk
    assert again not in second.proposals.to_decide()
    # The older run is kept as it was, and refuses decisions.
    other = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high", state=State.TO_DECIDE)
    with pytest.raises(services.IntakeError, match="newer validation"):
        services.confirm(coordinator, other)

    # A newer extract with a later panel attendance for the kept child: evidence changed
    assert kept.event_date is not None
    later = kept.event_date + dt.timedelta(days=30)
    newer = tmp_path / "newer.csv"
    newer.write_text(
        PAS_SAMPLE.read_text(encoding="utf-8")
        + f"{kept.pas_id},{kept.pas_nhs_number},{kept.pas_record['family_name']},"
        f"{kept.pas_record['given_name']},{kept.pas_record['birth_date']},attended,"
        f"{later.isoformat()},SCD Panel\n",
        encoding="utf-8",
    )
    third = rerun(upload, coordinator, service, newer)
    proposed = proposals(third).get(referral=kept.referral)
    assert proposed.state == State.TO_DECIDE
    assert later.isoformat() in [e["date"] for e in proposed.pas_record["events"]]


def test_a_reversed_removal_is_not_proposed_again_on_the_same_evidence(
    sample_run: ValidationRun,
    coordinator: User,
    service: Service,
    upload: Callable[..., Upload],
) -> None:
    seen = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high")
    services.confirm(coordinator, seen)
    pathway.reverse_discharge(coordinator, seen.referral, "PAS had the wrong child")
    second = rerun(upload, coordinator, service)
    again = proposals(second).get(referral=seen.referral)
    assert again.state == State.DECIDED_BEFORE


# --- pages ----------------------------------------------------------------------------------


def test_the_worklist_counts_filters_and_pages(
    coordinator_client: Client, sample_run: ValidationRun, settings: Any
) -> None:
    response = coordinator_client.get(run_url(sample_run))
    html = page(response)
    counts = {
        cell.attrs["data-outcome"]: int(cell.all_text().replace(",", ""))
        for cell in html.find("table", id="outcome-counts").find_all("td")
        if "data-outcome" in cell.attrs
    }
    assert counts == {k: v for k, v in sample_run.counts.items()}
    assert "Check and confirm" in html.find("table", id="group-list").all_text()

    filtered = coordinator_client.get(
        run_url(sample_run), {"outcome": "seen", "confidence": "high"}
    )
    rows = page(filtered).find("table", id="proposal-list").find("tbody").find_all("tr")
    expected = sample_run.proposals.filter(outcome="seen", confidence="high").count()
    assert len(rows) == min(expected, 50)
    assert all("Seen at panel" in row.all_text() for row in rows)

    first = page(coordinator_client.get(run_url(sample_run)))
    assert len(first.find("table", id="proposal-list").find("tbody").find_all("tr")) == 50
    second = page(coordinator_client.get(run_url(sample_run), {"page": 2}))
    shown = len(second.find("table", id="proposal-list").find("tbody").find_all("tr"))
    assert shown == sample_run.proposals.count() - 50


def test_confirming_one_child_takes_two_steps(
    coordinator_client: Client, sample_run: ValidationRun
) -> None:
    seen = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high")
    evidence = text_of(
        coordinator_client.get(
            reverse("intake:proposal", kwargs={"run": sample_run.pk, "proposal": seen.pk})
        )
    )
    assert seen.pas_id in evidence and "this decided the proposal" in evidence

    step_one = coordinator_client.post(decide_url(seen), {"verdict": "confirm", "note": "ok"})
    assert "Check and confirm the removal" in text_of(step_one)
    assert not Decision.objects.exists()

    done = coordinator_client.post(
        decide_url(seen), {"verdict": "confirm", "note": "ok", "confirm": "yes"}
    )
    assert done.status_code == 302
    assert Decision.objects.get().verdict == Verdict.CONFIRMED
    shown = text_of(coordinator_client.get(done["Location"]))
    assert "Confirmed: taken off the list by Test Coordinator" in shown


def test_keeping_a_child_on_the_list_needs_a_note_on_the_page(
    coordinator_client: Client, sample_run: ValidationRun
) -> None:
    seen = a_proposal(sample_run, outcome=Outcome.SEEN)
    response = coordinator_client.post(decide_url(seen), {"verdict": "reject", "note": ""})
    assert ("Say why the child stays on the list", "#id_note") in error_summary(response)
    assert not Decision.objects.exists()


def test_a_group_is_confirmed_after_its_confirmation_page(
    coordinator_client: Client, sample_run: ValidationRun
) -> None:
    members = group_members(sample_run)
    url = reverse(
        "intake:confirm-group",
        kwargs={"run": sample_run.pk, "group": group_slug(Outcome.SEEN, HIGH)},
    )
    html = page(coordinator_client.get(url))
    listed = html.find("table", id="group-members").find("tbody").find_all("tr")
    assert len(listed) == len(members)
    digest = html.find("input", name="digest").attrs["value"]
    done = coordinator_client.post(url, {"digest": digest, "note": ""})
    assert done.status_code == 302
    assert Decision.objects.filter(verdict=Verdict.CONFIRMED).count() == len(members)

    stale = coordinator_client.post(url, {"digest": digest, "note": ""})
    assert stale.status_code == 200
    assert "Nothing is left to confirm in this group." in text_of(stale)


def test_a_manager_sees_the_worklist_but_cannot_decide(
    client_for: Callable[[str], Client], sample_run: ValidationRun
) -> None:
    manager = client_for(Role.MANAGER)
    seen = a_proposal(sample_run, outcome=Outcome.SEEN, confidence="high")
    assert manager.get(run_url(sample_run)).status_code == 200
    detail = manager.get(
        reverse("intake:proposal", kwargs={"run": sample_run.pk, "proposal": seen.pk})
    )
    assert "Decide" not in [b.all_text() for b in page(detail).find_all(cls="nhsuk-button")]
    assert (
        manager.post(decide_url(seen), {"verdict": "confirm", "confirm": "yes"}).status_code == 403
    )
    assert not Decision.objects.exists()


def test_the_home_page_has_an_empty_state(coordinator_client: Client) -> None:
    text = text_of(coordinator_client.get(reverse("intake:home")))
    assert "The list has not been validated yet." in text
    assert "No waiting list has been imported yet." in text
    assert "Nobody is on the list yet: import a waiting list first." in text
