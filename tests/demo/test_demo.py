"""The demo service: shaped like the case, consistent with the pathway, repeatable by seed."""

import csv
import datetime as dt
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nhs_number
import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from clearway.accounts.models import User
from clearway.demo.service import DEMO_PASSWORD, DEMO_USERS, DemoAlreadyLoaded, load_demo
from clearway.pathways.definition import pathway_for
from clearway.pathways.history import list_figures
from clearway.pathways.models import (
    Carer,
    Event,
    EventKind,
    Patient,
    Referral,
    RequirementState,
    Status,
)
from clearway.services.models import Service

DAY = dt.date(2021, 5, 3)  # the day the case's validation was checked
SMALL = 150
LONDON = ZoneInfo("Europe/London")
PAS_HEADER = [
    "pas_id",
    "nhs_number",
    "family_name",
    "given_name",
    "birth_date",
    "event",
    "event_date",
    "clinic",
]


def scd() -> Service:
    """The demo's SCD service, which holds the case's list."""
    return Service.objects.get(slug="scd")


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture
def small_demo(db: None, var_dir: Path) -> str:
    return load_demo(seed=7, today=DAY, children=SMALL)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def children_listed() -> list[tuple[Any, ...]]:
    return list(
        Referral.objects.for_service(scd())
        .order_by("pk")
        .values_list(
            "patient__nhs_number",
            "patient__given_name",
            "patient__family_name",
            "patient__birth_date",
            "received_on",
            "status",
        )
    )


@pytest.mark.django_db
def test_the_full_demo_has_the_shape_of_the_case_on_the_day_recovery_began(var_dir: Path) -> None:
    summary = load_demo()

    figures = list_figures(scd())
    assert figures.waiting == 1109
    assert figures.mean_wait_days is not None
    assert 400 <= figures.mean_wait_days <= 440
    assert figures.max_wait_days is not None
    assert figures.max_wait_days > 1200
    assert 0 < figures.ready_for_panel < figures.waiting
    assert "1,109 children on the list" in summary
    assert str(var_dir / "demo" / "pas_extract.csv") in summary
    # Validation should take the list from 1,109 to about 566, as in the case.
    truth = read_csv(var_dir / "demo" / "pas_truth.csv")
    still_waiting = sum(row["truth"] == "waiting" for row in truth)
    assert 520 <= still_waiting <= 610


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_service_and_another_seed_another(var_dir: Path) -> None:
    load_demo(seed=3, today=DAY, children=SMALL)
    first = children_listed()
    first_extract = (var_dir / "demo" / "pas_extract.csv").read_bytes()

    load_demo(seed=3, today=DAY, children=SMALL, reset=True)
    assert children_listed() == first
    assert (var_dir / "demo" / "pas_extract.csv").read_bytes() == first_extract

    load_demo(seed=4, today=DAY, children=SMALL, reset=True)
    other = children_listed()
    assert {row[0] for row in other} != {row[0] for row in first}
    assert [row[1:3] for row in other] != [row[1:3] for row in first]


@pytest.mark.django_db
def test_nhs_numbers_are_valid_test_numbers_and_every_child_has_a_hospital_number(
    small_demo: str, var_dir: Path
) -> None:
    numbers = [
        n for n in Patient.objects.for_service(scd()).values_list("nhs_number", flat=True) if n
    ]
    assert len(numbers) >= SMALL * 0.85
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)
    truth = read_csv(var_dir / "demo" / "pas_truth.csv")
    entered_twice = {int(row["referral_id"]) for row in truth if row["truth"] == "duplicate"}
    for referral in Referral.objects.for_service(scd()).select_related("patient"):
        if referral.pk not in entered_twice:
            assert re.fullmatch(r"RX\d{7}", referral.patient.hospital_number or "")


@pytest.mark.django_db
def test_children_are_2_to_16_at_referral_with_carers_and_invented_contacts(
    small_demo: str,
) -> None:
    phone = re.compile(r"07700 900\d{3}|0113 496 0\d{3}")
    for referral in Referral.objects.for_service(scd()).select_related("patient"):
        child = referral.patient
        assert 2 <= child.age_on(referral.received_on) <= 16
        assert child.school_id is not None
        assert child.gp_practice
        carers = list(child.carers.all())
        assert 1 <= len(carers) <= 2
        assert sum(carer.main_contact for carer in carers) == 1
        if child.looked_after:
            assert child.social_worker_name
            assert phone.fullmatch(child.social_worker_phone)
    for carer in Carer.objects.all():
        assert phone.fullmatch(carer.phone)
        assert not carer.email or carer.email.endswith("@example.com")


@pytest.mark.django_db
def test_every_referral_has_the_pathways_requirements_and_a_status_that_follows_them(
    small_demo: str,
) -> None:
    keys = sorted(pathway_for("scd").requirement_keys)
    statuses = set()
    for referral in Referral.objects.for_service(scd()).prefetch_related("requirements"):
        requirements = list(referral.requirements.all())
        assert sorted(r.kind for r in requirements) == keys
        received = [r for r in requirements if r.state == RequirementState.RECEIVED]
        for r in requirements:
            assert (r.received_on is not None) == (r.state == RequirementState.RECEIVED)
            if r.state == RequirementState.REQUESTED:
                assert r.requested_on is not None
                assert referral.received_on <= r.requested_on < DAY
            if r.state == RequirementState.OUTSTANDING:
                assert r.requested_on is None
            if r.received_on:
                assert referral.received_on <= r.received_on < DAY
        if len(received) == len(requirements):
            assert referral.status == Status.READY_FOR_PANEL
            assert referral.ready_on == max(r.received_on for r in received if r.received_on)
        else:
            assert referral.status == Status.AWAITING_INFORMATION
            assert referral.ready_on is None
        statuses.add(referral.status)
    assert statuses == {Status.READY_FOR_PANEL, Status.AWAITING_INFORMATION}


@pytest.mark.django_db
def test_the_history_replays_to_the_current_state(small_demo: str) -> None:
    events: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.order_by("effective", "recorded_at", "pk"):
        events[event.referral_id].append(event)
    for referral in Referral.objects.for_service(scd()).prefetch_related("requirements"):
        history = events[referral.pk]
        opening = history[0]
        assert opening.kind == EventKind.REFERRAL_RECEIVED
        assert opening.effective == referral.received_on
        assert opening.status_before == ""
        assert opening.actor is None
        assert opening.actor_name == "Clearway demo (system)"
        assert sum(e.kind == EventKind.REFERRAL_RECEIVED for e in history) == 1
        status = opening.status_after
        states = dict(opening.details["requirements"])
        for event in history[1:]:
            assert event.status_before == status
            key = event.details["requirement"]
            if event.kind == EventKind.REQUIREMENT_REQUESTED:
                assert states[key] != RequirementState.RECEIVED
                states[key] = RequirementState.REQUESTED
            else:
                assert event.kind == EventKind.REQUIREMENT_RECEIVED
                states[key] = RequirementState.RECEIVED
                all_in = all(s == RequirementState.RECEIVED for s in states.values())
                assert event.details.get("ready_for_panel", False) == (
                    all_in and status != Status.READY_FOR_PANEL
                )
            status = event.status_after
        for event in history:
            local = event.recorded_at.astimezone(LONDON)
            assert local.date() == event.effective < DAY
            assert 8 <= local.hour < 24
        assert status == referral.status
        assert states == {r.kind: r.state for r in referral.requirements.all()}


@pytest.mark.django_db
def test_the_list_as_recorded_on_a_past_day_counts_the_referrals_received_by_then(
    small_demo: str,
) -> None:
    past = DAY - dt.timedelta(days=400)
    received_by_then = Referral.objects.for_service(scd()).filter(received_on__lte=past).count()
    as_recorded = list_figures(scd(), past, as_recorded=True)
    assert as_recorded.waiting == received_by_then == list_figures(scd(), past).waiting
    assert (
        as_recorded.ready_for_panel
        < Referral.objects.for_service(scd()).filter(status=Status.READY_FOR_PANEL).count()
    )


@pytest.mark.django_db
def test_the_query_planner_knows_the_loaded_history(small_demo: str) -> None:
    # Without statistics SQLite walks every child's history for each child: minutes at 100k.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner statistics")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'pathways_event'")
        assert cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_a_loaded_demo_is_not_loaded_twice_unless_reset(small_demo: str) -> None:
    with pytest.raises(DemoAlreadyLoaded, match=r"already loaded \(150 children on the list\)"):
        load_demo(seed=7, today=DAY, children=SMALL)

    load_demo(seed=8, today=DAY, children=40, reset=True)

    assert Referral.objects.for_service(scd()).count() == 40
    assert Patient.objects.for_service(scd()).count() == 40
    assert User.objects.count() == len(DEMO_USERS)


@pytest.mark.django_db
def test_the_demo_staff_can_sign_in_one_per_role(small_demo: str) -> None:
    for demo_user in DEMO_USERS:
        # django-axes needs the request to count failures against it.
        request = RequestFactory().post("/sign-in/")
        user = authenticate(request, username=demo_user.username, password=DEMO_PASSWORD)
        assert user is not None
        assert user.role == demo_user.role
        assert user.get_full_name()


@pytest.mark.django_db
def test_a_demo_day_in_the_future_is_refused(var_dir: Path) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValueError, match="in the future"):
        load_demo(today=tomorrow, children=10)
    assert not Referral.objects.for_service(scd()).exists()


@pytest.mark.django_db
def test_the_pas_extract_shows_about_half_the_list_already_seen_or_gone(
    small_demo: str, var_dir: Path
) -> None:
    rows = read_csv(var_dir / "demo" / "pas_extract.csv")
    with (var_dir / "demo" / "pas_extract.csv").open(encoding="utf-8") as handle:
        assert handle.readline().strip().split(",") == PAS_HEADER
    kinds = {"referral", "attended", "was_not_brought", "cancelled", "discharged", "deceased"}
    assert {row["event"] for row in rows} <= kinds
    # Noise that is not "seen": missed or cancelled panels, other clinics.
    assert any(row["event"] in {"was_not_brought", "cancelled"} for row in rows)
    assert any(row["event"] == "attended" and row["clinic"] != "SCD Panel" for row in rows)
    by_pas_id: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        assert dt.date.fromisoformat(row["event_date"]) < DAY
        assert nhs_number.is_valid(row["nhs_number"])
        by_pas_id[row["pas_id"]].append(row)

    def gone_after(referral: Referral) -> bool:
        since = referral.received_on.isoformat()
        return any(
            (
                row["event"] == "attended"
                and row["clinic"] == "SCD Panel"
                and row["event_date"] >= since
            )
            or (row["event"] == "discharged" and row["event_date"] >= since)
            or row["event"] == "deceased"
            for row in by_pas_id.get(referral.patient.hospital_number or "", [])
        )

    referrals = {r.pk: r for r in Referral.objects.for_service(scd()).select_related("patient")}
    truth = read_csv(var_dir / "demo" / "pas_truth.csv")
    assert len(truth) == len(referrals)
    assert list(truth[0]) == ["referral_id", "hospital_number", "truth", "duplicate_of"]
    gone = 0
    for row in truth:
        referral = referrals[int(row["referral_id"])]
        assert row["hospital_number"] == (referral.patient.hospital_number or "")
        if row["truth"] == "duplicate":
            first = referrals[int(row["duplicate_of"])].patient
            assert referral.patient.nhs_number is None
            assert (referral.patient.family_name, referral.patient.birth_date) == (
                first.family_name,
                first.birth_date,
            )
            assert referral.received_on >= referrals[int(row["duplicate_of"])].received_on
            continue
        assert row["truth"] in {"waiting", "seen", "discharged", "deceased"}
        assert gone_after(referral) == (row["truth"] != "waiting")
        assert len([r for r in by_pas_id[row["hospital_number"]] if r["event"] == "referral"]) == 1
        gone += row["truth"] != "waiting"
    assert 0.40 <= gone / len(referrals) <= 0.60


def test_a_second_service_has_its_own_children_and_staff_who_see_only_them(
    small_demo: str,
) -> None:
    autism = Service.objects.get(slug="autism")
    assert autism.pathway.key == "autism"
    autism_children = set(Patient.objects.for_service(autism).values_list("pk", flat=True))
    scd_children = set(Patient.objects.for_service(scd()).values_list("pk", flat=True))
    assert 50 <= len(autism_children) <= 60
    assert not autism_children & scd_children
    assert "Autism assessment service beside it" in small_demo
    for referral in Referral.objects.for_service(autism).prefetch_related("requirements"):
        assert sorted(r.kind for r in referral.requirements.all()) == sorted(
            autism.pathway.requirement_keys
        )
    members = {
        user.username: sorted(user.services.values_list("slug", flat=True))
        for user in User.objects.all()
    }
    assert members["coordinator"] == ["autism", "scd"]
    assert members["autism-coordinator"] == ["autism"]
    assert members["manager"] == ["scd"]
    client = Client()
    client.force_login(User.objects.get(username="autism-coordinator"))
    an_scd_referral = Referral.objects.for_service(scd()).first()
    assert an_scd_referral is not None
    assert client.get(f"/referrals/{an_scd_referral.pk}/").status_code == 404
    assert client.get("/children/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_reset_removes_the_reports_filed_to_the_demo_s_children(
    small_demo: str, settings: Any, tmp_path: Path
) -> None:
    from clearway.documents.models import Document
    from clearway.documents.services import file_document
    from tests.documents import files

    settings.CLEARWAY_UPLOAD_DIR = tmp_path / "uploads"
    referral = Referral.objects.for_service(scd()).filter(status="awaiting_information").first()
    assert referral is not None
    coordinator = User.objects.get(username="coordinator")
    document = file_document(
        coordinator,
        referral,
        chunks=[files.pdf("A school report")],
        original_name="report.pdf",
        requirement="",
        received_on=DAY,
    )
    assert document.path.exists()

    load_demo(seed=8, today=DAY, children=40, reset=True)

    assert not Document.objects.unscoped().exists()
    assert not document.path.exists()
