"""Triage of the shared inbox: messages delivered to a real IMAP server (Dovecot), fetched,
read and proposed by Clearway, and filed by a person through the pages."""

import datetime as dt
import html
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from django.utils import timezone

from clearway.documents.models import Document
from clearway.inbox.fetch import fetch_mailbox
from clearway.inbox.models import InboxMessage, Mailbox, MessageStatus
from clearway.inbox.synthetic import pdf_with_text
from clearway.pathways.models import Referral, RequirementState
from tests.inbox.conftest import ImapServer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def report(
    subject: str, body: str, attachment: tuple[str, bytes] | None = None, sender: str = ""
) -> bytes:
    message = EmailMessage()
    message["From"] = sender or "Office <office@oakfield.example.org>"
    message["To"] = "scd.team@example.nhs.uk"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((subject, body)))}@example.org>"
    message["Date"] = "Fri, 27 Nov 2026 10:00:00 +0000"
    message.set_content(body)
    if attachment:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return bytes(message)


@pytest.fixture
def ella(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral(
        given_name="Ella",
        family_name="Brook",
        birth_date=dt.date(2018, 3, 3),
        received_on=TODAY - dt.timedelta(days=90),
    )


@pytest.fixture
def fetched(
    imap_server: ImapServer, make_mailbox: Callable[..., Mailbox]
) -> Callable[[bytes], InboxMessage]:
    mailbox = make_mailbox()

    def deliver(raw: bytes) -> InboxMessage:
        imap_server.append(raw)
        fetch_mailbox(mailbox)
        return InboxMessage.objects.for_service(mailbox.service).latest("pk")

    return deliver


def test_a_school_report_naming_the_child_is_proposed_and_filed_in_one_click(
    ella: Referral, fetched: Callable[[bytes], InboxMessage], coordinator_client: Any
) -> None:
    nhs = ella.patient.nhs_number or ""
    message = fetched(
        report(
            "School report for Ella Brook",
            "Please find attached the school report.",
            ("report.pdf", pdf_with_text([f"School report: Ella Brook, NHS No {nhs}"])),
        )
    )
    assert message.proposed_patient_id == ella.patient_id
    assert message.proposed_requirement == "school_report"
    assert not message.flagged

    listing = html.unescape(coordinator_client.get("/inbox/").content.decode())
    assert "School report for Ella Brook" in listing
    assert "Ella Brook: school report" in listing
    page = html.unescape(coordinator_client.get(f"/inbox/messages/{message.pk}/").content.decode())
    assert "Clearway proposes" in page

    attachment = message.attachments.get()
    response = coordinator_client.post(
        f"/inbox/messages/{message.pk}/",
        {
            "action": f"file-{attachment.pk}",
            f"a{attachment.pk}-child": str(ella.patient_id),
            f"a{attachment.pk}-requirement": "school_report",
        },
    )
    assert response.status_code == 302
    document = Document.objects.unscoped().get()
    assert document.referral_id == ella.pk
    assert ella.requirements.get(kind="school_report").state == RequirementState.RECEIVED
    message.refresh_from_db()
    assert message.status == MessageStatus.FILED
    assert message.attachments.get().document == document
    child = html.unescape(coordinator_client.get(f"/referrals/{ella.pk}/").content.decode())
    assert "From the inbox" in child and "School report for Ella Brook" in child


def test_a_message_whose_number_and_name_disagree_is_flagged_never_proposed(
    ella: Referral,
    make_referral: Callable[..., Referral],
    fetched: Callable[[bytes], InboxMessage],
    coordinator_client: Any,
) -> None:
    other = make_referral(given_name="Sam", family_name="Hale", birth_date=dt.date(2017, 5, 9))
    message = fetched(
        report(
            "SaLT report",
            f"Report for Ella Brook, DOB 03/03/2018, NHS number {other.patient.nhs_number}.",
        )
    )
    assert message.proposed_patient_id is None
    assert message.flagged
    page = html.unescape(coordinator_client.get(f"/inbox/messages/{message.pk}/").content.decode())
    assert "Check before filing" in page


def test_a_general_enquiry_is_marked_not_for_a_child_with_a_note(
    fetched: Callable[[bytes], InboxMessage], coordinator_client: Any
) -> None:
    message = fetched(report("Waiting times", "How long is the wait at the moment?"))
    assert message.proposed_patient_id is None
    missing = coordinator_client.post(f"/inbox/messages/{message.pk}/", {"action": "not-for-child"})
    assert "Say what the message is" in html.unescape(missing.content.decode())
    coordinator_client.post(
        f"/inbox/messages/{message.pk}/",
        {"action": "not-for-child", "nfc-note": "General enquiry, answered by phone"},
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.NOT_FOR_CHILD
    assert message.note == "General enquiry, answered by phone"


def test_another_child_can_be_chosen_by_nhs_number(
    ella: Referral, fetched: Callable[[bytes], InboxMessage], coordinator_client: Any
) -> None:
    message = fetched(
        report("Consent form", "Signed form attached.", ("form.pdf", pdf_with_text(["Consent"])))
    )
    attachment = message.attachments.get()
    response = coordinator_client.post(
        f"/inbox/messages/{message.pk}/",
        {
            "action": f"file-{attachment.pk}",
            f"a{attachment.pk}-child": "other",
            f"a{attachment.pk}-nhs_number": ella.patient.nhs_number,
            f"a{attachment.pk}-requirement": "consent",
        },
    )
    assert response.status_code == 302
    assert ella.requirements.get(kind="consent").state == RequirementState.RECEIVED


def test_another_service_s_staff_cannot_open_the_message(
    fetched: Callable[[bytes], InboxMessage], client_for: Callable[[str], Any], make_user: Any
) -> None:
    message = fetched(report("Hello", "A message"))
    assert client_for("clinician").get(f"/inbox/messages/{message.pk}/").status_code == 403


def test_a_message_with_nothing_to_file_is_kept_on_the_child_s_record(
    ella: Referral, fetched: Callable[[bytes], InboxMessage], coordinator_client: Any
) -> None:
    message = fetched(
        report(
            "Ella Brook - SaLT",
            "Hello, this is Ella Brook's mum (born 03/03/2018). We would like SaLT, thank you.",
            sender="Jo Brook <jo.brook@example.org>",
        )
    )
    assert message.proposed_patient_id == ella.patient_id
    page = html.unescape(coordinator_client.get(f"/inbox/messages/{message.pk}/").content.decode())
    assert "Nothing to file" in page
    response = coordinator_client.post(
        f"/inbox/messages/{message.pk}/",
        {
            "action": "about-child",
            "about-child": str(ella.patient_id),
            "about-note": "Mum would like SaLT: ring to confirm",
        },
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.FILED
    assert message.note == "Mum would like SaLT: ring to confirm"
    child = html.unescape(coordinator_client.get(f"/referrals/{ella.pk}/").content.decode())
    assert "Ella Brook - SaLT" in child
