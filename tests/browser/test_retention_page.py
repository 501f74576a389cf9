"""Records retention in a real browser: a manager approves a record for deletion review."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.pathways import services
from clearway.pathways.models import DischargeReason, Patient, Referral, RetentionDecision
from tests.conftest import TEST_ACTOR

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_approves_a_record_past_its_date_for_deletion_review(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given a child discharged at 12 who turned 25 long ago, and a child still waiting
    old = make_referral(
        given_name="Ada",
        family_name="Lowe",
        birth_date=dt.date(1995, 2, 3),
        received_on=dt.date(2006, 5, 1),
        nhs_number="9991717811",
    )
    services.discharge(TEST_ACTOR, old, DischargeReason.SEEN_ELSEWHERE, dt.date(2007, 6, 1))
    make_referral(given_name="Ben", family_name="Open", birth_date=dt.date(1990, 1, 1))
    manager = make_user(Role.MANAGER, first_name="Mo", last_name="Grant")
    page = signed_in_page(manager)

    # When the manager opens records retention from the header
    page.goto("/children/")
    page.get_by_role("link", name="Records retention").click()

    # Then they see the rule, and only Ada's record, on an accessible page
    expect(page.get_by_role("heading", level=1)).to_have_text("Records past their retention date")
    expect(page.get_by_text("Clearway never deletes records itself")).to_be_visible()
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("LOWE, Ada")
    expect(rows.first).to_contain_text("999 171 7811")
    expect(rows.first).to_contain_text("3 Feb 2020")
    axe(page)
    screenshot(page, "retention")

    # When they choose to approve it, and give a note
    rows.first.get_by_role("link", name="Approve for deletion review").click()
    expect(page.get_by_role("heading", name="Approve Ada Lowe's record")).to_be_visible()
    axe(page)
    page.get_by_role("textbox", name="Note").fill("Checked with the records manager")
    page.get_by_role("button", name="Approve for deletion review").click()

    # Then the approval is recorded and shown in place of the action; nothing is deleted
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "Ada Lowe's record is approved for deletion review."
    )
    expect(rows.first).to_contain_text("Approved by Mo Grant on")
    axe(page)
    decision = RetentionDecision.objects.get()
    assert decision.actor == manager
    assert Patient.objects.unscoped().filter(pk=old.patient_id).exists()
