"""Kinder words: advice on blaming language, and a reading-age estimate, for notes and templates.

Pure Python (no Django), so the same check runs on a note as it is typed, on a template as it
is saved, and in a test of the default templates. It advises and never blocks: the person
writing decides.

The rules follow NHS guidance on compassionate communication and the "Was Not Brought"
practice (a child does not miss an appointment; the adults who should bring them do): say
what happened, without judging why.
"""

import re
from dataclasses import dataclass

import pyphen
import textstat

__all__ = [
    "RULES",
    "Advice",
    "Rule",
    "check",
    "reading_age",
    "reading_age_label",
]


@dataclass(frozen=True)
class Rule:
    """A phrase to avoid (a regular expression, matched case-insensitively as whole words),
    what to say instead, and why."""

    key: str
    pattern: str
    alternative: str
    why: str


@dataclass(frozen=True)
class Advice:
    """One phrase found in the text, where it is, and the kinder words to use instead."""

    phrase: str
    start: int
    end: int
    alternative: str
    why: str
    rule: str


_NOT_BROUGHT_WHY = (
    "Children are brought to appointments by adults. If this is about a child, say they "
    "were not brought (WNB)."
)

#: The rules, most specific first: where two overlap, the one listed first is reported.
RULES: tuple[Rule, ...] = (
    Rule(
        "was_not_brought",
        r"(?:did\s+not|didn't|didn’t|failed\s+to|fail\s+to|fails\s+to)\s+attend(?:ed)?",
        "was not brought",
        _NOT_BROUGHT_WHY,
    ),
    Rule(
        "was_not_brought",
        # DNA, DNAs, DNA'd, DNAd, DNAed: the abbreviation, never letters inside a word (Adnan).
        r"dna(?:s|'s|’s|'d|’d|d|ed)?"
        # ... but not DNA the molecule, in a genetics report.
        r"(?!\s+(?:tests?|testing|samples?|analysis|sequencing|results?)\b)",
        "was not brought (WNB)",
        _NOT_BROUGHT_WHY,
    ),
    Rule(
        "was_not_brought",
        r"non[-\s]?attendance|no[-\s]shows?|failed\s+appointments?",
        "was not brought to the appointment",
        _NOT_BROUGHT_WHY,
    ),
    Rule(
        "failed_to",
        r"fail(?:s|ed)?\s+to|failure\s+to",
        "did not, or has not yet",
        "\u201cFailed\u201d sounds like blame. Say what happened: \u201chas not sent the "
        "form yet\u201d.",
    ),
    Rule(
        "neglected_to",
        r"neglect(?:s|ed)?\s+to",
        "did not, or has not yet",
        "\u201cNeglected\u201d sounds like blame, and is a safeguarding word. Say what happened.",
    ),
    Rule(
        "refused",
        r"refus(?:e|es|ed|ing|al)",
        "decided not to, or chose not to",
        "\u201cRefused\u201d sounds like a judgement. Families may have good reasons: say "
        "what they decided.",
    ),
    Rule(
        "non_compliant",
        r"non[-\s]?complian(?:t|ce)|not\s+compliant",
        "describe what happened (for example, \u201chas not sent the consent form yet\u201d)",
        "\u201cNon-compliant\u201d judges the family. Describe what happened instead.",
    ),
    Rule(
        "you_must",
        r"you\s+must",
        "please, or we need you to",
        "\u201cYou must\u201d reads as an order. Ask kindly, and say why it helps the child.",
    ),
    Rule(
        "ignored",
        r"ignor(?:ed|es|ing)\s+(?:our|my|the|all|every|repeated|several|many|multiple)",
        "we have not heard back yet",
        "We cannot know a letter or call was ignored: it may not have arrived. Say what we know.",
    ),
    Rule(
        "kept_cancelling",
        r"(?:kept|keeps|keep)\s+(?:on\s+)?cancell?ing|repeatedly\s+cancell?(?:ed|ing)",
        "the dates it was cancelled (for example, \u201ccancelled on 3 May and 7 June\u201d)",
        "This describes a pattern as blame. Give the facts and leave out the judgement.",
    ),
    Rule(
        "uncooperative",
        r"un[-\s]?co[-\s]?operative|not\s+co[-\s]?operating",
        "describe what happened",
        "\u201cUncooperative\u201d judges the person. Describe what happened instead.",
    ),
    Rule(
        "disengaged",
        r"dis[-\s]?engaged|not\s+engaging|refus(?:es|ed|ing)\s+to\s+engage",
        "we have not been able to reach them yet",
        "Families have many reasons for being hard to reach. Say what we tried and when.",
    ),
    Rule(
        "difficult_family",
        r"(?:difficult|chaotic)\s+(?:mother|mum|father|dad|parents?|carers?|family|families)",
        "describe what happened",
        "Labels like this judge the family and stay in the record. Describe what happened.",
    ),
    Rule(
        "claims",
        r"claim(?:s|ed)\s+(?:that|to|she|he|they)",
        "says, or told us",
        "\u201cClaims\u201d suggests we do not believe them. Record what they told us.",
    ),
    Rule(
        "demanded",
        r"demanded",
        "asked, or asked for",
        "\u201cDemanded\u201d describes a parent worried about their child unkindly. Say what "
        "they asked for.",
    ),
)

_COMPILED = tuple(
    (rule, re.compile(rf"(?<![\w'’-])(?:{rule.pattern})(?![\w'’-])", re.IGNORECASE))
    for rule in RULES
)


def check(text: str) -> list[Advice]:
    """Each phrase in ``text`` that a kinder one should replace, in the order they appear.

    Whole words only, any case: "DNA" and "dna" are found, the letters in "Adnan" are not.
    Where two rules match overlapping words ("failed to attend"), the first listed wins.
    """
    found: list[Advice] = []
    for rule, pattern in _COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < a.end and a.start < end for a in found):
                continue
            found.append(
                Advice(
                    phrase=match.group(0),
                    start=start,
                    end=end,
                    alternative=rule.alternative,
                    why=rule.why,
                    rule=rule.key,
                )
            )
    return sorted(found, key=lambda a: a.start)


#: Fewer words than this and a reading age means nothing: a short SMS is read at any age.
MIN_WORDS = 12
#: The estimate's range: below 5 or above 21 the formula says nothing useful.
MIN_AGE, MAX_AGE = 5, 21
#: The NHS advises writing for a reading age of about 9 to 11.
AIM_LOW, AIM_HIGH = 9, 11

_MERGE_FIELD = re.compile(r"\(\([^()]*\)\)")
_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiouy]+")
_HYPHENATOR = pyphen.Pyphen(lang="en_GB")


def _syllables(word: str) -> int:
    # textstat's own English syllable count needs NLTK's CMU dictionary, which it downloads at
    # run time; Clearway never reaches out to the internet, so count with pyphen (installed
    # with textstat) and the vowel groups, whichever is more.
    word = word.lower()
    by_hyphenation = len(_HYPHENATOR.positions(word)) + 1
    groups = len(_VOWELS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1  # a silent e: "make", "phone"
    return max(by_hyphenation, groups, 1)


def reading_age(text: str) -> int | None:
    """The age, in years, of a reader who would find ``text`` easy: Flesch-Kincaid grade + 5.

    Merge fields count as one short word each. None for text too short to judge.
    """
    plain = _MERGE_FIELD.sub("Sam", text)
    words = _WORD.findall(plain)  # words of letters: a phone number is not read as prose
    if len(words) < MIN_WORDS:
        return None
    sentences = max(1, textstat.sentence_count(plain))
    syllables = sum(_syllables(word) for word in words)
    grade = 0.39 * (len(words) / sentences) + 11.8 * (syllables / len(words)) - 15.59
    return min(MAX_AGE, max(MIN_AGE, round(grade + 5)))


def reading_age_label(age: int | None) -> str:
    """The reading age in plain words, against the NHS's aim of about 9 to 11: "about 9
    years: easy to read"."""
    if age is None:
        return "too short to estimate"
    advice = (
        ". The NHS advises a reading age of about 9 to 11: try shorter sentences and everyday words"
    )
    if age < AIM_LOW:
        return f"about {age} years: very easy to read"
    if age <= AIM_HIGH:
        return f"about {age} years: easy to read"
    if age <= 14:
        return f"about {age} years: quite hard to read{advice}"
    older = " or older" if age >= MAX_AGE else ""
    return f"about {age} years{older}: hard to read{advice}"
