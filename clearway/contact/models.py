"""Standard work: the coordinator's worklist, the contact log, messages and templates.

A :class:`Task` is one thing to do for one referral on or after a day: request a report, chase
it, ring a carer. Tasks are planned by ``clearway.contact.standard_work`` (pure: the next steps
for a referral's facts) and kept in step by ``clearway.contact.services`` after every change,
so the worklist is one indexed query. Everything said to or heard from a family, a school or
SaLT is a :class:`ContactRecord`, written once and never changed. SMS and email go out as a
:class:`Message` through GOV.UK Notify; its delivery status is fetched and kept on it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clearway.core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from clearway.services.scoping import ServiceScopedManager, ServiceScopedQuerySet


class TaskKind(models.TextChoices):
    REQUEST = "request", "Request"
    CHASE = "chase", "Chase"
    ESCALATE = "escalate", "Escalate to the service manager"
    SALT_CHECK_INVITE = "salt_check_invite", "Check SaLT sent the invitation"
    SALT_CALL_CARER = "salt_call_carer", "Ring the carer about SaLT"
    SALT_APPOINTMENT = "salt_appointment", "Find out the SaLT appointment date"
    SALT_OPT_OUT = "salt_opt_out", "Decide after a SaLT opt-out"
    CALLBACK = "callback", "Call back"


#: Tasks done by telephoning the family: they open the call screen.
CALL_TASKS = (TaskKind.SALT_CALL_CARER, TaskKind.CALLBACK)


class TaskState(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    #: No longer needed: the report came in, the child left the list, the rule changed.
    CANCELLED = "cancelled", "No longer needed"


class TaskQuerySet(ServiceScopedQuerySet):
    def for_service(self, service: object) -> "TaskQuerySet":
        return self.filter(service=service)._scoped_clone()

    def open(self) -> "TaskQuerySet":
        return self.filter(state=TaskState.OPEN)

    def due_on(self, day: object) -> "TaskQuerySet":
        """Open tasks due by this day and not snoozed past it: the worklist of that day."""
        return self.open().filter(due_on__lte=day).exclude(snoozed_until__gt=day)


class Task(models.Model):
    """One step of standard work for one referral, due from ``due_on``.

    ``basis_on`` is the day its interval counts from (the referral, the request, the last
    chase, the SaLT appointment), so a change of chase rule moves ``due_on`` of open tasks.
    ``wait_from`` copies the referral's received date so the worklist is read in wait order
    from an index. At most one open task of a kind per referral and requirement.
    """

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    referral = models.ForeignKey(
        "pathways.Referral", related_name="tasks", on_delete=models.PROTECT
    )
    kind = models.CharField(max_length=20, choices=TaskKind.choices)
    #: The requirement key (``school_report``), or blank for a task about no one report.
    requirement = models.CharField(max_length=40, blank=True)
    #: Which chase of the requirement this is (1, 2, …); 0 for other tasks.
    sequence = models.PositiveSmallIntegerField(default=0)
    basis_on = models.DateField()
    due_on = models.DateField()
    wait_from = models.DateField()
    #: Why it is due, in plain words, as the worklist shows it.
    why = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    snoozed_until = models.DateField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=300, blank=True)
    #: Who should do it; empty: whoever of the coordinators picks it up.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        on_delete=models.PROTECT,
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="closed_tasks",
        on_delete=models.PROTECT,
    )
    closed_by_name = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=300, blank=True)

    objects = ServiceScopedManager.from_queryset(TaskQuerySet)()
    all_objects = TaskQuerySet.as_manager()

    class Meta:
        default_manager_name = "all_objects"
        ordering = ["wait_from", "pk"]
        indexes = [
            models.Index(fields=["service", "state", "wait_from"]),
            # The worklist's counts, filters and order, read from this index alone.
            models.Index(
                fields=[
                    *("service", "state", "due_on", "snoozed_until"),
                    *("kind", "requirement", "wait_from"),
                ],
                name="contact_task_due_covering",
            ),
            models.Index(fields=["referral", "state"]),
            models.Index(fields=["service", "state", "closed_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "kind", "requirement"],
                condition=Q(state="open"),
                name="one_open_task_of_a_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.requirement or 'referral'}) due {self.due_on}"


class TaskAction(models.TextChoices):
    CREATED = "created", "Planned"
    DONE = "done", "Done"
    SNOOZED = "snoozed", "Snoozed"
    ASSIGNED = "assigned", "Assigned"
    RESCHEDULED = "rescheduled", "Moved by a rule change"
    CANCELLED = "cancelled", "No longer needed"


class TaskEvent(AppendOnlyModel):
    """What happened to a task, by whom: done, snoozed, assigned. The workload is read here."""

    task = models.ForeignKey(Task, related_name="events", on_delete=models.PROTECT)
    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    action = models.CharField(max_length=12, choices=TaskAction.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["service", "action", "at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_name}"


class ChaseRuleSetting(models.Model):
    """A service's own chase rule for one requirement, where it differs from the pathway file.

    Absent: the pathway definition's rule applies. Every change is a :class:`ChaseRuleChange`.
    """

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    requirement = models.CharField(max_length=40)
    request_after_days = models.PositiveSmallIntegerField()
    chase_after_days = models.PositiveSmallIntegerField()
    chase_every_days = models.PositiveSmallIntegerField()
    escalate_after_chases = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "requirement"], name="one_chase_rule_per_requirement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.requirement}"


class ChaseRuleChange(AppendOnlyModel):
    """A change of a chase rule: before, after, who and why."""

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    requirement = models.CharField(max_length=40)
    before = models.JSONField()
    after = models.JSONField()
    why = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.requirement} rule changed by {self.actor_name}"


class SaltStage(models.TextChoices):
    CHECK_INVITE = "check_invite", "Checking SaLT sent the invitation"
    CALL_CARER = "call_carer", "Ringing the carer"
    AWAITING_APPOINTMENT = "awaiting_appointment", "Opted in: waiting for the appointment date"
    AWAITING_REPORT = "awaiting_report", "Waiting for the SaLT report"
    OPTED_OUT = "opted_out", "Opted out: the service to decide"
    DONE = "done", "Finished"


class SaltFollowUp(models.Model):
    """Where a referral is in the SaLT opt-in follow-up (one per referral whose pathway has it)."""

    referral = models.OneToOneField(
        "pathways.Referral", related_name="salt_follow_up", on_delete=models.PROTECT
    )
    stage = models.CharField(max_length=24, choices=SaltStage.choices)
    #: Since when the referral has been at this stage (the basis of its next task).
    stage_since = models.DateField()
    invite_sent_on = models.DateField(null=True, blank=True)
    opted_in = models.BooleanField(null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    appointment_on = models.DateField(null=True, blank=True)
    #: After an opt-out: "proceed" (to panel without SaLT) or "discharge"; blank until decided.
    opt_out_choice = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return f"SaLT follow-up: {self.get_stage_display()}"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone call"
    LETTER = "letter", "Letter"
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "Email"
    OTHER = "other", "Other"


class RecipientKind(models.TextChoices):
    CARER = "carer", "Carer"
    SOCIAL_WORKER = "social_worker", "Social worker"
    SCHOOL = "school", "School"
    SALT = "salt", "SaLT service"


class CallOutcome(models.TextChoices):
    SPOKE = "spoke", "Spoke to them"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class CallDecision(models.TextChoices):
    OPTED_IN = "opted_in", "Opted in to SaLT"
    OPTED_OUT = "opted_out", "Opted out of SaLT"
    CALL_BACK = "call_back", "Call back on a date"
    NONE = "none", "Nothing to decide"


class ContactRecord(AppendOnlyModel):
    """One contact with a family, a school, a social worker or SaLT: kept as it happened.

    ``body`` is the text sent (letters, SMS, email) or the note of a call. ``message`` links an
    SMS or email to its delivery status.
    """

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    referral = models.ForeignKey(
        "pathways.Referral", related_name="contacts", on_delete=models.PROTECT
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, related_name="contacts", on_delete=models.PROTECT
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    #: True: we contacted them; False: they contacted us.
    outgoing = models.BooleanField(default=True)
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=200)
    #: The number, email or postal address used.
    recipient_address = models.CharField(max_length=400, blank=True)
    #: What it was for, in plain words ("Chase the school report", "SaLT opt-in call").
    purpose = models.CharField(max_length=200)
    requirement = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices, blank=True)
    decision = models.CharField(max_length=16, choices=CallDecision.choices, blank=True)
    call_back_on = models.DateField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    message = models.OneToOneField(
        "contact.Message", null=True, blank=True, related_name="contact", on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_name = models.CharField(max_length=150)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["referral", "at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient_name}: {self.purpose}"


class MessageState(models.TextChoices):
    QUEUED = "queued", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Not delivered"
    #: Sending was interrupted: it may or may not have gone; never sent again by itself.
    UNKNOWN = "unknown", "Not known: check before sending again"


class Message(models.Model):
    """An SMS or email sent through GOV.UK Notify, with its delivery status.

    ``token`` comes with the form that asked to send it: a double click or a resubmitted form
    carries the same token, and a second message with it cannot be made. The background task
    that sends it claims it (queued to sending) in one update, so a retried task sends nothing.
    """

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    referral = models.ForeignKey(
        "pathways.Referral", related_name="messages", on_delete=models.PROTECT
    )
    token = models.UUIDField(unique=True, default=uuid.uuid4)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=200)
    #: The phone number or email address.
    to = models.CharField(max_length=320)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    state = models.CharField(
        max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    #: Notify's id for it, and Notify's own word for its status.
    notify_id = models.CharField(max_length=64, blank=True)
    notify_status = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient_name} ({self.get_state_display()})"


class TemplateChannel(models.TextChoices):
    LETTER = "letter", "Letter"
    SMS = "sms", "Text message (SMS)"
    EMAIL = "email", "Email"


class MessageTemplate(models.Model):
    """A letter, SMS or email with merge fields written ``((child_first_name))``.

    ``purpose`` says which step offers it: ``request:school_report``, ``chase:consent``,
    ``salt:call_carer``, or ``general``.
    """

    service = models.ForeignKey("services.Service", on_delete=models.PROTECT)
    name = models.CharField(max_length=120)
    purpose = models.CharField(max_length=60, default="general")
    channel = models.CharField(max_length=10, choices=TemplateChannel.choices)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["purpose", "channel", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="template_name_per_service")
        ]

    def __str__(self) -> str:
        return self.name


class ServiceContactDetails(models.Model):
    """How families and partners reach the service, and how it reaches SaLT: the letterhead."""

    service = models.OneToOneField(
        "services.Service", related_name="contact_details", on_delete=models.CASCADE
    )
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    #: The name letters and messages are signed with ("the SCD coordinator").
    signature = models.CharField(max_length=120, blank=True)
    salt_service_name = models.CharField("SaLT service", max_length=200, blank=True)
    salt_phone = models.CharField("SaLT phone", max_length=30, blank=True)
    salt_email = models.EmailField("SaLT email", blank=True)

    class Meta:
        verbose_name_plural = "service contact details"

    def __str__(self) -> str:
        return f"Contact details of {self.service}"
