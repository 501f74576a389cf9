"""The demo's mailbox story: a dozen messages about the demo's own waiting children, waiting in
triage, proposed for the right child or flagged, and wiped with the demo."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearway.demo.inbox import DEMO_MAILBOX, build_demo_mail, write_demo_mbox
from clearway.demo.service import load_demo
from clearway.inbox import services as inbox_services
from clearway.inbox.models import InboxAttachment, InboxMessage, Mailbox
from clearway.services.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_child_index() -> Iterator[None]:
    """Loading caches the service's index of children for a minute (by service id, which the
    next test's service may reuse): leave none behind."""
    yield
    inbox_services._indexes.clear()


DAY = dt.date(2021, 5, 4)


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    settings.CLEARWAY_INBOX_DIR = tmp_path / "inbox"
    return tmp_path


def load(seed: int = 5, reset: bool = False) -> str:
    return load_demo(seed=seed, today=DAY, children=120, autism_children=20, reset=reset)


def scd() -> Service:
    return Service.objects.get(slug="scd")


def test_a_dozen_messages_wait_in_triage_proposed_for_the_child_they_are_about(
    var_dir: Path,
) -> None:
    summary = load()
    service = scd()
    messages = {m.uid: m for m in InboxMessage.objects.for_service(service)}
    mails = build_demo_mail(service, 5, DAY)

    assert (var_dir / "demo" / "inbox.mbox").exists()
    assert len(messages) == len(mails) == 12
    assert all(m.mailbox.name == DEMO_MAILBOX and m.status == "new" for m in messages.values())
    assert not Mailbox.objects.get(name=DEMO_MAILBOX).enabled
    proposed = flagged = 0
    for uid, mail in enumerate(mails, start=1):
        message = messages[uid]
        if message.proposed_patient_id is not None:
            # Never a wrong child: a proposal is always the child the message was built about.
            assert mail.expect == "propose", mail.story
            assert (message.proposed_patient_id,) == mail.patient_ids, mail.story
            proposed += 1
        if mail.expect == "propose":
            assert message.proposed_patient_id is not None, (mail.story, message.proposal)
        if mail.expect == "flag":
            assert message.flagged and message.proposed_patient_id is None, mail.story
        flagged += message.flagged
    assert proposed >= 6
    conflict = messages[next(n for n, m in enumerate(mails, 1) if m.story == "conflict")]
    assert conflict.flagged and conflict.proposed_patient_id is None
    assert "conflict" in [flag["kind"] for flag in conflict.proposal["flags"]]
    scanned = messages[next(n for n, m in enumerate(mails, 1) if m.story == "scanned")]
    assert scanned.proposed_patient_id is None and not scanned.attachments.get().text
    latin = messages[next(n for n, m in enumerate(mails, 1) if m.story == "latin_1")]
    assert "Zoë Brontë" in latin.from_header and "Hélène" in latin.body_text
    assert f"inbox: 12 messages waiting in triage ({proposed} proposed, {flagged} flagged)" in (
        summary
    )


def test_the_mbox_is_the_same_for_a_seed(var_dir: Path) -> None:
    load()
    first, second = var_dir / "one.mbox", var_dir / "two.mbox"
    assert write_demo_mbox(scd(), first, 5, DAY) == 12
    write_demo_mbox(scd(), second, 5, DAY)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == (var_dir / "demo" / "inbox.mbox").read_bytes()


@pytest.mark.django_db(transaction=True)
def test_a_reset_wipes_the_inbox_and_its_files(var_dir: Path) -> None:
    load()
    old = [m.path for m in InboxMessage.all_objects.all()]
    old += [a.path for a in InboxAttachment.all_objects.all()]
    assert old and all(path.exists() for path in old)

    load(seed=6, reset=True)

    assert not any(path.exists() for path in old)
    assert InboxMessage.all_objects.count() == 12
    assert Mailbox.objects.count() == 1
    ids = set(
        InboxMessage.all_objects.values_list("proposed_patient__referrals__service", flat=True)
    )
    assert ids <= {scd().pk, None}
