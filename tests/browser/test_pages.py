"""Each page in a real browser, as a member of staff uses it, checked with axe for WCAG 2.2 AA.

Live-server tests run in a transactional database, so the fixtures that make users and
referrals see the same rows as the server.
"""

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.pathways.models import Consultant, Referral, RequirementState, Status
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

Axe = Callable[[Page], None]
Screenshot = Callable[[Page, str], Path]
MakeReferral = Callable[..., Referral]
RECEIVED = RequirementState.RECEIVED


@pytest.fixture
def coordinator_page(signed_in_page: Callable[[Any], Page], make_user: Callable[..., User]) -> Page:
    return signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Rivers"))


@pytest.fixture
def waiting_children(make_referral: MakeReferral) -> list[Referral]:
    ash = Consultant.objects.create(name="Dr Ash")
    return [
        make_referral(
            given_name="Nia",
            family_name="Brown",
            received_on=dt.date(2021, 2, 3),
            nhs_number="9991717811",
            consultant=ash,
            requirements={"school_report": RECEIVED, "salt_report": RECEIVED},
        ),
        make_referral(given_name="Ollie", family_name="Adams", received_on=dt.date(2022, 4, 5)),
        make_referral(given_name="Cara", family_name="Zed", received_on=dt.date(2023, 6, 7)),
    ]


def banner(page: Page) -> Any:
    return page.locator(".nhsuk-notification-banner--success")


def test_sign_in(
    live_server: Any, page: Page, make_user: Callable[..., User], axe: Axe, screenshot: Screenshot
) -> None:
    # Given a coordinator with an account, who is not signed in
    make_user(Role.COORDINATOR, username="sam.rivers", first_name="Sam", last_name="Rivers")

    # When they open Clearway
    page.goto(f"{live_server.url}/children/")

    # Then they are asked to sign in, on a page that meets WCAG 2.2 AA
    expect(page).to_have_url(f"{live_server.url}/sign-in/?next=/children/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Clearway")
    axe(page)
    screenshot(page, "sign-in")

    # When they type a wrong password
    page.get_by_label("Username").fill("sam.rivers")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()

    # Then they are told, and the page is still accessible
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Enter a correct username and password"
    )
    axe(page)

    # When they type their username and password
    page.get_by_label("Username").fill("sam.rivers")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Then they see the waiting list they asked for, signed in as themselves
    expect(page).to_have_url(f"{live_server.url}/children/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting list")
    expect(page.get_by_text("Signed in as Sam Rivers")).to_be_visible()


def test_the_waiting_list_and_searching_it(
    coordinator_page: Page, waiting_children: list[Referral], axe: Axe, screenshot: Screenshot
) -> None:
    # Given three children waiting
    # When the coordinator opens the waiting list
    coordinator_page.goto("/children/")

    # Then they see all three, longest wait first
    table = coordinator_page.get_by_role("table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("BROWN, Nia")
    expect(rows.first).to_contain_text("999 171 7811")
    expect(coordinator_page.get_by_text("3 children waiting for")).to_be_visible()
    axe(coordinator_page)
    screenshot(coordinator_page, "waiting-list")

    # When they search for a surname
    coordinator_page.get_by_role("textbox", name="Search").fill("adams")
    coordinator_page.get_by_role("button", name="Search").click()

    # Then only that child is listed
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ADAMS, Ollie")
    expect(coordinator_page.get_by_text("1 child matches your search")).to_be_visible()
    axe(coordinator_page)
    screenshot(coordinator_page, "waiting-list-search")


def test_a_childs_page(
    coordinator_page: Page, waiting_children: list[Referral], axe: Axe, screenshot: Screenshot
) -> None:
    # Given a child on the list
    # When the coordinator opens them from the list
    coordinator_page.goto("/children/")
    coordinator_page.get_by_role("link", name="BROWN, Nia").click()

    # Then they see who the child is, what is still needed and the history
    expect(coordinator_page.get_by_role("heading", level=1)).to_contain_text("Nia Brown")
    expect(coordinator_page.locator(".nhsuk-caption-l")).to_have_text("NHS number 999 171 7811")
    expect(coordinator_page.get_by_role("heading", name="History")).to_be_visible()
    expect(coordinator_page.get_by_role("heading", name="Referral received")).to_be_visible()
    expect(coordinator_page.get_by_text("Has parental responsibility")).to_be_visible()
    axe(coordinator_page)
    screenshot(coordinator_page, "child")


def test_adding_a_referral_with_errors_then_correcting_them(
    coordinator_page: Page, axe: Axe, screenshot: Screenshot
) -> None:
    page = coordinator_page
    # Given the coordinator is on the add a referral page
    page.goto("/children/")
    page.get_by_role("link", name="Add a referral").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a referral")
    axe(page)

    # When they submit it empty
    page.get_by_role("button", name="Add to the waiting list").click()

    # Then the error summary is shown and focused, and each problem is linked to its field
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Add a referral – Clearway")
    expect(summary.get_by_role("link", name="Enter the child's first name")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter date of birth")).to_be_visible()
    axe(page)
    screenshot(page, "add-referral-errors")

    # When they follow an error's link, then they land in the field to fix
    summary.get_by_role("link", name="Enter the child's first name").click()
    expect(page.get_by_label("First name")).to_be_focused()

    # When they fill in the form correctly, with an NHS number typed with spaces
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    born = page.get_by_role("group", name="Date of birth")
    born.get_by_label("Day").fill("15")
    born.get_by_label("Month").fill("3")
    born.get_by_label("Year").fill("2017")
    page.get_by_label("NHS number").fill("999 171 7811")
    received = page.get_by_role("group", name="Date referral received")
    received.get_by_label("Day").fill("1")
    received.get_by_label("Month").fill("9")
    received.get_by_label("Year").fill("2023")
    page.get_by_label("Who referred the child").select_option(label="GP")
    page.get_by_label("Routine").check()
    page.get_by_label("Carer's full name").fill("Grace Lovelace")
    page.get_by_label("Relationship to the child").fill("mother")
    page.get_by_label("This carer has parental responsibility").check()
    page.get_by_role("button", name="Add to the waiting list").click()

    # Then they see the child's page, with a banner saying the child is on the list
    expect(banner(page)).to_contain_text("Ada Lovelace is on the waiting list.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Lovelace")
    axe(page)
    screenshot(page, "child-added")
    referral = Referral.objects.unscoped().get()
    assert referral.patient.nhs_number == "9991717811"


def test_recording_a_report_received(
    coordinator_page: Page, waiting_children: list[Referral], axe: Axe, screenshot: Screenshot
) -> None:
    page = coordinator_page
    nia = waiting_children[0]
    # Given a child waiting only for their consent form
    page.goto(f"/referrals/{nia.pk}/")

    # When the coordinator records it as received
    # (the requirement's name is visually hidden; Playwright hears a space before its colon)
    record = re.compile(r"^Record as received\s*: Opt-in and consent form$")
    page.get_by_role("link", name=record).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Record the opt-in and consent form as received"
    )
    axe(page)
    screenshot(page, "record-received")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2024")
    page.get_by_role("button", name="Record as received").click()

    # Then the child is ready for panel
    expect(banner(page)).to_contain_text("Nia Brown is now ready for panel.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ready for panel")
    axe(page)
    nia.refresh_from_db()
    assert nia.status == Status.READY_FOR_PANEL


def test_discharging_asks_to_check_and_confirm(
    coordinator_page: Page, waiting_children: list[Referral], axe: Axe, screenshot: Screenshot
) -> None:
    page = coordinator_page
    ollie = waiting_children[1]
    # Given a child on the list
    page.goto(f"/referrals/{ollie.pk}/")

    # When the coordinator starts a discharge and says why and when
    page.get_by_role("button", name="Discharge from the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Discharge from the list")
    axe(page)
    page.get_by_label("Moved away").check()
    page.get_by_label("Day").fill("5")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2024")
    page.get_by_role("button", name="Continue").click()

    # Then they are asked to check and confirm, and nothing has changed yet
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm the discharge")
    expect(page.get_by_text("5 March 2024")).to_be_visible()
    axe(page)
    screenshot(page, "discharge-confirm")
    ollie.refresh_from_db()
    assert ollie.status == Status.AWAITING_INFORMATION

    # When they confirm
    page.get_by_role("button", name="Confirm discharge").click()

    # Then the child is discharged
    expect(banner(page)).to_contain_text("Ollie Adams has been discharged.")
    ollie.refresh_from_db()
    assert (ollie.status, ollie.discharged_on) == (Status.DISCHARGED, dt.date(2024, 3, 5))
