"""Text messages and emails to families and partners, through GOV.UK Notify.

One path: :func:`queue_message` (the compose page) checks the safeguards and, in one
transaction, records the :class:`Message` and its :class:`ContactRecord`; once that commits,
the :func:`deliver_message` task sends it; :func:`refresh_message_status` tasks then fetch its
status until Notify has delivered it or says it failed.

Nothing is ever sent twice:

- the compose form carries a token; a second request with it (a double click, a resubmitted
  form) gets the message already made and sends nothing;
- the task claims the message (queued → sending) with one conditional update; a retried or
  duplicate task finds nothing to claim and sends nothing;
- if Notify may have taken the message but did not say so (no answer, a timeout), the message
  is "unknown": never sent again by Clearway. :func:`reconcile_unknown` asks Notify, by the
  token it was sent with as its reference, whether it arrived.
"""

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task as background_task
from notifications_python_client.errors import APIError

from clearway.contact import notify
from clearway.contact.models import (
    Channel,
    ContactRecord,
    Message,
    MessageState,
    Task,
)
from clearway.contact.recipients import ContactRefused, Recipient, check_contact_allowed, refusal
from clearway.core.actors import actor_fields
from clearway.pathways.models import Referral

logger = logging.getLogger(__name__)

SMS_MAX_CHARS = notify.SMS_MAX_CHARS
CHANNELS = (Channel.SMS, Channel.EMAIL)
FINAL_STATES = (MessageState.DELIVERED, MessageState.FAILED)

#: Seconds from one status check to the next (about 3 days in all: Notify tries a text
#: message for 72 hours before it calls it a temporary failure). After the last, the message
#: keeps its last status until ``clearway manage notify_statuses`` asks again.
STATUS_CHECK_DELAYS = (60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400)
#: How long after an interrupted send Clearway trusts Notify's "no such message": longer than
#: any request could still be on its way (the client's timeout, NOTIFY_TIMEOUT, is 30 s).
UNKNOWN_GRACE = dt.timedelta(minutes=2)
#: A message still "sending" this long after it was claimed was cut off mid-send (the worker
#: stopped): it becomes unknown, and Notify is asked.
STALE_SENDING = dt.timedelta(minutes=15)
#: A message still queued this long after it was made lost its task: it is queued again (the
#: claim makes a second task harmless).
STALE_QUEUED = dt.timedelta(minutes=10)


def queue_message(
    actor: Any,
    referral: Referral,
    *,
    channel: str,
    recipient: Recipient,
    subject: str,
    body: str,
    token: uuid.UUID,
    purpose: str,
    requirement: str = "",
    task: Task | None = None,
) -> Message:
    """Record a text message or email to send, and send it once the transaction commits.

    Refused (:class:`ContactRefused`, in plain words) when no one may be contacted about the
    child (deceased, referral closed), the recipient has no number or address for the
    channel, or the text is empty or too long. A second call with the same ``token`` returns
    the message the first made, and sends nothing.
    """
    actor_names = actor_fields(actor)  # refuses a change without a person named
    existing = Message.objects.filter(token=token).first()
    if existing is not None:
        return _same_message(existing, referral)
    check_contact_allowed(referral)
    to, subject, body = _checked(channel, recipient, subject, body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    service=referral.service,
                    referral=referral,
                    token=token,
                    channel=channel,
                    recipient_kind=recipient.kind,
                    recipient_name=recipient.name,
                    to=to,
                    subject=subject,
                    body=body,
                    created_by=actor_names["actor"],
                )
        except IntegrityError:
            # The same form sent twice at once: the other request made it.
            return _same_message(Message.objects.get(token=token), referral)
        ContactRecord.objects.create(
            service=referral.service,
            referral=referral,
            task=task,
            channel=channel,
            recipient_kind=recipient.kind,
            recipient_name=recipient.name,
            recipient_address=to,
            purpose=purpose,
            requirement=requirement,
            subject=subject,
            body=body,
            message=message,
            **actor_names,
        )
        message_id = message.pk
        transaction.on_commit(lambda: deliver_message.enqueue(message_id))
    return message


def _same_message(message: Message, referral: Referral) -> Message:
    if message.referral_id != referral.pk:
        raise ContactRefused("This form was already used for another child: start again.")
    return message


def _checked(channel: str, recipient: Recipient, subject: str, body: str) -> tuple[str, str, str]:
    """(to, subject, body) ready to send, or :class:`ContactRefused` saying what is wrong."""
    if channel not in CHANNELS:
        raise ContactRefused("Choose text message or email.")
    not_set_up = notify.not_set_up(channel)
    if not_set_up:
        raise ContactRefused(not_set_up)
    # A landline is refused below with Notify's own words, not as "no number".
    to = (recipient.phone if channel == Channel.SMS else recipient.address_for(channel)).strip()
    body = body.strip()
    subject = " ".join(subject.split())
    if channel == Channel.SMS:
        if not to:
            raise ContactRefused(
                f"There is no mobile number for {recipient.name}, so a text message cannot be "
                "sent. Add their number, or choose another way to contact them."
            )
        try:
            notify.uk_mobile_number(to)
        except notify.InvalidRecipient as error:
            raise ContactRefused(
                f"A text message cannot be sent to {to}: {str(error).lower()}. "
                "Check the number, or choose another way to contact them."
            ) from None
        if not body:
            raise ContactRefused("Write the text message before sending it.")
        if len(body) > SMS_MAX_CHARS:
            raise ContactRefused(
                f"The text message is {len(body):,} characters long: a text message can be "
                f"at most {SMS_MAX_CHARS} characters. Shorten it by {len(body) - SMS_MAX_CHARS:,}."
            )
        return to, "", body
    if not to:
        raise ContactRefused(
            f"There is no email address for {recipient.name}, so an email cannot be sent. "
            "Add their address, or choose another way to contact them."
        )
    try:
        notify.email_address(to)
    except notify.InvalidRecipient:
        raise ContactRefused(
            f"An email cannot be sent to {to}: it is not a valid email address. "
            "Check the address, or choose another way to contact them."
        ) from None
    if not subject:
        raise ContactRefused("Write a subject for the email before sending it.")
    if len(subject) > 200:
        raise ContactRefused("The email's subject must be 200 characters or fewer.")
    if not body:
        raise ContactRefused("Write the email before sending it.")
    return to, subject, body


@background_task()
def deliver_message(message_id: int) -> str:
    """Send one queued message (a background task; see :func:`send_message`)."""
    message = send_message(message_id)
    if message is None:
        return "not claimed"
    if message.state in (MessageState.SENT, MessageState.UNKNOWN):
        schedule_status_check(message.pk, 1)
    return str(message.state)


def send_message(message_id: int) -> Message | None:
    """Claim a queued message and hand it to Notify; None if it was not there to claim.

    After the claim, the safeguards are checked again (a child may have died since it was
    queued): a message that may no longer go out fails with the reason, unsent.
    """
    # status_checked_at marks the claim: a send still "sending" long after it was cut off.
    claimed = Message.objects.filter(pk=message_id, state=MessageState.QUEUED).update(
        state=MessageState.SENDING, status_checked_at=timezone.now()
    )
    if not claimed:
        return None  # sent already, or being sent: a retried or duplicate task
    message = Message.objects.select_related("referral__patient", "referral__service").get(
        pk=message_id
    )
    why_not = refusal(message.referral) or notify.not_set_up(message.channel)
    if why_not:
        return _settle(message, MessageState.FAILED, error=f"Not sent. {why_not}")
    # sent_at: when it was handed to Notify, or, for an unknown one, when that was tried.
    attempted_at = timezone.now()
    try:
        answer = notify.send(
            notify.client(),
            channel=message.channel,
            to=message.to,
            subject=message.subject,
            body=message.body,
            reference=str(message.token),
        )
    except APIError as error:
        if notify.answered(error):
            return _settle(message, MessageState.FAILED, error=notify.error_words(error))
        return _settle(
            message,
            MessageState.UNKNOWN,
            error=(
                "Sending was interrupted: GOV.UK Notify did not answer, so Clearway does not "
                "know whether the message went. Clearway will ask Notify; check before "
                "sending it again."
            ),
            sent_at=attempted_at,
        )
    except Exception:
        # A fault of our own after the claim: whether it went is not known, so never resend.
        logger.exception("Sending message %s failed unexpectedly", message_id)
        _settle(
            message,
            MessageState.UNKNOWN,
            error="Sending was interrupted by a fault in Clearway: check before sending again.",
            sent_at=attempted_at,
        )
        raise
    return _settle(
        message,
        MessageState.SENT,
        notify_id=str(answer.get("id", "")),
        notify_status="created",
        sent_at=attempted_at,
        status_checked_at=attempted_at,
    )


def _settle(message: Message, state: str, **fields: Any) -> Message:
    """Record the outcome of a send the task had claimed (sending → state)."""
    fields = {"state": state, **fields}
    Message.objects.filter(pk=message.pk, state=MessageState.SENDING).update(**fields)
    message.refresh_from_db()
    return message


def schedule_status_check(message_id: int, check: int) -> None:
    """Queue the ``check``-th status check of a message, at its time; none after the last."""
    if check > len(STATUS_CHECK_DELAYS):
        return
    run_after = timezone.now() + dt.timedelta(seconds=STATUS_CHECK_DELAYS[check - 1])
    refresh_message_status.using(run_after=run_after).enqueue(message_id, check)


@background_task()
def refresh_message_status(message_id: int, check: int = 1) -> str:
    """Fetch a sent message's status from Notify (or settle an unknown one); again later until
    it is final (a background task)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.state in FINAL_STATES:
        return "final"
    message = refresh_message(message)
    if not is_final(message):
        schedule_status_check(message.pk, check + 1)
    return str(message.state)


def is_final(message: Message) -> bool:
    """Nothing more will change: delivered, failed, or an international text ("sent")."""
    return message.state in FINAL_STATES or (
        message.state == MessageState.SENT and message.notify_status in notify.FINAL_STATUSES
    )


def refresh_message(message: Message, *, now: dt.datetime | None = None) -> Message:
    """Bring one message up to date with Notify: a sent one's status, an unknown one's fate."""
    if message.state == MessageState.UNKNOWN:
        return reconcile_unknown(message, now=now)
    if message.state != MessageState.SENT or not message.notify_id:
        return message
    try:
        answer = notify.client().get_notification_by_id(message.notify_id)
    except APIError as error:
        logger.warning("Could not fetch the status of message %s: %s", message.pk, error)
        return message
    return _record_status(message, answer, now=now)


def _record_status(
    message: Message, answer: dict[str, Any], *, now: dt.datetime | None = None
) -> Message:
    """Keep Notify's status on a sent (or unknown) message: delivered, failed or on its way."""
    status = str(answer.get("status", ""))
    fields: dict[str, Any] = {
        "notify_id": str(answer.get("id", message.notify_id)),
        "notify_status": status,
        "status_checked_at": now or timezone.now(),
        "state": MessageState.SENT,
        "error": "",
    }
    if status == notify.DELIVERED:
        fields["state"] = MessageState.DELIVERED
    elif status in notify.FAILURES:
        fields["state"] = MessageState.FAILED
        fields["error"] = notify.STATUS_WORDS[status]
    Message.objects.filter(
        pk=message.pk, state__in=(MessageState.SENT, MessageState.UNKNOWN)
    ).update(**fields)
    message.refresh_from_db()
    return message


def reconcile_unknown(message: Message, *, now: dt.datetime | None = None) -> Message:
    """Ask Notify, by the message's token (its reference), whether an interrupted send arrived.

    Found: the message was sent, and its status is kept. Not found, once no request could still
    be on its way (:data:`UNKNOWN_GRACE`): it was not sent, and may be sent again by a person.
    No answer: still unknown. Nothing is ever sent from here.
    """
    if message.state != MessageState.UNKNOWN:
        return message
    now = now or timezone.now()
    try:
        answer = notify.client().get_all_notifications(
            reference=str(message.token), template_type=message.channel
        )
    except APIError as error:
        logger.warning("Could not ask Notify about message %s: %s", message.pk, error)
        Message.objects.filter(pk=message.pk).update(status_checked_at=now)
        message.refresh_from_db()
        return message
    found = [n for n in answer.get("notifications", []) if n.get("reference") == str(message.token)]
    if found:
        return _record_status(message, found[0], now=now)
    attempted_at = message.sent_at or message.created_at
    if now - attempted_at < UNKNOWN_GRACE:
        Message.objects.filter(pk=message.pk).update(status_checked_at=now)
    else:
        Message.objects.filter(pk=message.pk, state=MessageState.UNKNOWN).update(
            state=MessageState.FAILED,
            status_checked_at=now,
            error=(
                "Not sent: sending was interrupted, and GOV.UK Notify has no record of the "
                "message. You can send it again."
            ),
        )
    message.refresh_from_db()
    return message


def refresh_statuses(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Bring every message that is not final up to date with Notify (``clearway manage
    notify_statuses``): fetch statuses of sent ones, settle unknown ones, call a send cut off
    mid-way unknown, and queue again a message whose task was lost. Never sends directly.

    Returns how many messages are in each state afterwards, of those looked at.
    """
    now = now or timezone.now()
    Message.objects.filter(
        state=MessageState.SENDING, status_checked_at__lt=now - STALE_SENDING
    ).update(
        state=MessageState.UNKNOWN,
        sent_at=F("status_checked_at"),
        error="Sending was cut off: check before sending again. Clearway will ask Notify.",
    )
    counts: dict[str, int] = {}
    waiting = Message.objects.filter(
        Q(state__in=(MessageState.SENT, MessageState.UNKNOWN))
        | Q(state=MessageState.QUEUED, created_at__lt=now - STALE_QUEUED)
    ).exclude(notify_status__in=notify.FINAL_STATUSES, state=MessageState.SENT)
    for message in waiting.order_by("created_at", "pk"):
        if message.state == MessageState.QUEUED:
            deliver_message.enqueue(message.pk)
        else:
            message = refresh_message(message, now=now)
        counts[message.state] = counts.get(message.state, 0) + 1
    return counts
