"""The records-retention page: exactly the children past their date, and approvals recorded."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.audit.models import AuditAction, AuditEntry
from clearway.pathways import services
from clearway.pathways.models import DischargeReason, Patient, Referral, RetentionDecision
from clearway.pathways.retention import add_years
from tests.conftest import TEST_ACTOR
from tests.core.test_components import parse

pytestmark = pytest.mark.django_db

RETENTION = reverse("pathways:retention")
MakeReferral = Callable[..., Referral]


def today() -> dt.date:
    return timezone.localdate()


def discharged(
    make_referral: MakeReferral,
    name: str,
    born: dt.date,
    ended: dt.date,
    reason: str = DischargeReason.SEEN_ELSEWHERE,
    **fields: Any,
) -> Referral:
    referral = make_referral(
        given_name=name, family_name="Testcase", birth_date=born, received_on=born, **fields
    )
    services.discharge(TEST_ACTOR, referral, reason, ended)
    return referral


def rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    tables = parse(response.content.decode()).find_all("table", id="retention-list")
    if not tables:
        return []
    return [
        [cell.all_text() for cell in row.find_all("td")]
        for row in tables[0].find("tbody").find_all("tr")
    ]


def text(response: Any) -> str:
    return parse(response.content.decode()).all_text()


@pytest.fixture
def children(make_referral: MakeReferral) -> dict[str, Referral]:
    """Due and not-yet-due children, with dates set from today so the test never ages."""
    now = today()
    # Turned 26 ten days ago, left care at 16: past their 25th birthday.
    born_26 = add_years(now, -26) - dt.timedelta(days=10)
    # Turns 26 in ten days and left care at 17: kept until then.
    born_nearly_26 = add_years(now, -26) + dt.timedelta(days=10)
    # Turned 25 yesterday, left care at 10: past their date today, by one day.
    born_25 = add_years(now, -25) - dt.timedelta(days=1)
    # Turns 25 today: kept until the end of today.
    born_25_today = add_years(now, -25)
    return {
        "left_at_16": discharged(make_referral, "Sixteen", born_26, add_years(born_26, 16)),
        "left_at_17": discharged(
            make_referral, "Seventeen", born_nearly_26, add_years(born_nearly_26, 17)
        ),
        "one_day_past": discharged(make_referral, "Oneday", born_25, add_years(born_25, 10)),
        "birthday_today": discharged(
            make_referral, "Birthday", born_25_today, add_years(born_25_today, 10)
        ),
        "died": discharged(
            make_referral,
            "Died",
            add_years(now, -15),
            add_years(now, -9),
            reason=DischargeReason.DECEASED,
        ),
        "open": make_referral(
            given_name="Open",
            family_name="Testcase",
            birth_date=add_years(now, -30),
            received_on=add_years(now, -1),
        ),
    }


def test_the_page_lists_exactly_the_children_past_their_date(
    manager_client: Client, children: dict[str, Referral]
) -> None:
    found = rows(manager_client.get(RETENTION))
    assert [row[0] for row in found] == [
        "TESTCASE, Sixteen",
        "TESTCASE, Died",
        "TESTCASE, Oneday",
    ]
    one_day = children["one_day_past"].patient
    assert found[2][4] == f"{add_years(one_day.birth_date, 25).day} " + add_years(
        one_day.birth_date, 25
    ).strftime("%b %Y")
    assert found[2][5] == "1"
    assert found[1][5] == f"{(today() - add_years(today(), -1)).days:,}"
    assert all(row[6].startswith("Approve for deletion review") for row in found)


def test_a_child_with_an_open_referral_is_never_listed(
    manager_client: Client, make_referral: MakeReferral
) -> None:
    old = discharged(make_referral, "Returned", dt.date(1990, 1, 1), dt.date(2000, 1, 1))
    assert [r[0] for r in rows(manager_client.get(RETENTION))] == ["TESTCASE, Returned"]
    make_referral(
        given_name="Returned",
        family_name="Testcase",
        birth_date=dt.date(1990, 1, 1),
        received_on=dt.date(2010, 1, 1),
        nhs_number=old.patient.nhs_number,
    )
    assert Patient.objects.unscoped().count() == 1
    assert rows(manager_client.get(RETENTION)) == []


def test_the_page_explains_the_rule_and_says_so_when_nothing_is_due(
    manager_client: Client, make_referral: MakeReferral
) -> None:
    make_referral(birth_date=dt.date(2015, 1, 1), received_on=dt.date(2020, 1, 1))
    response = manager_client.get(RETENTION)
    page = text(response)
    assert "No records are past their retention date." in page
    assert "25th birthday" in page and "26th birthday if they were 17" in page
    assert "Clearway never deletes records itself" in page
    assert rows(response) == []


def test_approving_records_who_when_and_why_and_shows_it_instead_of_the_button(
    client_for: Callable[[str], Client], children: dict[str, Referral]
) -> None:
    manager = client_for("manager")
    patient = children["left_at_16"].patient
    chosen = manager.get(RETENTION, {"child": patient.pk})
    assert "Approve Sixteen Testcase's record for deletion review" in text(chosen)

    response = manager.post(RETENTION, {"child": patient.pk, "note": "Checked with Dr Ash"})

    assert response.status_code == 302
    (decision,) = RetentionDecision.objects.all()
    assert decision.patient == patient
    assert decision.actor_name == "Test Manager"
    assert decision.note == "Checked with Dr Ash"
    assert (timezone.now() - decision.decided_at).total_seconds() < 60
    followed = manager.get(response["Location"])
    assert "Sixteen Testcase's record is approved for deletion review." in text(followed)
    by_name = {row[0]: row[6] for row in rows(followed)}
    assert by_name["TESTCASE, Sixteen"].startswith("Approved by Test Manager on ")
    assert by_name["TESTCASE, Oneday"].startswith("Approve for deletion review")
    assert Patient.objects.unscoped().filter(pk=patient.pk).exists()  # nothing deleted
    assert AuditEntry.objects.filter(action=AuditAction.CHANGE, patient=patient).exists()


def test_an_approval_needs_a_note_and_a_record_past_its_date(
    manager_client: Client, children: dict[str, Referral]
) -> None:
    due = children["left_at_16"].patient
    response = manager_client.post(RETENTION, {"child": due.pk, "note": " "})
    assert response.status_code == 200
    assert "Enter a note about this approval" in text(response)

    kept = children["left_at_17"].patient
    response = manager_client.post(RETENTION, {"child": kept.pk, "note": "Looks old"})
    assert response.status_code == 200
    assert "record is not past its retention date" in text(response)

    manager_client.post(RETENTION, {"child": due.pk, "note": "Checked"})
    response = manager_client.post(RETENTION, {"child": due.pk, "note": "Again"})
    assert "already approved for deletion review" in text(response)
    assert RetentionDecision.objects.count() == 1


def test_a_coordinator_cannot_see_or_approve(
    coordinator_client: Client, children: dict[str, Referral]
) -> None:
    assert coordinator_client.get(RETENTION).status_code == 403
    response = coordinator_client.post(
        RETENTION, {"child": children["left_at_16"].patient.pk, "note": "x"}
    )
    assert response.status_code == 403
    assert not RetentionDecision.objects.exists()


def test_the_header_offers_the_page_to_managers_only(
    manager_client: Client, coordinator_client: Client
) -> None:
    link = f'href="{RETENTION}"'
    assert link in manager_client.get(RETENTION).content.decode()
    assert link not in coordinator_client.get(reverse("pathways:list")).content.decode()
