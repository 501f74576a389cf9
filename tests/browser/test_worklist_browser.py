"""A morning of standard work in a real browser, every page checked with axe.

Given a coordinator, and Ella, referred 60 days ago, whose school report is not yet asked for,
whose consent form was asked for and is overdue, and whose SaLT follow-up has just begun: the
coordinator opens today's work, asks the school for the report by email, chases the consent
form with a printed letter, records that SaLT sent the invitation, rings Ella's mother and
records her opt-in, sends her a text message (through the local Notify server, delivered),
uploads the reports as they come in, and sees Ella become ready for panel.
"""

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.contact.defaults import ensure_default_templates
from clearway.contact.models import ContactRecord, Message, MessageState, ServiceContactDetails
from clearway.contact.notify_server import NotifyServer
from clearway.pathways.models import Referral, School, Status
from clearway.services.models import Service
from tests.contact.conftest import notify_server, time_passes
from tests.documents import files

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["notify_server", "time_passes"]

Axe = Callable[[Page], None]
Screenshot = Callable[[Page, str], Path]
TODAY = timezone.localdate()


def upload(page: Page, kind: str, name: str) -> None:
    page.get_by_role("link", name=re.compile(rf"^Upload the report\s*: {kind}$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a report")
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": files.pdf(f"{kind} for Ella")}
    )
    page.get_by_role("button", name="Upload and file").click()


def test_a_morning_of_standard_work_brings_a_child_to_panel(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    service: Service,
    notify_server: NotifyServer,
    time_passes: Callable[[float], int],
    settings: Any,
    tmp_path: Path,
    axe: Axe,
    screenshot: Screenshot,
) -> None:
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    ServiceContactDetails.objects.create(
        service=service,
        phone="0113 496 0000",
        email="scd.team@example.nhs.uk",
        address="Children's Centre\n1 Example Road\nLeeds LS1 1AA",
        signature="Alex Morgan, SCD coordinator",
        salt_service_name="Children's SaLT (test)",
        salt_phone="0113 496 0001",
        salt_email="salt.admin@example.nhs.uk",
    )
    ensure_default_templates(service)
    school = School.objects.create(
        name="Oakfield Primary", email="office@oakfield.example.org", address="1 School Lane"
    )
    ella = make_referral(
        given_name="Ella",
        family_name="Brook",
        received_on=TODAY - dt.timedelta(days=60),
        school=school,
        address="2 Example Street\nLeeds",
        postcode="LS1 2AB",
        requirements={"consent": "requested"},
        carers=[
            {
                "name": "Jo Brook",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900123",
                "email": "jo.brook@example.org",
                "main_contact": True,
            }
        ],
    )
    page = signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Rivers"))

    # The coordinator starts the day on today's work: what to do, and why, with counts.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's work")
    counts = page.locator("#work-counts")
    expect(counts).to_contain_text("Ask for the school report: 1")
    expect(counts).to_contain_text("Chase the opt-in and consent form: 1")
    expect(counts).to_contain_text("Check SaLT sent the invitation: 1")
    axe(page)
    screenshot(page, "worklist-morning")

    # Request: ask the school for its report by email.
    page.get_by_role("link", name="Ask for the school report for Ella Brook").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for the school report")
    axe(page)
    page.get_by_role("link", name="Send an email").click()
    expect(page.get_by_role("radio", name=re.compile("^Oakfield Primary"))).to_be_checked()
    axe(page)
    page.get_by_role("button", name="Send the email").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_be_visible()
    time_passes(0)  # the worker sends it
    time_passes(60)  # a minute later, the status check finds it delivered
    email = Message.objects.get(channel="email")
    assert (email.to, email.state) == ("office@oakfield.example.org", MessageState.DELIVERED)

    # Chase: the consent form, by a printed letter to Ella's mother.
    page.goto("/worklist/")
    page.get_by_role("link", name="Chase the opt-in and consent form for Ella Brook").click()
    page.get_by_role("link", name="Print a letter").click()
    expect(page.get_by_role("radio", name=re.compile("^Jo Brook"))).to_be_checked()
    axe(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Create the letter").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert ContactRecord.objects.filter(channel="letter", recipient_name="Jo Brook").exists()

    # SaLT: the service says the invitation went out eight days ago; the call is now due.
    page.goto("/worklist/")
    page.get_by_role("link", name="Check SaLT sent the invitation for Ella Brook").click()
    page.get_by_label("Yes").check()
    sent = TODAY - dt.timedelta(days=8)
    page.get_by_label("Day").first.fill(str(sent.day))
    page.get_by_label("Month").first.fill(str(sent.month))
    page.get_by_label("Year").first.fill(str(sent.year))
    axe(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's work")

    # Call: ring Jo; she has the letter and opts in.
    page.get_by_role("link", name="Ring the carer about SaLT for Ella Brook").click()
    expect(page.locator("#call-guide")).to_contain_text("A kind call, in four steps")
    expect(page.locator("#call-people")).to_contain_text("07700 900123")
    axe(page)
    screenshot(page, "call-screen")
    page.get_by_label("Spoke to them").check()
    page.get_by_label("Opted in to SaLT").check()
    page.get_by_label("Note (optional)").fill("Jo was glad we rang. The letter arrived.")
    page.get_by_role("button", name="Save the call").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text("Call with")

    # SMS: a text to Jo from Ella's record, delivered through Notify.
    page.goto(f"/referrals/{ella.pk}/")
    page.get_by_role("link", name="Send a text message").click()
    page.get_by_role("button", name="Send the text message").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_be_visible()
    time_passes(0)  # the worker sends it
    time_passes(60)  # a minute later, the status check finds it delivered
    text = Message.objects.get(channel="sms")
    assert (text.to, text.state) == ("07700 900123", MessageState.DELIVERED)
    page.reload()
    expect(page.locator("#contact-history")).to_contain_text("Delivered")
    expect(page.locator("#contact-history")).to_contain_text("Phone call to Jo Brook")
    axe(page)
    screenshot(page, "child-contact-history")

    # Documents: the reports arrive and are uploaded; the last one makes Ella ready for panel.
    upload(page, "School report", "school-report.pdf")
    upload(page, "Opt-in and consent form", "consent.pdf")
    upload(page, "SaLT report", "salt-report.pdf")
    banner = page.locator(".nhsuk-notification-banner--success")
    expect(banner).to_contain_text("Ella Brook is now ready for panel.")
    ella.refresh_from_db()
    assert ella.status == Status.READY_FOR_PANEL

    # Nothing is left to do for Ella.
    page.goto("/worklist/")
    expect(page.get_by_text("Ella Brook")).to_have_count(0)
    screenshot(page, "worklist-done")
