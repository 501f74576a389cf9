"""Loading a recorded mailbox (a Unix mbox file) as if its messages had been fetched.

:func:`load_mbox` keeps each message of the file as fetching does
(:mod:`clearway.inbox.fetch`): the message byte for byte and each attachment under generated
names in ``CLEARWAY_INBOX_DIR``, the rows in one transaction, then
``clearway.inbox.services.after_fetch(message)`` (proposing the child it is about). A message
is numbered by its place in the file (UIDVALIDITY 0, UID 1, 2, …), so loading the same file
again adds nothing. The demo uses it for its mailbox story (``clearway.demo.inbox``).
"""

import datetime as dt
import logging
import mailbox as stdlib_mailbox
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from clearway.inbox import services
from clearway.inbox.fetch import (
    MALFORMED_NOTE,
    UNREADABLE_NOTE,
    _Attachment,
    _is_malformed,
    _keep_attachments,
    _keep_bytes,
    _Kept,
    header,
    header_date,
    message_id,
    parse,
)
from clearway.inbox.models import InboxAttachment, InboxMessage, Mailbox

logger = logging.getLogger(__name__)

#: The UIDVALIDITY of messages loaded from a file (no IMAP server ever gives 0).
MBOX_UIDVALIDITY = 0


def _fields(message: Any) -> dict[str, Any]:
    return {
        "message_id": message_id(message),
        "from_header": header(message, "From"),
        "to_header": header(message, "To"),
        "subject": header(message, "Subject"),
        "date": header_date(message),
    }


def _read(raw: bytes) -> tuple[dict[str, Any], list[_Attachment]]:
    """The message's headers, its attachments (kept as files), and any note."""
    try:
        message = parse(raw)
        fields = _fields(message)
    except Exception:
        return {"fetch_note": UNREADABLE_NOTE}, []
    try:
        attachments = _keep_attachments(message)
    except Exception:
        return {**fields, "fetch_note": UNREADABLE_NOTE}, []
    try:
        malformed = _is_malformed(message)
    except Exception:
        malformed = True
    if malformed:
        fields["fetch_note"] = MALFORMED_NOTE
    return fields, attachments


def _discard(files: list[_Kept]) -> None:
    for kept in files:
        kept.discard()


def keep_message(
    mailbox: Mailbox, raw: bytes, *, uidvalidity: int, uid: int, received_at: dt.datetime | None
) -> InboxMessage | None:
    """Keep one message as fetching does (files, then the rows in one transaction); None if
    the mailbox already has a message with that UIDVALIDITY and UID. Does not call the
    after-fetch hook (see :func:`load_mbox`)."""
    lookup = {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid}
    if InboxMessage.all_objects.filter(**lookup).exists():
        return None
    raw_file = _keep_bytes(raw, ".eml")
    try:
        fields, attachments = _read(raw)
    except BaseException:
        raw_file.discard()
        raise
    files = [raw_file, *(attachment.file for attachment in attachments)]
    try:
        with transaction.atomic():
            saved = InboxMessage.all_objects.create(
                mailbox=mailbox,
                service_id=mailbox.service_id,
                uidvalidity=uidvalidity,
                uid=uid,
                received_at=received_at,
                size=raw_file.size,
                sha256=raw_file.sha256,
                stored_name=raw_file.name,
                **fields,
            )
            InboxAttachment.all_objects.bulk_create(
                InboxAttachment(
                    message=saved,
                    position=attachment.position,
                    filename=attachment.filename,
                    content_type=attachment.content_type,
                    size=attachment.file.size,
                    sha256=attachment.file.sha256,
                    stored_name=attachment.file.name,
                )
                for attachment in attachments
            )
    except IntegrityError:
        _discard(files)  # kept meanwhile by another load
        return None
    except BaseException:
        _discard(files)
        raise
    return saved


def load_mbox(mailbox: Mailbox, path: Path | str) -> int:
    """Keep every message of the mbox file at ``path`` not kept yet in ``mailbox`` (UID = its
    place in the file), and propose each new one's child; how many were new."""
    services.child_index(mailbox.service, fresh=True)  # the list may have changed since
    records = stdlib_mailbox.mbox(str(path), create=False)
    new = 0
    try:
        for uid, key in enumerate(records.keys(), start=1):
            raw = records.get_bytes(key)
            when = header_date(parse(raw)) or timezone.now()
            saved = keep_message(
                mailbox, raw, uidvalidity=MBOX_UIDVALIDITY, uid=uid, received_at=when
            )
            if saved is None:
                continue
            new += 1
            try:
                services.after_fetch(saved)
            except Exception as error:
                # As fetching: the message is kept, in triage without a proposal.
                logger.error(
                    "after_fetch failed for inbox message %s: %s", saved.pk, type(error).__name__
                )
    finally:
        records.close()
    return new
