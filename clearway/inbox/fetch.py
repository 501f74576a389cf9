"""Fetching the shared inbox by IMAP: every new message kept, none lost, none doubled.

:func:`fetch_mailbox` reads one :class:`~clearway.inbox.models.Mailbox`; :func:`fetch_all`
reads every enabled one (the background task, ``clearway inbox fetch``).

What fetching does:

- It asks the folder for the messages after the last UID kept (``UID SEARCH UID n+1:*``), and
  for each, in UID order: downloads it (``BODY.PEEK[]``: it stays unread on the server), keeps
  the message exactly as it arrived and each attachment as a file of its own (under generated
  names in ``CLEARWAY_INBOX_DIR``, readable by Clearway alone), then records the message, its
  attachments and the new last UID in ONE transaction. A connection lost half-way loses
  nothing and doubles nothing: the next fetch starts after the last message recorded.
- If the folder's UIDVALIDITY changed (the server renumbered its messages, or the folder was
  changed), the UIDs are counted again from the start, and a message already kept (the same
  Message-ID, size and date, or the same bytes) is not kept again.
- A message too large to take apart (``CLEARWAY_INBOX_MAX_BYTES``), or malformed, is still kept
  as it arrived, with a note saying what Clearway could not do with it.
- After each message is recorded, ``clearway.inbox.services.after_fetch(message)`` is called,
  if it exists (proposing the child it is about).

What it never does, unless an administrator turned it on for the mailbox: change the mail
server. The folder is opened read-only. With ``delete_after_fetch`` (or ``move_to_folder``),
the messages Clearway has kept, and only those, are then deleted (or moved) on the server.
Clearway itself never deletes a message or an attachment it kept.

Any failure is recorded on the mailbox (``last_error``) in plain words and raised as
:class:`InboxError`. No subject, address or text of a message is ever logged.
"""

import base64
import contextlib
import datetime as dt
import email.policy
import hashlib
import imaplib
import importlib
import importlib.util
import logging
import mimetypes
import os
import re
import socket
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import header as email_header
from email import utils as email_utils
from email.errors import (
    CloseBoundaryNotFoundDefect,
    InvalidBase64CharactersDefect,
    InvalidBase64LengthDefect,
    InvalidBase64PaddingDefect,
    MessageDefect,
    MissingHeaderBodySeparatorDefect,
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    StartBoundaryNotFoundDefect,
)
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from clearway.inbox.models import (
    LOOPBACK_HOSTS,
    InboxAttachment,
    InboxMessage,
    Mailbox,
    Security,
)
from clearway.intake.uploads import clean_name, megabytes

logger = logging.getLogger(__name__)

#: Bytes asked for at a time when downloading a message too large to take apart.
CHUNK = 8 * 1024 * 1024
#: UIDs asked about in one command.
UID_BATCH = 200
#: Defects that mean part of a message could not be read as sent.
SERIOUS_DEFECTS: tuple[type[MessageDefect], ...] = (
    StartBoundaryNotFoundDefect,
    CloseBoundaryNotFoundDefect,
    MultipartInvariantViolationDefect,
    NoBoundaryInMultipartDefect,
    MissingHeaderBodySeparatorDefect,
    InvalidBase64CharactersDefect,
    InvalidBase64LengthDefect,
    InvalidBase64PaddingDefect,
)
MALFORMED_NOTE = (
    "Parts of this message are not well formed, so some of its text or attachments may be "
    "missing here. It is kept exactly as it arrived."
)
UNREADABLE_NOTE = (
    "Clearway could not take this message apart, so its attachments are not shown separately. "
    "It is kept exactly as it arrived."
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


class InboxError(Exception):
    """Fetching failed; the message says why in plain words. ``result``: what was fetched
    before it failed."""

    def __init__(self, message: str, result: "FetchResult | None" = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class FetchResult:
    """What one fetch from one mailbox did."""

    mailbox: Mailbox
    #: The messages kept, in the order they were fetched.
    saved: list[InboxMessage] = field(default_factory=list)
    #: Messages not kept again: Clearway already had them (after a UIDVALIDITY change).
    duplicates: int = 0
    #: Messages deleted or moved on the server (only when the mailbox is set to).
    removed: int = 0
    #: New messages left for the next fetch (more than ``CLEARWAY_INBOX_BATCH``).
    remaining: int = 0
    #: Things worth knowing that are not errors, in plain words.
    notices: list[str] = field(default_factory=list)
    #: Why the fetch failed ("" if it did not).
    error: str = ""

    @property
    def count(self) -> int:
        return len(self.saved)

    def summary(self) -> str:
        """One line for people: what was fetched from where."""
        count = self.count
        words = "no new messages" if not count else f"{count} new message{'s' * (count != 1)}"
        line = f"{self.mailbox.name}: {words} fetched"
        extras = []
        if self.duplicates:
            extras.append(f"{self.duplicates} already kept, not fetched again")
        if self.removed:
            done = "moved" if self.mailbox.move_to_folder.strip() else "deleted"
            extras.append(f"{self.removed} {done} on the mail server")
        if self.remaining:
            extras.append(f"{self.remaining} more waiting for the next fetch")
        if extras:
            line += f" ({'; '.join(extras)})"
        return line + "."


# --- connecting ------------------------------------------------------------------------------


def _tls_context() -> ssl.SSLContext:
    ca_file = settings.CLEARWAY_INBOX_CA_FILE or None
    return ssl.create_default_context(cafile=ca_file)


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A connection to the mailbox's server, signed in; :class:`InboxError` if not."""
    password = mailbox.password()
    if password is None:
        raise InboxError(
            f"The password for the mailbox {mailbox.name} is not set: set the environment "
            f"variable {mailbox.password_env} where Clearway runs (see docs/inbox.md)."
        )
    host, port = mailbox.host.strip(), mailbox.port
    where = f"the mail server {host} (port {port})"
    where_ = where[0].upper() + where[1:]
    timeout = float(settings.CLEARWAY_INBOX_TIMEOUT)
    connection: imaplib.IMAP4 | None = None
    try:
        if mailbox.security == Security.TLS:
            connection = imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(), timeout=timeout)
        else:
            if mailbox.security != Security.STARTTLS and host.lower() not in LOOPBACK_HOSTS:
                raise InboxError(
                    f"The mailbox {mailbox.name} is set to connect without TLS to {host}: the "
                    "password would cross the network unprotected. Choose TLS or STARTTLS."
                )
            connection = imaplib.IMAP4(host, port, timeout=timeout)
            if mailbox.security == Security.STARTTLS:
                if "STARTTLS" not in connection.capabilities:
                    raise InboxError(
                        f"{where_} does not offer STARTTLS: choose TLS "
                        "from the start (usually port 993)."
                    )
                connection.starttls(ssl_context=_tls_context())
    except InboxError:
        _close(connection)
        raise
    except socket.gaierror:
        raise InboxError(
            f"Clearway could not find the mail server {host}: check its name in the mailbox "
            "settings."
        ) from None
    except ConnectionRefusedError:
        raise InboxError(
            f"{where_} refused the connection: check the port, and that the server is running."
        ) from None
    except ssl.SSLCertVerificationError as error:
        _close(connection)
        raise InboxError(
            f"Clearway could not trust the certificate of {where} ({error.verify_message}): "
            "check the server's name. A server with a certificate from a private authority "
            "needs CLEARWAY_INBOX_CA_FILE (see docs/inbox.md)."
        ) from None
    except ssl.SSLError:
        _close(connection)
        raise InboxError(
            f"Clearway could not make a secure connection to {where}: check the mailbox's "
            "security setting (TLS from the start is usually port 993, STARTTLS port 143)."
        ) from None
    except TimeoutError:
        _close(connection)
        raise InboxError(
            f"{where_} did not answer within {timeout:g} seconds: check the "
            "host and port, and that the server is running."
        ) from None
    except (imaplib.IMAP4.error, OSError):
        _close(connection)
        raise InboxError(
            f"Clearway could not talk to {where}: check that it is an IMAP server, and the "
            "mailbox's port and security setting."
        ) from None
    try:
        connection.login(mailbox.username, password)
    except (imaplib.IMAP4.error, UnicodeEncodeError):
        _close(connection)
        raise InboxError(
            f"{where_} refused the user name or password of the mailbox "
            f"{mailbox.name}: check the user name, and the password in {mailbox.password_env}."
        ) from None
    except OSError:
        _close(connection)
        raise InboxError(
            f"The connection to {where} was lost while signing in: try again later."
        ) from None
    return connection


def _close(connection: imaplib.IMAP4 | None) -> None:
    if connection is None:
        return
    # Closing a connection that may already be gone.
    with contextlib.suppress(Exception):
        connection.logout()


def imap_utf7(name: str) -> str:
    """A folder's name in IMAP's modified UTF-7 (RFC 3501 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quoted_folder(name: str) -> str:
    """A folder's name as an IMAP quoted string."""
    encoded = imap_utf7(name.strip())
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- reading IMAP's answers ------------------------------------------------------------------


@dataclass
class _Fetched:
    """One FETCH answer: its text (without literals) and its literals by item name."""

    text: bytes = b""
    literals: dict[str, bytes] = field(default_factory=dict)

    def number(self, name: bytes) -> int | None:
        found = re.search(rb"\b" + re.escape(name) + rb" (\d+)", self.text)
        return int(found.group(1)) if found else None

    def literal(self, prefix: str) -> bytes | None:
        for name, value in self.literals.items():
            if name.startswith(prefix):
                return value
        return None


_LITERAL_NAME = re.compile(rb"(BODY\[[^\]]*\](?:<\d+>)?|RFC822(?:\.HEADER)?) \{\d+\}$")


def _answers(data: list[Any]) -> Iterator[_Fetched]:
    """The FETCH answers in imaplib's data: a new answer starts with its sequence number."""
    current: _Fetched | None = None
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if not isinstance(head, bytes):
            continue
        if re.match(rb"\d+ \(", head):
            if current is not None:
                yield current
            current = _Fetched()
        if current is None:
            continue
        current.text += head
        if isinstance(item, tuple):
            found = _LITERAL_NAME.search(head)
            if found:
                current.literals[found.group(1).decode("ascii")] = item[1]
    if current is not None:
        yield current


def _internal_date(text: bytes) -> dt.datetime | None:
    found = re.search(
        rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) '
        rb'(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"',
        text,
    )
    if not found:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = (
        part.decode("ascii") for part in found.groups()
    )
    try:
        offset = dt.timedelta(hours=int(zone_h), minutes=int(zone_m))
        zone = dt.timezone(-offset if sign == "-" else offset)
        return dt.datetime(
            int(year),
            _MONTHS[month.title()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=zone,
        )
    except (KeyError, ValueError):
        return None


def _uids(data: list[Any]) -> list[int]:
    words = b" ".join(item for item in data if isinstance(item, bytes)).split()
    return sorted({int(word) for word in words if word.isdigit()})


def _check(answer: tuple[str, list[Any]], what: str) -> list[Any]:
    kind, data = answer
    if kind != "OK":
        said = b" ".join(item for item in data if isinstance(item, bytes)).decode(
            "utf-8", "replace"
        )
        raise InboxError(f"The mail server would not {what}: it said “{said}”.")
    return data


# --- reading a message ------------------------------------------------------------------------


def parse(raw: bytes) -> EmailMessage:
    """A message's bytes as an :class:`EmailMessage` (the standard library's modern parser)."""
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _text(value: str, limit: int | None = None) -> str:
    """Text safe to keep: no NUL or other control characters but tab and newline."""
    value = "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    return value[:limit] if limit else value


def header(message: Any, name: str) -> str:
    """A header's decoded value ("" if absent); never raises for a malformed header."""
    try:
        value = message.get(name)
        return "" if value is None else _text(" ".join(str(value).split()))
    except Exception:  # noqa: S110 - the modern parser gave up on it: try the raw value
        pass
    for key, raw in getattr(message, "raw_items", list)():
        if key.lower() == name.lower():
            try:
                decoded = str(email_header.make_header(email_header.decode_header(raw)))
            except Exception:
                decoded = str(raw)
            return _text(" ".join(decoded.split()))
    return ""


def header_date(message: Any) -> dt.datetime | None:
    """The Date header as an aware datetime (UTC if it gives no zone); None if unreadable."""
    raw = ""
    for key, value in getattr(message, "raw_items", list)():
        if key.lower() == "date":
            raw = str(value)
            break
    if not raw.strip():
        return None
    try:
        when = email_utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return when.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def message_id(message: Any) -> str:
    return "".join(header(message, "Message-ID").split())[:998]


def attachment_parts(message: EmailMessage) -> list[EmailMessage]:
    """The parts of a message kept as attachments, in order: every part (inside forwarded
    messages too) that has a file name, is marked as an attachment, or is not text (an inline
    image, a PDF without a name). The message's own text, plain and HTML, is not one."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
        except Exception:
            filename = None
        disposition = part.get_content_disposition()
        maintype = part.get_content_maintype()
        named = filename or disposition == "attachment"
        if named or maintype not in {"text", "multipart", "message"}:
            found.append(part)
    return found


def _is_malformed(message: EmailMessage) -> bool:
    if not list(message.keys()):
        return True
    return any(
        isinstance(defect, SERIOUS_DEFECTS) for part in message.walk() for defect in part.defects
    )


# --- keeping files ---------------------------------------------------------------------------


def _folder() -> Path:
    folder = Path(settings.CLEARWAY_INBOX_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _new_name(suffix: str = "") -> str:
    suffix = suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,10}", suffix):
        suffix = ""
    return f"{uuid.uuid4().hex}{suffix}"


def _disk_error(error: OSError) -> InboxError:
    return InboxError(
        f"Clearway could not save a fetched message in {settings.CLEARWAY_INBOX_DIR} "
        f"({error.strerror or error}): check there is space, and that Clearway may write there. "
        "Nothing was lost: the message stays on the mail server and will be fetched next time."
    )


class _Kept:
    """A file written under a generated name, readable by Clearway alone. A failure to write
    it raises :class:`InboxError` (not an ``OSError``, which would read as a lost connection).
    """

    def __init__(self, suffix: str = "") -> None:
        self.name = _new_name(suffix)
        try:
            self.path = _folder() / self.name
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise _disk_error(error) from None
        self.handle = os.fdopen(descriptor, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        try:
            self.handle.write(data)
        except OSError as error:
            raise _disk_error(error) from None
        self.digest.update(data)
        self.size += len(data)

    def close(self) -> None:
        try:
            self.handle.close()
        except OSError as error:
            raise _disk_error(error) from None

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
        self.path.unlink(missing_ok=True)


def _keep_bytes(data: bytes, suffix: str = "") -> _Kept:
    kept = _Kept(suffix)
    try:
        kept.write(data)
        kept.close()
    except BaseException:
        kept.discard()
        raise
    return kept


@dataclass
class _Attachment:
    position: int
    filename: str
    content_type: str
    file: _Kept


def _attachment_name(part: EmailMessage, position: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = clean_name(_text(name)) if name.strip() else ""
    if not name:
        suffix = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{position + 1}{suffix}"
    return name[:255]


def _keep_attachments(message: EmailMessage) -> list[_Attachment]:
    kept: list[_Attachment] = []
    try:
        for position, part in enumerate(attachment_parts(message)):
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            name = _attachment_name(part, position)
            kept.append(
                _Attachment(
                    position,
                    name,
                    _text(part.get_content_type(), 255),
                    _keep_bytes(data, Path(name).suffix),
                )
            )
    except BaseException:
        for attachment in kept:
            attachment.file.discard()
        raise
    return kept


# --- fetching --------------------------------------------------------------------------------


@dataclass
class _Waiting:
    """A message on the server, before it is downloaded."""

    uid: int
    size: int
    received_at: dt.datetime | None
    message_id: str
    date: dt.datetime | None


def _after_fetch_hook() -> Callable[[InboxMessage], Any] | None:
    """``clearway.inbox.services.after_fetch``, if it exists."""
    if importlib.util.find_spec("clearway.inbox.services") is None:
        return None
    try:
        module = importlib.import_module("clearway.inbox.services")
    except Exception as error:
        # Fetching goes on (messages wait in triage without a proposal); the fault is logged.
        logger.error("clearway.inbox.services could not be imported: %s", type(error).__name__)
        return None
    hook = getattr(module, "after_fetch", None)
    return hook if callable(hook) else None


class _Fetch:
    """One fetch from one mailbox, over one connection."""

    def __init__(
        self, connection: imaplib.IMAP4, mailbox: Mailbox, result: FetchResult, limit: int
    ) -> None:
        self.connection = connection
        self.mailbox = mailbox
        self.result = result
        self.limit = limit
        self.max_bytes = int(settings.CLEARWAY_INBOX_MAX_BYTES)
        self.hook = _after_fetch_hook()
        #: The folder's UIDVALIDITY (read when it is opened).
        self.uidvalidity = 0

    @property
    def changes_server(self) -> bool:
        return self.mailbox.delete_after_fetch or bool(self.mailbox.move_to_folder.strip())

    def run(self) -> None:
        self._select()
        waiting = self._new_uids()
        self.result.remaining = max(0, len(waiting) - self.limit)
        for start in range(0, min(len(waiting), self.limit), UID_BATCH):
            uids = waiting[start : min(start + UID_BATCH, self.limit)]
            for message in self._describe(uids):
                self._take(message)
        if self.changes_server:
            self._tidy_server()

    def _select(self) -> None:
        folder = self.mailbox.folder.strip() or "INBOX"
        if self.changes_server:
            target = self.mailbox.move_to_folder.strip()
            if target:
                self._check_folder_exists(target)
        try:
            kind, _ = self.connection.select(
                quoted_folder(folder), readonly=not self.changes_server
            )
        except imaplib.IMAP4.readonly:
            raise InboxError(
                f"The folder “{folder}” of the mailbox {self.mailbox.name} is read-only for "
                f"{self.mailbox.username}, so Clearway cannot delete or move messages in it: "
                "turn that off, or give the user the right to."
            ) from None
        if kind != "OK":
            raise InboxError(
                f"There is no folder “{folder}” in the mailbox {self.mailbox.name}: check the "
                "folder's name (most mail servers call the main one INBOX)."
            )
        _, values = self.connection.response("UIDVALIDITY")
        numbers = [int(value) for value in values if isinstance(value, bytes) and value.isdigit()]
        if not numbers:
            raise InboxError(
                f"The mail server did not say how it numbers the messages in “{folder}” "
                "(UIDVALIDITY), so Clearway cannot fetch them without risk of doubling them."
            )
        self._settle_uidvalidity(folder, numbers[0])

    def _check_folder_exists(self, target: str) -> None:
        kind, data = self.connection.list('""', quoted_folder(target))
        if kind != "OK" or not [item for item in data if item]:
            raise InboxError(
                f"There is no folder “{target}” in the mailbox {self.mailbox.name} to move "
                "fetched messages to: create it on the mail server, or change the setting."
            )

    def _settle_uidvalidity(self, folder: str, uidvalidity: int) -> None:
        with transaction.atomic():
            box = Mailbox.objects.select_for_update().get(pk=self.mailbox.pk)
            if box.uidvalidity == uidvalidity and box.uidvalidity_folder == folder:
                self.mailbox.uidvalidity, self.mailbox.last_uid = uidvalidity, box.last_uid
                self.uidvalidity = uidvalidity
                return
            if box.uidvalidity is not None:
                if box.uidvalidity_folder != folder:
                    why = f"The folder read changed from “{box.uidvalidity_folder}” to “{folder}”"
                else:
                    why = (
                        f"The mail server renumbered the messages in “{folder}” (its "
                        f"UIDVALIDITY changed from {box.uidvalidity} to {uidvalidity})"
                    )
                self._notice(
                    f"{why}: Clearway is checking every message in it again. Messages it "
                    "already has are not fetched twice."
                )
            box.uidvalidity, box.uidvalidity_folder, box.last_uid = uidvalidity, folder, 0
            box.save(update_fields=["uidvalidity", "uidvalidity_folder", "last_uid"])
        self.mailbox.uidvalidity = self.uidvalidity = uidvalidity
        self.mailbox.uidvalidity_folder = folder
        self.mailbox.last_uid = 0

    def _notice(self, text: str) -> None:
        self.result.notices.append(text)

    def _new_uids(self) -> list[int]:
        last = self.mailbox.last_uid
        data = _check(self.connection.uid("SEARCH", f"UID {last + 1}:*"), "list the new messages")
        # "n:*" always includes the highest UID, even when it is below n.
        return [uid for uid in _uids(data) if uid > last]

    def _describe(self, uids: list[int]) -> list[_Waiting]:
        data = _check(
            self.connection.uid(
                "FETCH",
                ",".join(str(uid) for uid in uids),
                "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE)])",
            ),
            "describe the new messages",
        )
        found: dict[int, _Waiting] = {}
        for answer in _answers(data):
            uid = answer.number(b"UID")
            if uid is None or uid not in uids:
                continue  # news about another message
            headers = BytesHeaderParser(policy=email.policy.default).parsebytes(
                answer.literal("BODY[HEADER.FIELDS") or b""
            )
            found[uid] = _Waiting(
                uid=uid,
                size=answer.number(b"RFC822.SIZE") or 0,
                received_at=_internal_date(answer.text),
                message_id=message_id(headers),
                date=header_date(headers),
            )
        return [found[uid] for uid in sorted(found)]

    # -- one message --

    def _take(self, waiting: _Waiting) -> None:
        if waiting.message_id and self._already_kept(
            message_id=waiting.message_id, size=waiting.size, date=waiting.date
        ):
            self._skip(waiting.uid, duplicate=True)
            return
        if waiting.size > self.max_bytes:
            raw_file, headers = self._download_large(waiting)
            if raw_file is None:
                self._skip(waiting.uid)
                return
            fields, attachments = self._read_headers_only(headers, raw_file.size)
        else:
            raw = self._download(waiting.uid)
            if raw is None:
                self._skip(waiting.uid)
                return
            raw_file = _keep_bytes(raw, ".eml")
            try:
                fields, attachments = self._read(raw)
            except BaseException:
                raw_file.discard()
                raise
            del raw
        self._record(waiting, raw_file, fields, attachments)

    def _already_kept(self, **match: Any) -> bool:
        return InboxMessage.all_objects.filter(mailbox=self.mailbox, **match).exists()

    def _skip(self, uid: int, *, duplicate: bool = False) -> None:
        """Move past a message without keeping it (kept already, or gone from the server)."""
        with transaction.atomic():
            if self._claim(uid) and duplicate:
                self.result.duplicates += 1

    def _claim(self, uid: int) -> bool:
        """In a transaction: lock the mailbox and move its last UID to ``uid``; False if
        another fetch got there first (or the folder was renumbered meanwhile)."""
        box = Mailbox.objects.select_for_update().get(pk=self.mailbox.pk)
        if box.uidvalidity != self.uidvalidity or box.last_uid >= uid:
            return False
        Mailbox.objects.filter(pk=box.pk).update(last_uid=uid)
        self.mailbox.last_uid = uid
        return True

    def _fetch_literal(self, uid: int, item: str, prefix: str, what: str) -> bytes | None:
        data = _check(self.connection.uid("FETCH", str(uid), f"({item})"), what)
        for answer in _answers(data):
            if answer.number(b"UID") in (uid, None):
                value = answer.literal(prefix)
                if value is not None:
                    return value
        return None

    def _download(self, uid: int) -> bytes | None:
        return self._fetch_literal(uid, "UID BODY.PEEK[]", "BODY[]", "give a message")

    def _download_large(self, waiting: _Waiting) -> tuple[_Kept | None, bytes]:
        """A message too large to take apart, downloaded a piece at a time into its file; and
        its header."""
        kept = _Kept(".eml")
        try:
            head = self._fetch_literal(
                waiting.uid, "UID BODY.PEEK[HEADER]", "BODY[HEADER]", "give a message's header"
            )
            if head is None:
                kept.discard()
                return None, b""
            offset = 0
            while offset < waiting.size:
                piece = self._fetch_literal(
                    waiting.uid,
                    f"UID BODY.PEEK[]<{offset}.{CHUNK}>",
                    "BODY[]",
                    "give part of a message",
                )
                if not piece:
                    break
                kept.write(piece)
                offset += len(piece)
            kept.close()
        except BaseException:
            kept.discard()
            raise
        return kept, head

    def _read(self, raw: bytes) -> tuple[dict[str, Any], list[_Attachment]]:
        """The message's headers, its attachments (kept as files), and any note."""
        try:
            message = parse(raw)
            fields = self._fields(message)
        except Exception:
            return {"fetch_note": UNREADABLE_NOTE}, []
        try:
            attachments = _keep_attachments(message)
        except InboxError:
            raise  # the disk, not the message
        except Exception:
            return {**fields, "fetch_note": UNREADABLE_NOTE}, []
        try:
            malformed = _is_malformed(message)
        except Exception:
            malformed = True
        if malformed:
            fields["fetch_note"] = MALFORMED_NOTE
        return fields, attachments

    def _read_headers_only(
        self, head: bytes, size: int
    ) -> tuple[dict[str, Any], list[_Attachment]]:
        try:
            fields = self._fields(BytesHeaderParser(policy=email.policy.default).parsebytes(head))
        except Exception:
            fields = {}
        fields["fetch_note"] = (
            f"This message is {megabytes(size)}, more than the {megabytes(self.max_bytes)} "
            "Clearway takes apart, so its attachments are not shown separately. It is kept "
            "exactly as it arrived: ask the sender to send the documents in smaller emails, "
            "or ask your administrator to raise CLEARWAY_INBOX_MAX_MB."
        )
        return fields, []

    @staticmethod
    def _fields(message: Any) -> dict[str, Any]:
        return {
            "message_id": message_id(message),
            "from_header": header(message, "From"),
            "to_header": header(message, "To"),
            "subject": header(message, "Subject"),
            "date": header_date(message),
        }

    def _record(
        self,
        waiting: _Waiting,
        raw_file: _Kept,
        fields: dict[str, Any],
        attachments: list[_Attachment],
    ) -> None:
        """Record the message, its attachments and the new last UID, in one transaction."""
        files = [raw_file, *(attachment.file for attachment in attachments)]
        saved: InboxMessage | None = None
        try:
            with transaction.atomic():
                if not self._claim(waiting.uid):
                    raise _NotClaimed
                if self._already_kept(sha256=raw_file.sha256) or (
                    fields.get("message_id")
                    and self._already_kept(
                        message_id=fields["message_id"], size=raw_file.size, date=fields["date"]
                    )
                ):
                    self.result.duplicates += 1
                    raise _Duplicate
                saved = InboxMessage.all_objects.create(
                    mailbox=self.mailbox,
                    service_id=self.mailbox.service_id,
                    uidvalidity=self.uidvalidity,
                    uid=waiting.uid,
                    received_at=waiting.received_at,
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
        except _Duplicate:
            # The last UID moved on (the transaction committed without the message).
            self._discard(files)
            with transaction.atomic():
                self._claim(waiting.uid)
            return
        except (_NotClaimed, IntegrityError):
            self._discard(files)  # another fetch kept it
            return
        except BaseException:
            self._discard(files)
            raise
        self.result.saved.append(saved)
        if saved.fetch_note:
            self._notice(f"Message {saved.pk}: {saved.fetch_note}")
        self._after_fetch(saved)

    @staticmethod
    def _discard(files: list[_Kept]) -> None:
        for kept in files:
            kept.discard()

    def _after_fetch(self, message: InboxMessage) -> None:
        if self.hook is None:
            return
        try:
            self.hook(message)
        except Exception as error:
            # The message is kept, in triage without a proposal. Only the error's kind is
            # logged: its words could quote the message.
            logger.error(
                "after_fetch failed for inbox message %s: %s", message.pk, type(error).__name__
            )

    # -- the server, when the administrator asked --

    def _tidy_server(self) -> None:
        """Delete (or move) on the server every message of this folder Clearway has kept: all
        those up to the last UID (a message left by an earlier, interrupted fetch too)."""
        last = self.mailbox.last_uid
        if not last:
            return
        data = _check(self.connection.uid("SEARCH", f"UID 1:{last}"), "list fetched messages")
        uids = [uid for uid in _uids(data) if uid <= last]
        if not uids:
            return
        target = self.mailbox.move_to_folder.strip()
        capabilities = self.connection.capabilities
        for start in range(0, len(uids), UID_BATCH):
            chunk = ",".join(str(uid) for uid in uids[start : start + UID_BATCH])
            if target and "MOVE" in capabilities:
                _check(
                    self.connection.uid("MOVE", chunk, quoted_folder(target)),
                    f"move fetched messages to “{target}”",
                )
                continue
            if target:
                _check(
                    self.connection.uid("COPY", chunk, quoted_folder(target)),
                    f"copy fetched messages to “{target}”",
                )
            _check(
                self.connection.uid("STORE", chunk, "+FLAGS.SILENT", r"(\Deleted)"),
                "mark fetched messages as deleted",
            )
            if "UIDPLUS" in capabilities:
                _check(self.connection.uid("EXPUNGE", chunk), "delete fetched messages")
            else:
                _check(self.connection.expunge(), "delete fetched messages")
        self.result.removed += len(uids)


class _NotClaimed(Exception):
    pass


class _Duplicate(Exception):
    pass


# --- the public functions --------------------------------------------------------------------


def fetch_mailbox(mailbox: Mailbox, *, limit: int | None = None) -> FetchResult:
    """Fetch a mailbox's new messages (at most ``limit``, default ``CLEARWAY_INBOX_BATCH``);
    see the module's docstring. Raises :class:`InboxError` (recorded on the mailbox)."""
    result = FetchResult(mailbox)
    limit = int(settings.CLEARWAY_INBOX_BATCH) if limit is None else limit
    connection: imaplib.IMAP4 | None = None
    try:
        connection = connect(mailbox)
        _Fetch(connection, mailbox, result, limit).run()
    except InboxError as error:
        _failed(mailbox, result, str(error))
        raise InboxError(str(error), result) from None
    except (imaplib.IMAP4.abort, OSError) as error:
        kept = _kept_so_far(result)
        if isinstance(error, TimeoutError):
            lost = (
                f"The mail server stopped answering (nothing for "
                f"{settings.CLEARWAY_INBOX_TIMEOUT:g} seconds)"
            )
        else:
            lost = "The connection to the mail server was lost"
        message = f"{lost} {kept}: the rest will be fetched next time."
        _failed(mailbox, result, message)
        raise InboxError(message, result) from None
    except imaplib.IMAP4.error as error:
        message = (
            f"The mail server refused a request {_kept_so_far(result)}: it said “{error}”. "
            "Try again later; if this goes on, ask the mail server's administrator."
        )
        _failed(mailbox, result, message)
        raise InboxError(message, result) from None
    finally:
        _close(connection)
    _succeeded(mailbox, result)
    return result


def _kept_so_far(result: FetchResult) -> str:
    count = result.count
    if not count:
        return "before any new message was fetched"
    return f"after {count} new message{'s' * (count != 1)} had been fetched and kept"


def _failed(mailbox: Mailbox, result: FetchResult, message: str) -> None:
    result.error = message
    now = timezone.now()
    fields: dict[str, Any] = {"last_error": message, "last_error_at": now}
    if result.notices:
        fields["last_notice"] = _dated(result.notices, now)
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    mailbox.last_error, mailbox.last_error_at = message, now
    logger.warning("Fetching mailbox %s failed", mailbox.pk)


def _succeeded(mailbox: Mailbox, result: FetchResult) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"last_fetched_at": now, "last_error": "", "last_error_at": None}
    if result.notices:
        fields["last_notice"] = _dated(result.notices, now)
    Mailbox.objects.filter(pk=mailbox.pk).update(**fields)
    mailbox.last_fetched_at, mailbox.last_error, mailbox.last_error_at = now, "", None
    logger.info(
        "Fetched %d messages from mailbox %s (%d already kept, %d removed from the server)",
        result.count,
        mailbox.pk,
        result.duplicates,
        result.removed,
    )


def _dated(notices: list[str], when: dt.datetime) -> str:
    local = timezone.localtime(when)
    return f"{local:%d %B %Y at %H:%M}: " + " ".join(notices)


def fetch_all() -> list[FetchResult]:
    """Fetch every enabled mailbox; a failure is in its result's ``error`` (and recorded on
    the mailbox), and does not stop the others."""
    results = []
    for mailbox in Mailbox.objects.filter(enabled=True).select_related("service"):
        try:
            results.append(fetch_mailbox(mailbox))
        except InboxError as error:
            assert error.result is not None
            results.append(error.result)
    return results
