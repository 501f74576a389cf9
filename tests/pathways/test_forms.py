"""Property tests of the rules for NHS numbers and dates on the add-a-referral form."""

import datetime as dt

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st
from nhs_number import calculate_checksum

from clearway.core.forms import NHSDateField
from clearway.pathways.forms import NHSNumberField, ReferralForm
from tests.conftest import default_service

nine_digits = st.integers(min_value=0, max_value=999_999).map(lambda n: f"999{n:06d}")


def with_check_digit(nine: str) -> str | None:
    check = calculate_checksum(nine)
    return None if check is None or check == 10 else f"{nine}{check}"


valid_numbers = nine_digits.map(with_check_digit).filter(lambda n: n is not None)
separators = st.sampled_from(["", " ", "-"])


@given(valid_numbers, separators, st.sampled_from(["", " ", "  "]))
def test_a_valid_nhs_number_is_accepted_however_it_is_typed(number, sep, pad):
    typed = f"{pad}{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}{pad}"
    assert NHSNumberField().clean(typed) == number


@given(valid_numbers, st.integers(min_value=1, max_value=9))
def test_a_changed_check_digit_is_refused_naming_the_number(number, shift):
    wrong = number[:9] + str((int(number[9]) + shift) % 10)
    with pytest.raises(forms.ValidationError) as error:
        NHSNumberField().clean(wrong)
    assert (
        f"{wrong[:3]} {wrong[3:6]} {wrong[6:]} is not a valid NHS number" in error.value.messages[0]
    )


@given(st.text(alphabet="0123456789 -", min_size=1, max_size=20))
def test_anything_but_ten_digits_is_refused(text):
    digits = "".join(c for c in text if c.isdigit())
    field = NHSNumberField(required=False)
    if len(digits) == 10 and with_check_digit(digits[:9]) == digits:
        return  # a valid number typed some way: covered above
    if not digits and not text.strip(" -"):
        return
    with pytest.raises(forms.ValidationError):
        field.clean(text)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_any_real_date_round_trips_through_day_month_year(day):
    assert NHSDateField(label="Date").clean([str(day.day), str(day.month), str(day.year)]) == day


@given(st.integers(1, 12), st.integers(2000, 2030))
def test_a_day_past_the_end_of_the_month_is_refused(month, year):
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    with pytest.raises(forms.ValidationError, match="must be a real date"):
        NHSDateField(label="Date of birth").clean([str(last + 1), str(month), str(year)])


def referral_data(**overrides: str) -> dict[str, str]:
    data = {
        "given_name": "Ava",
        "family_name": "Example",
        "birth_date_day": "4",
        "birth_date_month": "6",
        "birth_date_year": "2016",
        "received_on_day": "3",
        "received_on_month": "5",
        "received_on_year": "2021",
        "source": "gp",
        "priority": "routine",
        "carer_name": "Jo Example",
        "carer_relationship": "mother",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@given(st.integers(min_value=1, max_value=3650))
def test_a_birth_date_in_the_future_is_refused(days_ahead):
    born = dt.date.today() + dt.timedelta(days=days_ahead)
    form = ReferralForm(
        service=default_service(),
        data=referral_data(
            birth_date_day=str(born.day),
            birth_date_month=str(born.month),
            birth_date_year=str(born.year),
        ),
    )
    assert not form.is_valid()
    assert form.errors["birth_date"] == ["Date of birth must be today or in the past"]


@pytest.mark.django_db
@given(st.integers(min_value=1, max_value=2000))
def test_a_referral_before_birth_is_refused(days_before):
    received = dt.date(2016, 6, 4) - dt.timedelta(days=days_before)
    form = ReferralForm(
        service=default_service(),
        data=referral_data(
            received_on_day=str(received.day),
            received_on_month=str(received.month),
            received_on_year=str(received.year),
        ),
    )
    assert not form.is_valid()
    assert form.errors["received_on"] == [
        "Date referral received must be on or after the date of birth"
    ]


@pytest.mark.django_db
def test_a_referral_on_the_day_of_birth_is_accepted():
    form = ReferralForm(
        service=default_service(),
        data=referral_data(received_on_day="4", received_on_month="6", received_on_year="2016"),
    )
    assert form.is_valid(), form.errors
