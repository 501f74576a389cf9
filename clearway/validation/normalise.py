"""Normalisers: one messy spreadsheet cell in, a clean value (or a plain-words problem) out.

Each normaliser takes whatever a spreadsheet reader hands over (``str``, ``int``, ``float``,
``bool``, ``date``, ``datetime`` or ``None``) and never raises for bad data: it returns the
clean value, or ``None`` with a problem sentence that quotes the cell, e.g.
``"'31/02/2016' is not a real date"``. The reader prefixes the row and column.

The rules lean to safety. A value that cannot be read with confidence is reported, never
guessed: dates are UK day-first and never swapped to US order, an NHS number that fails its
check digit is dropped with a problem, and free text that does not clearly say a requirement
arrived is *not* taken as "received".
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import nhs_number as nhs

__all__ = [
    "EXCEL_SERIAL_RANGE",
    "PersonName",
    "RequirementState",
    "is_placeholder",
    "nhs_number",
    "person_name",
    "requirement_state",
    "text_value",
    "uk_date",
]

Cell = object
"""A cell value as a reader returns it (str, int, float, bool, date, datetime or None)."""

RequirementState = Literal["received", "requested", "outstanding"]

# --- shared helpers ------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_PLACEHOLDERS = frozenset(
    {
        "",
        "tbc",
        "tba",
        "nk",
        "notknown",
        "unknown",
        "unk",
        "na",
        "none",
        "nil",
        "awaiting",
        "pending",
        "tofollow",
        "notgiven",
        "notavailable",
        "missing",
    }
)


def _key(text: str) -> str:
    """Lowercase ``text`` and drop everything but letters and digits ("N/K" -> "nk")."""
    return _NOT_ALNUM.sub("", text.casefold())


def is_placeholder(value: Cell) -> bool:
    """True when a cell holds no value: blank, or a stand-in such as "TBC", "N/K", "unknown".

    Placeholders mean "not known yet"; they are not errors, so normalisers return ``None``
    for them without a problem.
    """
    if value is None:
        return True
    if isinstance(value, str):
        return _key(value) in _PLACEHOLDERS
    return False


def text_value(value: Cell) -> str:
    """A cell as tidy text: stripped strings, whole floats without ``.0``, dates in ISO form.

    Used for identifiers and free text (hospital numbers, consultant, notes), so that a
    hospital number Excel stored as ``12345.0`` reads back as ``"12345"``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


def _show(value: Cell) -> str:
    """How a problem quotes a cell: its text as the spreadsheet shows it."""
    return text_value(value) if not isinstance(value, str) else value.strip()


# --- NHS numbers ----------------------------------------------------------------------------

_WHOLE_FLOAT_TEXT = re.compile(r"(\d+)\.0+")
_SCIENTIFIC = re.compile(r"(\d+)(?:\.(\d+))?[eE]\+?(\d+)")


def nhs_number(value: Cell) -> tuple[str | None, str | None]:
    """Read an NHS number from a cell: ``(digits, None)``, ``(None, None)`` or ``(None, problem)``.

    Accepts ``"999 123 4567"``, ``"999-123-4567"``, ``9991234567`` (int), ``9991234567.0``
    (a number cell, or its text), and Excel's scientific notation (``"9.991234567E+09"``).
    Blank cells and placeholders ("TBC", "N/K", "unknown", "awaiting", ...) give
    ``(None, None)``: no number, and nothing wrong. Everything else that is not a valid NHS
    number gives ``(None, problem)``: the wrong number of digits, a check digit that does not
    match (checked with the ``nhs-number`` package), or scientific notation that has lost
    digits (``"9.99172E+09"``: Excel kept only six of the ten).
    """
    if is_placeholder(value):
        return None, None
    shown = _show(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, f"'{shown}' is not an NHS number"
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            return None, f"'{shown}' is not an NHS number"
        text = str(int(value))
    else:
        text = str(value).strip()

    if whole := _WHOLE_FLOAT_TEXT.fullmatch(text):
        text = whole.group(1)
    elif sci := _SCIENTIFIC.fullmatch(text.replace(" ", "")):
        mantissa = (sci.group(1) + (sci.group(2) or "")).lstrip("0")
        if len(mantissa) < 10:
            return None, (
                f"'{shown}' is not an NHS number: Excel's scientific notation has lost "
                "some of its digits"
            )
        try:
            text = str(int(Decimal(text.replace(" ", ""))))
        except (InvalidOperation, ValueError):
            return None, f"'{shown}' is not an NHS number"

    digits = nhs.standardise_format(text) or re.sub(r"[\s\-.]", "", text)
    if not digits.isdigit():
        return None, f"'{shown}' is not an NHS number"
    if len(digits) != 10:
        return None, f"'{shown}' is not an NHS number: it has {len(digits)} digits, not 10"
    if not nhs.is_valid(digits):
        if nhs.calculate_checksum(digits[:9]) != int(digits[9]):
            return None, f"'{shown}' is not a valid NHS number: its check digit is wrong"
        return None, f"'{shown}' is not a valid NHS number"
    return digits, None


# --- dates ----------------------------------------------------------------------------------

_EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIAL_RANGE = (
    (dt.date(1900, 3, 1) - _EXCEL_EPOCH).days,
    (dt.date(2099, 12, 31) - _EXCEL_EPOCH).days,
)
"""Excel serial numbers read as dates: 1900-03-01 to 2099-12-31 (1900 date system).

Day 1 is 1900-01-01 and Excel wrongly counts a 29 February 1900, so serials are days since
1899-12-30 from March 1900 on. Numbers outside this range are not taken as dates.
"""

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME_SUFFIX = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_NUMERIC_DATE = re.compile(r"(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})")
_DAY_MONTH_NAME = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d{4}|\d{2})", re.IGNORECASE
)
_MONTH_NAME_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", re.IGNORECASE)
_NO_YEAR = re.compile(r"\d{1,2}[/.\-]\d{1,2}")
_SERIAL_TEXT = re.compile(r"\d{4,5}(?:\.\d+)?")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).astimezone().date()


def _full_year(yy: int, month: int, day: int, as_of: dt.date, allow_future: bool) -> int:
    """The century for a two-digit year (see :func:`uk_date`)."""
    if allow_future:
        return min((1900 + yy, 2000 + yy, 2100 + yy), key=lambda year: abs(year - as_of.year))
    recent = 2000 + yy
    return recent if (recent, month, day) <= (as_of.year, as_of.month, as_of.day) else 1900 + yy


def _from_serial(number: float, shown: str) -> tuple[dt.date | None, str | None]:
    low, high = EXCEL_SERIAL_RANGE
    if not math.isfinite(number) or not low <= number < high + 1:
        return None, f"'{shown}' is not a date"
    return _EXCEL_EPOCH + dt.timedelta(days=int(number)), None


def _build(
    year: int, month: int, day: int, shown: str, *, day_first: bool
) -> tuple[dt.date | None, str | None]:
    try:
        return dt.date(year, month, day), None
    except ValueError:
        hint = " (dates are read day first, as dd/mm/yyyy)" if day_first and month > 12 else ""
        return None, f"'{shown}' is not a real date{hint}"


def uk_date(
    value: Cell, *, as_of: dt.date | None = None, allow_future: bool = False
) -> tuple[dt.date | None, str | None]:
    """Read a UK date from a cell: ``(date, None)``, ``(None, None)``, or ``(None, problem)``.

    Understands date and datetime cells; ``dd/mm/yyyy``, ``d/m/yy``, ``d.m.yy``,
    ``dd-mm-yyyy`` (always **day first**: ``05/13/2021`` is not a real date, it is never read
    as 13 May); ISO ``yyyy-mm-dd``; month names (``3 May 2021``, ``03-May-21``,
    ``May 3, 2021``); a trailing time (``03/05/2021 00:00``); and Excel serial numbers, as
    numbers or digits (days since 1899-12-30, only within :data:`EXCEL_SERIAL_RANGE`).
    Placeholders ("TBC", "N/K", ...) count as blank.

    Two-digit years: ``yy`` means ``20yy`` when that date is not after ``as_of`` (default:
    today), otherwise ``19yy`` -- right for birth and referral dates, which are never in the
    future. With ``allow_future=True`` (booked panel dates) ``yy`` takes the century nearest
    to ``as_of``. Whether a date is plausible for its column (a birth date after the
    referral, say) is for the caller to judge.
    """
    if is_placeholder(value):
        return None, None
    shown = _show(value)
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, f"'{shown}' is not a date"
    if isinstance(value, int | float):
        return _from_serial(float(value), shown)

    as_of = as_of or _today()
    text = _TIME_SUFFIX.sub("", value.strip()).strip()
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text), shown)

    if match := _NUMERIC_DATE.fullmatch(text):
        first, _, middle, last = match.groups()
        if len(first) == 4 and len(last) <= 2:  # ISO: yyyy-mm-dd
            return _build(int(first), int(middle), int(last), shown, day_first=False)
        if len(first) > 2 or len(last) not in (2, 4):
            return None, f"'{shown}' is not a date in a form Clearway reads (use dd/mm/yyyy)"
        day, month, year = int(first), int(middle), int(last)
        if len(last) == 2:
            year = _full_year(year, month, day, as_of, allow_future)
        return _build(year, month, day, shown, day_first=True)

    named = _DAY_MONTH_NAME.fullmatch(text)
    if named:
        day_text, month_text, year_text = named.groups()
    elif named := _MONTH_NAME_DAY.fullmatch(text):
        month_text, day_text, year_text = named.groups()
    if named:
        month_number = _MONTHS.get(month_text.casefold())
        if month_number is None:
            return None, f"'{shown}' is not a date: '{month_text}' is not a month"
        day, year = int(day_text), int(year_text)
        if len(year_text) == 2:
            year = _full_year(year, month_number, day, as_of, allow_future)
        return _build(year, month_number, day, shown, day_first=False)

    if _NO_YEAR.fullmatch(text):
        return None, f"'{shown}' is not a full date: it has no year"
    return None, f"'{shown}' is not a date in a form Clearway reads (use dd/mm/yyyy)"


# --- names ----------------------------------------------------------------------------------

_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "le"})


@dataclass(frozen=True)
class PersonName:
    """A name split into given and family parts.

    ``given`` and ``family`` are tidily capitalised ("O'Neill", "McDonald", "Smith-Jones");
    ``given_original`` and ``family_original`` are the same parts exactly as written, and
    ``original`` is the whole cell (or cells). ``problem`` says when a split was not
    possible (one word only): the single word is then taken as the family name.
    """

    given: str | None
    family: str | None
    given_original: str | None
    family_original: str | None
    original: str
    problem: str | None = None


def _tidy_word(word: str) -> str:
    if not word.isupper() and not word.islower():
        return word  # mixed case as written ("McDonald", "DeVito"): trust it
    word = word.lower()
    if word in _PARTICLES:
        return word
    parts = re.split(r"([\-'’])", word)
    tidy = "".join(part[:1].upper() + part[1:] for part in parts)
    if tidy.startswith("Mc") and len(tidy) > 2:
        tidy = "Mc" + tidy[2].upper() + tidy[3:]
    return tidy


def _tidy(name: str | None) -> str | None:
    if not name:
        return None
    return " ".join(_tidy_word(word) for word in name.split())


def _is_shouted(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _split_full_name(full: str) -> tuple[str | None, str | None]:
    if "," in full:
        family, _, given = full.partition(",")
        return given.strip() or None, family.strip() or None
    words = full.split()
    if len(words) == 1:
        return None, words[0]
    shouted = [_is_shouted(word) for word in words]
    if any(shouted) and not all(shouted):
        # Family name = the run of capitalised words ("Mary-Jane VAN DER BERG", "SMITH John").
        start = shouted.index(True)
        end = start
        while end < len(words) and shouted[end]:
            end += 1
        family_words = words[start:end]
        given_words = words[:start] + words[end:]
        return " ".join(given_words) or None, " ".join(family_words)
    for index, word in enumerate(words[1:-1], start=1):
        if word.casefold() in _PARTICLES:  # "Anna van der Berg"
            return " ".join(words[:index]), " ".join(words[index:])
    return " ".join(words[:-1]), words[-1]


def person_name(full: Cell = None, *, given: Cell = None, family: Cell = None) -> PersonName | None:
    """Split and tidy a name, from one "Name" cell or from separate given and family cells.

    One cell: ``"SURNAME, Forename"`` (comma: family first); ``"Forename SURNAME"`` or
    ``"SURNAME Forename"`` (the all-capitals word(s) are the family name); otherwise
    ``"Forename Middle Surname"`` (the last word, or from a particle such as "van", is the
    family name). Separate cells win when either is filled. Returns ``None`` when every cell
    is blank.
    """
    given_text = text_value(given)
    family_text = text_value(family)
    if given_text or family_text:
        original = " ".join(part for part in (given_text, family_text) if part)
        return PersonName(
            given=_tidy(given_text),
            family=_tidy(family_text),
            given_original=given_text or None,
            family_original=family_text or None,
            original=original,
        )
    full_text = " ".join(text_value(full).split())
    if not full_text:
        return None
    given_part, family_part = _split_full_name(full_text)
    problem = None
    if given_part is None:
        problem = f"'{full_text}' has only one name; taken as the family name"
    return PersonName(
        given=_tidy(given_part),
        family=_tidy(family_part),
        given_original=given_part,
        family_original=family_part,
        original=full_text,
        problem=problem,
    )


# --- requirement states ---------------------------------------------------------------------

_RECEIVED_WORDS = frozenset(
    {"y", "yes", "rec", "recd", "recvd", "rcvd", "received", "done", "got", "true", "✓", "✔", "☑"}
)
_REQUESTED_WORDS = frozenset(
    {
        "chased",
        "chase",
        "chasing",
        "requested",
        "request",
        "req",
        "reqd",
        "sent",
        "awaiting",
        "await",
        "waiting",
        "pending",
        "asked",
        "emailed",
        "phoned",
        "rang",
        "reminded",
        "reminder",
    }
)
_NEGATIVE_WORDS = frozenset(
    {"n", "no", "not", "none", "nil", "never", "outstanding", "missing", "false", "✗", "✘", "☒"}
)


def requirement_state(value: Cell) -> tuple[RequirementState, str | None]:
    """Read a free-text requirement cell (school or SaLT report, consent): ``(state, problem)``.

    - ``received``: "Y", "yes", "rec'd", "received 3/2", "done", a tick, a TRUE cell;
    - ``requested``: "chased 3/2", "requested", "sent", "awaiting", "pending", and anything
      that says both no and chased ("not rec'd - chased 3/2");
    - ``outstanding``: blank, "N", "no", "not received", a cross, a FALSE cell.

    Dates and numbers in the text are ignored. Text that is not understood, that mixes
    "received" with "chased", or that asks a question ("rec'd?") is **never** taken as
    received: it is ``requested`` (if it mentions a request) or ``outstanding``, with a
    problem.
    """
    if isinstance(value, bool):
        return ("received" if value else "outstanding"), None
    text = text_value(value)
    if not text:
        return "outstanding", None
    words = set(
        re.findall(r"[^\W\d_]+|[✓✔☑✗✘☒]", text.casefold().replace("'", "").replace("’", ""))
    )
    received = bool(words & _RECEIVED_WORDS)
    requested = bool(words & _REQUESTED_WORDS)
    negative = bool(words & _NEGATIVE_WORDS)
    if "?" in text:
        state: RequirementState = "requested" if requested else "outstanding"
        return state, f"'{text}' is uncertain; taken as {state}"
    if negative:
        return ("requested" if requested else "outstanding"), None
    if received and requested:
        return "requested", f"'{text}' says both received and requested; taken as requested"
    if received:
        return "received", None
    if requested:
        return "requested", None
    return "outstanding", f"'{text}' is not a recognised requirement state; taken as outstanding"
