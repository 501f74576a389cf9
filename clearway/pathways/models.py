"""Children, their referrals, the reports each referral needs, and the append-only history.

The current state (status, dates, reason) is kept on the referral for everyday pages and is
changed only by ``clearway.pathways.services``, which writes an :class:`Event` in the same
transaction. The list as it stood on any past date is derived from the events
(``clearway.pathways.history``).
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from clearway.core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from clearway.services.scoping import ServiceScopedManager, ServiceScopedQuerySet


class Status(models.TextChoices):
    AWAITING_INFORMATION = "awaiting_information", "Awaiting information"
    READY_FOR_PANEL = "ready_for_panel", "Ready for panel"
    BOOKED = "booked", "Booked for panel"
    ASSESSED = "assessed", "Assessed"
    DISCHARGED = "discharged", "Discharged"


#: On the waiting list: the clock is running.
WAITING = (Status.AWAITING_INFORMATION, Status.READY_FOR_PANEL, Status.BOOKED)
#: Not yet closed: a child may have only one such referral at a time in each service.
OPEN = (*WAITING, Status.ASSESSED)


class DischargeReason(models.TextChoices):
    ASSESSED = "assessed", "Assessed at panel"
    SEEN_ELSEWHERE = "seen_elsewhere", "Seen or discharged already"
    OPTED_OUT = "opted_out", "Family opted out"
    MOVED_AWAY = "moved_away", "Moved away"
    NOT_APPROPRIATE = "not_appropriate", "Referral not appropriate"
    DUPLICATE = "duplicate", "Entered twice (duplicate)"
    DECEASED = "deceased", "Died"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class Source(models.TextChoices):
    GP = "gp", "GP"
    HEALTH_VISITOR = "health_visitor", "Health visitor"
    SCHOOL = "school", "School or nursery"
    PAEDIATRICIAN = "paediatrician", "Paediatrician"
    SALT = "salt", "Speech and language therapy"
    OTHER = "other", "Other"


class RequirementState(models.TextChoices):
    OUTSTANDING = "outstanding", "Not requested"
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    NOT_NEEDED = "not_needed", "Not needed"


#: A requirement in one of these states no longer keeps a child from panel.
REQUIREMENT_DONE = (RequirementState.RECEIVED, RequirementState.NOT_NEEDED)


class EventKind(models.TextChoices):
    REFERRAL_RECEIVED = "referral_received", "Referral received"
    REQUIREMENT_REQUESTED = "requirement_requested", "Report requested"
    REQUIREMENT_RECEIVED = "requirement_received", "Report received"
    REQUIREMENT_NOT_NEEDED = "requirement_not_needed", "Report no longer needed"
    BOOKED = "booked", "Booked for panel"
    BOOKING_CANCELLED = "booking_cancelled", "Panel booking cancelled"
    ASSESSED = "assessed", "Assessed at panel"
    DISCHARGED = "discharged", "Discharged"
    REVERSED = "reversed", "Correction"


#: Events that take a child off the waiting list from their effective date.
REMOVALS = (EventKind.ASSESSED, EventKind.DISCHARGED)


class Consultant(models.Model):
    name = models.CharField(max_length=120, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PatientQuerySet(ServiceScopedQuerySet):
    def for_service(self, service: Any) -> "PatientQuerySet":
        """The children with a referral in this service: all its staff may see of the rest."""
        in_service = Referral.all_objects.filter(patient=OuterRef("pk"), service=service)
        return self.filter(Exists(in_service))._scoped_clone()


class Patient(models.Model):
    """A child. NHS and hospital numbers are unique when known, so a child is recorded once.

    Children are shared by the installation's services (one child, one record), but staff see
    a child only through a referral in their own service: ``Patient.objects.for_service()``.
    """

    nhs_number = models.CharField("NHS number", max_length=10, unique=True, null=True, blank=True)
    hospital_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField()
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.SET_NULL)
    gp_practice = models.CharField("GP practice", max_length=200, blank=True)
    looked_after = models.BooleanField("Looked-after child", default=False)
    social_worker_name = models.CharField(max_length=120, blank=True)
    social_worker_phone = models.CharField(max_length=30, blank=True)
    social_worker_email = models.EmailField(blank=True)
    deceased_on = models.DateField(null=True, blank=True)

    #: Refuses to be read until scoped: ``.for_service(service)``, or ``.unscoped()``.
    objects = ServiceScopedManager.from_queryset(PatientQuerySet)()
    #: Every service's children: for Django's own lookups and the admin.
    all_objects = PatientQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["family_name", "given_name"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def listed_name(self) -> str:
        """SURNAME, Forename: how clinical lists show a child."""
        return f"{self.family_name.upper()}, {self.given_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Carer(models.Model):
    patient = models.ForeignKey(Patient, related_name="carers", on_delete=models.CASCADE)
    name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=60)
    parental_responsibility = models.BooleanField(default=False)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    main_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-main_contact", "-parental_responsibility", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class ReferralQuerySet(ServiceScopedQuerySet):
    def for_service(self, service: Any) -> "ReferralQuerySet":
        return self.filter(service=service)._scoped_clone()

    def waiting(self) -> "ReferralQuerySet":
        return self.filter(status__in=WAITING)

    def longest_wait_first(self) -> "ReferralQuerySet":
        return self.order_by("received_on", "pk")

    def search(self, text: str) -> "ReferralQuerySet":
        """Name, NHS number (any spacing) or hospital number."""
        text = " ".join(text.split())
        if not text:
            return self
        digits = text.replace(" ", "").replace("-", "")
        if digits.isdigit() and len(digits) == 10:
            return self.filter(patient__nhs_number=digits)
        name = Q()
        for word in text.split():
            name &= Q(family_name__icontains=word) | Q(given_name__icontains=word)
        # Matching children first scans only their names, once, not every joined referral row.
        children = Patient.all_objects.filter(Q(hospital_number__iexact=text) | name)
        return self.filter(patient__in=children.values("pk"))

    def received_between(
        self, earliest: dt.date | None, latest: dt.date | None
    ) -> "ReferralQuerySet":
        qs = self
        if earliest is not None:
            qs = qs.filter(received_on__gte=earliest)
        if latest is not None:
            qs = qs.filter(received_on__lte=latest)
        return qs

    def outstanding(self, requirement: str) -> "ReferralQuerySet":
        """Referrals still waiting for this report or form."""
        return self.filter(
            Exists(
                Requirement.objects.filter(referral=OuterRef("pk"), kind=requirement).exclude(
                    state__in=REQUIREMENT_DONE
                )
            )
        )


class Referral(models.Model):
    """One referral of a child to a service: received_on starts the clock."""

    service = models.ForeignKey(
        "services.Service", related_name="referrals", on_delete=models.PROTECT
    )
    patient = models.ForeignKey(Patient, related_name="referrals", on_delete=models.PROTECT)
    received_on = models.DateField("Referral received")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.GP)
    consultant = models.ForeignKey(Consultant, null=True, blank=True, on_delete=models.PROTECT)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.AWAITING_INFORMATION
    )
    ready_on = models.DateField(null=True, blank=True)
    panel_date = models.DateField(null=True, blank=True)
    assessed_on = models.DateField(null=True, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    #: Refuses to be read until scoped: ``.for_service(service)``, or ``.unscoped()``.
    objects = ServiceScopedManager.from_queryset(ReferralQuerySet)()
    #: Every service's referrals: for Django's own lookups and the admin.
    all_objects = ReferralQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["received_on", "pk"]
        indexes = [
            models.Index(fields=["status", "received_on"]),
            # The list: one service's referrals in wait order, read in index order with no sort.
            # (service, status, received_on) looks better but makes SQLite sort every row.
            models.Index(fields=["service", "received_on"]),
            models.Index(fields=["consultant", "status", "received_on"]),
            models.Index(fields=["received_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=Q(status__in=OPEN),
                name="one_open_referral_per_child_and_service",
                violation_error_message="This child already has an open referral to this service.",
            )
        ]

    def __str__(self) -> str:
        return f"Referral of {self.patient} received {self.received_on:%d/%m/%Y}"

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    @property
    def clock_stopped_on(self) -> dt.date | None:
        if self.assessed_on:
            return self.assessed_on
        return self.discharged_on

    def days_waiting(self, today: dt.date) -> int:
        """Days from referral received to today, or to the clock stop."""
        end = today if self.is_waiting else (self.clock_stopped_on or today)
        return (end - self.received_on).days


class Requirement(models.Model):
    """A report or form this referral needs before panel, as the pathway definition lists."""

    referral = models.ForeignKey(Referral, related_name="requirements", on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    state = models.CharField(
        max_length=12, choices=RequirementState.choices, default=RequirementState.OUTSTANDING
    )
    requested_on = models.DateField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "kind"], name="one_requirement_of_a_kind")
        ]
        indexes = [models.Index(fields=["kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.state}"


class Event(AppendOnlyModel):
    """One thing that happened to a referral: never changed, never deleted.

    ``effective`` is the day it happened in the world; ``recorded_at`` the moment the service
    learned of it. A mistake is corrected by a ``reversed`` event that names the event it undoes.
    """

    referral = models.ForeignKey(Referral, related_name="events", on_delete=models.PROTECT)
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    effective = models.DateField()
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)
    status_before = models.CharField(max_length=24, choices=Status.choices, blank=True)
    status_after = models.CharField(max_length=24, choices=Status.choices)
    details = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, related_name="reversed_by", on_delete=models.PROTECT
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["effective", "recorded_at", "pk"]
        indexes = [
            models.Index(fields=["referral", "effective"]),
            # For "has this referral an event of this kind by that day": with (kind, effective)
            # instead, SQLite scans every referral's events for each referral.
            models.Index(fields=["referral", "kind", "effective"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective:%d/%m/%Y}"


class RetentionDecision(models.Model):
    """A person's approval that a child's record, past its retention date, goes to deletion review.

    It records the decision only: Clearway never deletes a record itself. The approval is for
    the retention date it names; if that date moves (a new referral, a death recorded), the
    record must be approved again.
    """

    patient = models.ForeignKey(
        Patient, related_name="retention_decisions", on_delete=models.PROTECT
    )
    retain_until = models.DateField()
    note = models.TextField()
    decided_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "retain_until"], name="one_retention_decision_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} approved for deletion review by {self.actor_name}"
