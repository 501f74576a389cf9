"""Synthetic legacy waiting lists with a PAS extract and the truth, for testing validation.

:func:`generate` invents ``children`` children. Each has a *story* (:class:`Story`): who the
child is (:class:`Person`), what PAS recorded (:class:`Event`), how the child was written on
the legacy list (one or more :class:`Entry`, one per row) and the trap the story sets, if
any (:data:`TRAPS`). The truth for each list row follows from its story by one small
function, :func:`label`, under the validation rules as of a date D:

- ``unmatched``: a careful person could not tie the row to one PAS patient (the child is not
  in PAS; the NHS or hospital number on the row belongs to someone else; namesakes share the
  birth date and the row has no number). The engine should say ``review``.
- ``duplicate``: the child is already on an earlier row for the same referral.
- ``deceased``: PAS records the death on or before D (this wins over everything else).
- ``seen``: an ``attended`` event at the panel clinic on or after this row's referral date,
  and on or before D.
- ``discharged``: a discharge on or after the referral date, on or before D, and no
  attendance at the panel.
- ``waiting``: anything else.

The look of the list varies by seed (:func:`random_layout`) or is one of the named
:data:`LAYOUTS`: xlsx or csv (UTF-8, with or without a byte-order mark, or Windows-1252),
header words, title rows above the header, one name column ("SURNAME, Forename",
"Forename Surname", ...) or two, dates as date cells, dd/mm/yyyy, d.m.yy, ISO, "3 May 2021"
or Excel serial numbers, NHS numbers spaced, dashed, as numbers or in scientific notation, a
hospital-number column, blank rows, a repeated header and a "Total" footer.

Every person is invented; NHS numbers are in the 999 test range with valid check digits
(except where a trap mistypes one). ``openpyxl`` (a development dependency) is imported
only when an xlsx file is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nhs_number import calculate_checksum, is_valid

from clearway.validation.engine import PAS_COLUMNS

__all__ = [
    "LAYOUTS",
    "PANEL_CLINIC",
    "REMOVABLE",
    "TRAPS",
    "TRUTHS",
    "Entry",
    "Event",
    "Generated",
    "Layout",
    "Person",
    "Row",
    "Story",
    "generate",
    "label",
    "layout_named",
    "random_layout",
]

PANEL_CLINIC = "SCD Panel"
REFERRAL_CLINIC = "SCD"
OTHER_CLINICS = (
    "General Paediatrics",
    "Neurodevelopmental",
    "SCD Nurse Clinic",
    "Community Paediatrics",
)
DISCHARGE_CLINICS = ("SCD", "SCD - opted out", "SCD - moved out of area")
TRUTHS = ("waiting", "seen", "discharged", "deceased", "duplicate", "unmatched")
REMOVABLE = frozenset({"seen", "discharged", "deceased", "duplicate"})
"""Truth values that take a row off the waiting list."""

MIN_CHILDREN = 40
"""Fewer children than this cannot hold every trap."""

TRAP_SHARE = 0.02
"""Each trap is set for about this share of the children (at least once)."""

TRAPS: dict[str, str] = {
    "plain": "no trap: clean identifiers, any outcome",
    "name_typo": "a typo in the name (NHS number valid, or missing) -> the child's outcome",
    "birth_date_swapped": "day and month of the birth date swapped -> the child's outcome",
    "nhs_number_of_other": "a valid NHS number of another PAS patient who was removed -> unmatched",
    "nhs_number_mistyped": "NHS number with a wrong check digit, name and birth date right",
    "namesakes": "two children on the list, same name, different birth dates -> both waiting",
    "namesake_seen": "a namesake not on the list (other birth date) was seen -> waiting",
    "namesakes_same_birth_date": "namesakes share the birth date, no NHS number -> unmatched",
    "was_not_brought": "not brought to the panel -> waiting",
    "cancelled": "panel appointment cancelled -> waiting",
    "other_clinic": "attended another clinic, not the panel -> waiting",
    "attended_after_as_of": "attended the panel after the as-of date -> waiting",
    "seen_before_re_referral": "seen at panel in an earlier episode, referred again -> waiting",
    "re_referral_two_rows": "on the list twice: an earlier closed episode and a re-referral",
    "deceased_only": "deceased, nothing else after the referral -> deceased",
    "deceased_after_events": "deceased after an attendance, discharge or missed appointment",
    "was_not_brought_then_discharged": "not brought, then discharged -> discharged",
    "duplicate_exact": "on the list twice for the same referral -> the later row duplicate",
    "duplicate_later_referral": "on the list twice, the later row's referral a few days on",
    "not_in_pas": "not in PAS at all -> unmatched",
    "referral_date_missing": "referral date missing or impossible on the list; PAS has it",
    "hospital_number_only": "no NHS number and a name typo; the hospital number is right",
    "hospital_number_of_other": "a hospital number of another PAS patient -> unmatched",
}
"""Every trap (and ``plain``), with what it is and what a careful person concludes."""

HOSPITAL_TRAPS = frozenset({"hospital_number_only", "hospital_number_of_other"})
"""Traps set only when the layout has a hospital-number column."""

EXCEL_EPOCH = dt.date(1899, 12, 30)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Cell = object

# --- invented names -------------------------------------------------------------------------

GIVEN_NAMES = (
    *("Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar"),
    *("Charlie", "Jacob", "Thomas", "Henry", "William", "Alfie", "Archie", "Joshua", "Freddie"),
    *("Theo", "Isaac", "Finley", "Teddy", "Lucas", "Max", "Ethan", "Reuben", "Dylan", "Caleb"),
    *("Jaxon", "Adam", "Ibrahim", "Samuel", "Elijah", "Rory", "Ezra", "Hugo", "Felix", "Kai"),
    *("Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia"),
    *("Grace", "Willow", "Freya", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie"),
    *("Charlotte", "Evelyn", "Sienna", "Daisy", "Phoebe", "Matilda", "Harper", "Ruby", "Esme"),
    *("Layla", "Millie", "Hallie", "Maisie", "Eliza", "Zara", "Aisha", "Maryam", "Hannah"),
    *("Erin", "Niamh", "Aoife", "Megan", "Bethan", "Cerys", "Ffion", "Amber", "Bonnie"),
    *("Robyn", "Mary-Jane", "Tegan", "Kayden", "Yusuf", "Zayn", "Amara", "Nia", "Orla"),
)
ACCENTED_GIVEN_NAMES = ("Zoë", "Chloé", "Renée", "Siân", "Seán", "Róisín", "José", "Inés", "Noël")
FAMILY_NAMES = (
    *("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Johnson"),
    *("Robinson", "Wright", "Wood", "Walker", "Hall", "Green", "Hughes", "Edwards", "Hill"),
    *("Moore", "Clark", "Harrison", "Lewis", "Roberts", "Cooper", "Ward", "Morris", "Turner"),
    *("King", "Baker", "Patel", "Khan", "Begum", "Ali", "Hussain", "Ahmed", "Shah", "Kaur"),
    *("Singh", "Chen", "Wong", "Nguyen", "Kowalski", "Nowak", "Adeyemi", "Okafor", "Mensah"),
    *("Moyo", "Banda", "Osei", "Campbell", "Stewart", "Murray", "Reid", "Macdonald", "Fraser"),
    *("Robertson", "Thompson", "Mitchell", "Doherty", "Kelly", "O'Brien", "O'Neill", "Murphy"),
    *("McCarthy", "Gallagher", "Smith-Jones", "Hamilton", "Henderson", "Graham", "Kennedy"),
    *("Jackson", "White", "Harris", "Martin", "Cox", "Mason", "Rose", "Lee", "Phillips"),
    *("Bailey", "Bell", "Chapman", "Dixon", "Ellis", "Fisher", "Gray", "Holmes", "Hunt"),
    *("Knight", "Marshall", "Owen", "Palmer", "Pearson", "Price", "Rahman", "Rogers"),
    *("Russell", "Saunders", "Sharma", "Simpson", "Webb", "Watson", "Yilmaz", "Nuñez"),
    *("Müller", "Sørensen", "Brontë"),
)
CONSULTANTS = ("Dr Okafor", "Dr Patel", "Dr Lindqvist", "Dr Hughes", "")
REQUIREMENT_TEXT = ("Y", "N", "y", "Yes", "No", "rec'd", "Received", "chased", "chased 3/2", "")
NOTES = ("mum rang", "seen at panel?", "chase school", "moved?", "d/c letter sent?", "TBC")
STATUSES = ("waiting", "awaiting panel", "on hold", "", "seen?", "ready for panel")
NHS_PLACEHOLDERS = ("", "", "N/K", "TBC", "awaiting", "unknown", "n/k")
DATE_PLACEHOLDERS = ("", "", "TBC", "?", "N/K")

# --- layouts --------------------------------------------------------------------------------

HEADERS: dict[str, tuple[str, ...]] = {
    "nhs_number": ("NHS Number", "NHS No.", "NHS No", "NHS number", "NHS Num", "NHS"),
    "hospital_number": (
        *("Hosp No", "Hospital Number", "Unit No", "MRN", "Case Note No", "PAS No"),
        *("Hospital No", "CRN"),
    ),
    "name": ("Name", "Patient Name", "Child's name", "Child", "Full Name", "Patient"),
    "family_name": ("Surname", "Family Name", "Last Name", "SURNAME"),
    "given_name": ("Forename", "First Name", "Given Name", "Forenames", "First names"),
    "birth_date": ("DOB", "D.O.B", "D.O.B.", "Date of Birth", "Birth date", "Date of birth (DOB)"),
    "referral_date": (
        *("Date Ref Rec'd", "Referral Received", "Referral Date", "Date Received", "Ref Date"),
        *("Date referred", "Date of referral", "Ref Rec'd", "Date Rec'd"),
    ),
    "consultant": ("Consultant", "Clinician", "Paediatrician"),
    "school_report": ("School Rpt", "School Report", "School"),
    "salt_report": ("SaLT", "SLT Report", "SaLT Rpt"),
    "consent": ("Opt in", "Consent", "Opted in"),
    "panel_date": ("Panel Date", "Panel", "Date of Panel"),
    "notes": ("Comments", "Notes", "Remarks"),
    "status": ("Status", "Current Status"),
}
"""Header words a list may use for each field (all known to the reader)."""

EXTRA_FIELDS = (
    *("consultant", "school_report", "salt_report", "consent", "panel_date", "notes"),
    "status",
)
NAME_STYLES = ("two", "family_comma_given", "given_family", "given_FAMILY", "FAMILY_given")
DATE_STYLES = ("cell", "dmy", "dmy_time", "d.m.yy", "d/m/yy", "iso", "serial", "dashes", "named")
NHS_STYLES = ("plain", "spaced", "dashed", "float", "int", "sci")
TITLES = (
    "SCD assessment waiting list",
    "Social Communication Disorder pathway - PTL",
    "CONFIDENTIAL - patient identifiable",
    "Kept by the SCD admin team",
    "Printed {as_of}",
)


@dataclass(frozen=True)
class Layout:
    """How a legacy list looks on disk.

    ``columns`` are fields of :data:`HEADERS` in sheet order (``""`` is a blank column);
    ``name_style`` is ``"two"`` (surname and forename columns) or one name column written
    ``"family_comma_given"`` ("SMITH, Jane"), ``"given_family"`` ("Jane Smith"),
    ``"given_FAMILY"`` ("Jane SMITH") or ``"FAMILY_given"`` ("SMITH Jane"). Each date and
    NHS number cell takes one of ``date_styles`` / ``nhs_styles`` at random.
    """

    name: str
    file_format: str  # "xlsx" or "csv"
    columns: tuple[str, ...]
    headers: Mapping[str, str]
    name_style: str = "two"
    encoding: str = "utf-8"  # csv only: "utf-8", "utf-8-sig" or "cp1252"
    title_rows: tuple[str, ...] = ()
    blank_rows_above_header: int = 0
    date_styles: tuple[str, ...] = ("dmy",)
    nhs_styles: tuple[str, ...] = ("plain",)
    cover_sheet: bool = False
    footer: bool = True
    repeated_header: bool = False
    blank_row_rate: float = 0.02
    accents: bool = False
    sheet_name: str = "Waiting List"

    @property
    def hospital_numbers(self) -> bool:
        """Whether the list has a hospital-number column."""
        return "hospital_number" in self.columns

    @property
    def suffix(self) -> str:
        return f".{self.file_format}"


def _identity_columns(name_style: str, hospital: bool) -> list[str]:
    names = ["family_name", "given_name"] if name_style == "two" else ["name"]
    return [
        "nhs_number",
        *(["hospital_number"] if hospital else []),
        *names,
        "birth_date",
        "referral_date",
    ]


def _headers(columns: Sequence[str], choose: Callable[[Sequence[str]], str]) -> dict[str, str]:
    return {column: choose(HEADERS[column]) for column in columns if column}


_PRESETS: dict[str, dict[str, object]] = {
    "xlsx": {
        "file_format": "xlsx",
        "columns": (*_identity_columns("two", True), "consultant", "school_report", "notes"),
        "headers": {
            "nhs_number": "NHS No.",
            "hospital_number": "Hosp No",
            "family_name": "Surname",
            "given_name": "Forename",
            "birth_date": "D.O.B",
            "referral_date": "Date Ref Rec'd",
            "consultant": "Consultant",
            "school_report": "School Rpt",
            "notes": "Comments",
        },
        "title_rows": ("SCD assessment waiting list", "Printed {as_of}"),
        "blank_rows_above_header": 1,
        "date_styles": ("cell", "serial", "dmy", "d.m.yy"),
        "nhs_styles": ("plain", "spaced", "float", "dashed"),
        "repeated_header": True,
    },
    "xlsx_single_name": {
        "file_format": "xlsx",
        "name_style": "family_comma_given",
        "columns": ("", *_identity_columns("one", True), "salt_report", "consent", "panel_date"),
        "headers": {
            "nhs_number": "NHS Number",
            "hospital_number": "Unit No",
            "name": "Patient Name",
            "birth_date": "DOB",
            "referral_date": "Referral Date",
            "salt_report": "SaLT",
            "consent": "Opt in",
            "panel_date": "Panel Date",
        },
        "title_rows": ("Social Communication Disorder pathway - PTL",),
        "date_styles": ("serial", "serial", "cell", "named", "iso"),
        "nhs_styles": ("int", "float", "spaced"),
        "cover_sheet": True,
        "sheet_name": "PTL",
    },
    "csv": {
        "file_format": "csv",
        "name_style": "given_family",
        "columns": (*_identity_columns("one", False), "status", "notes"),
        "headers": {
            "nhs_number": "NHS No",
            "name": "Child's name",
            "birth_date": "Date of Birth",
            "referral_date": "Date Received",
            "status": "Status",
            "notes": "Notes",
        },
        "title_rows": ("CONFIDENTIAL - patient identifiable",),
        "date_styles": ("d.m.yy", "dmy", "iso", "serial", "named"),
        "nhs_styles": ("plain", "spaced", "dashed", "sci", "float"),
        "footer": False,
    },
    "csv_cp1252": {
        "file_format": "csv",
        "encoding": "cp1252",
        "name_style": "given_FAMILY",
        "columns": (*_identity_columns("one", True), "consultant", "panel_date"),
        "headers": {
            "nhs_number": "NHS Number",
            "hospital_number": "Hospital Number",
            "name": "Name",
            "birth_date": "Birth date",
            "referral_date": "Ref Date",
            "consultant": "Clinician",
            "panel_date": "Panel",
        },
        "blank_rows_above_header": 2,
        "date_styles": ("dmy", "dashes", "d/m/yy", "dmy_time"),
        "nhs_styles": ("plain", "dashed", "spaced"),
        "accents": True,
    },
}

LAYOUTS = tuple(_PRESETS)
"""The named layouts; ``generate(layout=None)`` makes a random one from the seed instead."""


def layout_named(name: str) -> Layout:
    """One of the :data:`LAYOUTS`."""
    if name not in _PRESETS:
        raise ValueError(f"no layout '{name}' (layouts: {', '.join(LAYOUTS)})")
    return Layout(name=name, **_PRESETS[name])  # type: ignore[arg-type]


def random_layout(seed: int) -> Layout:
    """A layout made up from ``seed``: format, encoding, header words, styles, extras."""
    rng = random.Random(f"layout-{seed}")
    file_format = rng.choice(("xlsx", "csv"))
    name_style = rng.choice(NAME_STYLES)
    hospital = rng.random() < 0.5
    blocks: list[list[str]] = [
        ["nhs_number"],
        ["birth_date"],
        ["referral_date"],
        ["family_name", "given_name"] if name_style == "two" else ["name"],
    ]
    if name_style == "two" and rng.random() < 0.3:
        blocks[-1].reverse()
    if hospital:
        blocks.append(["hospital_number"])
    rng.shuffle(blocks)
    extras = [name for name in EXTRA_FIELDS if rng.random() < 0.5]
    columns = tuple(
        ([""] if rng.random() < 0.15 else []) + [c for block in blocks for c in block] + extras
    )
    titles = tuple(rng.sample(TITLES, k=rng.randint(0, 3)))
    return Layout(
        name=f"random-{seed}",
        file_format=file_format,
        columns=columns,
        headers=_headers(columns, rng.choice),
        name_style=name_style,
        encoding=rng.choice(("utf-8", "utf-8-sig", "cp1252")) if file_format == "csv" else "utf-8",
        title_rows=titles,
        blank_rows_above_header=rng.randint(0, 2),
        date_styles=tuple(rng.sample(DATE_STYLES, k=rng.randint(2, 4))),
        nhs_styles=tuple(rng.sample(NHS_STYLES, k=rng.randint(2, 4))),
        cover_sheet=file_format == "xlsx" and rng.random() < 0.3,
        footer=rng.random() < 0.7,
        repeated_header=rng.random() < 0.15,
        blank_row_rate=rng.choice((0.0, 0.01, 0.03)),
        accents=rng.random() < 0.5,
        sheet_name=rng.choice(("Waiting List", "PTL", "Sheet1", "SCD")),
    )


# --- stories --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A child (or another PAS patient) as PAS knows them."""

    pas_id: str
    nhs_number: str
    given: str
    family: str
    birth_date: dt.date


@dataclass(frozen=True)
class Event:
    """One PAS event: ``referral``, ``attended``, ``was_not_brought``, ``cancelled``,
    ``discharged`` or ``deceased``."""

    event: str
    date: dt.date
    clinic: str = ""


@dataclass(frozen=True)
class Entry:
    """How a child was written on one row of the list.

    ``referral_date`` is the referral the row stands for (what the truth is judged against:
    the list's date, or PAS's when the list lacks it); ``referral_written`` is what the cell
    says: a date, unreadable text, or ``None`` for a blank or placeholder. ``nhs_number`` is
    the digits written (possibly mistyped, or someone else's), ``None`` for none.
    ``identifiable`` is ``False`` when a careful person could not tie the row to one PAS
    patient; ``duplicate_of`` is the index of the story's earlier entry for the same
    referral.
    """

    given: str
    family: str
    birth_date: dt.date
    nhs_number: str | None
    hospital_number: str | None
    referral_date: dt.date
    referral_written: dt.date | str | None
    identifiable: bool = True
    duplicate_of: int | None = None


@dataclass(frozen=True)
class Story:
    """One child on the list: PAS's record of them, their list rows, and the trap set.

    ``in_pas`` is whether PAS holds ``person`` with ``events``; ``others`` are PAS patients
    the trap needs (the owner of a borrowed NHS number, a namesake), with their events.
    """

    trap: str
    person: Person
    in_pas: bool
    events: tuple[Event, ...]
    entries: tuple[Entry, ...]
    others: tuple[tuple[Person, tuple[Event, ...]], ...] = ()


def label(story: Story, entry: Entry, *, as_of: dt.date, panel_clinic: str = PANEL_CLINIC) -> str:
    """What a careful person concludes for one row of the list, from the child's story."""
    if not story.in_pas or not entry.identifiable:
        return "unmatched"
    if entry.duplicate_of is not None:
        return "duplicate"
    known = [event for event in story.events if event.date <= as_of]
    if any(event.event == "deceased" for event in known):
        return "deceased"
    since_referral = [event for event in known if event.date >= entry.referral_date]
    if any(e.event == "attended" and e.clinic == panel_clinic for e in since_referral):
        return "seen"
    if any(event.event == "discharged" for event in since_referral):
        return "discharged"
    return "waiting"


# --- making stories -------------------------------------------------------------------------


def _dob_key(day: dt.date) -> tuple[int, int, int]:
    """A birth date with day and month unordered: two people sharing it could be confused."""
    return day.year, min(day.day, day.month), max(day.day, day.month)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _typo(rng: random.Random, word: str) -> str:
    """``word`` with one slip of the keyboard (never the first letter, never unchanged)."""
    if word != _strip_accents(word) and rng.random() < 0.5:
        return _strip_accents(word)
    for _ in range(100):
        kind = rng.choice(("delete", "double", "swap", "vowel"))
        at = rng.randrange(1, len(word))
        letters = list(word)
        if kind == "delete" and len(word) >= 5 and word[at].isalpha():
            del letters[at]
        elif kind == "double" and word[at].isalpha():
            letters.insert(at, word[at])
        elif (
            kind == "swap"
            and word[at : at + 2].isalpha()
            and len(word[at : at + 2]) == 2
            and word[at] != word[at + 1]
        ):
            letters[at], letters[at + 1] = letters[at + 1], letters[at]
        elif kind == "vowel" and word[at] in "aeiou":
            letters[at] = rng.choice([v for v in "aeiouy" if v != word[at]])
        else:
            continue
        typo = "".join(letters)
        if typo.casefold() != word.casefold():
            return typo
    raise ValueError(f"cannot make a typo of {word!r}")


def _mistype(rng: random.Random, number: str) -> str:
    """An NHS number with a slip that its check digit catches (the 999 prefix kept)."""
    while True:
        digits = list(number)
        kind = rng.choice(("digit", "digit", "swap"))
        at = rng.randrange(3, 9)
        if kind == "digit":
            digits[at] = rng.choice([d for d in "0123456789" if d != digits[at]])
        elif digits[at] != digits[at + 1]:
            digits[at], digits[at + 1] = digits[at + 1], digits[at]
        mistyped = "".join(digits)
        if mistyped != number and not is_valid(mistyped):
            return mistyped


def _swap_day_month(day: dt.date) -> dt.date:
    return dt.date(day.year, day.day, day.month)


_OUTCOMES = ("waiting", "seen", "discharged", "deceased")
_PLAIN_WEIGHTS = (48, 27, 18, 7)
_LIVING_WEIGHTS = (50, 30, 20, 0)
_REMOVED_MOSTLY = (20, 45, 35, 0)  # identifier traps: mostly rows that matching would remove


class _Builder:
    """Makes people and stories from one random stream, keeping identities unconfusable.

    No two people share a name, and no two share a family name (or a given name) with the
    same birth date, day and month either way round -- except where a trap wants namesakes.
    So a name typo or a swapped birth date never makes a child look like someone else.
    """

    def __init__(self, rng: random.Random, as_of: dt.date, panel: str, layout: Layout) -> None:
        self.rng = rng
        self.as_of = as_of
        self.panel = panel
        self.layout = layout
        self.names: set[tuple[str, str]] = set()
        self.family_dob: set[tuple[str, tuple[int, int, int]]] = set()
        self.given_dob: set[tuple[str, tuple[int, int, int]]] = set()
        self.nhs_numbers: set[str] = set()
        self.pas_ids: set[str] = set()

    # identities

    def nhs_number(self) -> str:
        while True:
            nine = f"999{self.rng.randrange(10**6):06d}"
            check = calculate_checksum(nine)
            number = f"{nine}{check}"
            if check is not None and check < 10 and number not in self.nhs_numbers:
                self.nhs_numbers.add(number)
                return number

    def pas_id(self) -> str:
        while True:
            pas_id = f"RX{self.rng.randrange(10**6, 10**7)}"
            if pas_id not in self.pas_ids:
                self.pas_ids.add(pas_id)
                return pas_id

    def _birth_date(self, swappable: bool, unlike: dt.date | None) -> dt.date:
        while True:
            born = self.as_of - dt.timedelta(days=self.rng.randint(3 * 365, 16 * 365))
            if swappable and not (born.day <= 12 and born.day != born.month):
                continue
            if unlike and (
                abs(born.year - unlike.year) < 2
                or born.month == unlike.month
                or born.day == unlike.day
            ):
                continue
            return born

    def person(
        self,
        *,
        name: tuple[str, str] | None = None,
        birth_date: dt.date | None = None,
        swappable: bool = False,
        accented: bool = False,
        unlike: dt.date | None = None,
    ) -> Person:
        """A new person: a fresh name unless ``name`` (a namesake) is given; a birth date
        that makes them unconfusable unless ``birth_date`` (a same-birthday namesake) is."""
        for _ in range(100_000):
            if name is None:
                pool = ACCENTED_GIVEN_NAMES if accented else GIVEN_NAMES + ACCENTED_GIVEN_NAMES
                given = self.rng.choice(pool)
                family = self.rng.choice(FAMILY_NAMES)
                if (given, family) in self.names:
                    continue
            else:
                given, family = name
            born = birth_date or self._birth_date(swappable, unlike)
            key = _dob_key(born)
            if birth_date is None and (
                (family, key) in self.family_dob or (given, key) in self.given_dob
            ):
                continue
            self.names.add((given, family))
            self.family_dob.add((family, key))
            self.given_dob.add((given, key))
            return Person(self.pas_id(), self.nhs_number(), given, family, born)
        raise RuntimeError("ran out of unconfusable names; generate fewer children")

    def typo_name(self, person: Person) -> tuple[str, str]:
        """The person's (given, family) with a typo in one, never another person's name."""
        for _ in range(1000):
            given, family = person.given, person.family
            if self.rng.random() < 0.7:
                family = _typo(self.rng, family)
            else:
                given = _typo(self.rng, given)
            if (given, family) not in self.names:
                self.names.add((given, family))
                return given, family
        raise RuntimeError(f"no unused typo of {person.given} {person.family}")

    # dates and events

    def day(self, after: dt.date, low: int, high: int, *, cap: bool = True) -> dt.date:
        """A day ``low``..``high`` days after ``after``, and (``cap``) not after as-of."""
        start = after + dt.timedelta(days=low)
        end = after + dt.timedelta(days=high)
        if cap:
            end = min(end, self.as_of)
            start = min(start, end)
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def referral(self, person: Person, *, room: int = 45, back: int = 900) -> dt.date:
        """A referral date at least ``room`` days before as-of, at least a year after birth."""
        latest_back = min(back, (self.as_of - person.birth_date).days - 365)
        return self.as_of - dt.timedelta(days=self.rng.randint(room, latest_back))

    def episode(self, referral: dt.date, outcome: str, *, gap: int = 7) -> list[Event]:
        """PAS events of one plain episode ending in ``outcome``; nothing within ``gap`` days
        of the referral."""
        rng, panel = self.rng, self.panel
        events = [Event("referral", referral, REFERRAL_CLINIC)]
        if outcome == "seen":
            attended = self.day(referral, gap + 10, 400)
            if rng.random() < 0.3:
                missed = self.day(referral, gap, (attended - referral).days - 1)
                events.append(Event(rng.choice(("cancelled", "was_not_brought")), missed, panel))
            events.append(Event("attended", attended, panel))
            if rng.random() < 0.6:
                discharge = self.day(attended, 1, 60, cap=False)
                events.append(Event("discharged", discharge, REFERRAL_CLINIC))
        elif outcome == "discharged":
            events.append(
                Event("discharged", self.day(referral, gap, 400), rng.choice(DISCHARGE_CLINICS))
            )
        elif outcome == "deceased":
            events.append(Event("deceased", self.day(referral, gap, 400)))
        return events

    def outcome(self, weights: Sequence[int] = _LIVING_WEIGHTS) -> str:
        return self.rng.choices(_OUTCOMES, weights=weights)[0]

    def entry(
        self,
        person: Person,
        referral: dt.date,
        *,
        nhs: float = 0.85,
        hospital: float = 0.7,
        **changes: object,
    ) -> Entry:
        """The person written plainly on a row: NHS number with chance ``nhs``, hospital
        number (when the layout has the column) with chance ``hospital``."""
        plain = Entry(
            given=person.given,
            family=person.family,
            birth_date=person.birth_date,
            nhs_number=person.nhs_number if self.rng.random() < nhs else None,
            hospital_number=(
                person.pas_id
                if self.layout.hospital_numbers and self.rng.random() < hospital
                else None
            ),
            referral_date=referral,
            referral_written=referral,
        )
        return replace(plain, **changes)  # type: ignore[arg-type]

    # stories: one method per trap

    def plain(self, *, accented: bool = False) -> list[Story]:
        person = self.person(accented=accented)
        outcome = self.outcome(_PLAIN_WEIGHTS)
        referral = self.referral(person)
        events = self.episode(referral, outcome)
        return [Story("plain", person, True, tuple(events), (self.entry(person, referral),))]

    def _one(
        self,
        trap: str,
        person: Person,
        events: list[Event],
        entry: Entry,
        *,
        in_pas: bool = True,
        others: Sequence[tuple[Person, list[Event]]] = (),
    ) -> list[Story]:
        return [
            Story(
                trap,
                person,
                in_pas,
                tuple(events),
                (entry,),
                tuple((other, tuple(other_events)) for other, other_events in others),
            )
        ]

    def _removed_other(self) -> tuple[Person, list[Event]]:
        """A PAS patient, not on the list, who was seen, discharged or died."""
        other = self.person()
        referral = self.referral(other)
        return other, self.episode(referral, self.rng.choice(("seen", "discharged", "deceased")))

    def name_typo(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        given, family = self.typo_name(person)
        entry = self.entry(person, referral, nhs=0.6, hospital=0, given=given, family=family)
        events = self.episode(referral, self.outcome(_REMOVED_MOSTLY))
        return self._one("name_typo", person, events, entry)

    def birth_date_swapped(self) -> list[Story]:
        person = self.person(swappable=True)
        referral = self.referral(person)
        swapped = _swap_day_month(person.birth_date)
        entry = self.entry(person, referral, nhs=0.6, hospital=0, birth_date=swapped)
        events = self.episode(referral, self.outcome(_REMOVED_MOSTLY))
        return self._one("birth_date_swapped", person, events, entry)

    def nhs_number_of_other(self) -> list[Story]:
        other = self._removed_other()
        person = self.person()
        referral = self.referral(person)
        entry = self.entry(
            person, referral, hospital=0, nhs_number=other[0].nhs_number, identifiable=False
        )
        in_pas = self.rng.random() < 0.5
        return self._one(
            "nhs_number_of_other",
            person,
            self.episode(referral, "waiting"),
            entry,
            in_pas=in_pas,
            others=[other],
        )

    def nhs_number_mistyped(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        mistyped = _mistype(self.rng, person.nhs_number)
        entry = self.entry(person, referral, hospital=0, nhs_number=mistyped)
        events = self.episode(referral, self.outcome(_REMOVED_MOSTLY))
        return self._one("nhs_number_mistyped", person, events, entry)

    def namesakes(self) -> list[Story]:
        first = self.person()
        second = self.person(name=(first.given, first.family), unlike=first.birth_date)
        stories = []
        for person in (first, second):
            referral = self.referral(person)
            entry = self.entry(person, referral, nhs=0.5, hospital=0)
            stories += self._one("namesakes", person, self.episode(referral, "waiting"), entry)
        return stories

    def namesake_seen(self) -> list[Story]:
        person = self.person()
        namesake = self.person(name=(person.given, person.family), unlike=person.birth_date)
        referral = self.referral(person)
        # The namesake attended the panel after this child's referral (a name-only match
        # would take this child as seen), a year or more after their own birth.
        known_since = namesake.birth_date + dt.timedelta(days=400)
        attended = self.day(max(referral, known_since), 1, 400)
        longest = min(200, (attended - known_since).days + 20)
        namesake_referral = attended - dt.timedelta(days=self.rng.randint(20, longest))
        namesake_events = [
            Event("referral", namesake_referral, REFERRAL_CLINIC),
            Event("attended", attended, self.panel),
        ]
        entry = self.entry(person, referral, nhs=0, hospital=0)
        events = self.episode(referral, "waiting")
        return self._one(
            "namesake_seen", person, events, entry, others=[(namesake, namesake_events)]
        )

    def namesakes_same_birth_date(self) -> list[Story]:
        person = self.person()
        namesake = self.person(name=(person.given, person.family), birth_date=person.birth_date)
        referral = self.referral(person)
        namesake_events = self.episode(self.referral(namesake), "seen")
        entry = self.entry(person, referral, nhs=0, hospital=0, identifiable=False)
        events = self.episode(referral, self.outcome())
        return self._one(
            "namesakes_same_birth_date",
            person,
            events,
            entry,
            others=[(namesake, namesake_events)],
        )

    def _missed(self, trap: str, kinds: Sequence[tuple[str, str]]) -> list[Story]:
        """A waiting child whose PAS record shows only events that are not being seen."""
        person = self.person()
        referral = self.referral(person)
        events = [Event("referral", referral, REFERRAL_CLINIC)]
        for event, clinic in kinds:
            events.append(Event(event, self.day(referral, 1, 400), clinic))
        return self._one(trap, person, events, self.entry(person, referral))

    def was_not_brought(self) -> list[Story]:
        times = self.rng.randint(1, 2)
        return self._missed("was_not_brought", [("was_not_brought", self.panel)] * times)

    def cancelled(self) -> list[Story]:
        return self._missed("cancelled", [("cancelled", self.panel)])

    def other_clinic(self) -> list[Story]:
        return self._missed("other_clinic", [("attended", self.rng.choice(OTHER_CLINICS))])

    def attended_after_as_of(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        attended = self.day(self.as_of, 1, 60, cap=False)
        events = [
            Event("referral", referral, REFERRAL_CLINIC),
            Event("attended", attended, self.panel),
        ]
        return self._one("attended_after_as_of", person, events, self.entry(person, referral))

    def _closed_episode(self, person: Person) -> tuple[list[Event], dt.date]:
        """An earlier episode that ended (attended and discharged, or discharged), and a
        re-referral date after it ended."""
        first = self.referral(person, room=500, back=900)
        events = [Event("referral", first, REFERRAL_CLINIC)]
        closed = self.day(first, 20, 120)
        if self.rng.random() < 0.7:
            events.append(Event("attended", closed, self.panel))
            closed = self.day(closed, 1, 30)
        events.append(Event("discharged", closed, self.rng.choice(DISCHARGE_CLINICS)))
        again = self.day(closed, 30, 300)
        events.append(Event("referral", again, REFERRAL_CLINIC))
        return events, again

    def seen_before_re_referral(self) -> list[Story]:
        person = self.person()
        events, again = self._closed_episode(person)
        entry = self.entry(person, again)
        return self._one("seen_before_re_referral", person, events, entry)

    def re_referral_two_rows(self) -> list[Story]:
        person = self.person()
        events, again = self._closed_episode(person)
        earlier = self.entry(person, events[0].date)
        later = self.entry(person, again)
        return [Story("re_referral_two_rows", person, True, tuple(events), (earlier, later))]

    def deceased_only(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        events = self.episode(referral, "deceased")
        return self._one("deceased_only", person, events, self.entry(person, referral))

    def deceased_after_events(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person, room=60)
        event, clinic = self.rng.choice(
            (
                ("attended", self.panel),
                ("was_not_brought", self.panel),
                ("discharged", REFERRAL_CLINIC),
                ("attended", self.rng.choice(OTHER_CLINICS)),
            )
        )
        before = self.day(referral, 1, 300)
        events = [
            Event("referral", referral, REFERRAL_CLINIC),
            Event(event, before, clinic),
            Event("deceased", self.day(before, 1, 200)),
        ]
        return self._one("deceased_after_events", person, events, self.entry(person, referral))

    def was_not_brought_then_discharged(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person, room=60)
        missed = self.day(referral, 1, 300)
        events = [
            Event("referral", referral, REFERRAL_CLINIC),
            Event("was_not_brought", missed, self.panel),
            Event("discharged", self.day(missed, 1, 60), REFERRAL_CLINIC),
        ]
        entry = self.entry(person, referral)
        return self._one("was_not_brought_then_discharged", person, events, entry)

    def _duplicate(self, trap: str, shift: int) -> list[Story]:
        person = self.person()
        referral = self.referral(person, room=60)
        events = self.episode(referral, self.outcome(), gap=shift + 7)
        first = self.entry(person, referral, nhs=0.9)
        later = replace(first, duplicate_of=0)
        if shift:
            second = referral + dt.timedelta(days=shift)
            later = replace(later, referral_date=second, referral_written=second)
        return [Story(trap, person, True, tuple(events), (first, later))]

    def duplicate_exact(self) -> list[Story]:
        return self._duplicate("duplicate_exact", 0)

    def duplicate_later_referral(self) -> list[Story]:
        return self._duplicate("duplicate_later_referral", self.rng.randint(1, 14))

    def not_in_pas(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        entry = self.entry(person, referral, nhs=0.6, hospital=0, identifiable=False)
        return self._one("not_in_pas", person, [], entry, in_pas=False)

    def referral_date_missing(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        written = None if self.rng.random() < 0.6 else f"31/02/{referral.year}"
        entry = self.entry(person, referral, referral_written=written)
        events = self.episode(referral, self.outcome(_REMOVED_MOSTLY))
        return self._one("referral_date_missing", person, events, entry)

    def hospital_number_only(self) -> list[Story]:
        person = self.person()
        referral = self.referral(person)
        given, family = self.typo_name(person)
        entry = self.entry(person, referral, nhs=0, hospital=1, given=given, family=family)
        events = self.episode(referral, self.outcome(_REMOVED_MOSTLY))
        return self._one("hospital_number_only", person, events, entry)

    def hospital_number_of_other(self) -> list[Story]:
        other = self._removed_other()
        person = self.person()
        referral = self.referral(person)
        entry = self.entry(
            person,
            referral,
            nhs=0,
            hospital=0,
            hospital_number=other[0].pas_id,
            identifiable=False,
        )
        in_pas = self.rng.random() < 0.5
        return self._one(
            "hospital_number_of_other",
            person,
            self.episode(referral, "waiting"),
            entry,
            in_pas=in_pas,
            others=[other],
        )

    def pas_only(self) -> tuple[Person, list[Event]]:
        """A PAS patient who is not on the list: other clinics, or the panel."""
        person = self.person()
        referral = self.referral(person, room=1)
        if self.rng.random() < 0.5:
            clinic = self.rng.choice(OTHER_CLINICS)
            events = [Event("referral", referral, clinic)]
            if self.rng.random() < 0.5:
                events.append(Event("attended", self.day(referral, 1, 400, cap=False), clinic))
            return person, events
        return person, self.episode(referral, self.outcome(_PLAIN_WEIGHTS), gap=1)


_PAIRED_TRAPS = frozenset({"namesakes"})


def _stories(builder: _Builder, children: int) -> list[Story]:
    stories: list[Story] = []
    for trap in TRAPS:
        if trap == "plain" or (trap in HOSPITAL_TRAPS and not builder.layout.hospital_numbers):
            continue
        times = max(1, round(children * TRAP_SHARE))
        if trap in _PAIRED_TRAPS:
            times = max(1, times // 2)
        make: Callable[[], list[Story]] = getattr(builder, trap)
        for _ in range(times):
            stories += make()
    if len(stories) > children - 5:
        raise ValueError(f"{children} children cannot hold every trap; use {MIN_CHILDREN} or more")
    for number in range(children - len(stories)):
        stories += builder.plain(accented=builder.layout.accents and number == 0)
    return stories


# --- the files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One data row of the generated list, with its truth."""

    source_row: int
    story: Story
    entry: Entry
    truth: str
    group: int
    duplicate_of_row: int | None

    @property
    def trap(self) -> str:
        return self.story.trap

    @property
    def pas_id(self) -> str | None:
        """The PAS patient this row is (``None`` when unmatched)."""
        return None if self.truth == "unmatched" else self.story.person.pas_id


@dataclass
class Generated:
    """A generated legacy list, PAS extract and truth; :meth:`write` puts them on disk."""

    seed: int
    as_of: dt.date
    panel_clinic: str
    layout: Layout
    stories: list[Story]
    sheets: list[tuple[str, list[list[Cell]]]]
    """The workbook's sheets (a csv file has one): (name, rows of cells, row 1 first)."""
    rows: list[Row]
    pas: list[dict[str, str]]
    legacy_name: str = "legacy_ptl.csv"

    @property
    def grid(self) -> list[list[Cell]]:
        """The cells of the sheet that holds the list."""
        return self.sheets[-1][1]

    @property
    def sheet_name(self) -> str:
        return self.sheets[-1][0]

    def truth_counts(self) -> Counter[str]:
        return Counter(row.truth for row in self.rows)

    def traps(self) -> set[str]:
        return {row.trap for row in self.rows}

    def truth_table(self) -> list[dict[str, str]]:
        """truth.csv's rows: ``source_row, truth, group, trap, duplicate_of_row, pas_id``."""
        return [
            {
                "source_row": str(row.source_row),
                "truth": row.truth,
                "group": str(row.group),
                "trap": row.trap,
                "duplicate_of_row": str(row.duplicate_of_row or ""),
                "pas_id": row.pas_id or "",
            }
            for row in self.rows
        ]

    def fingerprint(self) -> str:
        """A digest of everything generated (the same for the same seed, in any process)."""
        text = repr((self.sheets, self.pas, self.truth_table(), self.layout))
        return hashlib.sha256(text.encode()).hexdigest()

    def write(self, directory: str | Path) -> tuple[Path, Path, Path]:
        """Write the legacy list, ``pas_extract.csv`` and ``truth.csv`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        legacy = directory / self.legacy_name
        if self.layout.file_format == "xlsx":
            _write_xlsx(legacy, self.sheets)
        else:
            _write_csv(legacy, self.grid, encoding=self.layout.encoding)
        pas = directory / "pas_extract.csv"
        _write_dicts(pas, PAS_COLUMNS, self.pas)
        truth = directory / "truth.csv"
        table = self.truth_table()
        _write_dicts(truth, tuple(table[0]) if table else ("source_row", "truth"), table)
        return legacy, pas, truth


def _write_dicts(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_csv(path: Path, grid: Sequence[Sequence[Cell]], *, encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in grid:
        writer.writerow(["" if cell is None else str(cell) for cell in row])
    path.write_bytes(buffer.getvalue().encode(encoding))


def _write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[Sequence[Cell]]]]) -> None:
    import openpyxl  # a development dependency: only needed to write xlsx

    workbook = openpyxl.Workbook()
    default = workbook.active
    for title, grid in sheets:
        sheet = workbook.create_sheet(title)
        for number, row in enumerate(grid, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None and value != "":
                    sheet.cell(row=number, column=column, value=value)
    if default is not None:
        workbook.remove(default)
    workbook.save(path)


class _Renderer:
    """Writes entries as cells, in the layout's styles."""

    def __init__(self, rng: random.Random, layout: Layout, as_of: dt.date) -> None:
        self.rng = rng
        self.layout = layout
        self.as_of = as_of
        self.xlsx = layout.file_format == "xlsx"

    def date(self, day: dt.date) -> Cell:
        style = self.rng.choice(self.layout.date_styles)
        if style == "cell" and self.xlsx:
            return day
        if style == "serial":
            serial = (day - EXCEL_EPOCH).days
            return serial if self.xlsx else str(serial)
        if style == "d.m.yy":
            return f"{day.day}.{day.month}.{day:%y}"
        if style == "d/m/yy":
            return f"{day.day}/{day.month}/{day:%y}"
        if style == "iso":
            return day.isoformat()
        if style == "dashes":
            return f"{day:%d-%m-%Y}"
        if style == "named":
            month = MONTHS[day.month - 1]
            return (
                f"{day.day} {month} {day.year}"
                if self.rng.random() < 0.5
                else (f"{day:%d}-{month}-{day:%y}")
            )
        if style == "dmy_time":
            return f"{day:%d/%m/%Y} 00:00"
        return f"{day:%d/%m/%Y}"

    def nhs_number(self, digits: str | None) -> Cell:
        if digits is None:
            return self.rng.choice(NHS_PLACEHOLDERS)
        style = self.rng.choice(self.layout.nhs_styles)
        spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        if len(digits) != 10 or not is_valid(digits):
            return self.rng.choice((digits, spaced))
        if style == "spaced":
            return spaced
        if style == "dashed":
            return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
        if style == "float":
            return float(digits) if self.xlsx else f"{digits}.0"
        if style == "int" and self.xlsx:
            return int(digits)
        if style == "sci" and not self.xlsx:
            return f"{int(digits):.9E}"
        return digits

    def hospital_number(self, pas_id: str | None) -> Cell:
        if pas_id is None:
            return ""
        return self.rng.choice((pas_id, pas_id, pas_id.lower(), f" {pas_id} "))

    def names(self, given: str, family: str) -> list[Cell]:
        style = self.layout.name_style
        shout = self.rng.random() < 0.5
        if style == "two":
            return [family.upper() if shout else family, given]
        if style == "family_comma_given":
            return [f"{family.upper() if shout else family}, {given}"]
        if style == "given_family":
            return [f"{given} {family}"]
        if style == "given_FAMILY":
            return [f"{given} {family.upper()}"]
        return [f"{family.upper()} {given}"]  # FAMILY_given

    def other_cell(self, name: str) -> Cell:
        rng = self.rng
        if name == "consultant":
            return rng.choice(CONSULTANTS)
        if name in ("school_report", "salt_report", "consent"):
            return rng.choice(REQUIREMENT_TEXT)
        if name == "panel_date":
            if rng.random() < 0.8:
                return ""
            day = self.as_of + dt.timedelta(days=rng.randint(-120, 90))
            return day if self.xlsx else f"{day:%d/%m/%Y}"
        if name == "notes":
            return rng.choice(NOTES) if rng.random() < 0.15 else ""
        if name == "status":
            return rng.choice(STATUSES)
        return ""

    def row(self, entry: Entry) -> list[Cell]:
        names = self.names(entry.given, entry.family)
        if self.layout.name_style == "two":
            by_field = {"family_name": names[0], "given_name": names[1]}
        else:
            by_field = {"name": names[0]}
        written = entry.referral_written
        by_field |= {
            "nhs_number": self.nhs_number(entry.nhs_number),
            "hospital_number": self.hospital_number(entry.hospital_number),
            "birth_date": self.date(entry.birth_date),
            "referral_date": (
                self.date(written)
                if isinstance(written, dt.date)
                else written
                if written is not None
                else self.rng.choice(DATE_PLACEHOLDERS)
            ),
        }
        return [
            by_field[column] if column in by_field else self.other_cell(column)
            for column in self.layout.columns
        ]


def _arrange(rng: random.Random, stories: Sequence[Story]) -> list[tuple[int, int]]:
    """(story, entry) in sheet order: shuffled, but each story's entries in their order."""
    order = [(s, e) for s, story in enumerate(stories) for e in range(len(story.entries))]
    rng.shuffle(order)
    counters: Counter[int] = Counter()
    arranged = []
    for story_index, _ in order:
        arranged.append((story_index, counters[story_index]))
        counters[story_index] += 1
    return arranged


def _pas_rows(
    stories: Sequence[Story], extra: Sequence[tuple[Person, list[Event]]]
) -> list[dict[str, str]]:
    patients: list[tuple[Person, Sequence[Event]]] = []
    for story in stories:
        if story.in_pas:
            patients.append((story.person, story.events))
        patients.extend(story.others)
    patients.extend(extra)
    return [
        {
            "pas_id": person.pas_id,
            "nhs_number": person.nhs_number,
            "family_name": person.family.upper(),
            "given_name": person.given,
            "birth_date": person.birth_date.isoformat(),
            "event": event.event,
            "event_date": event.date.isoformat(),
            "clinic": event.clinic,
        }
        for person, events in patients
        for event in events
    ]


def generate(
    seed: int,
    *,
    children: int = 300,
    as_of: dt.date,
    layout: str | Layout | None = None,
    panel_clinic: str = PANEL_CLINIC,
) -> Generated:
    """A labelled legacy list of ``children`` children, a PAS extract, and the truth.

    ``layout`` is one of :data:`LAYOUTS`, a :class:`Layout`, or ``None`` for a layout made
    up from the seed (:func:`random_layout`). The same arguments give the same result.
    Every trap in :data:`TRAPS` is set at least once (the hospital-number traps only when
    the layout has that column); the rest of the children are plain.
    """
    if children < MIN_CHILDREN:
        raise ValueError(f"children must be at least {MIN_CHILDREN} to hold every trap")
    if layout is None:
        chosen = random_layout(seed)
    elif isinstance(layout, Layout):
        chosen = layout
    else:
        chosen = layout_named(layout)
    rng = random.Random(seed)
    builder = _Builder(rng, as_of, panel_clinic, chosen)
    stories = _stories(builder, children)
    extra = [builder.pas_only() for _ in range(max(10, children // 2))]

    renderer = _Renderer(rng, chosen, as_of)
    grid: list[list[Cell]] = [
        [title.format(as_of=f"{as_of:%d/%m/%Y}")] for title in chosen.title_rows
    ]
    grid += [[] for _ in range(chosen.blank_rows_above_header)]
    header: list[Cell] = [chosen.headers.get(column, "") for column in chosen.columns]
    grid.append(header)

    arranged = _arrange(rng, stories)
    source_rows: dict[tuple[int, int], int] = {}
    groups: dict[int, int] = {}
    rows: list[Row] = []
    for position, (story_index, entry_index) in enumerate(arranged):
        if position and rng.random() < chosen.blank_row_rate:
            grid.append([])
        if chosen.repeated_header and position == len(arranged) // 2:
            grid.append(list(header))
        story = stories[story_index]
        entry = story.entries[entry_index]
        grid.append(renderer.row(entry))
        source_rows[story_index, entry_index] = len(grid)
        groups.setdefault(story_index, len(groups) + 1)
        duplicate_of = (
            None if entry.duplicate_of is None else source_rows[story_index, entry.duplicate_of]
        )
        truth = label(story, entry, as_of=as_of, panel_clinic=panel_clinic)
        rows.append(Row(len(grid), story, entry, truth, groups[story_index], duplicate_of))
    if chosen.footer:
        grid += [[], [f"Total: {len(rows)}"]]

    sheets: list[tuple[str, list[list[Cell]]]] = []
    if chosen.cover_sheet and chosen.file_format == "xlsx":
        cover: list[list[Cell]] = [
            ["About this list"],
            ["Kept by the admin team; see the PTL tab"],
            [f"Last updated {as_of:%d/%m/%Y}"],
        ]
        sheets.append(("Read me", cover))
    sheets.append((chosen.sheet_name, grid))

    pas = _pas_rows(stories, extra)
    rng.shuffle(pas)
    return Generated(
        seed=seed,
        as_of=as_of,
        panel_clinic=panel_clinic,
        layout=chosen,
        stories=stories,
        sheets=sheets,
        rows=rows,
        pas=pas,
        legacy_name=f"legacy_ptl{chosen.suffix}",
    )
