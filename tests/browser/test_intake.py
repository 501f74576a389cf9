"""Importing and validating the list in a real browser, each page checked with axe.

Given a coordinator and an empty service, when they upload the sample legacy list, correct a
column, import it, validate it against the sample PAS extract and confirm a group, then each
page is accessible and the children leave the list only after the confirmation page.
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.intake.models import Decision, LegacyImport, ValidationRun, Verdict
from clearway.pathways.models import WAITING, Referral
from tests.intake.conftest import INTAKE_DATA, LEGACY_SAMPLE, PAS_SAMPLE

pytestmark = pytest.mark.django_db(transaction=True)

Axe = Callable[[Page], None]
Screenshot = Callable[[Page, str], Path]


@pytest.fixture
def coordinator_page(signed_in_page: Callable[[Any], Page], make_user: Callable[..., User]) -> Page:
    return signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Rivers"))


def waiting() -> int:
    return Referral.objects.unscoped().filter(status__in=WAITING).count()


def test_import_and_validate_the_list(
    coordinator_page: Page, axe: Axe, screenshot: Screenshot
) -> None:
    page = coordinator_page
    # Given an empty service, the coordinator opens Import and validate from the navigation
    page.goto("/children/")
    page.get_by_role("link", name="Import and validate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import and validate the list")
    expect(page.get_by_text("No waiting list has been imported yet.")).to_be_visible()
    axe(page)
    screenshot(page, "intake-home-empty")

    # When they upload a password-protected workbook, they are told plainly
    page.get_by_role("button", name="Import a waiting list").click()
    page.locator("input[type=file]").set_input_files(INTAKE_DATA / "password_protected.xlsx")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("password-protected")
    axe(page)

    # When they upload the service's list, they see what was read before anything is saved
    page.locator("input[type=file]").set_input_files(LEGACY_SAMPLE)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what Clearway read")
    expect(page.locator("#import-summary")).to_contain_text("of 80 children can be imported")
    expect(page.locator("#refused-rows")).to_contain_text("before the birth date")
    axe(page)
    screenshot(page, "intake-check-list")
    assert waiting() == 0

    # When they say the Notes column is not to be used, and check again
    page.get_by_label("Column K: Notes").select_option("")
    page.get_by_role("button", name="Check again").click()
    expect(page.locator("#column-mapping")).to_contain_text("Not used")
    axe(page)

    # And import, acknowledging the rows that cannot be imported
    page.get_by_label(
        "I understand that the rows listed as not imported will not be on the list"
    ).check()
    page.get_by_role("button", name=re.compile(r"^Import \d+ children$")).click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "children are on the waiting list"
    )
    batch = LegacyImport.objects.get()
    assert waiting() == batch.imported_count
    assert batch.mapping["Notes"] is None
    axe(page)
    screenshot(page, "intake-import")

    # When they validate the list against the PAS extract, as of 3 May 2021
    page.goto("/validation/")
    page.get_by_role("button", name="Validate against a PAS extract").click()
    page.locator("input[type=file]").set_input_files(PAS_SAMPLE)
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("2021")
    axe(page)
    page.get_by_role("button", name="Validate the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Validation worklist")
    run = ValidationRun.objects.get()
    expect(page.locator("#outcome-counts")).to_contain_text("Seen at panel")
    axe(page)
    screenshot(page, "intake-worklist")
    assert waiting() == batch.imported_count  # validation alone changes nothing

    # When they filter to children seen at panel with high confidence
    page.get_by_label("Outcome").select_option("seen")
    page.get_by_label("Confidence").select_option("high")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#proposal-list tbody tr").first).to_contain_text("Seen at panel")
    axe(page)

    # And open one child's evidence
    page.locator("#proposal-list tbody tr a").first.click()
    expect(page.locator("#comparison")).to_contain_text("In PAS")
    axe(page)
    screenshot(page, "intake-proposal")
    page.get_by_role("button", name="Decide").click()
    axe(page)
    page.get_by_label("Confirm: take the child off the list").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm the removal")
    axe(page)
    page.get_by_role("button", name="Confirm: take off the list").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "is off the waiting list"
    )
    assert waiting() == batch.imported_count - 1

    # When they confirm the group of children seen, whose identifiers all agree
    page.goto(f"/validation/runs/{run.pk}/")
    page.locator("#group-list a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and confirm a group")
    members = page.locator("#group-members tbody tr").count()
    assert members > 3
    axe(page)
    screenshot(page, "intake-confirm-group")
    assert waiting() == batch.imported_count - 1  # not before the confirmation
    page.get_by_role("button", name=re.compile(r"^Confirm \d+ children off the list$")).click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        f"{members} children are off the waiting list"
    )
    assert waiting() == batch.imported_count - 1 - members
    assert Decision.objects.filter(verdict=Verdict.CONFIRMED).count() == members + 1
    axe(page)
    screenshot(page, "intake-worklist-after-group")
