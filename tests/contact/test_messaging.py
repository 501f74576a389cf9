"""Text messages and emails: queued by the service function, sent by the real database worker
through the real Notify client to the local Notify-compatible server, statuses fetched."""

import datetime as dt
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clearway.contact import messaging
from clearway.contact.messaging import deliver_message, queue_message, send_message
from clearway.contact.models import Channel, ContactRecord, Message, MessageState, RecipientKind
from clearway.contact.recipients import (
    ContactRefused,
    Recipient,
    default_recipient,
    family_recipients,
)
from clearway.contact.tasks import BackgroundWorker, run_due_tasks
from clearway.pathways import services
from clearway.pathways.models import DischargeReason, Referral
from tests.conftest import TEST_ACTOR

# Transactional: django-tasks-db's worker (run in these tests) closes a connection left in a
# transaction, and on PostgreSQL that would end the test's own transaction under it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def referral(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral(
        carers=[
            {
                "name": "Jo Testcase",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900123",
                "email": "jo@example.org",
                "main_contact": True,
            }
        ]
    )


@pytest.fixture
def queue(coordinator: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Message]:
    """queue(referral, **changes) → queue_message as the compose page calls it, committed."""

    def send(referral: Referral, **changes: Any) -> Message:
        recipient = default_recipient(referral)
        values: dict[str, Any] = {
            "channel": Channel.SMS,
            "recipient": recipient,
            "subject": "",
            "body": "Hello Jo, this is the SCD team about Child's assessment.",
            "token": uuid.uuid4(),
            "purpose": "Chase the consent form",
            "requirement": "consent",
            **changes,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return queue_message(coordinator, referral, **values)

    return send


def reload(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def closed_port() -> str:
    """An address on this machine where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_text_message_is_queued_sent_by_the_worker_and_delivered(
    referral, queue, notify_server, time_passes, coordinator
):
    message = queue(referral)
    assert message.state == MessageState.QUEUED
    record = ContactRecord.objects.get(message=message)
    assert (record.channel, record.recipient_name, record.recipient_address) == (
        Channel.SMS,
        "Jo Testcase",
        "07700 900123",
    )
    assert record.purpose == "Chase the consent form"
    assert record.requirement == "consent"
    assert record.body == message.body
    assert record.actor == coordinator
    assert notify_server.sends() == []  # nothing goes before the worker runs

    assert run_due_tasks() == 1
    message = reload(message)
    assert message.state == MessageState.SENT
    (notification,) = notify_server.notifications.values()
    assert message.notify_id == notification.id
    assert notification.reference == str(message.token)
    assert notification.personalisation == {"body": message.body}
    assert notification.to == "07700 900123"
    assert message.sent_at is not None

    notify_server.final_after = 600  # still on its way at the first check
    time_passes(60)
    message = reload(message)
    assert (message.state, message.notify_status) == (MessageState.SENT, "sending")
    assert message.status_checked_at is not None

    time_passes(600)
    message = reload(message)
    assert (message.state, message.notify_status) == (MessageState.DELIVERED, "delivered")
    assert message.get_state_display() == "Delivered"
    assert time_passes(86400 * 7) == 0  # no more checks once delivered
    assert len(notify_server.sends()) == 1


def test_an_email_goes_with_its_subject(referral, queue, notify_server, time_passes):
    message = queue(
        referral, channel=Channel.EMAIL, subject="  Your child's   assessment ", body="Dear Jo"
    )
    assert message.subject == "Your child's assessment"
    run_due_tasks()
    (notification,) = notify_server.notifications.values()
    assert notification.type == "email"
    assert notification.to == "jo@example.org"
    assert (notification.subject, notification.body) == ("Your child's assessment", "Dear Jo")
    time_passes(60)
    assert reload(message).state == MessageState.DELIVERED


def test_the_same_form_sent_twice_makes_one_message_and_sends_once(referral, queue, notify_server):
    token = uuid.uuid4()
    first = queue(referral, token=token)
    second = queue(referral, token=token, body="A different text from a resubmitted form")
    assert second.pk == first.pk
    assert Message.objects.count() == 1
    assert ContactRecord.objects.filter(referral=referral).count() == 1
    run_due_tasks()
    assert len(notify_server.sends()) == 1


def test_a_token_from_another_childs_form_is_refused(referral, queue, make_referral, notify_server):
    token = uuid.uuid4()
    queue(referral, token=token)
    with pytest.raises(ContactRefused, match="already used for another child"):
        queue(make_referral(), token=token)


def test_a_retried_or_duplicate_task_sends_nothing(referral, queue, notify_server):
    message = queue(referral)
    run_due_tasks()
    assert reload(message).state == MessageState.SENT

    deliver_message.enqueue(message.pk)  # the same task again: a retry, or queued twice
    assert run_due_tasks() == 1
    assert send_message(message.pk) is None
    assert len(notify_server.sends()) == 1
    assert reload(message).state == MessageState.SENT


def test_no_message_is_queued_for_a_child_who_has_died(referral, queue, notify_server):
    services.discharge(TEST_ACTOR, referral, DischargeReason.DECEASED, dt.date(2024, 3, 1))
    referral.refresh_from_db()
    with pytest.raises(ContactRefused, match="recorded as having died on 1 March 2024"):
        queue(
            referral,
            recipient=Recipient(
                key="x", kind="carer", name="Jo", relationship="mother", phone="07700 900123"
            ),
        )
    assert not Message.objects.exists()
    assert not ContactRecord.objects.exists()


def test_a_child_who_died_after_the_message_was_queued_is_not_messaged(
    referral, queue, notify_server
):
    message = queue(referral)
    services.discharge(TEST_ACTOR, referral, DischargeReason.DECEASED, dt.date(2024, 3, 1))
    run_due_tasks()
    message = reload(message)
    assert message.state == MessageState.FAILED
    assert "recorded as having died" in message.error
    assert message.error.startswith("Not sent.")
    assert notify_server.sends() == []


def test_no_message_for_a_referral_no_longer_open(referral, queue, notify_server):
    recipient = default_recipient(referral)
    services.discharge(TEST_ACTOR, referral, DischargeReason.MOVED_AWAY, dt.date(2024, 3, 1))
    referral.refresh_from_db()
    with pytest.raises(ContactRefused, match="no longer on the list"):
        queue(referral, recipient=recipient)


def test_a_looked_after_childs_message_goes_to_the_social_worker(
    make_referral, queue, notify_server
):
    referral = make_referral(
        looked_after=True,
        social_worker_name="Sam Social",
        social_worker_phone="07700 900456",
        carers=[
            {
                "name": "Pat Foster",
                "relationship": "foster carer",
                "parental_responsibility": False,
                "phone": "07700 900789",
                "main_contact": True,
            }
        ],
    )
    default = default_recipient(referral)
    assert default is not None
    assert (default.kind, default.name) == (RecipientKind.SOCIAL_WORKER, "Sam Social")
    queue(referral, recipient=default)
    run_due_tasks()
    (notification,) = notify_server.notifications.values()
    assert notification.to == "07700 900456"
    record = ContactRecord.objects.get(referral=referral)
    assert (record.recipient_kind, record.recipient_name) == ("social_worker", "Sam Social")


def test_a_carer_without_parental_responsibility_is_never_the_default(
    make_referral, queue, notify_server
):
    referral = make_referral(
        carers=[
            {
                "name": "Gran Testcase",
                "relationship": "grandmother",
                "parental_responsibility": False,
                "phone": "07700 900321",
                "main_contact": True,
            }
        ]
    )
    assert default_recipient(referral) is None
    # The coordinator may still choose her, knowingly: the message goes to whoever is chosen.
    (gran,) = family_recipients(referral)
    assert "does not have parental responsibility" in gran.warning
    queue(referral, recipient=gran)
    run_due_tasks()
    assert [n.to for n in notify_server.notifications.values()] == ["07700 900321"]


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"body": "   "}, "Write the text message before sending it."),
        ({"body": "x" * 919}, "The text message is 919 characters long"),
        ({"channel": Channel.EMAIL, "subject": ""}, "Write a subject for the email"),
        ({"channel": Channel.LETTER}, "Choose text message or email."),
    ],
)
def test_messages_that_cannot_go_are_refused_in_plain_words(
    referral, queue, notify_server, changes, refusal
):
    with pytest.raises(ContactRefused, match=refusal):
        queue(referral, **changes)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("channel", "phone", "email", "refusal"),
    [
        ("sms", "", "", "There is no mobile number for Jo"),
        ("sms", "0161 496 0000", "", "A text message cannot be sent to 0161 496 0000: not a uk"),
        ("email", "", "", "There is no email address for Jo"),
    ],
)
def test_a_recipient_without_a_number_or_address_for_the_channel_is_refused(
    referral, queue, notify_server, channel, phone, email, refusal
):
    jo = Recipient(
        key="carer:1", kind="carer", name="Jo", relationship="mother", phone=phone, email=email
    )
    with pytest.raises(ContactRefused, match=refusal):
        queue(referral, channel=channel, recipient=jo, subject="Hello")


def test_a_message_to_a_number_that_does_not_exist_fails_with_the_reason(
    referral, queue, notify_server, time_passes
):
    jo = Recipient(
        key="carer:1", kind="carer", name="Jo", relationship="mother", phone="07700 900002"
    )
    message = queue(referral, recipient=jo)
    run_due_tasks()
    time_passes(60)
    message = reload(message)
    assert (message.state, message.notify_status) == (MessageState.FAILED, "permanent-failure")
    assert "wrong or no longer in use" in message.error
    assert message.get_state_display() == "Not delivered"


def test_a_full_inbox_is_a_temporary_failure(referral, queue, notify_server, time_passes):
    jo = Recipient(
        key="carer:1",
        kind="carer",
        name="Jo",
        relationship="mother",
        email="temp-fail@simulator.notify",
    )
    message = queue(referral, channel=Channel.EMAIL, recipient=jo, subject="Hello")
    run_due_tasks()
    time_passes(60)
    message = reload(message)
    assert message.state == MessageState.FAILED
    assert "You can try sending it again" in message.error


def test_when_notify_refuses_the_message_it_fails_in_plain_words(
    referral, queue, notify_server, settings
):
    settings.NOTIFY_SMS_TEMPLATE_ID = str(uuid.uuid4())  # a template Notify does not have
    message = queue(referral)
    run_due_tasks()
    message = reload(message)
    assert message.state == MessageState.FAILED
    assert "does not know Clearway's template" in message.error
    assert len(notify_server.sends()) == 1
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_wrong_api_key_fails_the_message_and_says_so(referral, queue, notify_server, settings):
    settings.NOTIFY_API_KEY = (
        "wrong-11111111-1111-4111-8111-111111111111-99999999-9999-4999-8999-999999999999"
    )
    message = queue(referral)
    run_due_tasks()
    message = reload(message)
    assert message.state == MessageState.FAILED
    assert "did not accept Clearway's API key" in message.error


def test_when_notify_cannot_be_reached_the_message_is_unknown_and_never_resent(
    referral, queue, notify_server, time_passes, settings
):
    live = settings.NOTIFY_BASE_URL
    settings.NOTIFY_BASE_URL = closed_port()
    message = queue(referral)
    run_due_tasks()
    message = reload(message)
    assert message.state == MessageState.UNKNOWN
    assert message.get_state_display() == "Not known: check before sending again"
    assert "does not know whether the message went" in message.error

    deliver_message.enqueue(message.pk)  # a retried task
    time_passes(60)  # the status check cannot reach Notify either: still unknown
    assert reload(message).state == MessageState.UNKNOWN

    settings.NOTIFY_BASE_URL = live
    # Three minutes on (the database's clock is the real one: move the attempt back instead),
    # Notify answers: it has no such message, so it was not sent.
    Message.objects.filter(pk=message.pk).update(sent_at=F("sent_at") - dt.timedelta(minutes=3))
    time_passes(120)
    message = reload(message)
    assert message.state == MessageState.FAILED
    assert "GOV.UK Notify has no record of the message" in message.error
    assert notify_server.sends() == []  # Clearway asked, and never sent it again


def test_a_send_that_timed_out_after_notify_took_it_is_found_by_its_reference(
    referral, queue, notify_server, time_passes, settings
):
    settings.NOTIFY_TIMEOUT = 0.3
    notify_server.respond_after = 1.0  # Notify keeps the message, but answers too late
    message = queue(referral)
    run_due_tasks()
    message = reload(message)
    assert message.state == MessageState.UNKNOWN
    assert message.notify_id == ""

    notify_server.respond_after = 0
    time_passes(60)
    message = reload(message)
    (notification,) = notify_server.notifications.values()
    assert message.state == MessageState.DELIVERED
    assert message.notify_id == notification.id
    assert message.error == ""
    assert len(notify_server.sends()) == 1


def test_reconcile_unknown_waits_until_no_request_could_still_be_on_its_way(
    referral, queue, notify_server, settings
):
    live = settings.NOTIFY_BASE_URL
    settings.NOTIFY_BASE_URL = closed_port()
    message = reload(queue(referral))
    run_due_tasks()
    settings.NOTIFY_BASE_URL = live
    message = reload(message)
    assert message.sent_at is not None
    soon = message.sent_at + dt.timedelta(seconds=30)
    assert messaging.reconcile_unknown(message, now=soon).state == MessageState.UNKNOWN
    later = message.sent_at + messaging.UNKNOWN_GRACE
    assert messaging.reconcile_unknown(message, now=later).state == MessageState.FAILED


def test_notify_statuses_brings_every_waiting_message_up_to_date(
    referral, queue, notify_server, capsys
):
    delivered = queue(referral)
    run_due_tasks()
    notify_server.advance(10)
    # A send cut off mid-way (the worker stopped after claiming it) becomes unknown, and
    # Notify is asked: it never arrived.
    cut_off = queue(referral)
    Message.objects.filter(pk=cut_off.pk).update(
        state=MessageState.SENDING,
        status_checked_at=F("created_at") - dt.timedelta(hours=1),
    )
    call_command("notify_statuses")
    assert reload(delivered).state == MessageState.DELIVERED
    cut_off = reload(cut_off)
    assert cut_off.state == MessageState.FAILED
    assert "no record" in cut_off.error
    out = capsys.readouterr().out
    assert "Delivered: 1" in out
    assert "Not delivered: 1" in out
    assert len(notify_server.sends()) == 1

    call_command("notify_statuses")
    assert "No messages are waiting" in capsys.readouterr().out


def test_a_queued_message_whose_task_was_lost_is_queued_again(referral, queue, notify_server):
    message = queue(referral)
    DBTaskResult.objects.all().delete()  # the task was lost
    Message.objects.filter(pk=message.pk).update(created_at=F("created_at") - dt.timedelta(hours=1))
    messaging.refresh_statuses()
    run_due_tasks()
    assert reload(message).state == MessageState.SENT
    assert len(notify_server.sends()) == 1


def test_messages_are_not_sent_when_notify_is_not_set_up(referral, queue, settings):
    settings.NOTIFY_API_KEY = ""
    with pytest.raises(ContactRefused, match="Notify is not set up"):
        queue(referral)


@pytest.mark.django_db(transaction=True)
def test_the_background_worker_of_clearway_serve_sends_queued_messages(
    make_referral, coordinator, notify_server
):
    referral = make_referral()
    recipient = default_recipient(referral)
    assert recipient is not None
    message = queue_message(
        coordinator,
        referral,
        channel=Channel.SMS,
        recipient=recipient,
        subject="",
        body="Hello",
        token=uuid.uuid4(),
        purpose="Test",
    )
    # (SQLite's in-memory test database locks whole tables between threads: this thread keeps
    # out of the database until the worker's thread has stopped.)
    worker = BackgroundWorker(interval=0.05).start()
    deadline = time.monotonic() + 10
    while not notify_server.sends() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()  # finishes the task in hand first
    assert not worker.thread.is_alive()
    assert reload(message).state == MessageState.SENT
    assert len(notify_server.sends()) == 1
