"""An inbox message of a referral's service, for tests that need one to hand (the permission
table's walk over every URL): as fetching would keep it, without a mail server."""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings

from clearway.inbox.models import InboxAttachment, InboxMessage, Mailbox, Security
from clearway.inbox.synthetic import pdf_with_text
from clearway.pathways.models import Referral


def _keep(data: bytes, suffix: str) -> str:
    name = f"{uuid.uuid4().hex}{suffix}"
    folder = Path(settings.CLEARWAY_INBOX_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def inbox_message(referral: Referral) -> InboxMessage:
    """A message with one PDF attachment, in the referral's service's mailbox (the same one if
    asked again)."""
    service = referral.service
    found = InboxMessage.objects.for_service(service).order_by("pk").first()
    if found is not None:
        return found
    mailbox, _ = Mailbox.objects.get_or_create(
        service=service,
        name=f"Inbox of {service.slug}",
        defaults={
            "host": "127.0.0.1",
            "port": 143,
            "security": Security.NONE,
            "username": "scd",
            "password_env": "CLEARWAY_TEST_INBOX_PASSWORD",
        },
    )
    raw = b"From: office@example.org\r\nSubject: Report\r\n\r\nA report.\r\n"
    message = InboxMessage.all_objects.create(
        mailbox=mailbox,
        service=service,
        uidvalidity=1,
        uid=1,
        from_header="office@example.org",
        subject="Report",
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        stored_name=_keep(raw, ".eml"),
        body_text="A report.",
    )
    pdf = pdf_with_text(["A report"])
    InboxAttachment.all_objects.create(
        message=message,
        filename="report.pdf",
        content_type="application/pdf",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        stored_name=_keep(pdf, ".pdf"),
    )
    return message
