"""The shared inbox: the service's mailbox, and every message and attachment fetched from it.

- :class:`Mailbox` — one IMAP mailbox a service reads (set up by an administrator). Its
  password is never kept here: the mailbox names the environment variable that holds it.
  ``uidvalidity`` and ``last_uid`` say where fetching has got to.
- :class:`InboxMessage` — one message as it arrived, kept byte for byte under a generated name,
  with the headers people read and what was done with it (triage).
- :class:`InboxAttachment` — one file taken out of a message, kept under a generated name.

Messages and attachments are never deleted by Clearway (:class:`KeptError`).
"""

import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from clearway.services.scoping import ServiceScopedManager, ServiceScopedQuerySet

KEPT = "Messages and attachments from the inbox are kept: Clearway never deletes them."
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class KeptError(Exception):
    """An attempt to delete a message or attachment fetched from the inbox."""


class Security(models.TextChoices):
    TLS = "tls", "TLS from the start (usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    NONE = "none", "None: only for a test server on this computer"


class Mailbox(models.Model):
    """One IMAP mailbox a service reads, and how far fetching from it has got."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(
        max_length=100, help_text="What the service calls it, e.g. “SCD inbox”."
    )
    host = models.CharField(max_length=255, help_text="The mail server, e.g. imap.nhs.net.")
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=255)
    #: The name of the environment variable that holds the password (never the password).
    password_env = models.CharField(
        "password environment variable",
        max_length=100,
        default="CLEARWAY_INBOX_PASSWORD",
        validators=[
            RegexValidator(
                r"^[A-Z_][A-Z0-9_]*$",
                "Give the name of an environment variable (capital letters, digits and _), "
                "not the password itself.",
            )
        ],
        help_text="The environment variable, where Clearway runs, that holds the mailbox's "
        "password. The password itself is never kept in Clearway's database.",
    )
    folder = models.CharField(max_length=255, default="INBOX")
    delete_after_fetch = models.BooleanField(
        default=False,
        help_text="Delete each message from the mail server once Clearway has kept it. "
        "Off: messages stay on the server, untouched.",
    )
    move_to_folder = models.CharField(
        max_length=255,
        blank=True,
        help_text="Move each message to this folder on the mail server once Clearway has kept "
        "it. Empty: messages stay where they are.",
    )
    enabled = models.BooleanField(default=True, help_text="Fetch from this mailbox.")

    #: The folder's UIDVALIDITY when ``last_uid`` was read (None: never fetched), and the folder
    #: it was read from: if either changes, the UIDs are counted again from the start.
    uidvalidity = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    uidvalidity_folder = models.CharField(max_length=255, blank=True, editable=False)
    #: The highest UID kept (or already kept under another UIDVALIDITY): the next fetch asks for
    #: the messages after it.
    last_uid = models.PositiveBigIntegerField(default=0, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: Why the last fetch failed, in plain words ("" after a fetch that worked).
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    #: Something the last fetches noticed that is not an error (the server renumbered the
    #: messages, a message too large to take apart).
    last_notice = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name_plural = "mailboxes"
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="inbox_mailbox_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def address(self) -> str:
        return f"{self.username} at {self.host}:{self.port}, folder {self.folder}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.security == Security.NONE and self.host.strip().lower() not in LOOPBACK_HOSTS:
            errors["security"] = (
                "Without TLS the password would cross the network unprotected: choose TLS or "
                "STARTTLS (none is only for a test server on this computer)."
            )
        if self.delete_after_fetch and self.move_to_folder.strip():
            errors["move_to_folder"] = (
                "Choose one: delete messages after fetching, or move them to a folder."
            )
        if self.move_to_folder.strip() and self.move_to_folder.strip() == self.folder.strip():
            errors["move_to_folder"] = "Messages cannot be moved to the folder they are read from."
        if errors:
            raise ValidationError(errors)

    def password(self) -> str | None:
        """The password, from the environment variable the mailbox names (None: not set)."""
        return os.environ.get(self.password_env) or None


class InboxMessageQuerySet(ServiceScopedQuerySet):
    """Messages of one service; never deleted (see the module's docstring)."""

    def for_service(self, service: Any) -> "InboxMessageQuerySet":
        return self.filter(service=service)._scoped_clone()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise KeptError(KEPT)


class InboxAttachmentQuerySet(ServiceScopedQuerySet):
    """Attachments of one service's messages; never deleted."""

    def for_service(self, service: Any) -> "InboxAttachmentQuerySet":
        return self.filter(message__service=service)._scoped_clone()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise KeptError(KEPT)


class MessageStatus(models.TextChoices):
    NEW = "new", "New"
    FILED = "filed", "Filed"
    NOT_FOR_CHILD = "not_for_child", "Not for a child"
    SPLIT = "split", "Split between children"


def _stored_path(stored_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}(\.[a-z0-9]{1,10})?", stored_name):
        raise ValueError("not a name Clearway made")
    return Path(settings.CLEARWAY_INBOX_DIR) / stored_name


class InboxMessage(models.Model):
    """One message as it arrived in a mailbox, and what was done with it."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    uidvalidity = models.PositiveBigIntegerField()
    uid = models.PositiveBigIntegerField()

    # The headers, as sent (decoded; "" if absent).
    message_id = models.CharField(max_length=998, blank=True)
    from_header = models.TextField(blank=True)
    to_header = models.TextField(blank=True)
    subject = models.TextField(blank=True)
    #: The message's Date header (None if absent or unreadable).
    date = models.DateTimeField(null=True, blank=True)
    #: When the mail server received it (its INTERNALDATE).
    received_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)
    #: The message's size in bytes, as kept.
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    #: The generated name, under ``CLEARWAY_INBOX_DIR``, of the message as it arrived.
    stored_name = models.CharField(max_length=80, unique=True)
    #: What Clearway could not do with the message when it fetched it ("" if nothing).
    fetch_note = models.TextField(blank=True)
    #: The text a person reads (filled after fetching).
    body_text = models.TextField(blank=True)

    # Triage.
    status = models.CharField(
        max_length=20, choices=MessageStatus.choices, default=MessageStatus.NEW
    )
    proposed_patient = models.ForeignKey(
        "pathways.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_requirement = models.CharField(max_length=40, blank=True)
    #: Why: {"confidence": ..., "reasons": [...], "flags": [...], "candidates": [...]}.
    proposal = models.JSONField(default=dict, blank=True)
    flagged = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    #: Refuses to be read until scoped: ``.for_service(service)``, or ``.unscoped()``.
    objects = ServiceScopedManager.from_queryset(InboxMessageQuerySet)()
    #: Every service's messages: for Django's own lookups, the admin and fetching.
    all_objects = InboxMessageQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="inbox_message_unique_uid"
            )
        ]
        indexes = [
            models.Index(fields=["service", "status", "received_at"]),
            models.Index(fields=["mailbox", "message_id"]),
            models.Index(fields=["mailbox", "sha256"]),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.mailbox}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise KeptError(KEPT)

    @property
    def path(self) -> Path:
        """The message as it arrived (RFC 822 bytes)."""
        return _stored_path(self.stored_name)


class InboxAttachment(models.Model):
    """One file from a message, kept under a generated name."""

    message = models.ForeignKey(InboxMessage, on_delete=models.PROTECT, related_name="attachments")
    #: Its place among the message's attachments (0, 1, …), in the order
    #: :func:`clearway.inbox.fetch.attachment_parts` finds them.
    position = models.PositiveSmallIntegerField(default=0)
    #: The name the sender gave it (decoded; made up from its type if it had none): shown,
    #: never used as a path.
    filename = models.CharField(max_length=255)
    #: The type the sender said it is (not checked).
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80, unique=True)
    #: Its text, for matching (filled after fetching), and why there is none if so.
    text = models.TextField(blank=True)
    text_note = models.TextField(blank=True)
    #: The document it was filed as, and the child it was filed to.
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "pathways.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    #: Refuses to be read until scoped: ``.for_service(service)``, or ``.unscoped()``.
    objects = ServiceScopedManager.from_queryset(InboxAttachmentQuerySet)()
    #: Every service's attachments: for ``message.attachments``, the admin and fetching.
    all_objects = InboxAttachmentQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "position"], name="inbox_attachment_unique_position"
            )
        ]

    def __str__(self) -> str:
        return self.filename

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise KeptError(KEPT)

    @property
    def path(self) -> Path:
        return _stored_path(self.stored_name)
