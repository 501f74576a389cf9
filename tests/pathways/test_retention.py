"""The retention rule as dates: 25th birthday, 26th if 17 when care ended, 8 years after death."""

import datetime as dt

from hypothesis import assume, given
from hypothesis import strategies as st

from clearway.pathways.retention import (
    add_years,
    age_on,
    birthday,
    care_ended,
    is_past_retention,
    referral_care_ended,
    retain_until,
)

D = dt.date
births = st.dates(min_value=D(1990, 1, 1), max_value=D(2030, 12, 31))
days_in_childhood = st.integers(min_value=0, max_value=18 * 366)


def test_a_29_february_birth_has_its_25th_birthday_on_1_march_in_a_common_year() -> None:
    born = D(2004, 2, 29)
    assert birthday(born, 25) == D(2029, 3, 1)
    assert birthday(born, 24) == D(2028, 2, 29)  # a leap year: the day itself
    assert age_on(born, D(2029, 2, 28)) == 24
    assert age_on(born, D(2029, 3, 1)) == 25
    assert retain_until(born, care_ended_on=D(2014, 6, 1)) == D(2029, 3, 1)


def test_a_29_february_birth_aged_17_at_discharge_is_kept_to_1_march_of_the_26th_year() -> None:
    born = D(2004, 2, 29)
    # 17 on 1 March 2021, not on 28 February.
    assert retain_until(born, D(2021, 2, 28)) == D(2029, 3, 1)
    assert retain_until(born, D(2021, 3, 1)) == D(2030, 3, 1)


def test_a_child_aged_16_when_care_ended_is_kept_until_their_25th_birthday() -> None:
    born = D(2005, 7, 14)
    assert retain_until(born, D(2022, 7, 13)) == D(2030, 7, 14)  # the day before turning 17


def test_a_young_person_aged_17_when_care_ended_is_kept_until_their_26th_birthday() -> None:
    born = D(2005, 7, 14)
    assert retain_until(born, D(2022, 7, 14)) == D(2031, 7, 14)  # their 17th birthday
    assert retain_until(born, D(2023, 7, 13)) == D(2031, 7, 14)  # the last day of being 17


def test_a_young_person_aged_18_when_care_ended_is_kept_8_years_after_it_ended() -> None:
    born = D(2005, 7, 14)
    assert retain_until(born, D(2023, 7, 14)) == D(2031, 7, 14)  # 18th birthday: same as 26th
    assert retain_until(born, D(2024, 1, 10)) == D(2032, 1, 10)


def test_a_child_who_died_is_kept_8_years_after_their_death() -> None:
    born = D(2010, 5, 1)
    assert retain_until(born, D(2015, 3, 1), died_on=D(2015, 3, 1)) == D(2023, 3, 1)
    assert retain_until(born, D(2012, 1, 1), died_on=D(2016, 2, 29)) == D(2024, 2, 29)
    assert retain_until(born, D(2012, 1, 1), died_on=D(2020, 2, 29)) == D(2028, 2, 29)
    assert retain_until(born, D(2012, 1, 1), died_on=D(2012, 2, 29)) == D(2020, 2, 29)
    assert retain_until(born, D(2012, 1, 1), died_on=D(2013, 2, 28)) == D(2021, 2, 28)


def test_a_record_is_past_its_date_only_from_the_day_after_and_never_while_in_care() -> None:
    born = D(2000, 1, 10)
    assert not is_past_retention(D(2025, 1, 10), born, D(2010, 1, 1), None)
    assert is_past_retention(D(2025, 1, 11), born, D(2010, 1, 1), None)
    assert not is_past_retention(D(2090, 1, 1), born, None, None)


def test_care_ends_at_the_latest_closed_referral_and_never_while_one_is_open() -> None:
    assert referral_care_ended(D(2020, 5, 1), D(2020, 4, 1)) == D(2020, 5, 1)
    assert referral_care_ended(None, D(2020, 4, 1)) == D(2020, 4, 1)
    assert care_ended([(False, D(2019, 1, 1)), (False, D(2021, 6, 1))]) == D(2021, 6, 1)
    assert care_ended([(False, D(2019, 1, 1)), (True, None)]) is None
    assert care_ended([(False, None)]) is None
    assert care_ended([]) is None


def test_add_years_moves_29_february_to_1_march_only_in_a_common_year() -> None:
    assert add_years(D(2000, 2, 29), 4) == D(2004, 2, 29)
    assert add_years(D(2000, 2, 29), 100) == D(2100, 3, 1)
    assert add_years(D(2000, 2, 28), 1) == D(2001, 2, 28)


@given(births, days_in_childhood)
def test_a_record_is_never_due_before_the_25th_birthday(born: dt.date, days: int) -> None:
    ended = born + dt.timedelta(days=days)
    assert retain_until(born, ended) >= birthday(born, 25)


@given(births, st.integers(min_value=0, max_value=365))
def test_17_when_care_ended_means_the_26th_birthday(born: dt.date, into_the_year: int) -> None:
    ended = birthday(born, 17) + dt.timedelta(days=into_the_year)
    assume(age_on(born, ended) == 17)
    assert retain_until(born, ended) == birthday(born, 26)


@given(births, days_in_childhood, days_in_childhood)
def test_care_ending_later_never_brings_the_date_forward(born: dt.date, a: int, b: int) -> None:
    earlier, later = sorted((a, b))
    assert retain_until(born, born + dt.timedelta(days=earlier)) <= retain_until(
        born, born + dt.timedelta(days=later)
    )


@given(births, st.integers(min_value=0, max_value=40 * 366))
def test_age_goes_up_by_one_on_each_birthday(born: dt.date, days: int) -> None:
    day = born + dt.timedelta(days=days)
    age = age_on(born, day)
    assert birthday(born, age) <= day < birthday(born, age + 1)
