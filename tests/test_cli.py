"""The clearway command, run as a person would run it."""

import datetime as dt
import json

import pytest

from clearway.accounts.models import User
from clearway.cli import main

pytestmark = pytest.mark.django_db


def test_stats_json_has_the_agreed_keys(make_referral, capsys):
    make_referral(received_on=dt.date(2021, 1, 1))
    assert main(["stats", "--json", "--as-of", "2021-05-03"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) >= {
        "as_of",
        "waiting",
        "ready_for_panel",
        "mean_wait_days",
        "median_wait_days",
        "max_wait_days",
        "over_18_weeks",
        "over_52_weeks",
    }
    assert figures["as_of"] == "2021-05-03"
    assert figures["waiting"] == 1
    assert figures["max_wait_days"] == 122


def test_stats_for_people(make_referral, capsys):
    make_referral(received_on=dt.date(2021, 1, 1))
    assert main(["stats", "--as-of", "2021-05-03", "--as-recorded"]) == 0
    out = capsys.readouterr().out
    assert "The list of Social communication disorder (SCD) assessment on 2021-05-03" in out
    assert "(as recorded then)" in out
    assert "waiting" in out


def test_stats_is_for_one_service_scd_unless_told(make_referral, other_service, capsys):
    make_referral(received_on=dt.date(2021, 1, 1))
    make_referral(service=other_service, received_on=dt.date(2021, 1, 1))
    make_referral(service=other_service, received_on=dt.date(2021, 2, 1))
    assert main(["stats", "--json", "--as-of", "2021-05-03"]) == 0
    assert json.loads(capsys.readouterr().out)["waiting"] == 1
    assert main(["stats", "--json", "--as-of", "2021-05-03", "--service", "autism"]) == 0
    assert json.loads(capsys.readouterr().out)["waiting"] == 2
    assert main(["stats", "--service", "adhd"]) == 2
    assert "there is no service 'adhd': choose --service from autism, scd" in (
        capsys.readouterr().err
    )


def test_stats_refuses_a_date_that_is_not_a_date(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--as-of", "3/5/2021"])
    assert exit_.value.code == 2
    assert "'3/5/2021' is not a date: use YYYY-MM-DD" in capsys.readouterr().err


def test_createuser(service, capsys):
    assert main(["createuser", "sam", "--role", "coordinator", "--password", "a-long-pass-7"]) == 0
    user = User.objects.get(username="sam")
    assert user.role == "coordinator"
    assert [s.slug for s in user.services.all()] == ["scd"]  # the only service
    assert user.check_password("a-long-pass-7")
    assert not user.is_staff
    assert main(["createuser", "sam", "--role", "coordinator", "--password", "x-long-pass-7"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_demo_loads_once_and_always_says_how_to_sign_in(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    assert main(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "1,109 children on the list" in out
    assert "coordinator         coordinator, SCD and autism" in out
    assert "autism-coordinator  coordinator, autism" in out
    assert "every password is clearway-demo" in out
    assert main(["demo"]) == 0
    again = capsys.readouterr().out
    assert "already loaded (1,109 children on the list)" in again
    assert "every password is clearway-demo" in again


def test_demo_refuses_a_day_in_the_future(capsys):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert main(["demo", "--today", future]) == 2
    assert "that is in the future" in capsys.readouterr().err
