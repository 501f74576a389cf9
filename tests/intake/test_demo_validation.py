"""The demo plays out validation: its PAS extract validated, the confirmed removals taking the
SCD list from 1,109 to about 566, and no child who is still waiting taken off."""

import csv
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from clearway.demo.service import load_demo
from clearway.demo.validation import DemoNotLoaded, play_validation
from clearway.intake.models import Decision, Verdict
from clearway.pathways.models import WAITING, DischargeReason, Referral, Status
from clearway.services.models import Service

pytestmark = pytest.mark.django_db

TRUTH_REASONS = {
    "seen": DischargeReason.SEEN_ELSEWHERE,
    "discharged": DischargeReason.SEEN_ELSEWHERE,
    "deceased": DischargeReason.DECEASED,
    "duplicate": DischargeReason.DUPLICATE,
}


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    return tmp_path


def test_validation_takes_the_demo_list_from_1109_to_about_566(var_dir: Path) -> None:
    load_demo()
    scd = Service.objects.get(slug="scd")
    waiting = Referral.objects.for_service(scd).filter(status__in=WAITING)
    assert waiting.count() == 1109

    summary = play_validation()

    assert 520 <= waiting.count() <= 610
    assert f"1,109 → {waiting.count():,} children on the list" in summary
    with (var_dir / "demo" / "pas_truth.csv").open(encoding="utf-8") as handle:
        truth = {int(row["referral_id"]): row["truth"] for row in csv.DictReader(handle)}
    for referral in Referral.objects.for_service(scd):
        if truth[referral.pk] == "waiting":
            assert referral.status != Status.DISCHARGED, referral.pk  # never a wrong removal
        elif referral.status == Status.DISCHARGED:
            assert referral.discharge_reason == TRUTH_REASONS[truth[referral.pk]], referral.pk
    decisions = Decision.objects.filter(verdict=Verdict.CONFIRMED)
    assert decisions.count() == 1109 - waiting.count()
    assert {d.actor.username for d in decisions.select_related("actor")} == {"coordinator"}


def test_there_is_nothing_to_validate_before_the_demo_is_loaded(var_dir: Path) -> None:
    with pytest.raises(DemoNotLoaded, match="Load the demo first"):
        play_validation()


def test_the_command_plays_it_out(var_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_demo(children=150, autism_children=10)
    call_command("demo_validate")
    assert "Confirmed" in capsys.readouterr().out


def test_a_demo_reset_clears_the_validation_and_its_files(
    var_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    load_demo(children=150, autism_children=10)
    play_validation()
    stored = list((var_dir / "uploads").iterdir())
    assert stored
    with django_capture_on_commit_callbacks(execute=True):
        load_demo(children=150, autism_children=10, reset=True)
    assert not Decision.objects.exists()
    assert not any(path.exists() for path in stored)
    scd = Service.objects.get(slug="scd")
    assert Referral.objects.for_service(scd).filter(status__in=WAITING).count() == 150


def test_clearway_demo_can_play_out_validation() -> None:
    from clearway.cli import parser

    assert parser().parse_args(["demo", "--validate"]).validate is True
    assert parser().parse_args(["demo"]).validate is False
