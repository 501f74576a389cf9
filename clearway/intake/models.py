"""Files brought in, lists imported from them, and validation against PAS with its decisions.

- :class:`Upload` — a file a coordinator uploaded (a legacy waiting list or a PAS extract),
  stored under a generated name outside the web root, never changed.
- :class:`LegacyImport` and :class:`ImportRow` — one import of a legacy list: every row of
  the file, with its original cells, and what became of it (imported, not imported and why,
  or skipped as not a child: blank, title, footer).
- :class:`ValidationRun` and :class:`Proposal` — one validation of the service's list against
  a PAS extract: one proposal per child on the list, with its evidence.
- :class:`Decision` — a person's decision on a proposal: append-only, with who, when and why,
  and the discharge event it wrote.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from clearway.core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from clearway.pathways.models import WAITING


class UploadKind(models.TextChoices):
    LEGACY_LIST = "legacy_list", "Waiting list"
    PAS_EXTRACT = "pas_extract", "PAS extract"


class ServiceQuerySet(models.QuerySet[Any]):
    def for_service(self, service: Any) -> "ServiceQuerySet":
        return self.filter(service=service)


class Upload(models.Model):
    """A file as uploaded: kept byte for byte, under a name Clearway made up."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=UploadKind.choices)
    #: The file's name on the uploader's computer: shown, never used as a path.
    original_name = models.CharField(max_length=255)
    #: The generated name under ``CLEARWAY_UPLOAD_DIR``.
    stored_name = models.CharField(max_length=80, unique=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_name = models.CharField(max_length=150)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["service", "kind", "sha256"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def path(self) -> Path:
        return Path(settings.CLEARWAY_UPLOAD_DIR) / self.stored_name


class LegacyImport(models.Model):
    """One import of a legacy list into a service: all its rows at once, or none."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    #: A file is imported once.
    upload = models.OneToOneField(Upload, on_delete=models.PROTECT, related_name="legacy_import")
    sheet = models.CharField(max_length=200)
    header_row = models.PositiveIntegerField()
    #: The column mapping used: header -> field, or None for a column not used.
    mapping = models.JSONField(default=dict)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_by_name = models.CharField(max_length=150)
    imported_count = models.PositiveIntegerField(default=0)
    not_imported_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"Import of {self.upload.original_name}"

    @property
    def rows_read(self) -> int:
        return self.imported_count + self.not_imported_count


class RowOutcome(models.TextChoices):
    IMPORTED = "imported", "Imported"
    NOT_IMPORTED = "not_imported", "Not imported"
    SKIPPED = "skipped", "Not a child (skipped)"


class ImportRow(models.Model):
    """One row of an imported file: its cells exactly as read, and what became of it."""

    batch = models.ForeignKey(LegacyImport, on_delete=models.CASCADE, related_name="rows")
    source_sheet = models.CharField(max_length=200)
    source_row = models.PositiveIntegerField()
    #: The cells as read, by column header (dates as ISO text).
    raw = models.JSONField(default=dict)
    outcome = models.CharField(max_length=20, choices=RowOutcome.choices)
    #: Why it was not imported or skipped, or what was noticed about an imported row.
    reasons = models.JSONField(default=list)
    #: The reader's problem with the NHS number cell, when it could not be used.
    nhs_number_problem = models.CharField(max_length=300, blank=True)
    referral = models.OneToOneField(
        "pathways.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_row",
    )

    class Meta:
        ordering = ["batch", "source_row"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "source_sheet", "source_row"], name="one_import_row_per_row"
            )
        ]

    def __str__(self) -> str:
        return f"Row {self.source_row}: {self.get_outcome_display()}"


class Outcome(models.TextChoices):
    """What validation proposes for a child (the engine's outcomes)."""

    WAITING = "waiting", "Still waiting"
    SEEN = "seen", "Seen at panel"
    DISCHARGED = "discharged", "Discharged"
    DECEASED = "deceased", "Died"
    DUPLICATE = "duplicate", "Entered twice"
    REVIEW = "review", "Needs a person to check"


#: Outcomes that, confirmed, take a child off the list.
REMOVALS = (Outcome.SEEN, Outcome.DISCHARGED, Outcome.DECEASED, Outcome.DUPLICATE)
#: Outcomes that may be confirmed as a group (high confidence only). A death or a duplicate is
#: always confirmed child by child.
GROUPABLE = (Outcome.SEEN, Outcome.DISCHARGED)


class State(models.TextChoices):
    """Where a proposal stands (derived: see :meth:`ProposalQuerySet.with_state`)."""

    TO_DECIDE = "to_decide", "To decide"
    CONFIRMED = "confirmed", "Confirmed: off the list"
    KEPT = "kept", "Kept on the list"
    DECIDED_BEFORE = "decided_before", "Decided before"
    OFF_LIST = "off_list", "Left the list another way"
    NOTHING_TO_DO = "nothing_to_do", "Nothing to do"


class ValidationRun(models.Model):
    """One validation of a service's waiting list against a PAS extract."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT, related_name="+")
    pas_upload = models.ForeignKey(Upload, on_delete=models.PROTECT, related_name="+")
    #: The day the PAS extract stands on: events after it are not considered.
    as_of = models.DateField()
    panel_clinic = models.CharField(max_length=120)
    linkage = models.CharField(max_length=10, default="full")
    #: Children on the list when it was validated.
    list_size = models.PositiveIntegerField(default=0)
    #: Proposals by outcome, as the engine made them.
    counts = models.JSONField(default=dict)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Validation {self.pk} against {self.pas_upload.original_name}"

    @property
    def is_latest(self) -> bool:
        latest = ValidationRun.objects.for_service(self.service_id).order_by("-pk").first()
        return latest is not None and latest.pk == self.pk


class ProposalQuerySet(models.QuerySet[Any]):
    def with_state(self) -> "ProposalQuerySet":
        return self.annotate(
            state=Case(
                When(outcome=Outcome.WAITING, then=Value(State.NOTHING_TO_DO.value)),
                When(decision__verdict=Verdict.CONFIRMED, then=Value(State.CONFIRMED.value)),
                When(decision__verdict=Verdict.REJECTED, then=Value(State.KEPT.value)),
                When(carried_from__isnull=False, then=Value(State.DECIDED_BEFORE.value)),
                When(referral__status__in=WAITING, then=Value(State.TO_DECIDE.value)),
                default=Value(State.OFF_LIST.value),
                output_field=models.CharField(),
            )
        )

    def to_decide(self) -> "ProposalQuerySet":
        """Proposals a person still has to decide, for children still on the list."""
        return self.exclude(outcome=Outcome.WAITING).filter(
            decision__isnull=True, carried_from__isnull=True, referral__status__in=WAITING
        )

    def group(self, outcome: str, agreement: str) -> "ProposalQuerySet":
        """A group that may be confirmed at once: high confidence, same outcome and agreement."""
        return self.to_decide().filter(
            Q(outcome__in=GROUPABLE), outcome=outcome, agreement=agreement, confidence="high"
        )


class Proposal(models.Model):
    """What validation proposes for one child on the list, and the evidence for it."""

    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="proposals")
    referral = models.ForeignKey(
        "pathways.Referral", on_delete=models.PROTECT, related_name="proposals"
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "pathways.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pas_id = models.CharField("PAS id", max_length=40, blank=True)
    pas_nhs_number = models.CharField(max_length=10, blank=True)
    #: How the child was matched to PAS: nhs_number, hospital_number, name_birth_date, linkage.
    match = models.CharField(max_length=20, blank=True)
    #: Which identifiers agree, in words.
    agreement = models.CharField(max_length=120, blank=True)
    confidence = models.CharField(max_length=10, blank=True)
    event = models.CharField(max_length=30, blank=True)
    event_date = models.DateField(null=True, blank=True)
    referral_date = models.DateField(null=True, blank=True)
    match_probability = models.FloatField(null=True, blank=True)
    #: The child as the list had it when validated.
    list_record = models.JSONField(default=dict)
    #: The matched PAS patient: identifiers and events.
    pas_record = models.JSONField(default=dict)
    #: A digest of the evidence: a later run with the same digest is not proposed again.
    evidence_key = models.CharField(max_length=64)
    #: The earlier proposal, with the same evidence, whose decision stands.
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "referral"], name="one_proposal_per_child")
        ]
        indexes = [
            models.Index(fields=["run", "outcome", "confidence"]),
            models.Index(fields=["referral", "evidence_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} (referral {self.referral_id})"

    @property
    def is_removal(self) -> bool:
        return self.outcome in REMOVALS


class Verdict(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: taken off the list"
    REJECTED = "rejected", "Rejected: kept on the list"


class DecisionQuerySet(AppendOnlyQuerySet):
    pass


class Decision(AppendOnlyModel):
    """A person's decision on one proposal: written once, never changed or deleted."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="decision")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    note = models.TextField(blank=True)
    #: Confirmed with a group: the group's description (outcome and agreement).
    group = models.CharField(max_length=200, blank=True)
    #: The discharge a confirmation wrote.
    event = models.OneToOneField(
        "pathways.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} by {self.actor_name}"
