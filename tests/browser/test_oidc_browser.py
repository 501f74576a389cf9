"""Single sign-on in a real browser: Chromium goes to the local OpenID provider and back."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clearway.accounts.models import ExternalIdentity, Role, User
from tests.accounts.test_single_sign_on import cis2_claims
from tests.conftest import default_service

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_coordinator_signs_in_with_nhs_care_identity(
    single_sign_on: Any, page: Page, base_url: str, axe: Callable[[Page], None]
) -> None:
    # Given the local OpenID provider, which will sign in a CIS2 user whose role is R8000
    single_sign_on.claims = cis2_claims()
    page.goto(f"{base_url}/sign-in/")
    axe(page)  # the sign-in page, with the single sign-on button, meets WCAG 2.2 AA

    # When they click "Sign in with NHS Care Identity" (the provider approves at once)
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    page.get_by_role("button", name="Sign in with NHS Care Identity").click()

    # Then they went through the provider and are signed in, but told they are in no service
    page.wait_for_url(f"{base_url}/")
    assert any(url.startswith(f"{single_sign_on.issuer}/authorize?") for url in visited)
    expect(page.get_by_text("Signed in as Priya Shah")).to_be_visible()
    expect(
        page.get_by_text("You are not a member of any service. Ask an administrator.")
    ).to_be_visible()
    user = User.objects.get()
    assert user.role == Role.COORDINATOR
    assert ExternalIdentity.objects.get().user == user

    # And once an administrator adds them to a service, they land on its work for today
    user.services.add(default_service())
    page.goto(f"{base_url}/")
    page.wait_for_url(f"{base_url}/worklist/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today's work")
