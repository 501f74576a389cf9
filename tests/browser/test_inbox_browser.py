"""Triage of the shared inbox in a real browser: a school report sent to the service's mailbox
(a real Dovecot server) is fetched, proposed for the right child, and filed in one click."""

import datetime as dt
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clearway.accounts.models import Role, User
from clearway.inbox.fetch import fetch_mailbox
from clearway.inbox.models import Mailbox
from clearway.inbox.synthetic import pdf_with_text
from clearway.pathways.models import Referral, RequirementState
from tests.inbox.conftest import ImapServer, dovecot, imap_server, make_mailbox

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["dovecot", "imap_server", "make_mailbox"]


def test_a_school_report_in_the_mailbox_is_filed_to_the_child(
    signed_in_page: Callable[[Any], Page],
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    imap_server: ImapServer,
    make_mailbox: Callable[..., Mailbox],
    settings: Any,
    tmp_path: Path,
    axe: Callable[[Page], None],
    screenshot: Callable[[Page, str], Path],
) -> None:
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    ella = make_referral(
        given_name="Ella",
        family_name="Brook",
        birth_date=dt.date(2018, 3, 3),
        received_on=timezone.localdate() - dt.timedelta(days=90),
    )
    message = EmailMessage()
    message["From"] = "Oakfield Primary <office@oakfield.example.org>"
    message["To"] = "scd.team@example.nhs.uk"
    message["Subject"] = "School report - Ella Brook"
    message["Message-ID"] = "<ella-school-report@oakfield.example.org>"
    message.set_content("Dear team, please find Ella's school report attached. Kind regards.")
    pdf = pdf_with_text([f"School report for Ella Brook, NHS number {ella.patient.nhs_number}"])
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="report.pdf")
    imap_server.append(bytes(message))
    fetch_mailbox(make_mailbox())
    page = signed_in_page(make_user(Role.COORDINATOR, first_name="Sam", last_name="Rivers"))

    # The coordinator opens the inbox: the message waits in triage, with Clearway's proposal.
    page.goto("/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    expect(page.locator("#inbox")).to_contain_text("Ella Brook: school report")
    axe(page)
    page.get_by_role("link", name="School report - Ella Brook").click()
    expect(page.locator("#proposal")).to_contain_text("Clearway proposes Ella Brook")
    expect(page.get_by_role("radio", name=re.compile("^Ella Brook, born"))).to_be_checked()
    expect(page.get_by_role("radio", name="School report")).to_be_checked()
    axe(page)
    screenshot(page, "inbox-message")

    # One click files it: the report is received on Ella's record.
    page.get_by_role("button", name="File it").click()
    expect(page.locator(".nhsuk-notification-banner--success")).to_contain_text(
        "report.pdf is filed for Ella Brook as school report"
    )
    assert ella.requirements.get(kind="school_report").state == RequirementState.RECEIVED
    page.get_by_role("link", name="Ella Brook").first.click()
    expect(page.locator("#inbox-for-child")).to_contain_text("School report - Ella Brook")
    axe(page)
