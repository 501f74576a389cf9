"""The normalisers: NHS numbers, UK dates, names and requirement states, cell by cell."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nhs_number import calculate_checksum

from clearway.validation.normalise import (
    EXCEL_SERIAL_RANGE,
    nhs_number,
    person_name,
    requirement_state,
    text_value,
    uk_date,
)

AS_OF = dt.date(2021, 5, 3)
EXCEL_EPOCH = dt.date(1899, 12, 30)


def valid_999(serial: int) -> str | None:
    """A valid synthetic NHS number (999 test range) from a six-digit serial, if one exists."""
    nine = f"999{serial:06d}"
    check = calculate_checksum(nine)
    return f"{nine}{check}" if check is not None and check < 10 else None


synthetic_numbers = st.integers(0, 999_999).map(valid_999).filter(lambda n: n is not None)


# --- NHS numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "9997430816",
        "999 743 0816",
        "999-743-0816",
        "  999 743 0816 ",
        "99974 30816",
        9997430816,
        9997430816.0,
        "9997430816.0",
        "9.997430816E+09",
        "9.997430816e9",
    ],
)
def test_nhs_number_forms(value: object) -> None:
    assert nhs_number(value) == ("9997430816", None)


@pytest.mark.parametrize("value", [None, "", "  ", "TBC", "N/K", "n/k", "unknown", "awaiting", "?"])
def test_nhs_number_placeholders_are_blank_not_problems(value: object) -> None:
    assert nhs_number(value) == (None, None)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("9997430817", "check digit is wrong"),
        ("999743081", "9 digits, not 10"),
        ("99974308161", "11 digits, not 10"),
        ("9.99743E+09", "scientific notation has lost some of its digits"),
        ("see notes", "is not an NHS number"),
        (9997430816.5, "is not an NHS number"),
        (True, "is not an NHS number"),
        (dt.date(2020, 1, 1), "is not an NHS number"),
    ],
)
def test_nhs_number_problems(value: object, says: str) -> None:
    digits, problem = nhs_number(value)
    assert digits is None
    assert problem is not None and says in problem


@given(synthetic_numbers, st.sampled_from(["plain", "spaces", "dashes", "int", "float", "sci"]))
def test_nhs_number_round_trips(number: str, style: str) -> None:
    value: object = {
        "plain": number,
        "spaces": f"{number[:3]} {number[3:6]} {number[6:]}",
        "dashes": f"{number[:3]}-{number[3:6]}-{number[6:]}",
        "int": int(number),
        "float": float(number),
        "sci": f"{number[0]}.{number[1:]}E+09",
    }[style]
    assert nhs_number(value) == (number, None)


@given(synthetic_numbers, st.integers(1, 9))
def test_nhs_number_changed_check_digit_is_a_problem(number: str, shift: int) -> None:
    wrong = number[:9] + str((int(number[9]) + shift) % 10)
    digits, problem = nhs_number(wrong)
    assert digits is None
    assert problem is not None and "check digit" in problem


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/05/2021", dt.date(2021, 5, 3)),
        ("3/5/2021", dt.date(2021, 5, 3)),
        ("3/5/21", dt.date(2021, 5, 3)),
        ("3.5.21", dt.date(2021, 5, 3)),
        ("28.1.07", dt.date(2007, 1, 28)),
        ("03-05-2021", dt.date(2021, 5, 3)),
        ("2021-05-03", dt.date(2021, 5, 3)),
        ("2021/05/03", dt.date(2021, 5, 3)),
        ("3 May 2021", dt.date(2021, 5, 3)),
        ("3rd May 2021", dt.date(2021, 5, 3)),
        ("03-May-21", dt.date(2021, 5, 3)),
        ("3 Sept 2020", dt.date(2020, 9, 3)),
        ("May 3, 2021", dt.date(2021, 5, 3)),
        ("03/05/2021 00:00", dt.date(2021, 5, 3)),
        ("2021-05-03 00:00:00", dt.date(2021, 5, 3)),
        ("44319", dt.date(2021, 5, 3)),
        (44319, dt.date(2021, 5, 3)),
        (44319.75, dt.date(2021, 5, 3)),
        (dt.date(2021, 5, 3), dt.date(2021, 5, 3)),
        (dt.datetime(2021, 5, 3, 14, 30), dt.date(2021, 5, 3)),
    ],
)
def test_uk_date_forms(value: object, expected: dt.date) -> None:
    assert uk_date(value, as_of=AS_OF) == (expected, None)


def test_uk_date_is_day_first_never_us() -> None:
    assert uk_date("04/05/2021", as_of=AS_OF) == (dt.date(2021, 5, 4), None)
    value, problem = uk_date("05/13/2021", as_of=AS_OF)
    assert value is None
    assert problem == "'05/13/2021' is not a real date (dates are read day first, as dd/mm/yyyy)"


def test_two_digit_years_pivot_on_the_as_of_date() -> None:
    assert uk_date("3/5/21", as_of=AS_OF)[0] == dt.date(2021, 5, 3)
    assert uk_date("4/5/21", as_of=AS_OF)[0] == dt.date(1921, 5, 4)  # 2021 would be the future
    assert uk_date("1.1.99", as_of=AS_OF)[0] == dt.date(1999, 1, 1)
    # Booked panel dates may be ahead: the century nearest the as-of date.
    assert uk_date("19.6.21", as_of=AS_OF, allow_future=True)[0] == dt.date(2021, 6, 19)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("31/02/2016", "'31/02/2016' is not a real date"),
        ("29/02/2021", "is not a real date"),
        ("3/2", "has no year"),
        ("next week", "not a date in a form Clearway reads"),
        ("3 Smarch 2021", "'Smarch' is not a month"),
        ("3/5/021", "not a date in a form"),
        (5, "is not a date"),
        (10_000_000, "is not a date"),
        (True, "is not a date"),
    ],
)
def test_uk_date_problems(value: object, says: str) -> None:
    parsed, problem = uk_date(value, as_of=AS_OF)
    assert parsed is None
    assert problem is not None and says in problem


@pytest.mark.parametrize("value", [None, "", "TBC", "N/K", "unknown"])
def test_uk_date_blank(value: object) -> None:
    assert uk_date(value, as_of=AS_OF) == (None, None)


plausible_dates = st.dates(dt.date(1900, 3, 1), dt.date(2099, 12, 31))


@given(plausible_dates)
def test_uk_date_round_trips_dd_mm_yyyy(day: dt.date) -> None:
    assert uk_date(day.strftime("%d/%m/%Y"), as_of=AS_OF) == (day, None)
    assert uk_date(f"{day.day}.{day.month}.{day.year}", as_of=AS_OF) == (day, None)
    assert uk_date(day.isoformat(), as_of=AS_OF) == (day, None)


@given(plausible_dates)
def test_uk_date_round_trips_excel_serials(day: dt.date) -> None:
    serial = (day - EXCEL_EPOCH).days
    assert EXCEL_SERIAL_RANGE[0] <= serial <= EXCEL_SERIAL_RANGE[1]
    assert uk_date(serial) == (day, None)
    assert uk_date(float(serial)) == (day, None)


@given(st.dates(dt.date(1922, 1, 1), AS_OF))
def test_two_digit_years_of_past_dates_round_trip(day: dt.date) -> None:
    # A birth or referral date within the last 99 years reads back from d/m/yy.
    assert uk_date(f"{day.day}/{day.month}/{day.year % 100:02d}", as_of=AS_OF) == (day, None)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "given", "family"),
    [
        ("SMITH, Jane", "Jane", "Smith"),
        ("Smith, Jane Ann", "Jane Ann", "Smith"),
        ("Jane SMITH", "Jane", "Smith"),
        ("SMITH Jane", "Jane", "Smith"),
        ("Mary-Jane O'NEILL", "Mary-Jane", "O'Neill"),
        ("Jane Ann Smith", "Jane Ann", "Smith"),
        ("jane smith", "Jane", "Smith"),
        ("JANE SMITH", "Jane", "Smith"),
        ("Ewan MCDONALD", "Ewan", "McDonald"),
        ("Anna van der Berg", "Anna", "van der Berg"),
        ("  Jane   SMITH-JONES ", "Jane", "Smith-Jones"),
    ],
)
def test_person_name_from_one_cell(full: str, given: str, family: str) -> None:
    name = person_name(full)
    assert name is not None
    assert (name.given, name.family) == (given, family)
    assert name.problem is None


def test_person_name_keeps_the_original() -> None:
    name = person_name("O'NEILL, LUCAS")
    assert name is not None
    assert (name.given, name.family) == ("Lucas", "O'Neill")
    assert (name.given_original, name.family_original) == ("LUCAS", "O'NEILL")
    assert name.original == "O'NEILL, LUCAS"


def test_person_name_from_two_cells_and_blank() -> None:
    name = person_name(given="max", family="THOMPON")
    assert name is not None
    assert (name.given, name.family, name.family_original) == ("Max", "Thompon", "THOMPON")
    mixed = person_name(given="Ewan", family="MacDonald")
    assert mixed is not None and mixed.family == "MacDonald"
    assert person_name("") is None
    assert person_name(None, given="", family=None) is None


def test_person_name_with_one_word_is_a_problem() -> None:
    name = person_name("Smith")
    assert name is not None
    assert (name.given, name.family) == (None, "Smith")
    assert name.problem == "'Smith' has only one name; taken as the family name"


# --- requirement states ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("Y", "received"),
        ("y", "received"),
        ("Yes", "received"),
        ("rec'd", "received"),
        ("Received", "received"),
        ("received 3/2", "received"),
        ("✓", "received"),
        (True, "received"),
        ("chased 3/2", "requested"),
        ("chased", "requested"),
        ("requested", "requested"),
        ("sent", "requested"),
        ("awaiting", "requested"),
        ("not rec'd - chased 3/2", "requested"),
        ("", "outstanding"),
        (None, "outstanding"),
        ("N", "outstanding"),
        ("no", "outstanding"),
        ("not received", "outstanding"),
        (False, "outstanding"),
    ],
)
def test_requirement_states(text: object, state: str) -> None:
    assert requirement_state(text) == (state, None)


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("see email from Mrs B", "outstanding"),
        ("rec'd?", "outstanding"),
        ("chased 3/2, rec'd 10/2", "requested"),
        ("x", "outstanding"),
        (1, "outstanding"),
    ],
)
def test_unknown_requirement_text_is_never_received(text: object, state: str) -> None:
    got, problem = requirement_state(text)
    assert got == state
    assert problem is not None and "taken as" in problem


def test_text_value() -> None:
    assert text_value(12345.0) == "12345"
    assert text_value(" RX123 ") == "RX123"
    assert text_value(dt.datetime(2021, 5, 3)) == "2021-05-03"
    assert text_value(None) == ""
