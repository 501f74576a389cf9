"""The demo's mailbox story: a dozen messages about the demo's own waiting children, waiting
in triage for a new user to file.

:func:`write_demo_mbox` writes them as a Unix mbox file (a recording of the service's inbox):
school reports from school offices, a speech and language therapy report, a signed consent
form, a scanned image with no text, a report naming a child by name and birth date only, one
about two children, one whose NHS number is one child's and whose name is another's (flagged,
never proposed), a general enquiry, a carer's reply in HTML, and a Latin-1 message with
accented names. :func:`load_demo_inbox` loads it into the SCD service's "Demo inbox
(recorded)" mailbox (never fetched: it is disabled) with :func:`clearway.inbox.mbox.load_mbox`,
which proposes each message's child as fetching would.

The same seed and day give the same messages. Everything is invented: NHS numbers are the
demo's, in the 999 test range.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

from django.utils import timezone

from clearway.inbox.matching import MAX_AGE_YEARS, name_key, show_date, show_nhs_number
from clearway.inbox.mbox import load_mbox
from clearway.inbox.models import InboxMessage, Mailbox, Security
from clearway.inbox.synthetic import pdf_with_text, png_image
from clearway.pathways.models import OPEN, WAITING, Patient, Referral, RequirementState
from clearway.services.models import Service

__all__ = ["DEMO_MAILBOX", "DemoMail", "InboxLoaded", "load_demo_inbox", "write_demo_mbox"]

DEMO_MAILBOX = "Demo inbox (recorded)"
SERVICE_ADDRESS = "scd.service@clearway.example"
SALT_ADDRESS = "Speech and Language Therapy <salt.team@nhs-trust.example>"
#: Waiting children read in full to cast the story from.
SAMPLE = 80
_STILL_NEEDED = (RequirementState.OUTSTANDING, RequirementState.REQUESTED)


@dataclass(frozen=True)
class DemoMail:
    """One message of the story and its truth: the children it is about (by patient id; for
    the conflict, the child it names), and what triage should do with it."""

    raw: bytes
    story: str
    patient_ids: tuple[int, ...]
    #: "propose", "flag" or "none" (no child can be told).
    expect: str


@dataclass
class InboxLoaded:
    """What loading the demo's mailbox did."""

    path: Path
    mails: list[DemoMail] = field(default_factory=list)
    messages: int = 0
    proposed: int = 0
    flagged: int = 0

    def summary(self) -> str:
        return (
            f"inbox: {self.messages} messages waiting in triage "
            f"({self.proposed} proposed, {self.flagged} flagged)"
        )


@dataclass(frozen=True)
class _Child:
    patient: Patient
    school: str
    school_email: str
    carer: str
    carer_email: str
    relationship: str
    needs: frozenset[str]

    @property
    def name(self) -> str:
        return self.patient.full_name

    @property
    def dob(self) -> str:
        return f"{self.patient.birth_date:%d/%m/%Y}"

    @property
    def nhs(self) -> str:
        return show_nhs_number(self.patient.nhs_number or "")


def _children(service: Service, rng: random.Random) -> list[_Child]:
    """Waiting children a message can be about without doubt, in a random order: an NHS number
    and a name that no other open referral of the service shares (the demo lists some children
    twice), a school and a carer with parental responsibility; not looked after. Only a
    sample is read in full, so the demo loads quickly."""
    rows = list(
        Referral.objects.for_service(service)
        .filter(status__in=OPEN)
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "patient__nhs_number",
            "patient__given_name",
            "patient__family_name",
            "patient__school",
            "patient__looked_after",
            "patient__deceased_on",
        )
    )
    numbers = Counter(row[2] for row in rows)
    names = Counter(name_key(f"{row[3]} {row[4]}") for row in rows)
    candidates = [
        pk
        for pk, status, nhs, given, family, school, looked_after, deceased_on in rows
        if status in WAITING and nhs and numbers[nhs] == 1
        if names[name_key(f"{given} {family}")] == 1
        if school is not None and not looked_after and deceased_on is None
    ]
    rng.shuffle(candidates)
    sample = candidates[:SAMPLE]
    referrals = (
        Referral.objects.for_service(service)
        .filter(pk__in=sample)
        .select_related("patient", "patient__school")
        .prefetch_related("patient__carers", "requirements")
        .in_bulk()
    )
    found = []
    for pk in sample:
        referral = referrals[pk]
        patient = referral.patient
        carers = sorted(
            patient.carers.all(), key=lambda c: (not c.parental_responsibility, not c.main_contact)
        )
        if not carers or not carers[0].parental_responsibility:
            continue
        carer = carers[0]
        slug = "".join(ch for ch in carer.name.lower() if ch.isalpha() or ch == " ").split()
        school = patient.school
        found.append(
            _Child(
                patient=patient,
                school=school.name,
                school_email=school.email or "office@school.example",
                carer=carer.name,
                carer_email=carer.email or f"{'.'.join(slug) or 'carer'}@family.example",
                relationship=carer.relationship or "parent",
                needs=frozenset(
                    r.kind for r in referral.requirements.all() if r.state in _STILL_NEEDED
                ),
            )
        )
    return found


class _Picker:
    """Children for the story, each used once, preferring those still needing ``kind``."""

    def __init__(self, children: list[_Child]) -> None:
        self.children = children[:]

    def __call__(self, kind: str = "", *, born_after: dt.date | None = None) -> _Child:
        if not self.children:
            raise ValueError("The demo list has too few waiting children for the inbox story.")
        fits = [c for c in self.children if not born_after or c.patient.birth_date > born_after]
        chosen = next((c for c in fits if not kind or kind in c.needs), (fits or self.children)[0])
        self.children.remove(chosen)
        return chosen


def _email(
    *,
    sender: str,
    subject: str,
    when: dt.datetime,
    number: int,
    seed: int,
    lines: list[str],
    html: bool = False,
    charset: str = "utf-8",
    attachments: tuple[tuple[str, str, str, bytes], ...] = (),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"SCD assessment service <{SERVICE_ADDRESS}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<demo-{seed}-{number}@clearway.example>"
    if html:
        body = "".join(f"<p>{escape(line)}</p>" for line in lines)
        message.set_content(f"<html><body>{body}</body></html>", subtype="html")
    else:
        message.set_content("\n\n".join(lines) + "\n", charset=charset, cte="quoted-printable")
    for filename, maintype, subtype, data in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if message.is_multipart():
        message.set_boundary(f"==demo-{seed}-{number}==")  # not random: the same for a seed
    return message.as_bytes()


def _pdf(name: str, lines: list[str]) -> tuple[str, str, str, bytes]:
    return name, "application", "pdf", pdf_with_text(lines)


def _school_report(child: _Child, identity: list[str]) -> list[str]:
    return [
        f"School report - {child.school}",
        *identity,
        "Class teacher's view of social communication in the classroom.",
        "Completed with the SENCo for the educational record.",
    ]


def _stories(
    children: _Picker, seed: int
) -> list[tuple[str, str, tuple[int, ...], dict[str, object]]]:
    """(story, expect, patient ids, the message's parts), in the order they arrived."""
    out: list[tuple[str, str, tuple[int, ...], dict[str, object]]] = []

    def add(story: str, expect: str, about: tuple[_Child, ...], **parts: object) -> None:
        out.append((story, expect, tuple(c.patient.pk for c in about), parts))

    for place in range(3):
        c = children("school_report")
        identity = [f"Pupil: {c.name}", f"Date of birth: {c.dob}", f"NHS number: {c.nhs}"]
        subject = (
            f"School report for {c.patient.given_name} {c.patient.family_name}",
            f"Requested information - NHS {c.nhs}",
            "School report you asked for",
        )[place]
        add(
            "school_report",
            "propose",
            (c,),
            sender=f"{c.school} office <{c.school_email}>",
            subject=subject,
            lines=[
                "Dear SCD team,",
                "Please find attached the school report you asked for.",
                "Kind regards,",
                f"School office, {c.school}",
            ],
            attachments=(
                _pdf(f"School report - {c.patient.family_name}.pdf", _school_report(c, identity)),
            ),
        )
    c = children("salt_report")
    add(
        "salt_report",
        "propose",
        (c,),
        sender=SALT_ADDRESS,
        subject=f"SaLT report - {c.patient.family_name}, {c.patient.given_name}",
        lines=[
            "Dear colleagues,",
            "Please find attached our speech and language therapy report.",
            "With best wishes,",
            "Children's Speech and Language Therapy",
        ],
        attachments=(
            _pdf(
                "SaLT report.pdf",
                [
                    "Speech and language therapy report",
                    f"Name: {c.patient.listed_name}",
                    f"DOB: {c.dob}",
                    f"NHS No: {c.patient.nhs_number}",
                    "Communication assessment by the speech and language therapist.",
                    "Receptive and expressive language were assessed.",
                ],
            ),
        ),
    )
    c = children("consent")
    add(
        "consent",
        "propose",
        (c,),
        sender=f"{c.carer} <{c.carer_email}>",
        subject="Signed consent form",
        lines=[
            "Hello,",
            f"Here is the signed form for {c.patient.given_name}. Sorry it took a while.",
            f"Thanks, {c.carer}",
        ],
        attachments=(
            _pdf(
                "consent form signed.pdf",
                [
                    "Opt-in and consent form",
                    f"Child's name: {c.name}",
                    f"Date of birth: {show_date(c.patient.birth_date)}",
                    f"NHS number: {c.nhs}",
                    "I give my consent for my child to be assessed and opt in to the pathway.",
                    f"Signed: {c.carer} ({c.relationship})",
                ],
            ),
        ),
    )
    c = children("school_report")
    add(
        "scanned",
        "none",
        (c,),
        sender=f"{c.school} office <{c.school_email}>",
        subject="Scanned document",
        lines=["Please open the attached document.", "Sent from the school office scanner."],
        attachments=(("scan0001.png", "image", "png", png_image(96, 128)),),
    )
    # Matching reads a date as a birth date only if it is under MAX_AGE_YEARS years before the
    # real today (the demo's day may be years ago): a child named by birth date is younger.
    young = dt.date(timezone.localdate().year - MAX_AGE_YEARS + 2, 1, 1)
    c = children("school_report", born_after=young)
    born = show_date(c.patient.birth_date)
    add(
        "name_dob",
        "propose",
        (c,),
        sender=f"SENCo, {c.school} <{c.school_email}>",
        subject="Report for the assessment",
        lines=[
            "Dear SCD team,",
            f"Please find attached our report on {c.name}, born {born}.",
            "Kind regards,",
            f"SENCo, {c.school}",
        ],
        attachments=(
            _pdf(
                "Report.pdf",
                _school_report(c, [f"Name: {c.name}", f"Date of birth: {born}"]),
            ),
        ),
    )
    first, second = children("school_report"), children("school_report")
    add(
        "two_children",
        "flag",
        (first, second),
        sender=f"{first.school} office <{first.school_email}>",
        subject="School reports for two children",
        lines=[
            "Dear SCD team,",
            "Please find attached the school reports for two of the children you asked about.",
            "Kind regards,",
            f"School office, {first.school}",
        ],
        attachments=tuple(
            _pdf(
                f"School report - {c.patient.family_name}.pdf",
                _school_report(
                    c, [f"Pupil: {c.name}", f"Date of birth: {c.dob}", f"NHS number: {c.nhs}"]
                ),
            )
            for c in (first, second)
        ),
    )
    named, numbered = children("school_report"), children()
    add(
        "conflict",
        "flag",
        (named,),
        sender=f"{named.school} office <{named.school_email}>",
        subject=f"School report - {named.name}",
        lines=[
            "Dear SCD team,",
            "Please find attached the school report you asked for.",
            "Kind regards,",
            f"School office, {named.school}",
        ],
        attachments=(
            _pdf(
                f"School report - {named.patient.family_name}.pdf",
                _school_report(
                    named,
                    [
                        f"Pupil: {named.name}",
                        f"Date of birth: {named.dob}",
                        f"NHS number: {numbered.nhs}",
                    ],
                ),
            ),
        ),
    )
    add(
        "general",
        "none",
        (),
        sender="Parent <a.parent@family.example>",
        subject="How long is the wait?",
        lines=[
            "Hello,",
            "Our GP referred our son to you a few months ago. How long is the wait for an "
            "assessment at the moment, and is there anything we should do while we wait?",
            "Thank you",
        ],
    )
    c = children()
    add(
        "html_reply",
        "propose",
        (c,),
        sender=f"{c.carer} <{c.carer_email}>",
        subject=f"Re: {c.patient.given_name}'s assessment: information we need",
        html=True,
        lines=[
            "Hi, yes the school have the form now and said they will send it this week.",
            f"Thanks, {c.carer}",
            "-----Original message-----",
            f"From: {SERVICE_ADDRESS}",
            f"About: {c.name}, date of birth {c.dob}, NHS number {c.nhs}",
            "We are still waiting for the school report.",
        ],
    )
    c = children("school_report")
    add(
        "latin_1",
        "propose",
        (c,),
        sender=f"Zoë Brontë, SENCo <{c.school_email}>",
        subject=f"Informe escolar / school report - {c.patient.family_name}",
        charset="iso-8859-1",
        lines=[
            "Dear SCD team,",
            f"Please find our report on {c.name} (date of birth {c.dob}, NHS number {c.nhs}).",
            "Written with Mme Hélène Lefèvre, the class teacher, and Señora Muñoz.",
            "Kind regards,",
            f"Zoë Brontë, SENCo, {c.school}",
        ],
        attachments=(
            _pdf(
                "Rapport - école.pdf",
                _school_report(
                    c, [f"Pupil: {c.name}", f"Date of birth: {c.dob}", f"NHS number: {c.nhs}"]
                ),
            ),
        ),
    )
    return out


def build_demo_mail(service: Service, seed: int, today: dt.date) -> list[DemoMail]:
    """The story's messages about the service's waiting children, oldest first."""
    rng = random.Random(f"demo-inbox-{seed}")
    stories = _stories(_Picker(_children(service, rng)), seed)
    start = dt.datetime.combine(today, dt.time(8, 0), tzinfo=dt.UTC) - dt.timedelta(days=3)
    step = (dt.timedelta(days=3) + dt.timedelta(minutes=50)) / len(stories)
    mails = []
    for number, (story, expect, about, parts) in enumerate(stories, start=1):
        when = start + step * (number - 1) + dt.timedelta(minutes=rng.randrange(0, 20))
        raw = _email(when=when, number=number, seed=seed, **parts)  # type: ignore[arg-type]
        mails.append(DemoMail(raw, story, about, expect))
    return mails


def _mbox_bytes(mails: list[DemoMail]) -> bytes:
    """An mbox file: each message after a "From " line, lines starting "From " quoted."""
    out = []
    for mail in mails:
        body = mail.raw.replace(b"\r\n", b"\n")
        body = b"\n".join(
            b">" + line if line.startswith(b"From ") else line for line in body.split(b"\n")
        )
        out.append(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + body.rstrip(b"\n") + b"\n\n")
    return b"".join(out)


def write_demo_mbox(service: Service, path: Path, seed: int, today: dt.date) -> int:
    """Write the story's messages to the mbox file at ``path`` (replacing it); how many."""
    return _write(path, build_demo_mail(service, seed, today))


def _write(path: Path, mails: list[DemoMail]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(_mbox_bytes(mails))
    partial.replace(path)
    return len(mails)


def demo_mailbox(service: Service) -> Mailbox:
    """The service's recorded demo mailbox (disabled: nothing fetches it)."""
    mailbox, _ = Mailbox.objects.get_or_create(
        service=service,
        name=DEMO_MAILBOX,
        defaults={
            "host": "127.0.0.1",
            "port": 143,
            "security": Security.NONE,
            "username": "scd.service",
            "password_env": "CLEARWAY_DEMO_INBOX_PASSWORD",
            "enabled": False,
        },
    )
    return mailbox


def load_demo_inbox(service: Service, folder: Path, seed: int, today: dt.date) -> InboxLoaded:
    """Write ``folder/inbox.mbox`` and load it into the service's demo mailbox."""
    path = folder / "inbox.mbox"
    loaded = InboxLoaded(path, build_demo_mail(service, seed, today))
    _write(path, loaded.mails)
    mailbox = demo_mailbox(service)
    load_mbox(mailbox, path)
    waiting = InboxMessage.objects.for_service(service).filter(mailbox=mailbox, status="new")
    loaded.messages = waiting.count()
    loaded.proposed = waiting.filter(proposed_patient__isnull=False).count()
    loaded.flagged = waiting.filter(flagged=True).count()
    return loaded
