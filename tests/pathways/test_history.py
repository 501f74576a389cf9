"""The list on any past date, as recorded then and as now known (shared/notes/history.md)."""

import datetime as dt

import pytest
from django.utils import timezone

from clearway.pathways import services
from clearway.pathways.history import end_of_day, list_figures, on_list_as_at, wait_figures
from clearway.pathways.models import DischargeReason
from tests.conftest import TEST_ACTOR, default_service

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def on_list(day: dt.date, *, as_recorded: bool) -> set[int]:
    scd = default_service()
    return set(on_list_as_at(day, scd, as_recorded=as_recorded).values_list("pk", flat=True))


@pytest.fixture
def child_a(make_referral):
    """Referred 2019-01-10; seen at panel 2020-02-12; found by validation on 2021-05-03."""
    referral = make_referral(received_on=dt.date(2019, 1, 10), recorded_at=at(dt.date(2019, 1, 10)))
    services.discharge(
        TEST_ACTOR,
        referral,
        DischargeReason.SEEN_ELSEWHERE,
        dt.date(2020, 2, 12),
        "Validation: attended SCD Panel",
        recorded_at=at(dt.date(2021, 5, 3)),
    )
    return referral


def test_the_worked_example(child_a):
    day = dt.date(2021, 3, 8)
    assert child_a.pk in on_list(day, as_recorded=True)  # nobody knew yet
    assert child_a.pk not in on_list(day, as_recorded=False)  # seen on 2020-02-12
    child_a.refresh_from_db()
    assert child_a.days_waiting(dt.date(2026, 1, 1)) == 398


def test_as_recorded_changes_only_from_the_day_it_was_recorded(child_a):
    assert child_a.pk in on_list(dt.date(2021, 5, 2), as_recorded=True)
    assert child_a.pk not in on_list(dt.date(2021, 5, 3), as_recorded=True)
    assert child_a.pk in on_list(dt.date(2020, 2, 11), as_recorded=False)
    assert child_a.pk not in on_list(dt.date(2020, 2, 12), as_recorded=False)


def test_not_on_the_list_before_the_referral(child_a):
    assert child_a.pk not in on_list(dt.date(2019, 1, 9), as_recorded=False)
    assert child_a.pk not in on_list(dt.date(2019, 1, 9), as_recorded=True)


def test_a_reversed_discharge_never_happened_as_now_known_but_stands_as_recorded(make_referral):
    referral = make_referral(received_on=dt.date(2020, 1, 6), recorded_at=at(dt.date(2020, 1, 6)))
    services.discharge(
        TEST_ACTOR,
        referral,
        DischargeReason.MOVED_AWAY,
        dt.date(2020, 3, 1),
        recorded_at=at(dt.date(2020, 3, 2)),
    )
    assert referral.pk not in on_list(dt.date(2020, 5, 1), as_recorded=False)
    services.reverse_discharge(TEST_ACTOR, referral, "Family had not moved: wrong address")
    for day in (dt.date(2020, 3, 1), dt.date(2020, 5, 1), timezone.localdate()):
        assert referral.pk in on_list(day, as_recorded=False)
    assert referral.pk not in on_list(dt.date(2020, 5, 1), as_recorded=True)  # the mistake stands
    assert referral.pk in on_list(timezone.localdate(), as_recorded=True)  # and so does its fix


def test_end_of_day_is_in_the_service_time_zone():
    moment = end_of_day(dt.date(2021, 7, 1))  # British Summer Time
    assert timezone.localtime(moment).date() == dt.date(2021, 7, 1)
    assert moment.utcoffset() == dt.timedelta(hours=1)


def test_figures_on_a_past_day(make_referral):
    day = dt.date(2021, 5, 3)
    waits = [10, 200, 400]
    referrals = [
        make_referral(
            received_on=day - dt.timedelta(days=w), recorded_at=at(day - dt.timedelta(days=w))
        )
        for w in waits
    ]
    ready = referrals[1]
    for kind in ("school_report", "salt_report", "consent"):
        services.record_requirement_received(
            TEST_ACTOR, ready, kind, dt.date(2021, 1, 5), recorded_at=at(dt.date(2021, 1, 5))
        )
    figures = list_figures(default_service(), day)
    assert figures.as_dict() == {
        "as_of": "2021-05-03",
        "as_recorded": False,
        "waiting": 3,
        "ready_for_panel": 1,
        "mean_wait_days": 203.3,
        "median_wait_days": 200.0,
        "max_wait_days": 400,
        "over_18_weeks": 2,
        "over_52_weeks": 1,
    }
    assert list_figures(default_service(), dt.date(2021, 1, 4)).ready_for_panel == 0


def test_figures_of_an_empty_list():
    assert wait_figures([]) == {
        "waiting": 0,
        "mean_wait_days": None,
        "median_wait_days": None,
        "max_wait_days": None,
        "over_18_weeks": 0,
        "over_52_weeks": 0,
    }


def test_breach_thresholds_are_strictly_over():
    assert wait_figures([126, 127, 364, 365])["over_18_weeks"] == 3
    assert wait_figures([126, 127, 364, 365])["over_52_weeks"] == 1
