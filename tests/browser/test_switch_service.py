"""Two services on one installation, in a real browser: a coordinator switches between them."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.pathways.models import Referral
from clearway.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_coordinator_switches_service_and_sees_the_other_list(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    service: Service,
    other_service: Service,
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given a child waiting for each service, and a coordinator who works in both
    make_referral(given_name="Sol", family_name="Scdchild")
    make_referral(service=other_service, given_name="Ash", family_name="Autismchild")
    coordinator = make_user(Role.COORDINATOR, services=[service, other_service])
    page = signed_in_page(coordinator)

    # When they open the list, they are working in their home service: SCD
    page.goto("/children/")
    expect(page.locator("#current-service")).to_contain_text(service.name)
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("SCDCHILD, Sol")

    # And they switch to the autism service
    page.get_by_role("link", name="Switch service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Switch service")
    axe(page)
    screenshot(page, "switch-service")
    page.get_by_label(other_service.name).check()
    page.get_by_role("button", name="Switch service").click()

    # Then they see the autism list, and only it
    page.wait_for_url("**/children/")
    expect(page.get_by_text(f"You are now working in {other_service.name}.")).to_be_visible()
    expect(page.locator("#current-service")).to_contain_text(other_service.name)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("AUTISMCHILD, Ash")
