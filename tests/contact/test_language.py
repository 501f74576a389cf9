"""The language check: blaming words found with a kinder alternative, and a reading age."""

import socket

import pytest

from clearway.contact.language import (
    RULES,
    check,
    reading_age,
    reading_age_label,
)


def rules_found(text: str) -> list[str]:
    return [advice.rule for advice in check(text)]


def phrases_found(text: str) -> list[str]:
    return [advice.phrase for advice in check(text)]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Sam DNA on 3 May.", "DNA"),
        ("Sam was dna today", "dna"),
        ("Two DNAs this year.", "DNAs"),
        ("He DNA'd twice.", "DNA'd"),
        ("Sam did not attend his appointment.", "did not attend"),
        ("Sam didn't attend.", "didn't attend"),
        ("Sam failed to attend.", "failed to attend"),
        ("Another no-show.", "no-show"),
        ("Non-attendance at clinic.", "Non-attendance"),
    ],
)
def test_a_child_not_attending_is_a_child_not_brought(text: str, phrase: str) -> None:
    (advice,) = check(text)
    assert advice.phrase == phrase
    assert advice.rule == "was_not_brought"
    assert "was not brought" in advice.alternative
    assert "brought to appointments by adults" in advice.why
    assert text[advice.start : advice.end] == phrase


@pytest.mark.parametrize(
    ("text", "phrase", "rule", "kinder"),
    [
        ("Mum failed to send the form.", "failed to", "failed_to", "did not"),
        ("Mum failed to send the form.", "failed to", "failed_to", "has not yet"),
        ("Dad refused the SaLT referral.", "refused", "refused", "decided not to"),
        ("Dad refuses to come in.", "refuses", "refused", "chose not to"),
        ("Family non-compliant with the pathway.", "non-compliant", "non_compliant", "describe"),
        ("Non-compliance noted.", "Non-compliance", "non_compliant", "describe"),
        ("You must return the form.", "You must", "you_must", "please"),
        ("You must return the form.", "You must", "you_must", "we need you to"),
        ("Mum neglected to sign it.", "neglected to", "neglected_to", "did not"),
        ("Mum ignored our letters.", "ignored our", "ignored", "not heard back"),
        ("Dad kept cancelling.", "kept cancelling", "kept_cancelling", "dates"),
        ("Carer was uncooperative.", "uncooperative", "uncooperative", "describe"),
        ("Family disengaged.", "disengaged", "disengaged", "not been able to reach"),
        ("A difficult mother.", "difficult mother", "difficult_family", "describe"),
        ("Mum claims that he talks at home.", "claims that", "claims", "says"),
        ("Dad demanded an appointment.", "demanded", "demanded", "asked"),
    ],
)
def test_blaming_words_are_flagged_with_a_kinder_alternative(
    text: str, phrase: str, rule: str, kinder: str
) -> None:
    (advice,) = check(text)
    assert (advice.phrase, advice.rule) == (phrase, rule)
    assert kinder in advice.alternative
    assert advice.why
    assert text[advice.start : advice.end] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "Adnan was seen at clinic.",
        "Sent to Mr Dnaiel by post.",  # the letters inside a longer word
        "adna, dnacheck, mDNA",
        "The DNA test came back normal.",  # DNA the molecule, in a genetics report
        "Mum asked us to call back on Friday.",
        "We have not had the form yet.",
        "Please send the report when you can.",
        "You mustn't worry about it.",
    ],
)
def test_kind_words_and_other_words_are_left_alone(text: str) -> None:
    assert check(text) == []


def test_case_does_not_matter_but_whole_words_do() -> None:
    assert phrases_found("DNA dna Dna") == ["DNA", "dna", "Dna"]
    assert phrases_found("Adnan, Dnaiel and madna") == []
    assert phrases_found("FAILED TO ATTEND") == ["FAILED TO ATTEND"]


def test_the_most_specific_rule_wins_where_two_overlap() -> None:
    # "failed to attend" is about a child not brought, not the general "failed to".
    assert rules_found("Sam failed to attend and Mum failed to ring.") == [
        "was_not_brought",
        "failed_to",
    ]


def test_advice_comes_in_the_order_of_the_text_with_its_offsets() -> None:
    text = "You must ring us. Sam DNA twice and Dad refused a new date."
    found = check(text)
    assert [a.phrase for a in found] == ["You must", "DNA", "refused"]
    assert [a.start for a in found] == sorted(a.start for a in found)
    for advice in found:
        assert text[advice.start : advice.end] == advice.phrase


def test_every_rule_is_explained_kindly() -> None:
    for rule in RULES:
        assert rule.alternative and rule.why.endswith(".")
        # The advice itself uses no blaming words (bar the phrase it quotes).
        quoted = rule.why.split("\u201d", 1)[-1]
        assert rules_found(quoted) == [], rule.key


def test_an_empty_note_has_no_advice() -> None:
    assert check("") == []


EASY = (
    "We have not had the school report for Sam yet. Please could you send it to us? "
    "If you have any questions, please ring us. Thank you for your help."
)
HARD = (
    "The multidisciplinary assessment necessitates comprehensive documentation from "
    "educational establishments, notwithstanding the considerable administrative complexity "
    "inherent in interorganisational communication regarding developmental presentations."
)


def test_plain_words_have_a_low_reading_age_and_long_words_a_high_one() -> None:
    easy, hard = reading_age(EASY), reading_age(HARD)
    assert easy is not None and hard is not None
    assert easy <= 11 < 15 <= hard


def test_very_short_text_has_no_reading_age() -> None:
    assert reading_age("Thank you.") is None
    assert reading_age("") is None


def test_merge_fields_count_as_short_words() -> None:
    merged = EASY.replace("Sam", "((child_first_name))")
    assert reading_age(merged) == reading_age(EASY)


def test_the_reading_age_is_said_in_plain_words_against_the_nhs_aim() -> None:
    assert reading_age_label(None) == "too short to estimate"
    assert reading_age_label(7) == "about 7 years: very easy to read"
    assert reading_age_label(9) == "about 9 years: easy to read"
    assert reading_age_label(11) == "about 11 years: easy to read"
    assert reading_age_label(13).startswith("about 13 years: quite hard to read. ")
    assert "The NHS advises a reading age of about 9 to 11" in reading_age_label(13)
    assert reading_age_label(21).startswith("about 21 years or older: hard to read. ")


def test_the_check_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # textstat's own English syllable count downloads a dictionary; Clearway's does not.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("The language check tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert reading_age(HARD + " " + EASY) is not None
