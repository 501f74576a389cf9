"""In a real browser the Content Security Policy blocks nothing Clearway's own pages need."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from clearway.accounts.models import Role, User
from clearway.pathways.models import Referral

pytestmark = pytest.mark.django_db(transaction=True)

# Playwright's init scripts run outside the page's policy, so this listener sees every violation.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_waiting_list_runs_its_scripts_with_no_policy_violation(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
) -> None:
    # Given a coordinator signed in, and a child on the waiting list
    make_referral(given_name="Nia", family_name="Brown")
    page = signed_in_page(make_user(Role.COORDINATOR))
    console: list[str] = []
    errors: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(RECORD_VIOLATIONS)

    # When they open the waiting list
    response = page.goto(reverse("pathways:list"))
    page.wait_for_load_state("networkidle")

    # Then the page has a policy with a nonce, nhsuk-frontend's scripts ran,
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "'nonce-" in policy and "'unsafe-inline'" not in policy
    assert page.evaluate("document.body.classList.contains('nhsuk-frontend-supported')")
    assert page.evaluate("document.body.classList.contains('js-enabled')")
    # and the browser reported no violation of the policy, nor any script error
    assert page.evaluate("window.__cspViolations") == []
    assert not [line for line in console if "Content Security Policy" in line], console
    # (the NHS.UK font may fail to load where there is no internet: that is not a script error)
    assert not [
        line
        for line in console
        if line.startswith("error:") and "Failed to load resource" not in line
    ], console
    assert errors == []
