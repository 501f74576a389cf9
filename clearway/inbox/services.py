"""Triage of the shared inbox: reading each fetched message, proposing its child and type, and
filing it — one function per use case, each taking the acting person.

A proposal is only a proposal: nothing is filed until a person files it. A message whose NHS
number points to one child and whose name to another is never proposed: it is flagged
(``clearway.inbox.matching``).
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clearway.core.actors import actor_fields
from clearway.documents.models import Document
from clearway.documents.services import DocumentError, file_document
from clearway.inbox.matching import ChildIndex, Proposal, propose
from clearway.inbox.models import InboxAttachment, InboxMessage, MessageStatus
from clearway.inbox.text import attachment_text, message_text, parse_message
from clearway.pathways.models import OPEN, Event, Patient, Referral
from clearway.services.models import Service

#: Each service's index of children, with the state of its list it was built from.
_indexes: dict[int, tuple[tuple[Any, ...], ChildIndex]] = {}


class InboxError(Exception):
    """A triage step refused, in plain words."""


def _list_state(service: Service) -> tuple[Any, ...]:
    """What changes when the list does: its latest event, and its open referrals' count."""
    return (
        Event.objects.filter(referral__service=service).aggregate(last=Max("pk"))["last"],
        Referral.objects.for_service(service).filter(status__in=OPEN).count(),
    )


def child_index(service: Service, *, fresh: bool = False) -> ChildIndex:
    """The children with an open referral in the service, indexed for matching. Reused while
    the list is unchanged (a fetch of many messages reads it once); built again after any
    change to it."""
    state = _list_state(service)
    cached = _indexes.get(service.pk)
    if cached and not fresh and cached[0] == state:
        return cached[1]
    rows = (
        Referral.objects.for_service(service)
        .filter(status__in=OPEN)
        .values_list(
            "patient_id",
            "patient__nhs_number",
            "patient__given_name",
            "patient__family_name",
            "patient__birth_date",
        )
        .iterator(chunk_size=5000)
    )
    index = ChildIndex(rows)
    _indexes[service.pk] = (state, index)
    return index


def _chunks(path: Any) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(1 << 20), b"")


def _proposal_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "confidence": proposal.confidence,
        "reasons": list(proposal.reasons),
        "flags": [{"kind": flag.kind, "text": flag.text} for flag in proposal.flags],
        "candidates": [
            {"child_id": c.child_id, "name": c.name, "evidence": c.evidence}
            for c in proposal.candidates
        ],
        "attachment_requirements": list(proposal.attachment_requirements),
    }


@transaction.atomic
def read_and_propose(message: InboxMessage, *, fresh_index: bool = False) -> InboxMessage:
    """Read a fetched message (its body and each attachment's text) and record what Clearway
    proposes: the child and the report it is, with the reasons, or a flag for a person."""
    raw = message.path.read_bytes()
    parsed = parse_message(raw)
    text = message_text(parsed)
    message.body_text = text.body
    attachments = list(message.attachments.all())
    for attachment in attachments:
        content = attachment.path.read_bytes()
        attachment.text, note = attachment_text(
            attachment.filename, attachment.content_type, content
        )
        attachment.text_note = note or ""
        attachment.save(update_fields=["text", "text_note"])
    proposal = propose(
        _Readable(message.subject or text.subject, text.body, attachments),
        child_index(message.service, fresh=fresh_index),
        keywords=_keywords(message.service),
    )
    message.proposal = _proposal_json(proposal)
    message.proposed_patient_id = proposal.child_id
    message.proposed_requirement = proposal.requirement or ""
    message.flagged = bool(proposal.flags) and proposal.child_id is None
    message.save(
        update_fields=[
            "body_text",
            "proposal",
            "proposed_patient",
            "proposed_requirement",
            "flagged",
        ]
    )
    return message


def after_fetch(message: InboxMessage) -> None:
    """Called by the fetcher after each message is saved."""
    read_and_propose(message)


class _Readable:
    """A stored message in the shape the matcher reads."""

    def __init__(self, subject: str, body: str, attachments: list[InboxAttachment]) -> None:
        self.subject = subject
        self.body = body
        self.attachments = tuple(
            _ReadableAttachment(a.filename, a.content_type, a.size, a.text, a.text_note)
            for a in attachments
        )


class _ReadableAttachment:
    def __init__(self, filename: str, content_type: str, size: int, text: str, note: str) -> None:
        self.filename = filename
        self.content_type = content_type
        self.size = size
        self.text = text
        self.note = note


def _keywords(service: Service) -> Any:
    from clearway.inbox.matching import SCD_KEYWORDS

    keys = set(service.pathway.requirement_keys)
    return {key: words for key, words in SCD_KEYWORDS.items() if key in keys}


def _open_referral(service: Service, patient: Patient) -> Referral:
    referral = (
        Referral.objects.for_service(service)
        .filter(patient=patient, status__in=OPEN)
        .select_related("patient", "service")
        .first()
    )
    if referral is None:
        raise InboxError(f"{patient.full_name} has no open referral to this service.")
    return referral


def _settle(message: InboxMessage, actor: Any) -> None:
    """A message whose every attachment is filed (or which has none left) is done."""
    attachments = list(message.attachments.all())
    if attachments and any(a.document_id is None for a in attachments):
        return
    patients = {a.patient_id for a in attachments}
    message.status = MessageStatus.SPLIT if len(patients) > 1 else MessageStatus.FILED
    fields = actor_fields(actor)
    message.decided_by = fields["actor"]
    message.decided_by_name = fields["actor_name"]
    message.decided_at = timezone.now()
    message.save(update_fields=["status", "decided_by", "decided_by_name", "decided_at"])


@transaction.atomic
def file_attachment(
    actor: Any,
    attachment: InboxAttachment,
    *,
    patient: Patient,
    requirement: str,
    note: str = "",
) -> Document:
    """File one attachment to a child as a report (marking the report received) or as another
    document; the file is checked like any upload. Several attachments of one message may go
    to different children (a message about two children is split this way)."""
    message = InboxMessage.all_objects.select_for_update().get(pk=attachment.message_id)
    attachment = InboxAttachment.all_objects.select_for_update().get(pk=attachment.pk)
    if attachment.document_id is not None:
        raise InboxError(f"{attachment.filename} is already filed.")
    if message.status == MessageStatus.NOT_FOR_CHILD:
        raise InboxError("This message was marked as not for a child.")
    referral = _open_referral(message.service, patient)
    received = timezone.localdate(message.received_at) if message.received_at else None
    received_on: dt.date = received or timezone.localdate()
    if received_on < referral.received_on:
        received_on = referral.received_on
    try:
        document = file_document(
            actor,
            referral,
            chunks=_chunks(attachment.path),
            original_name=attachment.filename,
            requirement=requirement,
            received_on=received_on,
            note=(
                f"From the inbox: “{message.subject}” from {message.from_header}. {note}"
            ).strip()[:1000],
        )
    except DocumentError as error:
        raise InboxError(str(error)) from error
    attachment.document = document
    attachment.patient = patient
    attachment.save(update_fields=["document", "patient"])
    _settle(message, actor)
    return document


@transaction.atomic
def not_for_a_child(actor: Any, message: InboxMessage, note: str) -> InboxMessage:
    """A message about no child on the list (a general enquiry): kept, with why."""
    message = InboxMessage.all_objects.select_for_update().get(pk=message.pk)
    if not note.strip():
        raise InboxError("Say what the message is, so others know why it was not filed.")
    if message.status != MessageStatus.NEW:
        raise InboxError(f"This message is already {message.get_status_display().lower()}.")
    if message.attachments.filter(document__isnull=False).exists():
        raise InboxError("Part of this message is filed to a child already.")
    fields = actor_fields(actor)
    message.status = MessageStatus.NOT_FOR_CHILD
    message.note = note.strip()
    message.decided_by = fields["actor"]
    message.decided_by_name = fields["actor_name"]
    message.decided_at = timezone.now()
    message.save(update_fields=["status", "note", "decided_by", "decided_by_name", "decided_at"])
    return message


@transaction.atomic
def mark_read(actor: Any, message: InboxMessage, patient: Patient, note: str = "") -> InboxMessage:
    """A message with nothing to file (no attachment), read and noted against a child."""
    message = InboxMessage.all_objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.NEW:
        raise InboxError(f"This message is already {message.get_status_display().lower()}.")
    _open_referral(message.service, patient)
    fields = actor_fields(actor)
    message.status = MessageStatus.FILED
    message.proposed_patient = patient
    message.note = note.strip()
    message.decided_by = fields["actor"]
    message.decided_by_name = fields["actor_name"]
    message.decided_at = timezone.now()
    message.save(
        update_fields=[
            "status",
            "proposed_patient",
            "note",
            "decided_by",
            "decided_by_name",
            "decided_at",
        ]
    )
    return message


def for_child(service: Service, patient: Patient) -> list[dict[str, Any]]:
    """What came in through the inbox about this child, newest first: each message with what
    was filed from it (for the child's record)."""
    attachments = InboxAttachment.objects.for_service(service).filter(patient=patient)
    messages = InboxMessage.objects.for_service(service).filter(
        pk__in=attachments.values("message_id")
    ) | InboxMessage.objects.for_service(service).filter(
        proposed_patient=patient, status=MessageStatus.FILED, attachments__isnull=True
    )
    filed: dict[int, list[InboxAttachment]] = {}
    for attachment in attachments.select_related("document"):
        filed.setdefault(attachment.message_id, []).append(attachment)
    return [
        {"message": message, "filed": filed.get(message.pk, [])}
        for message in messages.distinct().order_by("-received_at", "-pk")
    ]
