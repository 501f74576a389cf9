"""The audit trail: who saw or changed which child's record, when, and from where.

Entries are only ever added. The model and its queryset refuse to change or delete one, and a
database trigger (migration 0002) refuses UPDATE everywhere and DELETE on PostgreSQL, so not
even a bug or a raw query in the application can rewrite the trail.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from clearway.core.append_only import AppendOnlyModel, AppendOnlyQuerySet


class AuditAction(models.TextChoices):
    VIEW_RECORD = "view_record", "Viewed a child's record"
    CHANGE = "change", "Changed a child's record"
    # Nothing exports yet: the first export (a list download, a letter batch) records this.
    EXPORT = "export", "Exported records"
    ACCESS_DENIED = "access_denied", "Refused access"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"
    SIGN_OUT = "sign_out", "Signed out"


class AuditEntryQuerySet(AppendOnlyQuerySet):
    def newest_first(self) -> "AuditEntryQuerySet":
        return self.order_by("-recorded_at", "-pk")

    def for_child(self, identifier: str) -> "AuditEntryQuerySet":
        """Entries about the child with this NHS number (any spacing) or hospital number."""
        text = identifier.strip()
        digits = text.replace(" ", "").replace("-", "")
        match = models.Q(patient__hospital_number__iexact=text)
        if digits.isdigit() and len(digits) == 10:
            match |= models.Q(patient__nhs_number=digits)
        return self.filter(match)

    def for_services(self, services: Any) -> "AuditEntryQuerySet":
        """Entries made in these services, and those of no service that name no child."""
        return self.filter(
            models.Q(service__in=services) | models.Q(service__isnull=True, patient__isnull=True)
        )

    def by_person(self, username: str) -> "AuditEntryQuerySet":
        """Entries by this username, including failed sign-ins with it."""
        return self.filter(username__iexact=username.strip())

    def recorded_between(
        self, earliest: dt.date | None, latest: dt.date | None
    ) -> "AuditEntryQuerySet":
        qs = self
        zone = timezone.get_current_timezone()
        if earliest is not None:
            qs = qs.filter(recorded_at__gte=dt.datetime.combine(earliest, dt.time(), zone))
        if latest is not None:
            day_after = latest + dt.timedelta(days=1)
            qs = qs.filter(recorded_at__lt=dt.datetime.combine(day_after, dt.time(), zone))
        return qs


class AuditEntry(AppendOnlyModel):
    recorded_at = models.DateTimeField("When", default=timezone.now, editable=False)
    # PROTECT: a person or child with an audit history cannot be deleted out from under it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    #: The username as it was, or as typed in a failed sign-in.
    username = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    patient = models.ForeignKey(
        "pathways.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The service the person was working in; none for signing in and out.
    service = models.ForeignKey(
        "services.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: What was seen or changed, without identifiers: "referral 123", "referral 123: discharged".
    obj = models.CharField("Object", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("From", null=True, blank=True)
    #: The path only: query strings can hold a searched name.
    path = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=10, blank=True)
    #: The HTTP status the person was given (200 shown, 302 done, 403 refused, 404 not found).
    outcome = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["recorded_at"]),
            models.Index(fields=["patient", "recorded_at"]),
            models.Index(fields=["username", "recorded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.recorded_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"
