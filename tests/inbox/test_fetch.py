"""Fetching the shared inbox from a real IMAP server (Dovecot on loopback, tests/inbox/conftest.py).

Hazard: a message sent to the service is lost, or doubled, between the mail server and
triage. Every message is kept as it arrived; a dropped connection, a second fetch or a
renumbered folder neither loses nor doubles one; the server is changed only when an
administrator asked for it.
"""

import datetime as dt
import hashlib
import logging
import os
import stat
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from clearway.accounts.models import Role
from clearway.cli import main
from clearway.contact.tasks import run_due_tasks
from clearway.inbox import fetch as fetching
from clearway.inbox.fetch import InboxError, fetch_all, fetch_mailbox
from clearway.inbox.models import (
    InboxAttachment,
    InboxMessage,
    KeptError,
    Mailbox,
    MessageStatus,
    Security,
)
from clearway.inbox.tasks import fetch_inbox, schedule_fetch, start_fetching, waiting_fetches
from tests.inbox import mail

pytestmark = pytest.mark.django_db


def kept(mailbox: Mailbox) -> list[InboxMessage]:
    return list(InboxMessage.all_objects.filter(mailbox=mailbox).order_by("uidvalidity", "uid"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_kind_of_message_is_kept_as_it_arrived(imap_server, make_mailbox):
    pdf = mail.tiny_pdf("SaLT report for Ada Lovelace 999 000 0018")
    raws = {
        "plain": mail.plain(),
        "html": mail.html(),
        "attachments": mail.with_attachments(pdf=pdf),
        "odd": mail.odd_encodings(),
        "malformed": mail.malformed(),
    }
    uids = {kind: imap_server.append(raw) for kind, raw in raws.items()}
    mailbox = make_mailbox()

    result = fetch_mailbox(mailbox)

    assert result.count == 5 and not result.error
    by_kind = {
        kind: InboxMessage.all_objects.get(mailbox=mailbox, uid=uid) for kind, uid in uids.items()
    }
    for kind, message in by_kind.items():
        # Byte for byte, under a generated name, readable by Clearway alone.
        assert message.path.read_bytes() == raws[kind]
        assert message.size == len(raws[kind]) and message.sha256 == sha256(raws[kind])
        assert stat.S_IMODE(os.stat(message.path).st_mode) == 0o600
        assert message.status == MessageStatus.NEW
        assert message.service == mailbox.service
        assert message.received_at is not None
        assert message.uidvalidity == imap_server.uidvalidity()

    plain = by_kind["plain"]
    assert plain.subject == "School report for Ada Lovelace"
    assert plain.from_header == "Senco <senco@school.example.org>"
    assert plain.to_header == "SCD service <scd.inbox@nhs.example>"
    assert plain.date == mail.SENT
    assert plain.message_id.startswith("<test-") and plain.fetch_note == ""
    assert not plain.attachments.exists()
    assert not by_kind["html"].attachments.exists()  # the HTML is the text, not an attachment

    report, scan = by_kind["attachments"].attachments.order_by("position")
    assert (report.filename, report.content_type, report.size) == (
        "salt-report.pdf",
        "application/pdf",
        len(pdf),
    )
    assert report.path.read_bytes() == pdf and report.sha256 == sha256(pdf)
    assert stat.S_IMODE(os.stat(report.path).st_mode) == 0o600
    assert (scan.filename, scan.content_type) == ("consent.png", "image/png")
    assert scan.path.read_bytes() == mail.tiny_png()

    odd = by_kind["odd"]
    assert odd.subject == "Rapport scolaire élève✓"  # RFC 2047: no space between words
    assert odd.from_header == "Amélie Dubois <amelie@ecole.example.fr>"
    assert odd.date == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    [resume] = odd.attachments.all()
    assert resume.filename == "Résumé élève.pdf"
    assert resume.path.read_bytes() == mail.tiny_pdf("Resume eleve")

    broken = by_kind["malformed"]
    assert broken.subject == "Broken" and broken.date is None
    assert "not well formed" in broken.fetch_note
    assert any("not well formed" in notice for notice in result.notices)


def test_fetching_again_doubles_nothing_and_takes_only_the_new(imap_server, make_mailbox):
    for number in range(3):
        imap_server.append(mail.plain(f"Message {number}"))
    mailbox = make_mailbox()

    assert fetch_mailbox(mailbox).count == 3
    assert fetch_mailbox(mailbox).count == 0
    new_uid = imap_server.append(mail.with_attachments("Message 3"))
    again = fetch_mailbox(mailbox)

    assert [message.uid for message in again.saved] == [new_uid]
    assert [m.subject for m in kept(mailbox)] == [f"Message {n}" for n in range(4)]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == new_uid and mailbox.last_error == ""
    assert mailbox.last_fetched_at is not None
    assert fetch_mailbox(mailbox).summary() == f"{mailbox.name}: no new messages fetched."


def test_the_mail_server_is_not_changed_unless_asked(imap_server, make_mailbox):
    uids = [imap_server.append(mail.plain(f"Message {n}")) for n in range(2)]
    mailbox = make_mailbox()

    fetch_mailbox(mailbox)

    assert imap_server.folder_uids() == uids
    flags = imap_server.flags()
    assert set(flags) == set(uids)
    assert not any("\\Seen" in flag or "\\Deleted" in flag for flag in flags.values())


def test_a_dropped_connection_loses_and_doubles_nothing(imap_server, make_mailbox):
    raws = [mail.plain(f"Message {n}") for n in range(5)]
    for raw in raws:
        imap_server.append(raw)
    files_before = set(os.listdir(fetching._folder()))

    with imap_server.cutting_proxy(cut_at=3) as proxy:
        mailbox = make_mailbox(port=proxy.port)
        with pytest.raises(InboxError) as failed:
            fetch_mailbox(mailbox)
        assert proxy.cut.is_set()

    # The two messages before the cut are kept; the third, half-received, is not.
    assert str(failed.value) == (
        "The connection to the mail server was lost after 2 new messages had been fetched and "
        "kept: the rest will be fetched next time."
    )
    assert [m.subject for m in kept(mailbox)] == ["Message 0", "Message 1"]
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 2 and mailbox.last_error == str(failed.value)
    assert mailbox.last_error_at is not None
    assert len(set(os.listdir(fetching._folder())) - files_before) == 2  # nothing half-kept

    mailbox.port = imap_server.port
    mailbox.save()
    rest = fetch_mailbox(mailbox)

    assert rest.count == 3
    assert [m.path.read_bytes() for m in kept(mailbox)] == raws
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_error_at is None


def test_a_renumbered_folder_is_read_again_without_doubling(imap_server, make_mailbox):
    no_message_id = mail.plain("No Message-ID").replace(b"Message-ID:", b"X-Old-Id:")
    for raw in (mail.plain("First"), no_message_id):
        imap_server.append(raw)
    mailbox = make_mailbox()
    fetch_mailbox(mailbox)
    old = imap_server.uidvalidity()

    new = imap_server.change_uidvalidity()
    imap_server.append(mail.plain("After the move"))
    result = fetch_mailbox(mailbox)

    assert [m.subject for m in result.saved] == ["After the move"]
    assert result.duplicates == 2
    assert result.notices == [
        f"The mail server renumbered the messages in “INBOX” (its UIDVALIDITY changed from "
        f"{old} to {new}): Clearway is checking every message in it again. Messages it already "
        "has are not fetched twice."
    ]
    assert [(m.subject, m.uidvalidity) for m in kept(mailbox)] == [
        ("First", old),
        ("No Message-ID", old),
        ("After the move", new),
    ]
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == new and mailbox.last_uid == 3
    assert "renumbered" in mailbox.last_notice
    assert fetch_mailbox(mailbox).count == 0


def test_a_20_mb_attachment_is_kept(imap_server, make_mailbox):
    raw, data = mail.large_attachment(20)
    imap_server.append(raw)
    mailbox = make_mailbox()

    [message] = fetch_mailbox(mailbox).saved

    assert message.fetch_note == "" and message.size == len(raw)
    [attachment] = message.attachments.all()
    assert attachment.filename == "scans.pdf" and attachment.size == 20 * 2**20
    assert attachment.sha256 == sha256(data)
    assert attachment.path.stat().st_size == len(data)


def test_a_message_over_the_limit_is_kept_whole_but_not_taken_apart(
    imap_server, make_mailbox, settings, monkeypatch
):
    raw, _ = mail.large_attachment(2)
    imap_server.append(raw)
    imap_server.append(mail.plain("Small"))
    settings.CLEARWAY_INBOX_MAX_BYTES = 2**20
    monkeypatch.setattr(fetching, "CHUNK", 300_000)  # downloaded in several pieces
    mailbox = make_mailbox()

    large, small = fetch_mailbox(mailbox).saved

    assert large.path.read_bytes() == raw and large.sha256 == sha256(raw)
    assert large.subject == "Scanned reports" and large.date == mail.SENT
    assert not large.attachments.exists()
    assert large.fetch_note.startswith(
        "This message is 3 MB, more than the 1 MB Clearway takes apart, so its attachments are "
        "not shown separately. It is kept exactly as it arrived"
    )
    assert small.fetch_note == "" and small.subject == "Small"


def test_messages_are_deleted_on_the_server_only_when_asked(imap_server, make_mailbox):
    for number in range(2):
        imap_server.append(mail.plain(f"Message {number}"))
    mailbox = make_mailbox(delete_after_fetch=True)

    result = fetch_mailbox(mailbox)

    assert result.count == 2 and result.removed == 2
    assert imap_server.folder_uids() == []
    assert [m.path.exists() for m in kept(mailbox)] == [True, True]
    assert (
        result.summary()
        == f"{mailbox.name}: 2 new messages fetched (2 deleted on the mail server)."
    )

    imap_server.append(mail.plain("Later"))
    assert fetch_mailbox(mailbox).count == 1
    assert imap_server.folder_uids() == [] and len(kept(mailbox)) == 3


def test_a_message_left_by_an_interrupted_fetch_is_deleted_next_time(imap_server, make_mailbox):
    for number in range(3):
        imap_server.append(mail.plain(f"Message {number}"))
    with imap_server.cutting_proxy(cut_at=3) as proxy:
        mailbox = make_mailbox(port=proxy.port, delete_after_fetch=True)
        with pytest.raises(InboxError):
            fetch_mailbox(mailbox)
    assert imap_server.folder_uids() == [1, 2, 3]  # cut before anything was deleted

    mailbox.port = imap_server.port
    mailbox.save()
    result = fetch_mailbox(mailbox)

    assert result.count == 1 and result.removed == 3
    assert imap_server.folder_uids() == [] and len(kept(mailbox)) == 3


def test_messages_are_moved_on_the_server_only_when_asked(imap_server, make_mailbox):
    imap_server.create_folder("Fetched by Clearway")
    for number in range(2):
        imap_server.append(mail.plain(f"Message {number}"))
    mailbox = make_mailbox(move_to_folder="Fetched by Clearway")

    result = fetch_mailbox(mailbox)

    assert result.count == 2 and result.removed == 2
    assert imap_server.folder_uids() == []
    assert len(imap_server.folder_uids("Fetched by Clearway")) == 2
    assert "(2 moved on the mail server)" in result.summary()


def test_moving_to_a_folder_that_is_not_there_fetches_nothing(imap_server, make_mailbox):
    imap_server.append(mail.plain())
    mailbox = make_mailbox(move_to_folder="Nowhere")

    with pytest.raises(InboxError) as failed:
        fetch_mailbox(mailbox)

    assert str(failed.value) == (
        f"There is no folder “Nowhere” in the mailbox {mailbox.name} to move fetched messages "
        "to: create it on the mail server, or change the setting."
    )
    assert kept(mailbox) == [] and imap_server.folder_uids() == [1]


def test_a_wrong_password_is_said_plainly_and_recorded(imap_server, make_mailbox, monkeypatch):
    mailbox = make_mailbox()
    monkeypatch.setenv(mailbox.password_env, "not-the-password")

    with pytest.raises(InboxError) as failed:
        fetch_mailbox(mailbox)

    expected = (
        f"The mail server 127.0.0.1 (port {imap_server.port}) refused the user name or password "
        f"of the mailbox {mailbox.name}: check the user name, and the password in "
        f"{mailbox.password_env}."
    )
    assert str(failed.value) == expected
    mailbox.refresh_from_db()
    assert mailbox.last_error == expected


def test_a_password_not_set_is_said_plainly(make_mailbox, monkeypatch):
    mailbox = make_mailbox()
    monkeypatch.delenv(mailbox.password_env)

    with pytest.raises(InboxError, match="set the environment variable CLEARWAY_TEST_INBOX"):
        fetch_mailbox(mailbox)


def test_a_missing_folder_is_said_plainly(make_mailbox):
    mailbox = make_mailbox(folder="Reports")

    with pytest.raises(InboxError) as failed:
        fetch_mailbox(mailbox)

    assert str(failed.value) == (
        f"There is no folder “Reports” in the mailbox {mailbox.name}: check the folder's name "
        "(most mail servers call the main one INBOX)."
    )


def test_a_server_that_is_not_there_is_said_plainly(make_mailbox):
    mailbox = make_mailbox(port=fetching_free_port())

    with pytest.raises(InboxError, match="refused the connection: check the port"):
        fetch_mailbox(mailbox)


def fetching_free_port() -> int:
    from tests.inbox.conftest import _free_port

    return _free_port()


def test_tls_and_starttls(imap_server, make_mailbox, settings):
    imap_server.append(mail.plain())
    tls = make_mailbox(security=Security.TLS, port=imap_server.tls_port)
    starttls = make_mailbox(security=Security.STARTTLS)

    assert fetch_mailbox(tls).count == 1
    assert fetch_mailbox(starttls).count == 1

    settings.CLEARWAY_INBOX_CA_FILE = ""  # the system's authorities do not know the test CA
    imap_server.append(mail.plain("Second"))
    with pytest.raises(InboxError, match="could not trust the certificate"):
        fetch_mailbox(tls)
    with pytest.raises(InboxError, match="could not trust the certificate"):
        fetch_mailbox(starttls)
    # TLS spoken to the plain port.
    wrong = make_mailbox(security=Security.TLS)
    with pytest.raises(InboxError, match="could not make a secure connection"):
        fetch_mailbox(wrong)


def test_a_password_never_crosses_the_network_unprotected(make_mailbox, service):
    mailbox = Mailbox(
        service=service, name="Remote", host="imap.example.org", username="u", security="none"
    )
    with pytest.raises(ValidationError) as invalid:
        mailbox.full_clean()
    assert "security" in invalid.value.message_dict

    saved = make_mailbox(host="imap.invalid")
    saved.security = Security.NONE
    with pytest.raises(InboxError, match="the password would cross the network unprotected"):
        fetch_mailbox(saved)


def test_fetch_all_goes_on_past_a_failing_mailbox(imap_server, make_mailbox, monkeypatch):
    imap_server.append(mail.plain())
    broken = make_mailbox(folder="Missing")
    working = make_mailbox()
    make_mailbox(enabled=False)

    results = fetch_all()

    assert [(r.mailbox.pk, r.count, bool(r.error)) for r in results] == [
        (broken.pk, 0, True),
        (working.pk, 1, False),
    ]


def test_messages_and_attachments_are_never_deleted(imap_server, make_mailbox):
    imap_server.append(mail.with_attachments())
    [message] = fetch_mailbox(make_mailbox()).saved

    with pytest.raises(KeptError):
        message.delete()
    with pytest.raises(KeptError):
        InboxMessage.all_objects.all().delete()
    with pytest.raises(KeptError):
        message.attachments.all()[0].delete()
    with pytest.raises(KeptError):
        InboxAttachment.all_objects.all().delete()


def test_pages_must_scope_messages_to_a_service(imap_server, make_mailbox, service):
    imap_server.append(mail.with_attachments())
    fetch_mailbox(make_mailbox())

    assert InboxMessage.objects.for_service(service).count() == 1
    assert InboxAttachment.objects.for_service(service).count() == 2
    with pytest.raises(RuntimeError, match="must name its service"):
        list(InboxMessage.objects.all())


def test_fetching_logs_nothing_from_the_messages(imap_server, make_mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    imap_server.append(mail.with_attachments("Report for Zzcanary Qqchild"))
    mailbox = make_mailbox()
    fetch_mailbox(mailbox)
    monkey_failed = make_mailbox(folder="Missing")
    with pytest.raises(InboxError):
        fetch_mailbox(monkey_failed)

    assert "Fetched 1 messages from mailbox" in caplog.text
    for secret in ("Zzcanary", "salt@nhs.example", "salt-report.pdf", imap_server.password):
        assert secret not in caplog.text


# --- in the background, and by hand ----------------------------------------------------------


def ready_fetches() -> list[DBTaskResult]:
    return list(waiting_fetches())


# django-tasks-db's worker closes a connection left outside autocommit (a test's transaction)
# before each task, and PostgreSQL's connection really closes: these tests commit.
background = pytest.mark.django_db(transaction=True)


@background
def test_the_background_fetch_queues_itself_again_once(imap_server, make_mailbox, settings):
    settings.CLEARWAY_INBOX_FETCH_MINUTES = 5
    imap_server.append(mail.plain())
    mailbox = make_mailbox()

    assert start_fetching() == (
        f"The shared inbox ({mailbox.name}) is fetched in the background every 5 minutes."
    )
    assert schedule_fetch() is False  # one chain only
    assert len(ready_fetches()) == 1

    assert run_due_tasks() == 1
    assert len(kept(mailbox)) == 1
    [following] = ready_fetches()
    wait = following.run_after - following.enqueued_at
    assert dt.timedelta(minutes=4, seconds=55) < wait <= dt.timedelta(minutes=5, seconds=5)
    assert run_due_tasks() == 0  # not due yet
    assert start_fetching() and len(ready_fetches()) == 1  # `clearway serve` again: still one

    finished = DBTaskResult.objects.get(task_path=fetch_inbox.module_path, status="SUCCESSFUL")
    assert finished.return_value == {"fetched": 1, "errors": []}


@background
def test_the_background_fetch_stops_when_no_mailbox_is_enabled(make_mailbox):
    assert start_fetching() == ""
    assert ready_fetches() == []
    mailbox = make_mailbox()
    schedule_fetch()
    Mailbox.objects.filter(pk=mailbox.pk).update(enabled=False)

    assert run_due_tasks() == 1
    assert ready_fetches() == []


@background
def test_a_failing_fetch_still_queues_the_next(make_mailbox, monkeypatch):
    mailbox = make_mailbox()
    monkeypatch.delenv(mailbox.password_env)
    schedule_fetch()

    assert run_due_tasks() == 1

    assert len(ready_fetches()) == 1
    result = DBTaskResult.objects.get(
        task_path=fetch_inbox.module_path, status=TaskResultStatus.SUCCESSFUL
    )
    assert isinstance(result.return_value, dict)
    assert result.return_value["errors"] == [
        f"{mailbox.name}: The password for the mailbox {mailbox.name} is not set: set the "
        f"environment variable {mailbox.password_env} where Clearway runs (see docs/inbox.md)."
    ]


def test_the_command_fetches_once_and_says_what_it_did(
    imap_server, make_mailbox, capsys: Any
) -> None:
    imap_server.append(mail.plain())
    imap_server.append(mail.malformed())
    mailbox = make_mailbox()

    assert main(["inbox", "fetch"]) == 0

    out = capsys.readouterr().out
    assert f"{mailbox.name}: 2 new messages fetched." in out
    assert "not well formed" in out
    assert main(["inbox", "fetch"]) == 0
    assert f"{mailbox.name}: no new messages fetched." in capsys.readouterr().out


def test_the_command_says_what_went_wrong_and_exits_2(
    imap_server, make_mailbox, monkeypatch, capsys
):
    mailbox = make_mailbox()
    monkeypatch.setenv(mailbox.password_env, "wrong")

    assert main(["inbox", "fetch"]) == 2

    err = capsys.readouterr().err
    assert f"clearway inbox fetch: {mailbox.name}: The mail server 127.0.0.1" in err
    assert "refused the user name or password" in err
    assert main(["inbox", "fetch", "--mailbox", "No such"]) == 2
    assert "there is no mailbox called 'No such'" in capsys.readouterr().err


def test_the_command_with_no_mailbox(db, capsys):
    assert main(["inbox", "fetch"]) == 0
    assert "No mailbox is set up and enabled" in capsys.readouterr().out


# --- the admin --------------------------------------------------------------------------------


def test_an_administrator_sets_up_a_mailbox_and_fetches_it(
    imap_server, make_mailbox, client_for, service, monkeypatch
):
    admin = client_for(Role.ADMIN)
    monkeypatch.setenv("CLEARWAY_INBOX_PASSWORD", imap_server.password)
    form = {
        "service": service.pk,
        "name": "SCD inbox",
        "host": "imap.example.org",
        "port": 143,
        "security": "none",
        "username": imap_server.username,
        "password_env": "my secret password",
        "folder": "INBOX",
        "enabled": "on",
    }

    refused = admin.post("/admin/inbox/mailbox/add/", form)

    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Without TLS the password would cross the network unprotected" in text
    assert "Give the name of an environment variable" in text
    assert not Mailbox.objects.exists()

    form.update(host="127.0.0.1", port=imap_server.port, password_env="CLEARWAY_INBOX_PASSWORD")
    assert admin.post("/admin/inbox/mailbox/add/", form).status_code == 302
    mailbox = Mailbox.objects.get(name="SCD inbox")
    imap_server.append(mail.with_attachments())
    done = admin.post(
        "/admin/inbox/mailbox/",
        {"action": "fetch_now", "_selected_action": [mailbox.pk]},
        follow=True,
    )
    assert "SCD inbox: 1 new message fetched." in done.content.decode()

    [message] = kept(mailbox)
    assert admin.get("/admin/inbox/inboxmessage/").status_code == 200
    page = admin.get(f"/admin/inbox/inboxmessage/{message.pk}/change/")
    assert page.status_code == 200
    assert "SaLT report" not in page.content.decode()  # no subject: it may name a child
    assert admin.get(f"/admin/inbox/mailbox/{mailbox.pk}/delete/").status_code == 403
