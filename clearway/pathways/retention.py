"""How long a child's record is kept: the NHS Records Management Code of Practice, as dates.

The Code's schedule for children's records: "retain until 25th birthday, or 26th if young
person was 17 at conclusion of treatment, or 8 years after death". Clearway works this out for
each child so a person can review the records past their date; it never deletes anything itself.

Pure: plain dates in, dates out, no Django.
"""

import datetime as dt

#: Kept until this birthday ...
CHILD_RETENTION_AGE = 25
#: ... or this one if the young person was 17 when care ended.
LATE_TEEN_RETENTION_AGE = 26
LATE_TEEN_AGE = 17
#: Adults' records, and a deceased child's: this many years after care ended, or after death.
YEARS_AFTER = 8


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (or earlier); 29 February becomes 1 March in a common year.

    UK law counts a person born on 29 February as reaching an age on 1 March in a year that is
    not a leap year, so their birthdays, and anniversaries of a 29 February, fall on 1 March.
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return dt.date(day.year + years, 3, 1)


def birthday(birth_date: dt.date, age: int) -> dt.date:
    """The day a person born on ``birth_date`` turns ``age`` (a 29 February birth: 1 March)."""
    return add_years(birth_date, age)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``: one more on each birthday as :func:`birthday` gives it."""
    years = day.year - birth_date.year
    return years if birthday(birth_date, years) <= day else years - 1


def retain_until(
    birth_date: dt.date, care_ended_on: dt.date, died_on: dt.date | None = None
) -> dt.date:
    """The last day a child's record must be kept; from the next day it may be reviewed.

    - Under 17 when care ended: until their 25th birthday.
    - 17 when care ended: until their 26th birthday.
    - 18 or over when care ended (an adult at the end of care): the later of the 26th birthday
      and 8 years after care ended, the Code's rule for adults' records. This keeps the date
      from ever going backwards as care ends later, so a record is never due sooner because
      treatment went on longer.
    - Died: 8 years after death, as the Code says for a deceased child, whatever their age.

    A 29 February birth's birthday in a year that is not a leap year is 1 March, as UK law
    counts age: born 29 February 2004, the 25th birthday is 1 March 2029.

    ``care_ended_on`` is when the child's last referral closed (see :func:`care_ended`).
    """
    if died_on is not None:
        return add_years(died_on, YEARS_AFTER)
    age = age_on(birth_date, care_ended_on)
    if age < LATE_TEEN_AGE:
        return birthday(birth_date, CHILD_RETENTION_AGE)
    if age == LATE_TEEN_AGE:
        return birthday(birth_date, LATE_TEEN_RETENTION_AGE)
    return max(birthday(birth_date, LATE_TEEN_RETENTION_AGE), add_years(care_ended_on, YEARS_AFTER))


def referral_care_ended(
    discharged_on: dt.date | None, assessed_on: dt.date | None
) -> dt.date | None:
    """When one closed referral's care ended: its discharge, or failing that its assessment."""
    return discharged_on or assessed_on


def care_ended(
    referrals: list[tuple[bool, dt.date | None]],
) -> dt.date | None:
    """When a child's care ended: the latest end across their referrals.

    ``referrals`` holds, for each referral, whether it is still open and the day its care
    ended. A child with any open referral is still in care (``None``), as is a child none of
    whose referrals has an end date: such a record is never due.
    """
    if not referrals or any(is_open for is_open, _ in referrals):
        return None
    ends = [ended for _, ended in referrals if ended is not None]
    return max(ends) if ends else None


def is_past_retention(
    day: dt.date, birth_date: dt.date, care_ended_on: dt.date | None, died_on: dt.date | None
) -> bool:
    """Whether on ``day`` the record is past its date. Never while care goes on."""
    if care_ended_on is None:
        return False
    return day > retain_until(birth_date, care_ended_on, died_on)
