"""Letters to families, schools and SaLT: recorded as sent, and printed from a PDF.

The PDF is made by WeasyPrint from ``contact/letter_pdf.html``: the service's letterhead, the
address where a window envelope shows it, the date, "Dear …", the text and the signature, on
A4, in fonts installed on the machine. It never fetches anything from a network. A recorded
letter's PDF is made again from the text recorded, so a reprint says exactly what was sent.
"""

import datetime as dt
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from clearway.contact.models import Channel, ContactRecord, RecipientKind, Task
from clearway.contact.recipients import Recipient, check_contact_allowed
from clearway.contact.templating import long_date
from clearway.core.actors import actor_fields
from clearway.core.formatting import format_nhs_number
from clearway.pathways.models import Referral

if TYPE_CHECKING:
    from weasyprint import Document

TEMPLATE = "contact/letter_pdf.html"
#: A second "Create the letter" with the same words within this time gives the same letter
#: (a double click), not a second record.
SAME_LETTER_WITHIN = dt.timedelta(minutes=10)


@cache
def _no_network_fetcher_class() -> Any:
    # WeasyPrint is imported when the first letter is made, not with every page: it takes a
    # second to load. Its step-by-step progress is not worth a log line per letter.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    from weasyprint.urls import URLFetcher

    class NoNetwork(URLFetcher):
        """Refuses every address but inline ``data:`` ones: a letter never reaches out to
        the network (or the file system) for fonts, images or styles."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"Letters do not fetch anything: {url[:80]}")

    return NoNetwork


def no_network_fetcher() -> Any:
    """WeasyPrint's URL fetcher that refuses every address but ``data:`` ones."""
    return _no_network_fetcher_class()()


def greeting(recipient: Recipient) -> str:
    """Dear Jo Smith; or Dear colleague, to a school, SaLT or an unnamed social worker."""
    named = recipient.name and not recipient.name.lower().startswith("the ")
    if recipient.kind in (RecipientKind.SCHOOL, RecipientKind.SALT) or not named:
        return "Dear colleague"
    return f"Dear {recipient.name}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def _paragraphs(body: str) -> list[list[str]]:
    blocks = body.replace("\r\n", "\n").replace("\r", "\n").split("\n\n")
    return [lines for lines in (_lines(block) for block in blocks) if lines]


def letter_context(
    referral: Referral, recipient: Recipient, subject: str, body: str, on: dt.date
) -> dict[str, Any]:
    """Everything ``contact/letter_pdf.html`` shows."""
    service = referral.service
    details = getattr(service, "contact_details", None)
    patient = referral.patient
    return {
        "service_name": service.name,
        "service_address": _lines(details.address) if details else [],
        "service_phone": details.phone if details else "",
        "service_email": details.email if details else "",
        "signature": (details.signature if details else "") or f"The {service.name} team",
        "recipient_name": recipient.name,
        "recipient_address": _lines(recipient.address),
        "date": long_date(on),
        "child_name": patient.full_name,
        "child_date_of_birth": long_date(patient.birth_date),
        "nhs_number": format_nhs_number(patient.nhs_number) or "",
        "greeting": greeting(recipient),
        "subject": subject.strip(),
        "paragraphs": _paragraphs(body),
    }


def letter_html(
    referral: Referral,
    recipient: Recipient,
    subject: str,
    body: str,
    on: dt.date | None = None,
) -> str:
    context = letter_context(referral, recipient, subject, body, on or timezone.localdate())
    return render_to_string(TEMPLATE, context)


def letter_document(
    referral: Referral,
    recipient: Recipient,
    subject: str,
    body: str,
    on: dt.date | None = None,
) -> "Document":
    """The letter laid out in pages (WeasyPrint's document), before it is written as a PDF."""
    html = letter_html(referral, recipient, subject, body, on)
    fetcher = no_network_fetcher()  # first: it quietens WeasyPrint's progress log
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=fetcher).render()


def render_letter_pdf(
    referral: Referral,
    recipient: Recipient,
    subject: str,
    body: str,
    on: dt.date | None = None,
) -> bytes:
    """The letter as an A4 PDF, dated ``on`` (default today). ``body`` is already merged."""
    pdf: bytes = letter_document(referral, recipient, subject, body, on).write_pdf()
    return pdf


def recipient_of(record: ContactRecord) -> Recipient:
    """Who a recorded letter went to, as it was recorded (not as the record says today)."""
    return Recipient(
        key="",
        kind=record.recipient_kind,
        name=record.recipient_name,
        relationship="",
        address=record.recipient_address,
    )


def recorded_letter_pdf(record: ContactRecord) -> bytes:
    """A recorded letter's PDF, made again from the words and date recorded."""
    return render_letter_pdf(
        record.referral,
        recipient_of(record),
        record.subject,
        record.body,
        on=timezone.localtime(record.at).date(),
    )


def letter_filename(record: ContactRecord) -> str:
    return f"letter-{timezone.localtime(record.at):%Y-%m-%d}-{record.pk}.pdf"


@transaction.atomic
def record_letter(
    actor: Any,
    referral: Referral,
    recipient: Recipient,
    *,
    subject: str,
    body: str,
    purpose: str,
    requirement: str = "",
    task: Task | None = None,
) -> ContactRecord:
    """Record a letter as sent, with its words as printed. Refused (``ContactRefused``) for a
    child recorded as deceased or a referral no longer open.

    The same letter asked for again at once (a double click) is the letter already recorded.
    """
    check_contact_allowed(referral)
    fields = actor_fields(actor)
    same = ContactRecord.objects.filter(
        referral=referral,
        channel=Channel.LETTER,
        actor=fields["actor"],
        actor_name=fields["actor_name"],
        recipient_name=recipient.name,
        recipient_address=recipient.address,
        subject=subject,
        body=body,
        at__gte=timezone.now() - SAME_LETTER_WITHIN,
    ).first()
    if same is not None:
        return same
    return ContactRecord.objects.create(
        service_id=referral.service_id,
        referral=referral,
        task=task,
        channel=Channel.LETTER,
        outgoing=True,
        recipient_kind=recipient.kind,
        recipient_name=recipient.name[:200],
        recipient_address=recipient.address[:400],
        purpose=purpose[:200],
        requirement=requirement,
        subject=subject[:200],
        body=body,
        **fields,
    )
