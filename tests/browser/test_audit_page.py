"""The audit trail in a real browser: the service manager finds who opened a child's record."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.pathways.models import Referral

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_manager_searches_the_audit_by_child(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given a coordinator who opened one child's record and not another's
    nia = make_referral(given_name="Nia", family_name="Brown", nhs_number="9991717811")
    make_referral(given_name="Ollie", family_name="Adams")
    coordinator = signed_in_page(make_user(Role.COORDINATOR, username="sam.rivers"))
    coordinator.goto(f"/referrals/{nia.pk}/")
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("Nia Brown")

    # When the service manager opens the audit trail from the header and searches for that child
    page = signed_in_page(make_user(Role.MANAGER, first_name="Mo", last_name="Manager"))
    page.goto("/")
    page.get_by_role("link", name="Audit trail").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    page.get_by_label("Child").fill("999 171 7811")
    page.get_by_role("button", name="Search").click()

    # Then they see who opened it, from where
    rows = page.locator("#audit-entries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("sam.rivers")
    expect(rows.first).to_contain_text("Viewed a child's record")
    expect(rows.first).to_contain_text("999 171 7811")
    expect(rows.first).to_contain_text("127.0.0.1")
    expect(page.get_by_text("1 entry matches your search")).to_be_visible()
    axe(page)
    screenshot(page, "audit")
