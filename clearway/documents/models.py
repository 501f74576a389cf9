"""Documents filed to a child's record: reports, forms and letters that arrived for a referral.

- :class:`Document` — one file as uploaded, typed (one of the pathway's requirements, or
  "other"), stored under a generated name outside the web root. Never changed or deleted.
- :class:`FiledInError` — a person's note that a document was filed by mistake (the wrong
  child, the wrong type, the wrong file), with why. The document is kept, but no longer counts
  as one of the child's current documents. Never changed or deleted.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from clearway.core.append_only import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet
from clearway.services.scoping import ServiceScopedManager, ServiceScopedQuerySet

#: The requirement key of a document that is none of the pathway's requirements.
OTHER = ""
OTHER_LABEL = "Other document"
REFUSAL = "Documents are never changed or deleted: mark a wrong one as filed in error instead."


class DocumentQuerySet(ServiceScopedQuerySet):
    """Documents of one service; never changed or deleted in bulk (see :class:`Document`)."""

    def for_service(self, service: Any) -> "DocumentQuerySet":
        return self.filter(service=service)._scoped_clone()

    def current(self) -> "DocumentQuerySet":
        """The documents that count: not filed in error."""
        return self.filter(filed_in_error__isnull=True)

    def in_error(self) -> "DocumentQuerySet":
        return self.filter(filed_in_error__isnull=False)

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(REFUSAL)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(REFUSAL)


class Document(AppendOnlyModel):
    """A file filed to a child's referral: kept byte for byte, under a name Clearway made up."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    referral = models.ForeignKey(
        "pathways.Referral", on_delete=models.PROTECT, related_name="documents"
    )
    patient = models.ForeignKey(
        "pathways.Patient", on_delete=models.PROTECT, related_name="documents"
    )
    #: The pathway requirement this document is (``school_report``…), or "" for another document.
    requirement = models.CharField(max_length=40, blank=True)
    #: What it is, in words, as the pathway named it when it was filed ("School report").
    kind_label = models.CharField(max_length=100)
    #: The generated name under ``CLEARWAY_UPLOAD_DIR``.
    stored_name = models.CharField(max_length=80, unique=True)
    #: The file's name on the uploader's computer: shown, never used as a path.
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    #: The type Clearway found by checking the content, not what the browser said.
    content_type = models.CharField(max_length=100)
    #: The day the document arrived at the service.
    received_on = models.DateField(default=timezone.localdate)
    note = models.TextField(blank=True)
    #: The "report received" event this document recorded, if it was the first of its kind.
    event = models.OneToOneField(
        "pathways.Event",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_name = models.CharField(max_length=150)

    #: Refuses to be read until scoped: ``.for_service(service)``, or ``.unscoped()``.
    objects = ServiceScopedManager.from_queryset(DocumentQuerySet)()
    #: Every service's documents: for Django's own lookups and the admin.
    all_objects = DocumentQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["-received_on", "-uploaded_at", "-pk"]
        indexes = [
            models.Index(fields=["referral", "received_on"]),
            models.Index(fields=["service", "sha256"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label}: {self.original_name}"

    @property
    def path(self) -> Path:
        return Path(settings.CLEARWAY_UPLOAD_DIR) / self.stored_name


class FiledInError(AppendOnlyModel):
    """A document filed by mistake: it is kept, and no longer counts."""

    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="filed_in_error"
    )
    why = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "document filed in error"
        verbose_name_plural = "documents filed in error"

    def __str__(self) -> str:
        return f"{self.document} filed in error"
