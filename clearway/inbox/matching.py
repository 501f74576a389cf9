"""Propose which child an inbox message is about, and what kind of document it brings.

:func:`propose` reads a message's subject, body and attachment texts and looks for three
kinds of evidence about the service's children (a :class:`ChildIndex`):

- **NHS numbers** written any way (``999 123 4567``, ``999-123-4567``, ``9991234567``, with
  "NHS No:" or not); only numbers whose check digit is right count (checked by
  :func:`clearway.validation.normalise.nhs_number`, the ``nhs-number`` package);
- **dates** (``03/03/2018``, ``3.3.18``, ``3 March 2018``, ``03-Mar-2018``, ISO), read by
  :func:`clearway.validation.normalise.uk_date` — day first, two-digit years as a child's:
  never in the future and under :data:`MAX_AGE_YEARS` years old;
- **full names** of listed children: given and family name side by side, either order
  ("Ella Brook", "BROOK, Ella", "Brook Ella", a middle name between), any case, accents
  folded ("Zoe" finds "Zoë"), hyphens, apostrophes and spaces inside a name ignored.

The rules lean to safety: a report filed to the wrong child is the hazard. A child is
proposed only on strong, unambiguous evidence:

========================================================  ==========  =====================
Evidence                                                  Confidence  Proposed
========================================================  ==========  =====================
the child's NHS number, and their name or birth date      high        yes
the child's NHS number alone                              medium      yes
full name and birth date of exactly one listed child      high        yes
a full name alone (a namesake could share it)             --          no: a candidate
NHS number of one child, name (or name and birth date)    --          no: flag ``conflict``
of another; or a "DOB" given that is not the child's
several children identified                               --          no: flag
                                                                      ``several_children``
========================================================  ==========  =====================

The document type comes from keywords (:data:`SCD_KEYWORDS`, data so other pathways can
pass their own) in the subject, body, attachment names and texts. Pure Python: no Django.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from clearway.validation.normalise import nhs_number, uk_date

__all__ = [
    "KEYWORD_CHARACTERS",
    "MAX_AGE_YEARS",
    "SCD_KEYWORDS",
    "AttachmentLike",
    "Candidate",
    "Child",
    "ChildIndex",
    "ChildRow",
    "Confidence",
    "Evidence",
    "Flag",
    "FlagKind",
    "MessageLike",
    "Proposal",
    "document_type",
    "find_evidence",
    "fold",
    "name_key",
    "propose",
    "show_date",
    "show_nhs_number",
]

MAX_AGE_YEARS = 19
"""A date more than this many years ago is not taken as a child's birth date."""

KEYWORD_CHARACTERS = 20_000
"""Keywords are looked for in the first this-many characters of each text (a title and
opening say what a document is)."""

SCD_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "school_report": (
        *("school report", "school", "teacher", "class teacher", "head teacher", "senco"),
        *("class", "classroom", "nursery", "educational", "education", "pupil", "reception"),
        *("teaching assistant", "early years", "academy", "primary", "headteacher", "sendco"),
    ),
    "salt_report": (
        *("salt report", "salt", "slt", "speech and language", "speech therapy", "therapist"),
        *("language therapy", "communication assessment", "speech & language", "salt team"),
    ),
    "consent": (
        *("consent", "opt in", "opt-in", "opted in", "opting in", "permission"),
        *("signed form", "consent form", "i agree", "i give my consent", "parental consent"),
    ),
}
"""Keywords for each SCD requirement key; another pathway passes its own table."""

Confidence = Literal["high", "medium", "none"]
ChildRow = tuple[int, str | None, str, str, dt.date | None]
"""(child_id, nhs_number, given_name, family_name, birth_date), as the service lists them."""


# --- inputs ---------------------------------------------------------------------------------


class AttachmentLike(Protocol):
    """What matching reads of an attachment (:class:`clearway.inbox.text.AttachmentText`)."""

    @property
    def filename(self) -> str: ...

    @property
    def text(self) -> str: ...


class MessageLike(Protocol):
    """What matching reads of a message (:class:`clearway.inbox.text.MessageText`)."""

    @property
    def subject(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def attachments(self) -> Sequence[AttachmentLike]: ...


# --- names ----------------------------------------------------------------------------------

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l"}
    | {"Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i"}
)
_LETTERS = re.compile(r"[^\W\d_]+")
_WORD_SPLIT = re.compile(r"([^\W\d_]+)")


def fold(text: str) -> str:
    """``text`` with accents taken off ("Zoë Müller" -> "Zoe Muller"), same length or not."""
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).translate(_UNDECOMPOSED)


def name_key(name: str) -> str:
    """A name's match key: letters only, accents folded, case folded ("O'Neill" -> "oneill").

    The same key as validation's (``engine._KEY``), so "Smith-Jones", "Smith Jones" and
    "SMITH JONES" agree.
    """
    return "".join(_LETTERS.findall(fold(name))).casefold()


def _words(name: str) -> int:
    return max(1, len(_LETTERS.findall(fold(name))))


# --- children -------------------------------------------------------------------------------


def show_nhs_number(digits: str) -> str:
    """``9991234567`` as people write it: ``999 123 4567``."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def show_date(day: dt.date) -> str:
    """A date in words: ``3 March 2018``."""
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Child:
    """One child of the service (with an open referral), as matching knows them."""

    child_id: int
    nhs_number: str | None
    given_name: str
    family_name: str
    birth_date: dt.date | None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def described(self) -> str:
        """ "Ella Brook (born 3 March 2018, NHS number 999 123 4567)"."""
        details = []
        if self.birth_date:
            details.append(f"born {show_date(self.birth_date)}")
        if self.nhs_number:
            details.append(f"NHS number {show_nhs_number(self.nhs_number)}")
        return f"{self.name} ({', '.join(details)})" if details else self.name


def _tidy_nhs_number(raw: str | None) -> str | None:
    """An NHS number from a child's record as ten digits; ``None`` if it is not one.

    Records hold clean digits already (checked when saved), so the check digit is left to
    :func:`clearway.validation.normalise.nhs_number` only for anything else.
    """
    if not raw:
        return None
    if len(raw) == 10 and raw.isdigit():
        return raw
    digits, _ = nhs_number(raw)
    return digits


class ChildIndex:
    """The service's children, indexed for matching: by NHS number, name and birth date.

    Built once from rows (see :data:`ChildRow`) and reused for many messages: building it
    for 100,000 children takes about a second, and each lookup is a dictionary access.
    NHS numbers are tidied (spaces, dashes) and dropped when not valid.
    """

    def __init__(self, rows: Iterable[ChildRow]) -> None:
        self.children: dict[int, Child] = {}
        self.by_nhs: dict[str, list[Child]] = defaultdict(list)
        # family key -> given key -> children
        self.by_name: dict[str, dict[str, list[Child]]] = defaultdict(dict)
        self.by_birth_date: dict[dt.date, list[Child]] = defaultdict(list)
        # Where in a text a family name may begin (see _key).
        self.family_starts: set[str] = set()
        self.family_words = 1
        self.given_words = 1
        # name -> (key, how its written form may begin, number of words)
        self._keys: dict[str, tuple[str, tuple[str, ...], int]] = {}
        collecting = gc.isenabled()
        gc.disable()  # 100,000 small objects would set the collector off many times
        try:
            for row in rows:
                self._add(row)
        finally:
            if collecting:
                gc.enable()

    def _key(self, name: str) -> tuple[str, tuple[str, ...], int]:
        if name not in self._keys:  # names repeat a lot: each is worked out once
            words = _LETTERS.findall(fold(name).casefold())
            # "O'Neill-Müller" may be written "O Neill Muller", "ONeill-Muller" or
            # "ONeillMuller": its first word is one of "o", "oneill", "oneillmuller".
            starts = tuple("".join(words[: n + 1]) for n in range(len(words)))
            self._keys[name] = ("".join(words), starts, len(words))
        return self._keys[name]

    def _add(self, row: ChildRow) -> None:
        child_id, raw_nhs, given, family, birth_date = row
        digits = _tidy_nhs_number(raw_nhs)
        child = Child(child_id, digits, given or "", family or "", birth_date)
        self.children[child_id] = child
        if digits:
            self.by_nhs[digits].append(child)
        if birth_date:
            self.by_birth_date[birth_date].append(child)
        family_key, family_starts, family_words = self._key(child.family_name)
        given_key, _, given_words = self._key(child.given_name)
        if family_key and given_key:
            self.by_name[family_key].setdefault(given_key, []).append(child)
            self.family_starts.update(family_starts)
            self.family_words = max(self.family_words, family_words)
            self.given_words = max(self.given_words, given_words)

    def __len__(self) -> int:
        return len(self.children)

    def named(self, given: str, family: str) -> list[Child]:
        """The children with this full name (keys compared, so accents and case ignored)."""
        return list(self.by_name.get(name_key(family), {}).get(name_key(given), []))


# --- finding evidence -----------------------------------------------------------------------

_NHS_CANDIDATE = re.compile(
    r"(?<![\d\-/])(?<!\d\.)\d{3}([ \t\u00a0]{1,2}|-|\.|)\d{3}([ \t\u00a0]{1,2}|-|\.|)\d{4}(?!\d)"
)
_NHS_LABEL = re.compile(r"nhs", re.IGNORECASE)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# Every form begins with a digit, so the scan is quick; "March 3, 2018" is found from its
# "3, 2018" and the month before it.
_DATE_CANDIDATE = re.compile(
    r"\d(?:"
    r"\d{3}-\d{1,2}-\d{1,2}"
    r"|\d?/\d{1,2}/(?:\d{4}|\d{2})"
    r"|\d?\.\d{1,2}\.(?:\d{4}|\d{2})"
    r"|\d?-\d{1,2}-(?:\d{4}|\d{2})"
    rf"|\d?(?:st|nd|rd|th)?[ \-/.]{{0,3}}{_MONTH}\b\.?[ \-/.,]{{0,3}}(?:\d{{4}}|\d{{2}})"
    r"|(?P<day_year>\d?(?:st|nd|rd|th)?,?[ \t]{1,2}\d{4})"
    r")(?!\d)(?![/.\-]\d)",
    re.IGNORECASE,
)
_MONTH_BEFORE = re.compile(rf"(?<![^\W\d_]){_MONTH}\.?[ \t]{{1,2}}$", re.IGNORECASE)
_NOT_BEFORE_A_DATE = frozenset("0123456789/.-")
_DOB_LABEL = re.compile(
    r"(?:\bd\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date|\bborn(?:\s+on)?)[\s:\-–(]*$",
    re.IGNORECASE,
)
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "dear", "master"})
_INSIDE_NAME = re.compile(r"[ \-'’]{1,3}")
_BETWEEN_NAMES = re.compile(r"[ \t\u00a0]{1,3}|[ \t\u00a0]*\n[ \t\u00a0]*")
_FAMILY_THEN_GIVEN = re.compile(r"[ \t\u00a0]*,?[ \t\u00a0]{1,3}|,")


_K = TypeVar("_K")


@dataclass
class Evidence:
    """Everything found in one message, with where it was found ("the subject", ...)."""

    nhs_numbers: dict[str, list[str]] = field(default_factory=dict)
    nhs_labelled: set[str] = field(default_factory=set)
    bad_nhs_numbers: dict[str, list[str]] = field(default_factory=dict)
    named: dict[int, list[str]] = field(default_factory=dict)
    dates: dict[dt.date, list[str]] = field(default_factory=dict)
    birth_dates_given: set[dt.date] = field(default_factory=set)


def _add(places: dict[_K, list[str]], key: _K, place: str) -> None:
    found = places.setdefault(key, [])
    if place not in found:
        found.append(place)


def _find_nhs_numbers(text: str, place: str, evidence: Evidence) -> None:
    for match in _NHS_CANDIDATE.finditer(text):
        written = match.group(0)
        before = text[max(0, match.start() - 25) : match.start()]
        labelled = bool(_NHS_LABEL.search(before))
        formatted = bool(match.group(1) and match.group(2))
        digits, problem = nhs_number(written)
        if digits:
            _add(evidence.nhs_numbers, digits, place)
            if labelled or formatted:
                evidence.nhs_labelled.add(digits)
        elif problem and (labelled or formatted):
            _add(evidence.bad_nhs_numbers, problem, place)


def _find_dates(text: str, place: str, evidence: Evidence, today: dt.date) -> None:
    oldest = dt.date(today.year - MAX_AGE_YEARS, 1, 1)
    read: dict[str, dt.date | None] = {}
    for match in _DATE_CANDIDATE.finditer(text):
        start, written = match.start(), match.group(0)
        if start and text[start - 1] in _NOT_BEFORE_A_DATE:
            continue
        if match.group("day_year") is not None:
            month = _MONTH_BEFORE.search(text, max(0, start - 12), start)
            if month is None:
                continue  # "3 2018": not a date
            start, written = month.start(), month.group(0) + written
        if written not in read:
            day, _ = uk_date(written, as_of=today)
            read[written] = day if day is not None and oldest <= day <= today else None
        found = read[written]
        if found is None:
            continue
        _add(evidence.dates, found, place)
        if _DOB_LABEL.search(text, max(0, start - 30), start):
            evidence.birth_dates_given.add(found)


def _find_names(text: str, place: str, evidence: Evidence, index: ChildIndex) -> None:
    # One split gives the words and the gaps between them: gaps[k] comes before tokens[k].
    parts = _WORD_SPLIT.split(fold(text).casefold())
    tokens, gaps = parts[1::2], parts[0::2]
    starts = index.family_starts
    count = len(tokens)

    def joined(first: int, last: int) -> str | None:
        """The key of tokens first..last if they read as one name (no gap but - ' space)."""
        if first < 0 or last >= count:
            return None
        for k in range(first + 1, last + 1):
            if not _INSIDE_NAME.fullmatch(gaps[k]):
                return None
        return "".join(tokens[first : last + 1])

    def clean_edge(before: int, after: int) -> bool:
        """The name is not part of a longer hyphenated or apostrophe'd word."""
        if before >= 0 and gaps[before + 1] in ("-", "'", "’"):
            return False
        if after < count and gaps[after] in ("-", "'", "’"):
            return tokens[after] == "s" and gaps[after] != "-"  # "Brook's"
        return True

    for i in [k for k, token in enumerate(tokens) if token in starts]:
        for length in range(index.family_words):
            j = i + length
            family_key = joined(i, j)
            if family_key is None:
                break
            givens = index.by_name.get(family_key)
            if not givens:
                continue
            found: list[Child] = []
            # Given name first: "Ella Brook", "Ella Rose Brook" (one middle name).
            for skip in (0, 1):
                end = i - 1 - skip
                if end < 0 or not all(
                    _BETWEEN_NAMES.fullmatch(gaps[k]) for k in range(end + 1, i + 1)
                ):
                    continue
                for size in range(index.given_words):
                    key = joined(end - size, end)
                    if key is None:
                        break
                    if key in givens and clean_edge(end - size - 1, j + 1):
                        found.extend(givens[key])
            # Family name first: "BROOK, Ella", "Brook Ella"; not "Dear Mrs Brook, Ella ...".
            if (
                j + 1 < count
                and _FAMILY_THEN_GIVEN.fullmatch(gaps[j + 1])
                and (i == 0 or tokens[i - 1] not in _TITLES)
            ):
                for size in range(index.given_words):
                    key = joined(j + 1, j + 1 + size)
                    if key is None:
                        break
                    if key in givens and clean_edge(i - 1, j + 2 + size):
                        found.extend(givens[key])
            for child in found:
                _add(evidence.named, child.child_id, place)


def _sources(message: MessageLike) -> list[tuple[str, str]]:
    sources = [("the subject", message.subject or ""), ("the message", message.body or "")]
    for attachment in message.attachments:
        name = attachment.filename or "attachment"
        sources.append((f"the attachment {name}", f"{name}\n{attachment.text or ''}"))
    return sources


def find_evidence(
    message: MessageLike, index: ChildIndex, *, today: dt.date | None = None
) -> Evidence:
    """The NHS numbers, dates and listed children's names in ``message``, and where."""
    today = today or dt.datetime.now(dt.UTC).astimezone().date()
    evidence = Evidence()
    for place, text in _sources(message):
        if not text:
            continue
        _find_nhs_numbers(text, place, evidence)
        _find_dates(text, place, evidence, today)
        _find_names(text, place, evidence, index)
    return evidence


# --- document type --------------------------------------------------------------------------


def _keyword_pattern(words: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        pieces = re.split(r"[\s\-]+", fold(word).casefold().strip())
        parts.append(
            r"[\s\-]+".join(
                "(?:and|&)" if piece in ("and", "&") else re.escape(piece) for piece in pieces
            )
        )
    return re.compile(r"(?<![^\W_])(?:" + "|".join(parts) + r")(?![^\W_])", re.IGNORECASE)


_PATTERNS: dict[tuple[tuple[str, tuple[str, ...]], ...], dict[str, re.Pattern[str]]] = {}


def _patterns(keywords: Mapping[str, Sequence[str]]) -> dict[str, re.Pattern[str]]:
    key = tuple((requirement, tuple(words)) for requirement, words in keywords.items())
    if key not in _PATTERNS:
        _PATTERNS[key] = {
            requirement: _keyword_pattern(words) for requirement, words in keywords.items()
        }
    return _PATTERNS[key]


def document_type(
    texts: Iterable[tuple[str, float]],
    keywords: Mapping[str, Sequence[str]] = SCD_KEYWORDS,
) -> str | None:
    """The requirement key whose keywords weigh most in ``texts`` ((text, weight) pairs).

    Each keyword found counts its text's weight (at most 5 finds per text, so one long
    report cannot drown its title). ``None`` when no keyword is found or two types tie.
    """
    patterns = _patterns(keywords)
    scores: dict[str, float] = dict.fromkeys(patterns, 0.0)
    for text, weight in texts:
        if not text:
            continue
        folded = fold(text[:KEYWORD_CHARACTERS])
        for requirement, pattern in patterns.items():
            finds = 0
            for _ in pattern.finditer(folded):
                finds += 1
                if finds == 5:
                    break
            scores[requirement] += finds * weight
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] <= 0:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
        return None
    return ranked[0][0]


# --- the proposal ---------------------------------------------------------------------------

FlagKind = Literal["conflict", "several_children", "ambiguous", "nhs_number_invalid"]
"""``conflict``: the identifiers point to different children; ``several_children``: more
than one child is identified (split the message); ``ambiguous``: an NHS number on two
records, or namesakes sharing a birth date; ``nhs_number_invalid``: a number written as an
NHS number whose check digit is wrong."""


@dataclass(frozen=True)
class Flag:
    """Something the coordinator must look at; ``kind`` is one of :data:`FlagKind`."""

    kind: FlagKind
    text: str


@dataclass(frozen=True)
class Candidate:
    """A child the message may be about, and why (``evidence`` in plain words).

    ``described`` names the child with their birth date and NHS number, for a person to
    choose between namesakes: "Ella Brook (born 3 March 2018, NHS number 999 123 4567)".
    """

    child_id: int
    name: str
    described: str
    evidence: str


@dataclass(frozen=True)
class Proposal:
    """What matching proposes for one message.

    ``child_id`` is ``None`` unless the evidence is strong and unambiguous; ``requirement``
    is a requirement key (``school_report``...) or ``None``; ``attachment_requirements`` is
    the same for each attachment in order (from its own name and text, else the
    message's). ``reasons`` say in plain words what was found; ``flags`` what needs a
    person; ``candidates`` the children the coordinator may choose between.
    """

    child_id: int | None
    requirement: str | None
    confidence: Confidence
    reasons: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    attachment_requirements: tuple[str | None, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def has_flag(self, kind: FlagKind) -> bool:
        return any(flag.kind == kind for flag in self.flags)


def _places(places: Sequence[str]) -> str:
    if len(places) <= 1:
        return f"in {places[0]}" if places else ""
    return "in " + ", ".join(places[:-1]) + " and " + places[-1]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class _Decision:
    proposed: dict[int, tuple[Confidence, str]] = field(default_factory=dict)
    conflicts: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _nhs_evidence(evidence: Evidence, index: ChildIndex, decision: _Decision) -> None:
    named = {cid: index.children[cid] for cid in evidence.named}
    nhs_children = {
        child.child_id: child
        for digits in evidence.nhs_numbers
        for child in index.by_nhs.get(digits, [])
    }
    explained_births = {c.birth_date for c in (*nhs_children.values(), *named.values())}
    unexplained_births = evidence.birth_dates_given - explained_births

    for digits, places in evidence.nhs_numbers.items():
        owners = index.by_nhs.get(digits, [])
        shown = show_nhs_number(digits)
        if len(owners) > 1:
            decision.flags.append(
                Flag(
                    "ambiguous",
                    f"NHS number {shown} is on {len(owners)} children's records: "
                    + _and([o.described for o in owners]),
                )
            )
            continue
        if not owners:
            if digits in evidence.nhs_labelled:
                decision.notes.append(
                    f"NHS number {shown} {_places(places)} is not one of the service's "
                    "children with an open referral"
                )
            continue
        child = owners[0]
        name_agrees = child.child_id in named
        birth_agrees = child.birth_date is not None and child.birth_date in evidence.dates
        own_key = (name_key(child.given_name), name_key(child.family_name))
        others = [
            other
            for other in named.values()
            if other.child_id not in nhs_children
            and (name_key(other.given_name), name_key(other.family_name)) != own_key
        ]
        where = f"NHS number {shown} {_places(places)}"
        rivals = [
            other
            for other in named.values()
            if other.child_id not in nhs_children
            and other.birth_date is not None
            and other.birth_date in evidence.dates
        ]
        if rivals and not birth_agrees:
            decision.conflicts.append(
                (
                    f"{where} belongs to {child.described}, but the name and date of birth in "
                    "the message belong to " + _and([other.described for other in rivals]),
                    (child.child_id, *(other.child_id for other in rivals)),
                )
            )
            continue
        if others and not name_agrees:
            other_names = list(dict.fromkeys(other.name for other in others))
            decision.conflicts.append(
                (
                    f"{where} belongs to {child.described}, but the message names "
                    + _and(other_names),
                    (child.child_id, *(other.child_id for other in others)),
                )
            )
            continue
        if unexplained_births and child.birth_date not in evidence.birth_dates_given:
            given = _and([show_date(day) for day in sorted(unexplained_births)])
            decision.conflicts.append(
                (
                    f"{where} belongs to {child.described}, but the date of birth given is {given}",
                    (child.child_id,),
                )
            )
            continue
        if name_agrees and birth_agrees:
            assert child.birth_date is not None
            reason = (
                f"{where}; name {child.name} and date of birth {show_date(child.birth_date)} agree"
            )
            decision.proposed[child.child_id] = ("high", reason)
        elif name_agrees:
            decision.proposed[child.child_id] = ("high", f"{where}; name {child.name} agrees")
        elif birth_agrees:
            assert child.birth_date is not None
            reason = f"{where}; date of birth {show_date(child.birth_date)} agrees"
            decision.proposed[child.child_id] = ("high", reason)
        else:
            reason = (
                f"{where} belongs to {child.described}; no name or date of birth in the "
                "message confirms it"
            )
            decision.proposed[child.child_id] = ("medium", reason)


def _name_evidence(evidence: Evidence, index: ChildIndex, decision: _Decision) -> None:
    in_conflict = {cid for _, ids in decision.conflicts for cid in ids}
    by_identity: dict[tuple[str, str, dt.date], list[Child]] = defaultdict(list)
    for cid in evidence.named:
        child = index.children[cid]
        if child.birth_date is not None and child.birth_date in evidence.dates:
            key = (name_key(child.given_name), name_key(child.family_name), child.birth_date)
            by_identity[key].append(child)
    for (_, _, birth_date), children in by_identity.items():
        if any(child.child_id in decision.proposed for child in children):
            continue
        if any(child.child_id in in_conflict for child in children):
            continue
        if len(children) > 1:
            decision.flags.append(
                Flag(
                    "ambiguous",
                    f"{len(children)} children share the name {children[0].name} and the "
                    f"date of birth {show_date(birth_date)}; only an NHS number tells them apart",
                )
            )
            continue
        child = children[0]
        where_name = _places(evidence.named[child.child_id])
        where_date = _places(evidence.dates[birth_date])
        wrong_numbers = [
            digits
            for digits in evidence.nhs_labelled
            if digits != child.nhs_number and not index.by_nhs.get(digits)
        ]
        if wrong_numbers and child.nhs_number:
            shown = _and([show_nhs_number(d) for d in wrong_numbers])
            decision.conflicts.append(
                (
                    f"The name and date of birth belong to {child.described}, but the "
                    f"NHS number given ({shown}) is not theirs",
                    (child.child_id,),
                )
            )
            continue
        if where_name == where_date:
            reason = (
                f"name {child.name} and date of birth {show_date(birth_date)} {where_name} "
                "agree with one child on the list"
            )
        else:
            reason = (
                f"name {child.name} {where_name} and date of birth {show_date(birth_date)} "
                f"{where_date} agree with one child on the list"
            )
        confidence: Confidence = "high"
        if wrong_numbers:
            confidence = "medium"
            reason += (
                f"; Clearway has no NHS number for {child.name}, and the message gives "
                + _and([show_nhs_number(d) for d in wrong_numbers])
            )
        decision.proposed[child.child_id] = (confidence, reason)


def propose(
    message: MessageLike,
    children: ChildIndex,
    *,
    keywords: Mapping[str, Sequence[str]] = SCD_KEYWORDS,
    today: dt.date | None = None,
) -> Proposal:
    """Propose the child ``message`` is about and the requirement it meets (see the module)."""
    evidence = find_evidence(message, children, today=today)
    decision = _Decision()
    _nhs_evidence(evidence, children, decision)
    _name_evidence(evidence, children, decision)

    reasons: list[str] = []
    flags = list(decision.flags)
    for problem, places in evidence.bad_nhs_numbers.items():
        flags.append(Flag("nhs_number_invalid", f"{problem} (found {_places(places)})"))
    candidate_ids: dict[int, str] = {}
    child_id: int | None = None
    confidence: Confidence = "none"

    if decision.conflicts:
        for text, ids in decision.conflicts:
            flags.append(Flag("conflict", text + ". Check which child this is about."))
            for cid in ids:
                candidate_ids.setdefault(cid, "named in a conflict")
        reasons.append("The identifiers in the message point to different children")
    elif len(decision.proposed) > 1:
        names = [children.children[cid].name for cid in decision.proposed]
        flags.append(
            Flag(
                "several_children",
                f"The message is about {len(names)} children: {_and(names)}. "
                "Split it to file each child's part.",
            )
        )
        for cid, (_, reason) in decision.proposed.items():
            candidate_ids[cid] = reason
            reasons.append(reason[0].upper() + reason[1:])
    elif decision.proposed:
        ((child_id, (confidence, reason)),) = decision.proposed.items()
        reasons.append(reason[0].upper() + reason[1:])
    else:
        reasons.append(
            "No NHS number of a child on the list, and no child's full name with their "
            "date of birth, was found"
        )
    reasons.extend(note[0].upper() + note[1:] for note in decision.notes)

    # Children named without their birth date or NHS number: choices, never proposals.
    name_only = [children.children[cid] for cid in evidence.named if cid not in decision.proposed]
    by_name: dict[str, list[Child]] = defaultdict(list)
    for child in name_only:
        by_name[name_key(child.name)].append(child)
    for group in by_name.values():
        places = evidence.named[group[0].child_id]
        if len(group) > 1:
            text = f"named {_places(places)}; {len(group)} children on the list share this name"
        else:
            text = f"named {_places(places)}, without a date of birth or NHS number that agrees"
        for child in group:
            candidate_ids.setdefault(child.child_id, text)
        if not decision.proposed and not decision.conflicts:
            reasons.append(f"{group[0].name} is named, but a name alone could be a namesake's")

    requirement = document_type(
        [(message.subject, 3.0), (message.body, 1.0)]
        + [(a.filename, 3.0) for a in message.attachments]
        + [(a.text, 1.0) for a in message.attachments],
        keywords,
    )
    attachment_requirements = tuple(
        document_type([(a.filename, 3.0), (a.text, 1.0)], keywords) or requirement
        for a in message.attachments
    )
    candidates = tuple(
        Candidate(cid, children.children[cid].name, children.children[cid].described, text)
        for cid, text in candidate_ids.items()
        if cid != child_id
    )
    return Proposal(
        child_id=child_id,
        requirement=requirement,
        confidence=confidence,
        reasons=tuple(reasons),
        flags=tuple(flags),
        candidates=candidates,
        attachment_requirements=attachment_requirements,
    )
