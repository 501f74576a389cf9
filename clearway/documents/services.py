"""Every change to a child's documents: one function per use case, each taking the acting user.

- :func:`file_document` keeps a file that passed every check, typed, on the child's referral;
  a report the pathway needs is recorded as received (through ``clearway.pathways.services``),
  which makes the child ready for panel when it was the last one.
- :func:`file_in_error` marks a document as filed by mistake, with why. Nothing is deleted. A
  report it alone recorded as received goes back to asked for (:func:`in_error_effect`).

A refused step raises :class:`DocumentError` with a plain message the pages show as it is.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from clearway.core.actors import actor_fields
from clearway.documents.models import OTHER, OTHER_LABEL, Document, FiledInError
from clearway.intake import uploads
from clearway.pathways import services as pathway
from clearway.pathways.models import (
    OPEN,
    WAITING,
    Event,
    EventKind,
    Referral,
    RequirementState,
)
from clearway.pathways.presenters import in_sentence


class DocumentError(Exception):
    """A document Clearway will not file, or a step it refuses, in plain words.

    ``field``: the form field the message is about (None: the whole form).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _day(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unrecorded date"


def kind_label(referral: Referral, requirement: str) -> str:
    """What a document of this requirement is called ("School report"); "" is another
    document. Raises :class:`DocumentError` for a requirement the pathway does not have."""
    if requirement == OTHER:
        return OTHER_LABEL
    try:
        return referral.service.pathway.requirement(requirement).name
    except KeyError:
        raise DocumentError(
            f"{referral.service.pathway.name} has no report called {requirement!r}. "
            "Choose what the document is",
            field="requirement",
        ) from None


def check_filing(referral: Referral, requirement: str, received_on: dt.date) -> str:
    """Refuse a filing the referral or the dates do not allow; return the document's label."""
    child = referral.patient.full_name
    if referral.status not in OPEN:
        raise DocumentError(
            f"{child} was discharged on {_day(referral.discharged_on)}, so no document can be "
            "filed to this referral"
        )
    label = kind_label(referral, requirement)
    if received_on > timezone.localdate():
        raise DocumentError("The date it arrived must be today or in the past", field="received_on")
    if received_on < referral.received_on:
        raise DocumentError(
            "The date it arrived must be on or after the referral was received, "
            f"{_day(referral.received_on)}",
            field="received_on",
        )
    return label


def _check_not_filed_already(referral: Referral, received: uploads.ReceivedFile) -> None:
    """The same file twice is a mistake: a double click, or a report filed to the wrong child
    first. The copy already filed must be marked as filed in error before it is filed again."""
    same = (
        Document.objects.for_service(referral.service_id)
        .current()
        .filter(sha256=received.sha256)
        .select_related("patient")
        .first()
    )
    if same is None:
        return
    name = received.original_name
    if same.referral_id == referral.pk:
        uploaded_on = timezone.localtime(same.uploaded_at).date()
        raise DocumentError(
            f"{name}: this file is already filed for {same.patient.full_name}, as the "
            f"{same.kind_label.lower()} uploaded on {_day(uploaded_on)} by "
            f"{same.uploaded_by_name}",
            field="file",
        )
    raise DocumentError(
        f"{name}: this file is already filed for another child, {same.patient.full_name}. "
        "A report belongs to one child: if it was filed to the wrong child, mark that copy as "
        "filed in error first",
        field="file",
    )


def file_document(
    actor: Any,
    referral: Referral,
    *,
    chunks: Iterable[bytes],
    original_name: str,
    requirement: str,
    received_on: dt.date,
    note: str = "",
) -> Document:
    """File a document to a child's referral, typed as one of the pathway's requirements (its
    key) or "" for another document.

    The file's name, size and content are checked (``clearway.intake.uploads``). In one
    transaction the document is saved and, for a requirement not yet received, the requirement
    is recorded as received on ``received_on`` (the child is ready for panel if it was the last
    one: ``document.event.details["ready_for_panel"]``). A second copy of a report already
    received is filed without recording it again. A refusal leaves nothing behind: no file on
    disk, no record.
    """
    who = actor_fields(actor)
    check_filing(referral, requirement, received_on)
    try:
        received = uploads.receive(chunks, original_name, uploads.DOCUMENT)
    except uploads.UploadRefused as error:
        raise DocumentError(str(error), field="file") from error
    try:
        with transaction.atomic():
            # Locked and read again: a discharge or another filing may have happened meanwhile.
            locked = (
                Referral.objects.unscoped()
                .select_for_update()
                .select_related("patient", "service")
                .get(pk=referral.pk)
            )
            referral.__dict__.update(locked.__dict__)
            label = check_filing(referral, requirement, received_on)
            _check_not_filed_already(referral, received)
            event: Event | None = None
            if (
                requirement != OTHER
                and not referral.requirements.filter(
                    kind=requirement, state=RequirementState.RECEIVED
                ).exists()
            ):
                try:
                    event = pathway.record_requirement_received(
                        actor, referral, requirement, received_on
                    )
                except pathway.PathwayError as error:
                    raise DocumentError(str(error)) from error
            return Document.objects.create(
                service_id=referral.service_id,
                referral=referral,
                patient_id=referral.patient_id,
                requirement=requirement,
                kind_label=label,
                stored_name=received.path.name,
                original_name=received.original_name,
                size=received.size,
                sha256=received.sha256,
                content_type=received.content_type,
                received_on=received_on,
                note=note.strip(),
                event=event,
                uploaded_by=who["actor"],
                uploaded_by_name=who["actor_name"],
            )
    except BaseException:
        uploads.discard(received)
        raise


def made_ready(document: Document) -> bool:
    """Whether filing this document made the child ready for panel."""
    return bool(document.event and document.event.details.get("ready_for_panel"))


@dataclass(frozen=True)
class InErrorEffect:
    """What marking a document as filed in error does to the child's pathway, worked out
    before it is done (for the page's warning) and again inside the change."""

    #: The report goes back to asked for (and a child it left ready for panel is no longer).
    takes_back: bool = False
    #: Another current copy of the report, which keeps it recorded as received.
    other_copy: Document | None = None
    #: The referral is closed (assessed or discharged): the pathway is not changed.
    closed: bool = False
    #: The in-sentence name of the report ("school report", "SaLT report").
    report: str = ""


def in_error_effect(document: Document) -> InErrorEffect:
    """What :func:`file_in_error` would do to the pathway for this document.

    The report goes back to asked for when it is recorded as received because a document was
    filed (this one, or an earlier copy already filed in error) and no other current copy of it
    is left. A report recorded as received by hand (a paper copy) stays received, and so does
    every report of a closed referral.
    """
    referral = document.referral
    if document.requirement == OTHER:
        return InErrorEffect()
    try:
        report = in_sentence(referral.service.pathway.requirement(document.requirement).name)
    except KeyError:
        return InErrorEffect()
    others = (
        Document.objects.for_service(document.service_id)
        .current()
        .filter(referral_id=document.referral_id, requirement=document.requirement)
        .exclude(pk=document.pk)
        .order_by("received_on", "uploaded_at", "pk")
    )
    received = (
        Event.objects.filter(
            referral_id=document.referral_id,
            kind=EventKind.REQUIREMENT_RECEIVED,
            details__requirement=document.requirement,
            reversed_by__isnull=True,
        )
        .order_by("-recorded_at", "-pk")
        .first()
    )
    still_received = referral.requirements.filter(
        kind=document.requirement, state=RequirementState.RECEIVED
    ).exists()
    source = (
        Document.objects.for_service(document.service_id)
        .filter(event=received)
        .select_related("filed_in_error")
        .first()
        if received is not None and still_received
        else None
    )
    if source is None:
        return InErrorEffect(report=report)  # not received, or recorded by hand
    other = others.first()
    if other is not None:
        return InErrorEffect(other_copy=other, report=report)
    if source.pk != document.pk and not hasattr(source, "filed_in_error"):
        return InErrorEffect(report=report)
    if referral.status not in WAITING:
        return InErrorEffect(closed=True, report=report)
    return InErrorEffect(takes_back=True, report=report)


@transaction.atomic
def file_in_error(actor: Any, document: Document, why: str) -> FiledInError:
    """Mark a document as filed by mistake: it is kept, shown apart, and no longer counts.

    When the document is why its report is recorded as received, and no other current copy is
    left, the report is taken back in the same transaction
    (:func:`clearway.pathways.services.reverse_requirement_received`): it goes back to asked for,
    and a child it left ready for panel is waiting for information again. The pathway's
    refusal (a child booked for panel) refuses the whole step, and nothing is saved. See
    :func:`in_error_effect`.
    """
    who = actor_fields(actor)
    if not why.strip():
        raise DocumentError("Say why the document was filed in error", field="why")
    # Locked, so two people cannot both mark it, nor two copies of one report at once.
    referral = (
        Referral.objects.unscoped()
        .select_for_update()
        .select_related("patient", "service")
        .get(pk=document.referral_id)
    )
    Document.objects.unscoped().select_for_update().filter(pk=document.pk).first()
    if FiledInError.objects.filter(document=document).exists():
        raise DocumentError(f"{document.original_name} is already marked as filed in error")
    document.referral = referral
    if in_error_effect(document).takes_back:
        try:
            pathway.reverse_requirement_received(
                actor,
                referral,
                document.requirement,
                f"{document.original_name} was filed in error: {why.strip()}",
            )
        except pathway.PathwayError as error:
            raise DocumentError(str(error)) from error
    return FiledInError.objects.create(
        document=document, why=why.strip(), actor=who["actor"], actor_name=who["actor_name"]
    )
