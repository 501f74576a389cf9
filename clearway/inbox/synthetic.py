"""Synthetic inbox mail with the truth, for testing matching (and for the demo's mailbox).

:func:`generate` invents the service's children (rows for
:class:`clearway.inbox.matching.ChildIndex`) and messages about them, each a real
:class:`email.message.EmailMessage` that has been written to bytes and parsed back, as the
fetcher would see it, and labelled (:class:`LabelledMessage`) with the children it is truly
about, the requirement it meets and what a careful coordinator would conclude.

Messages come as plain text, HTML only or both, with the identifiers in the subject, the
body, or an attachment (a real PDF with a text layer, a Word document, a text file), and set
the traps a shared inbox meets (:data:`STORIES`): siblings (same family name and address),
twins (same birth date and family name), namesakes (same full name, other birth date), NHS
numbers spaced, dashed or run together, a mistyped NHS number (its check digit fails),
general enquiries about no child, an NHS number of one child with the name of another, a
message about two children, odd character sets (Latin-1, Windows-1252, UTF-8 with a byte
order mark, a made-up charset name, RFC 2047 subjects, RFC 2231 file names), a broken
multipart boundary, and scanned images with no text.

Every person is invented; NHS numbers are in the 999 test range. Pure Python: no Django.
"""

from __future__ import annotations

import datetime as dt
import email.header
import io
import random
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from html import escape
from typing import Literal

from nhs_number import calculate_checksum, is_valid

from clearway.inbox.matching import ChildRow
from clearway.inbox.text import parse_message
from clearway.validation.synthetic import ACCENTED_GIVEN_NAMES, FAMILY_NAMES, GIVEN_NAMES

__all__ = [
    "SERVICE_ADDRESS",
    "STORIES",
    "Expect",
    "LabelledMessage",
    "SyntheticChild",
    "docx_with_text",
    "generate",
    "pdf_with_text",
    "png_image",
]

SERVICE_ADDRESS = "scd.service@clearway.example"

Expect = Literal["propose", "conflict", "several_children", "none"]

STORIES: dict[str, tuple[float, str]] = {
    "nhs_name_dob": (14, "NHS number, full name and birth date of one child -> propose"),
    "name_dob": (12, "full name and birth date, no NHS number -> propose"),
    "nhs_name": (5, "NHS number and full name -> propose"),
    "nhs_only": (6, "NHS number alone -> propose (medium)"),
    "twin": (6, "one twin by name and their shared birth date; the other twin by first name"),
    "sibling": (6, "one child by name and birth date; a sibling by first name and address"),
    "namesake": (5, "name and birth date of one of two namesakes -> that one"),
    "namesake_name_only": (3, "a name two children share, no birth date -> nobody"),
    "mistyped_nhs": (6, "a mistyped NHS number (check digit fails), name and birth date right"),
    "mistyped_nhs_name_only": (3, "a mistyped NHS number and a name -> nobody"),
    "name_only": (4, "a full name alone (could be a namesake) -> nobody"),
    "general": (8, "a general enquiry about no child -> nobody"),
    "conflict": (6, "the NHS number of one child with the name of another -> flagged"),
    "two_children": (5, "two children, each identified -> flagged to split"),
    "odd_encoding": (6, "Latin-1, Windows-1252, BOM, unknown charset or broken boundary"),
    "scanned": (4, "a scanned image, no text -> nobody"),
    "not_listed": (3, "a child not on the list (valid NHS number, name, birth date) -> nobody"),
}
"""Each story: its weight among the messages, and what it is and should conclude."""

# Adults' first names: none is a child's (GIVEN_NAMES), so a signature never names a child.
ADULT_GIVEN_NAMES = (
    *("Sarah", "Jade", "Claire", "Michelle", "Gemma", "Lisa", "Paul", "Darren", "Kirsty"),
    *("Nicola", "Joanne", "Stephen", "Karen", "Andrew", "Helen", "Rebecca", "Wayne"),
)
ADULT_FAMILY_NAMES = ("Hughes", "Okoro", "Lindqvist", "Pryce", "Dalton")
SCHOOLS = (
    *("Oakfield Primary School", "St Anne's C of E Primary", "Riverside Academy"),
    *("Hillcrest Infant School", "Little Acorns Nursery", "Brookside Junior School"),
)
STREETS = ("Oak Road", "Mill Lane", "Church Street", "Victoria Avenue", "Park View", "The Crescent")
TOWNS = ("Ashford", "Brampton", "Cranleigh", "Dunmore", "Elmsworth")
REQUIREMENTS = ("school_report", "salt_report", "consent")


@dataclass(frozen=True)
class SyntheticChild:
    """An invented child of the service, with their household."""

    child_id: int
    nhs_number: str | None
    given_name: str
    family_name: str
    birth_date: dt.date
    address: str
    household: int

    @property
    def row(self) -> ChildRow:
        return (self.child_id, self.nhs_number, self.given_name, self.family_name, self.birth_date)


@dataclass(frozen=True)
class LabelledMessage:
    """A message and its truth.

    ``child_ids`` are the children it is truly about (none for a general enquiry; the named
    child for a conflict); ``requirement`` the requirement key its document meets (or
    ``None``); ``identifies`` whether it names one listed child by NHS number or by full
    name and birth date (the messages the 90% bar counts); ``expect`` what a careful
    coordinator concludes: ``propose`` the child, flag a ``conflict``, flag
    ``several_children``, or ``none`` (no child can be told).
    """

    message: EmailMessage
    story: str
    child_ids: tuple[int, ...]
    requirement: str | None
    identifies: bool
    expect: Expect
    note: str = ""


# --- files ----------------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    data = text.encode("cp1252", "replace")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_with_text(lines: Sequence[str]) -> bytes:
    """A real one-page PDF whose text layer holds ``lines`` (Helvetica, Windows-1252).

    Written by hand (pypdf reads PDFs but does not lay out text), so it is small and quick.
    """
    shown = b" ".join(_pdf_string(line) + b" '" for line in lines[:56])
    stream = b"BT /F1 11 Tf 56 800 Td 14 TL " + shown + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_with_text(paragraphs: Sequence[str]) -> bytes:
    """A minimal Word document (the three parts Word needs) holding ``paragraphs``."""
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
        for text in paragraphs
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>",
    }
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content.encode("utf-8"))
    return data.getvalue()


def png_image(width: int = 16, height: int = 16) -> bytes:
    """A small grey PNG: what a scanner sends, with no text layer."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes([180 + (y % 40)]) * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- children -------------------------------------------------------------------------------


@cache
def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c)).lower()


@cache
def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _NhsNumbers:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self) -> str:
        while True:
            stem = "999" + f"{self.rng.randrange(1_000_000):06d}"
            check = calculate_checksum(stem)
            number = f"{stem}{check}"
            if check is not None and check < 10 and number not in self.used:
                self.used.add(number)
                return number


def _mistype(rng: random.Random, number: str) -> str:
    """``number`` with one digit wrong, as a slip of the keyboard (its check digit fails)."""
    while True:
        at = rng.randrange(3, 9)
        digits = list(number)
        digits[at] = rng.choice([d for d in "0123456789" if d != digits[at]])
        mistyped = "".join(digits)
        if not is_valid(mistyped):
            return mistyped


def _birth_date(rng: random.Random, today: dt.date) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(2 * 365, 12 * 365))


def _children(
    rng: random.Random, n: int, today: dt.date, numbers: _NhsNumbers
) -> list[SyntheticChild]:
    children: list[SyntheticChild] = []
    household = 0

    def add(given: str, family: str, birth: dt.date, address: str) -> None:
        number = numbers.new() if rng.random() > 0.02 else None
        children.append(
            SyntheticChild(len(children) + 1, number, given, family, birth, address, household)
        )

    while len(children) < n:
        household += 1
        family = rng.choice(FAMILY_NAMES)
        address = f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
        given_pool = GIVEN_NAMES + ACCENTED_GIVEN_NAMES if rng.random() < 0.1 else GIVEN_NAMES
        roll = rng.random()
        if roll < 0.05 and len(children) + 2 <= n:  # twins
            birth = _birth_date(rng, today)
            first, second = rng.sample(given_pool, 2)
            add(first, family, birth, address)
            add(second, family, birth, address)
        elif roll < 0.17 and len(children) + 2 <= n:  # siblings
            first, second = rng.sample(given_pool, 2)
            older = _birth_date(rng, today)
            younger = older + dt.timedelta(days=rng.randrange(400, 1500))
            add(first, family, older, address)
            add(second, family, min(younger, today - dt.timedelta(days=700)), address)
        elif roll < 0.21 and children:  # a namesake of a child already listed
            other = rng.choice(children)
            birth = _birth_date(rng, today)
            if birth != other.birth_date:
                add(other.given_name, other.family_name, birth, address)
        else:
            add(rng.choice(given_pool), family, _birth_date(rng, today), address)
    return children


# --- writing identifiers --------------------------------------------------------------------


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _write_date(rng: random.Random, day: dt.date) -> str:
    styles = (
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day:%Y}",
        f"{day.day}.{day.month}.{day:%y}",
        f"{day.day} {day:%B %Y}",
        f"{day:%d-%b-%Y}",
        day.isoformat(),
        f"{_ordinal(day.day)} {day:%B %Y}",
        f"{day:%d/%m/%y}",
    )
    return rng.choice(styles)


def _write_nhs(rng: random.Random, digits: str) -> str:
    spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    dashed = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    written = rng.choice((spaced, spaced, dashed, digits))
    label = rng.choice(("NHS No: ", "NHS number ", "NHS: ", "NHS No. ", ""))
    return label + written


def _write_name(rng: random.Random, child: SyntheticChild, *, middle: bool = True) -> str:
    given, family = child.given_name, child.family_name
    if rng.random() < 0.1:
        given, family = _strip_accents(given), _strip_accents(family)
    styles = [
        f"{given} {family}",
        f"{given} {family}",
        f"{family.upper()}, {given}",
        f"{family}, {given}",
        f"{given} {family}".lower(),
        f"{given} {family}".upper(),
        f"{given} {family.upper()}",
    ]
    if middle:
        styles.append(f"{given} {rng.choice(('Rose', 'James', 'Marie', 'Lee'))} {family}")
    return rng.choice(styles)


def _dob_phrase(rng: random.Random, day: dt.date) -> str:
    label = rng.choice(("DOB ", "D.O.B. ", "date of birth ", "born ", "DOB: ", ""))
    return label + _write_date(rng, day)


# --- writing messages -----------------------------------------------------------------------

_SUBJECTS = {
    "school_report": (
        "School report",
        "Report from school",
        "Educational report",
        "Teacher report",
    ),
    "salt_report": ("SaLT report", "Speech and language therapy report", "SLT report"),
    "consent": ("Consent form", "Opt-in form", "Signed consent", "Opt in for assessment"),
}
_OPENINGS = {
    "school_report": (
        "Please find attached the school report for {who}. It was completed by the class "
        "teacher with our SENCo.",
        "As requested, here is the educational information for {who} from school.",
    ),
    "salt_report": (
        "Attached is the speech and language therapy report for {who}, following the "
        "communication assessment.",
        "Please see the SaLT report for {who}. The therapist saw them last week.",
    ),
    "consent": (
        "I give my consent for {who} to be assessed. The signed form is attached.",
        "We would like to opt in for {who}. Please take this as our consent.",
    ),
}
_SIGNATURES = {
    "school_report": "SENCo, {school}",
    "salt_report": "Speech and Language Therapist, Children's SaLT team",
    "consent": "Parent",
}
_FILE_WORDS = {
    "school_report": ("School report", "school-report", "Teacher report"),
    "salt_report": ("SLT report", "SaLT report", "Speech and language report"),
    "consent": ("Consent form", "Opt-in form", "signed consent"),
}
_GENERAL = (
    (
        "Waiting times",
        "Hello, could you tell me roughly how long the wait is for an assessment at the "
        "moment? We were referred in the spring. Many thanks.",
    ),
    (
        "Question about the service",
        "Hi, do you take referrals directly from parents, or must they come from the GP? "
        "Thank you.",
    ),
    (
        "Change of address",
        "Hello, we have moved house. Could you tell me what you need from us to update "
        "your records? Thanks.",
    ),
    ("Out of office", "I am out of the office until Monday and will reply on my return."),
    (
        "Training day",
        "Dear colleagues, a reminder that the team training day is on Thursday. No clinics "
        "will run that day.",
    ),
)


@dataclass
class _Draft:
    subject: str
    lines: list[str]
    attachments: list[tuple[str, str, str, bytes]]  # filename, maintype, subtype, data
    sender: str


def _adult(rng: random.Random) -> str:
    return f"{rng.choice(ADULT_GIVEN_NAMES)} {rng.choice(ADULT_FAMILY_NAMES)}"


def _attachment(
    rng: random.Random, requirement: str, family: str | None, lines: list[str]
) -> tuple[str, str, str, bytes]:
    word = rng.choice(_FILE_WORDS[requirement])
    stem = f"{word} - {family}" if family else word
    kind = rng.choice(("pdf", "pdf", "pdf", "docx", "txt"))
    if kind == "pdf":
        return f"{stem}.pdf", "application", "pdf", pdf_with_text(lines)
    if kind == "docx":
        subtype = "vnd.openxmlformats-officedocument.wordprocessingml.document"
        return f"{stem}.docx", "application", subtype, docx_with_text(lines)
    return f"{stem}.txt", "text", "plain", "\n".join(lines).encode("utf-8")


def _report_lines(requirement: str, identity: list[str], school: str) -> list[str]:
    title = {
        "school_report": f"School report - {school}",
        "salt_report": "Speech and language therapy report",
        "consent": "Opt-in and consent form",
    }[requirement]
    detail = {
        "school_report": [
            "Class teacher's view of social communication in the classroom.",
            "Completed with the SENCo for the educational record.",
        ],
        "salt_report": [
            "Communication assessment by the speech and language therapist.",
            "Receptive and expressive language were assessed.",
        ],
        "consent": [
            "I consent to my child being assessed and opt in to the pathway.",
            "Signed form: parent or carer.",
        ],
    }[requirement]
    return [title, *identity, *detail]


def _draft(
    rng: random.Random,
    requirement: str,
    identity: list[str],
    *,
    who: str,
    family_for_file: str | None,
    extra: str = "",
    carrier: str | None = None,
) -> _Draft:
    """A message carrying ``identity`` (name, DOB, NHS phrases) in the subject, body or file."""
    school = rng.choice(SCHOOLS)
    subject = rng.choice(_SUBJECTS[requirement])
    signature = [_adult(rng), _SIGNATURES[requirement].format(school=school)]
    sender = {
        "school_report": "senco@school.example",
        "salt_report": "salt.team@nhs-trust.example",
        "consent": "parent@family.example",
    }[requirement]
    carrier = carrier or rng.choice(
        ("body", "body", "subject", "attachment", "attachment", "attachment")
    )
    attachments: list[tuple[str, str, str, bytes]] = []
    if carrier == "attachment":
        lines = ["Hello,", "Please find the attached document.", extra, "Kind regards,", *signature]
        report = _report_lines(requirement, identity, school)
        attachments.append(_attachment(rng, requirement, family_for_file, report))
    elif carrier == "subject":
        subject = f"{subject} - {', '.join(identity)}"
        lines = ["Hello,", rng.choice(_OPENINGS[requirement]).format(who="this child"), extra]
        lines += ["Kind regards,", *signature]
    else:
        opening = rng.choice(_OPENINGS[requirement]).format(who=who)
        lines = ["Dear SCD team,", opening, *identity, extra, "Kind regards,", *signature]
        if rng.random() < 0.3:
            report = _report_lines(requirement, [], school)
            attachments.append(_attachment(rng, requirement, None, report))
    return _Draft(subject, [line for line in lines if line], attachments, sender)


def _identity(
    rng: random.Random, child: SyntheticChild, *, nhs: bool, name: bool, dob: bool
) -> list[str]:
    parts = []
    if name:
        parts.append(_write_name(rng, child))
    if dob:
        parts.append(_dob_phrase(rng, child.birth_date))
    if nhs and child.nhs_number:
        parts.append(_write_nhs(rng, child.nhs_number))
    return parts


def _to_email(draft: _Draft, *, number: int, seed: int, today: dt.date, style: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = draft.sender
    message["To"] = SERVICE_ADDRESS
    message["Subject"] = draft.subject
    when = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.UTC) - dt.timedelta(minutes=number)
    message["Date"] = format_datetime(when)
    message["Message-ID"] = f"<synthetic-{seed}-{number}@clearway.example>"
    text = "\n\n".join(draft.lines)
    html = (
        "<html><head><style>p { margin: 0 }</style></head><body>"
        + "".join(f"<p>{escape(line)}</p>" for line in draft.lines)
        + "<script>track('open')</script></body></html>"
    )
    if style == "html":
        message.set_content(html, subtype="html")
    elif style == "alternative":
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    else:
        message.set_content(text)
    for filename, maintype, subtype, data in draft.attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return parse_message(message.as_bytes())


def _odd_email(
    rng: random.Random, draft: _Draft, *, number: int, seed: int
) -> tuple[EmailMessage, str]:
    """The draft as raw bytes in an awkward encoding, parsed back."""
    text = "\r\n\r\n".join(draft.lines)
    variant = rng.choice(("latin-1", "windows-1252", "bom", "unknown", "broken_boundary"))
    try:
        subject = email.header.Header(draft.subject, "iso-8859-1").encode()
    except UnicodeEncodeError:
        subject = email.header.Header(draft.subject, "utf-8").encode()
    head = (
        f"From: {draft.sender}\r\nTo: {SERVICE_ADDRESS}\r\nSubject: {subject}\r\n"
        f"Message-ID: <synthetic-{seed}-{number}@clearway.example>\r\nMIME-Version: 1.0\r\n"
    )
    if variant == "broken_boundary":
        body = text.encode("utf-8")
        raw = (
            (
                head + 'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n'
                "--actual\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            ).encode("ascii")
            + body
            + b"\r\n--actual--\r\n"
        )
        return parse_message(raw), variant
    charset, data = {
        "latin-1": ("iso-8859-1", text.encode("latin-1", "replace")),
        "windows-1252": ("windows-1252", text.replace("'", "\u2019").encode("cp1252", "replace")),
        "bom": ("utf-8", b"\xef\xbb\xbf" + text.encode("utf-8")),
        "unknown": ("x-mac-made-up", text.encode("cp1252", "replace")),
    }[variant]
    raw = (
        head + f'Content-Type: text/plain; charset="{charset}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + data
    return parse_message(raw), variant


# --- stories --------------------------------------------------------------------------------


class _World:
    def __init__(
        self,
        rng: random.Random,
        children: list[SyntheticChild],
        numbers: _NhsNumbers,
        today: dt.date,
    ) -> None:
        self.rng = rng
        self.children = children
        self.numbers = numbers
        self.today = today
        self.by_name_birth = Counter(
            (_key(c.given_name), _key(c.family_name), c.birth_date) for c in children
        )
        households: dict[int, list[SyntheticChild]] = {}
        for child in children:
            households.setdefault(child.household, []).append(child)
        self.twins = [
            h for h in households.values() if len(h) == 2 and h[0].birth_date == h[1].birth_date
        ]
        self.siblings = [
            h for h in households.values() if len(h) == 2 and h[0].birth_date != h[1].birth_date
        ]
        names: dict[tuple[str, str], list[SyntheticChild]] = {}
        for child in children:
            names.setdefault((_key(child.given_name), _key(child.family_name)), []).append(child)
        self.namesakes = [
            group for group in names.values() if len({c.birth_date for c in group}) > 1
        ]
        self.accented = [
            c
            for c in children
            if c.given_name != _strip_accents(c.given_name)
            or c.family_name != _strip_accents(c.family_name)
        ]

    def child(self, *, nhs: bool = False) -> SyntheticChild:
        while True:
            child = self.rng.choice(self.children)
            if child.nhs_number or not nhs:
                return child

    def unique(self, child: SyntheticChild) -> bool:
        """Whether no other listed child shares this child's name and birth date."""
        return (
            self.by_name_birth[(_key(child.given_name), _key(child.family_name), child.birth_date)]
            == 1
        )


def _story(
    world: _World, story: str, requirement: str
) -> tuple[_Draft, tuple[int, ...], bool, Expect, str]:
    """One message's draft and truth: (draft, child_ids, identifies, expect, note)."""
    rng = world.rng
    if story in ("twin", "sibling"):
        pairs = world.twins if story == "twin" else world.siblings
        if pairs:
            child, other = rng.sample(rng.choice(pairs), 2)
            nhs = bool(child.nhs_number) and rng.random() < 0.3
            identity = _identity(rng, child, nhs=nhs, name=True, dob=True)
            relation = "twin" if story == "twin" else "brother or sister"
            extra = f"Their {relation} {other.given_name} also lives at {child.address}."
            draft = _draft(
                rng,
                requirement,
                identity,
                who=child.given_name,
                family_for_file=child.family_name,
                extra=extra,
            )
            identifies = nhs or world.unique(child)
            expect: Expect = "propose" if identifies else "none"
            return draft, (child.child_id,), identifies, expect, relation
        story = "name_dob"
    if story in ("namesake", "namesake_name_only"):
        if world.namesakes:
            group = rng.choice(world.namesakes)
            child = rng.choice(group)
            dob = story == "namesake"
            identity = _identity(rng, child, nhs=False, name=True, dob=dob)
            draft = _draft(
                rng, requirement, identity, who=child.given_name, family_for_file=child.family_name
            )
            identifies = dob and world.unique(child)
            return (
                draft,
                (child.child_id,),
                identifies,
                "propose" if identifies else "none",
                f"{len(group)} namesakes",
            )
        story = "name_dob" if story == "namesake" else "name_only"
    if story == "general":
        subject, text = rng.choice(_GENERAL)
        return (
            _Draft(subject, ["Hello,", text, _adult(rng)], [], "someone@example.org"),
            (),
            False,
            "none",
            "",
        )
    if story == "scanned":
        child = world.child()
        word = rng.choice(_FILE_WORDS[requirement])
        name = rng.choice((f"{word} - {child.family_name}.png", "scan0001.png", f"{word}.jpg"))
        subtype = "jpeg" if name.endswith(".jpg") else "png"
        draft = _Draft(
            rng.choice(_SUBJECTS[requirement]),
            ["Please see the scanned document attached.", _adult(rng)],
            [(name, "image", subtype, png_image())],
            "scanner@school.example",
        )
        return draft, (child.child_id,), False, "none", ""
    if story == "not_listed":
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(("Featherstone", "Quigley", "Abernethy", "Penhaligon", "Trevithick"))
        stranger = SyntheticChild(
            0, world.numbers.new(), given, family, _birth_date(rng, world.today), "", 0
        )
        identity = _identity(rng, stranger, nhs=True, name=True, dob=True)
        draft = _draft(rng, requirement, identity, who=given, family_for_file=family)
        return draft, (), False, "none", ""
    if story == "conflict":
        pair = (
            rng.choice(world.siblings + world.twins)
            if world.siblings and rng.random() < 0.7
            else None
        )
        if pair and all(c.nhs_number for c in pair):
            child, other = rng.sample(pair, 2)
        else:
            child, other = world.child(), world.child(nhs=True)
            while other.child_id == child.child_id or _key(
                other.given_name + other.family_name
            ) == _key(child.given_name + child.family_name):
                other = world.child(nhs=True)
        identity = _identity(rng, child, nhs=False, name=True, dob=rng.random() < 0.7)
        assert other.nhs_number
        identity.append(_write_nhs(rng, other.nhs_number))
        draft = _draft(rng, requirement, identity, who=child.given_name, family_for_file=None)
        return draft, (child.child_id,), False, "conflict", f"NHS number of child {other.child_id}"
    if story == "two_children":
        if world.siblings and rng.random() < 0.6:
            first, second = rng.choice(world.siblings)
        else:
            first, second = world.child(), world.child()
        if first.child_id == second.child_id or not (first.nhs_number and second.nhs_number):
            first, second = world.child(nhs=True), world.child(nhs=True)
            while second.child_id == first.child_id:
                second = world.child(nhs=True)
        identity = [
            "; ".join(_identity(rng, first, nhs=True, name=True, dob=rng.random() < 0.5)),
            "; ".join(_identity(rng, second, nhs=True, name=True, dob=rng.random() < 0.5)),
        ]
        draft = _draft(rng, requirement, identity, who="these children", family_for_file=None)
        return draft, (first.child_id, second.child_id), True, "several_children", ""

    # One child, identified in some way.
    if story == "odd_encoding" and world.accented and rng.random() < 0.7:
        child = rng.choice(world.accented)
    else:
        child = world.child(
            nhs=story
            in ("nhs_name_dob", "nhs_name", "nhs_only", "mistyped_nhs", "mistyped_nhs_name_only")
        )
    if story in ("nhs_name_dob", "odd_encoding"):
        identity = _identity(rng, child, nhs=True, name=True, dob=True)
    elif story == "nhs_name":
        identity = _identity(rng, child, nhs=True, name=True, dob=False)
    elif story == "nhs_only":
        identity = _identity(rng, child, nhs=True, name=False, dob=rng.random() < 0.3)
    elif story in ("mistyped_nhs", "mistyped_nhs_name_only"):
        assert child.nhs_number
        identity = _identity(rng, child, nhs=False, name=True, dob=story == "mistyped_nhs")
        identity.append(_write_nhs(rng, _mistype(rng, child.nhs_number)))
    elif story == "name_only":
        identity = _identity(rng, child, nhs=False, name=True, dob=False)
    else:  # name_dob
        identity = _identity(rng, child, nhs=False, name=True, dob=True)
    has_nhs = bool(child.nhs_number) and story in (
        "nhs_name_dob",
        "nhs_name",
        "nhs_only",
        "odd_encoding",
    )
    has_name_dob = story in ("nhs_name_dob", "name_dob", "mistyped_nhs", "odd_encoding")
    identifies = has_nhs or (has_name_dob and world.unique(child))
    family_for_file = child.family_name if story != "nhs_only" else None
    who = child.given_name if story != "nhs_only" else "this child"
    carrier = rng.choice(("body", "subject")) if story == "odd_encoding" else None
    draft = _draft(
        rng, requirement, identity, who=who, family_for_file=family_for_file, carrier=carrier
    )
    return draft, (child.child_id,), identifies, "propose" if identifies else "none", ""


def generate(
    seed: int, n_children: int, n_messages: int, *, today: dt.date | None = None
) -> tuple[list[ChildRow], list[LabelledMessage]]:
    """Invent ``n_children`` children and ``n_messages`` labelled messages about them.

    The same seed (and ``today``) always gives the same children and messages. Returns the
    children as :data:`clearway.inbox.matching.ChildRow` tuples and the messages with
    their truth.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    rng = random.Random(f"inbox-{seed}")
    numbers = _NhsNumbers(rng)
    children = _children(rng, n_children, today, numbers)
    world = _World(rng, children, numbers, today)
    names = list(STORIES)
    weights = [STORIES[name][0] for name in names]
    messages = []
    for number in range(n_messages):
        # Every story at least once, then by weight.
        story = names[number] if number < len(names) else rng.choices(names, weights)[0]
        requirement = rng.choice(REQUIREMENTS)
        draft, child_ids, identifies, expect, note = _story(world, story, requirement)
        if story == "odd_encoding":
            message, variant = _odd_email(rng, draft, number=number, seed=seed)
            note = variant
        else:
            style = rng.choice(("plain", "plain", "html", "alternative"))
            message = _to_email(draft, number=number, seed=seed, today=today, style=style)
        messages.append(
            LabelledMessage(
                message=message,
                story=story,
                child_ids=child_ids,
                requirement=None if story == "general" else requirement,
                identifies=identifies,
                expect=expect,
                note=note,
            )
        )
    return [child.row for child in children], messages
