"""Writing to a family in a real browser: the language check advises as the coordinator types,
under the strict Content Security Policy, and the pages pass axe."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.contact.defaults import ensure_default_templates
from clearway.contact.models import MessageTemplate, ServiceContactDetails
from clearway.pathways.models import Referral
from clearway.services.models import Service

pytestmark = pytest.mark.django_db(transaction=True)

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_coordinator_sees_kinder_words_suggested_as_they_type_a_text_message(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    service: Service,
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given a child whose mother has a mobile number, and a coordinator signed in
    ServiceContactDetails.objects.create(
        service=service, phone="01632 960000", signature="Alex Morgan, SCD coordinator"
    )
    referral = make_referral(
        given_name="Rowan",
        family_name="Ellery",
        carers=[
            {
                "name": "Jo Ellery",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900123",
                "main_contact": True,
            }
        ],
    )
    page = signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Lee"))
    page.add_init_script(RECORD_VIOLATIONS)

    # When they open the page to send a text message
    page.goto(reverse("contact:compose", kwargs={"pk": referral.pk, "channel": "sms"}))

    # Then Jo is chosen, and the general template is merged for her
    expect(page.get_by_role("heading", level=1)).to_have_text("Send a text message")
    expect(page.get_by_role("radio", name="Jo Ellery (mother)")).to_be_checked()
    message = page.get_by_role("textbox", name="Text message")
    assert message.input_value().startswith("Hello Jo Ellery, this is ")
    advice = page.locator("#id_body-language-advice")
    expect(advice).to_have_attribute("aria-live", "polite")
    expect(advice).to_be_empty()

    # When they write that Rowan "did not attend"
    message.fill("Hello Jo. Rowan did not attend on Monday. Please ring us to book again.")

    # Then, without sending anything, kinder words are suggested under the text box
    expect(advice).to_contain_text("Kinder words to consider")
    expect(advice).to_contain_text("did not attend")
    expect(advice).to_contain_text("was not brought")
    assert page.evaluate("window.__cspViolations") == []
    axe(page)
    screenshot(page, "compose-sms-language-advice")

    # When they put it kindly, the advice goes
    message.fill("Hello Jo. Rowan was not brought on Monday. Please ring us to book again.")
    expect(advice).not_to_contain_text("Kinder words")


def test_the_template_editor_checks_the_words_and_passes_axe(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    service: Service,
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    # Given the default templates, and a service manager signed in
    ensure_default_templates(service)
    template = MessageTemplate.objects.get(service=service, name="Chase the consent form (letter)")
    page = signed_in_page(make_user(Role.MANAGER))

    # When they open the templates and choose one
    page.goto(reverse("contact:templates"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Letter, text message and email templates"
    )
    axe(page)
    page.get_by_role("link", name=template.name).click()

    # Then they see its words, the merge fields, and its reading age, on an accessible page
    expect(page.get_by_role("heading", level=1)).to_have_text(template.name)
    expect(page.get_by_text("((child_first_name))").first).to_be_visible()
    expect(page.locator("#id_body-language-advice")).to_contain_text("Reading age: about")
    axe(page)
    screenshot(page, "template-edit")

    # When they type a blaming phrase, the advice appears as they write
    page.get_by_role("textbox", name="Text").fill(
        "You failed to return the form. You must send it now."
    )
    expect(page.locator("#id_body-language-advice")).to_contain_text("failed to")
    expect(page.locator("#id_body-language-advice")).to_contain_text("please, or we need you to")
    axe(page)
