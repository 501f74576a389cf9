"""GOV.UK Notify: the client, Notify's rules for numbers and addresses, and its words in ours.

Clearway writes each message itself and sends it through one plain Notify template per
channel (``NOTIFY_SMS_TEMPLATE_ID``: content ``((body))``; ``NOTIFY_EMAIL_TEMPLATE_ID``:
subject ``((subject))``, content ``((body))``), with the message's token as Notify's
``reference``, so Clearway can later ask Notify whether a message whose sending was
interrupted arrived. The rules below are Notify's (notifications-utils), so Clearway refuses a
landline before queueing rather than learning it from Notify; the local Notify-compatible
server (:mod:`clearway.contact.notify_server`) applies the same rules.
"""

import re
import uuid
from typing import Any

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

#: The longest text message Notify sends (six joined SMS fragments of 153 characters).
SMS_MAX_CHARS = 918

#: Notify's statuses after which nothing changes. ``sent``: an international text message,
#: about which the networks say no more.
DELIVERED = "delivered"
FAILURES = ("permanent-failure", "temporary-failure", "technical-failure")
FINAL_STATUSES = (DELIVERED, "sent", *FAILURES)

#: What each of Notify's statuses means, in plain words, for the child's timeline.
STATUS_WORDS = {
    "created": "GOV.UK Notify has the message and is about to send it.",
    "sending": "GOV.UK Notify has sent the message on and is waiting to hear it was delivered.",
    "pending": "GOV.UK Notify is waiting to hear the message was delivered.",
    "sent": "Sent abroad: the phone network there does not say whether it was delivered.",
    "delivered": "Delivered.",
    "permanent-failure": (
        "Not delivered: the phone number or email address is wrong or no longer in use. "
        "Check it with the family before sending again."
    ),
    "temporary-failure": (
        "Not delivered: for 3 days the phone was off or the inbox was full. "
        "You can try sending it again."
    ),
    "technical-failure": (
        "Not sent: GOV.UK Notify had a technical problem passing it on. "
        "You can try sending it again."
    ),
}

#: Notify's own test numbers and addresses (its documentation, "Test" API keys): messages to
#: them fail in these ways. The local server fails them the same way, with any key.
TEST_FAILURES = {
    "447700900002": "permanent-failure",
    "447700900003": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
    "temp-fail@simulator.notify": "temporary-failure",
}

_PHONE_PUNCTUATION = re.compile(r"[\s()\-.+]")
_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


class InvalidRecipient(ValueError):
    """A phone number or email address Notify would refuse, with Notify's words."""


def uk_mobile_number(number: str) -> str:
    """The number as Notify keeps it (``447700900123``), or :class:`InvalidRecipient` with
    Notify's words: "Not a UK mobile number", "Too many digits", "Not enough digits", "Must not
    contain letters or symbols"."""
    digits = _PHONE_PUNCTUATION.sub("", number)
    if not digits.isdigit() or not digits.isascii():
        raise InvalidRecipient("Must not contain letters or symbols")
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44"):
        digits = digits[2:]
    digits = digits.lstrip("0")
    if not digits.startswith("7"):
        raise InvalidRecipient("Not a UK mobile number")
    if len(digits) > 10:
        raise InvalidRecipient("Too many digits")
    if len(digits) < 10:
        raise InvalidRecipient("Not enough digits")
    return f"44{digits}"


def email_address(address: str) -> str:
    """The address as Notify keeps it (trimmed), or :class:`InvalidRecipient`."""
    address = address.strip()
    match = _EMAIL.match(address)
    if not match or len(address) > 320 or ".." in address:
        raise InvalidRecipient("Not a valid email address")
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidRecipient("Not a valid email address") from None
    parts = hostname.split(".")
    if (
        len(hostname) > 253
        or len(parts) < 2
        or not all(part and len(part) <= 63 and _HOSTNAME_PART.match(part) for part in parts)
        or not _TLD.match(parts[-1])
    ):
        raise InvalidRecipient("Not a valid email address")
    return address


def simulated_failure(channel: str, to: str) -> str:
    """The failure Notify gives a message to one of its test numbers or addresses, or ""."""
    try:
        key = uk_mobile_number(to) if channel == "sms" else email_address(to).lower()
    except InvalidRecipient:
        return ""
    return TEST_FAILURES.get(key, "")


def parse_api_key(api_key: str) -> tuple[str, str]:
    """(service id, secret) of a key ``{name}-{service id}-{secret}``, as the client reads it."""
    service_id, secret = api_key[-73:-37], api_key[-36:]
    try:
        uuid.UUID(service_id)
        uuid.UUID(secret)
    except ValueError:
        raise ValueError(
            "A GOV.UK Notify API key is {key name}-{service id}-{secret}: this one is not."
        ) from None
    return service_id, secret


def template_id(channel: str) -> str:
    return str(
        settings.NOTIFY_SMS_TEMPLATE_ID if channel == "sms" else settings.NOTIFY_EMAIL_TEMPLATE_ID
    )


def not_set_up(channel: str) -> str:
    """Why Clearway cannot send on this channel, or "" when it can."""
    missing = [
        name
        for name, value in (
            ("NOTIFY_API_KEY", settings.NOTIFY_API_KEY),
            (
                "NOTIFY_SMS_TEMPLATE_ID" if channel == "sms" else "NOTIFY_EMAIL_TEMPLATE_ID",
                template_id(channel),
            ),
        )
        if not value
    ]
    if not missing:
        return ""
    what = "Text messages" if channel == "sms" else "Emails"
    return (
        f"{what} cannot be sent: GOV.UK Notify is not set up ({' and '.join(missing)}). "
        "Ask your administrator."
    )


def client() -> NotificationsAPIClient:
    """The real Notify client, for the configured key and address (the local server's locally)."""
    return NotificationsAPIClient(
        settings.NOTIFY_API_KEY,
        base_url=settings.NOTIFY_BASE_URL,
        timeout=settings.NOTIFY_TIMEOUT,
    )


def send(
    api: NotificationsAPIClient,
    *,
    channel: str,
    to: str,
    subject: str,
    body: str,
    reference: str,
) -> dict[str, Any]:
    """Hand one message to Notify; its answer (``id``, ``reference``, ``content``...)."""
    if channel == "sms":
        answer = api.send_sms_notification(
            phone_number=to,
            template_id=template_id("sms"),
            personalisation={"body": body},
            reference=reference,
        )
    else:
        answer = api.send_email_notification(
            email_address=to,
            template_id=template_id("email"),
            personalisation={"subject": subject, "body": body},
            reference=reference,
        )
    return dict(answer)


def answered(error: APIError) -> bool:
    """Did Notify answer, saying it did not take the message?

    No answer (refused connection, timeout, broken reply) or a gateway's error (502, 503, 504:
    the request may have gone on to Notify) leaves it unknown whether the message was sent.
    """
    response = error.response
    if response is None:
        return False
    return 400 <= response.status_code < 500 or response.status_code == 500


def error_words(error: APIError) -> str:
    """Notify's refusal, in plain words for the child's timeline."""
    status = error.status_code
    detail = error.message
    if isinstance(detail, list):
        detail = "; ".join(
            str(item.get("message", item)) if isinstance(item, dict) else str(item)
            for item in detail
        )
    detail = str(detail)
    if status in (401, 403):
        words = (
            "Not sent: GOV.UK Notify did not accept Clearway's API key. "
            "Ask your administrator to check NOTIFY_API_KEY."
        )
    elif status == 429:
        words = "Not sent: GOV.UK Notify's sending limit was reached. Try again later."
    elif status >= 500:
        words = "Not sent: GOV.UK Notify had a problem. Try again later."
    elif "phone_number" in detail:
        words = f"Not sent: GOV.UK Notify refused the phone number ({_after(detail)})."
    elif "email_address" in detail:
        words = "Not sent: GOV.UK Notify refused the email address as not valid."
    elif "Template not found" in detail or "template" in detail.lower():
        words = (
            "Not sent: GOV.UK Notify does not know Clearway's template. Ask your administrator "
            "to check NOTIFY_SMS_TEMPLATE_ID and NOTIFY_EMAIL_TEMPLATE_ID."
        )
    else:
        words = f"Not sent: GOV.UK Notify refused it ({detail})."
    return words[:500]


def _after(detail: str) -> str:
    """Notify's reason without the field's name: "Not a UK mobile number"."""
    reason = detail.split("phone_number", 1)[-1].strip(" :;")
    return reason[:1].lower() + reason[1:] if reason else "not valid"
