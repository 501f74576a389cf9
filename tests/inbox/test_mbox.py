"""Loading a recorded mailbox (an mbox file): every message kept once, and proposed."""

import mailbox as stdlib_mailbox
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from clearway.inbox import services as inbox_services
from clearway.inbox.matching import show_nhs_number
from clearway.inbox.mbox import MBOX_UIDVALIDITY, load_mbox
from clearway.inbox.models import InboxMessage, Mailbox, Security
from clearway.inbox.synthetic import pdf_with_text
from clearway.pathways.models import Referral
from clearway.services.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_child_index() -> Iterator[None]:
    """Loading caches the service's index of children for a minute (by service id, which the
    next test's service may reuse): leave none behind."""
    yield
    inbox_services._indexes.clear()


def _message(number: int, subject: str, text: str, pdf_lines: list[str] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "office@school.example"
    message["To"] = "scd.service@clearway.example"
    message["Subject"] = subject
    message["Date"] = f"Mon, 03 May 2021 09:0{number}:00 +0000"
    message["Message-ID"] = f"<mbox-test-{number}@clearway.example>"
    message.set_content(text)
    if pdf_lines:
        message.add_attachment(
            pdf_with_text(pdf_lines), maintype="application", subtype="pdf", filename="report.pdf"
        )
    return message.as_bytes()


def test_an_mbox_loads_once_and_each_message_is_proposed(
    service: Service, make_referral: Callable[..., Referral], tmp_path: Path
) -> None:
    referral = make_referral(given_name="Ella", family_name="Brook")
    patient = referral.patient
    path = tmp_path / "inbox.mbox"
    box = stdlib_mailbox.mbox(str(path))
    box.add(
        _message(
            1,
            "School report",
            "Please find the school report attached.",
            [
                "School report",
                f"Pupil: {patient.full_name}",
                f"NHS number: {show_nhs_number(patient.nhs_number or '')}",
                f"Date of birth: {patient.birth_date:%d/%m/%Y}",
            ],
        )
    )
    box.add(_message(2, "How long is the wait?", "How long is the wait for an assessment?"))
    box.flush()
    box.close()
    mailbox = Mailbox.objects.create(
        service=service,
        name="Recorded",
        host="127.0.0.1",
        port=143,
        security=Security.NONE,
        username="scd",
        enabled=False,
    )

    assert load_mbox(mailbox, path) == 2
    assert load_mbox(mailbox, path) == 0

    messages = list(InboxMessage.objects.for_service(service).order_by("uid"))
    assert [(m.uidvalidity, m.uid) for m in messages] == [(MBOX_UIDVALIDITY, 1), (0, 2)]
    report, enquiry = messages
    assert report.path.read_bytes().startswith(b"From: office@school.example")
    assert report.attachments.get().path.exists()
    assert report.proposed_patient_id == patient.pk
    assert report.proposed_requirement == "school_report"
    assert enquiry.proposed_patient_id is None and not enquiry.flagged
