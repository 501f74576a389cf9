"""The audit trail: who saw or changed which child, when and from where; who was refused;
who signed in. The service manager can search it; nobody can change it."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clearway.accounts.models import Role, User
from clearway.audit.models import AuditAction, AuditEntry
from clearway.audit.services import record
from clearway.core.append_only import AppendOnlyError
from clearway.pathways.models import Patient, Referral
from tests.conftest import PASSWORD, CheckingClient
from tests.core.test_components import parse
from tests.pathways.test_views import date_fields, discharge_answers, valid_referral

pytestmark = pytest.mark.django_db

SEARCH = reverse("audit:search")
SIGN_IN = reverse("accounts:sign-in")
MakeReferral = Callable[..., Referral]


def signed_in(user: User) -> CheckingClient:
    client = CheckingClient()
    client.force_login(user)
    return client


def latest(action: str) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action).newest_first().first()
    assert entry is not None, f"no {action} entry"
    return entry


@pytest.fixture
def coordinator_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.COORDINATOR, username="sam.coordinator")


@pytest.fixture
def referral(make_referral: MakeReferral) -> Referral:
    return make_referral(given_name="Nia", family_name="Brown", hospital_number="RX7654321")


# What is recorded -----------------------------------------------------------------------


def test_opening_a_childs_record_records_who_which_child_when_and_from_where(
    coordinator_user: User, referral: Referral
) -> None:
    before = timezone.now()
    url = reverse("pathways:referral", kwargs={"pk": referral.pk})

    response = signed_in(coordinator_user).get(url, REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200
    entry = latest(AuditAction.VIEW_RECORD)
    assert entry.user == coordinator_user
    assert (entry.username, entry.role) == ("sam.coordinator", Role.COORDINATOR)
    assert entry.patient == referral.patient
    assert entry.obj == f"referral {referral.pk}"
    assert entry.ip_address == "10.1.2.3"
    assert (entry.method, entry.path, entry.outcome) == ("GET", url, 200)
    assert before <= entry.recorded_at <= timezone.now()


def test_adding_a_referral_is_recorded_as_a_change_but_a_refused_form_is_not(
    coordinator_user: User,
) -> None:
    client = signed_in(coordinator_user)
    client.post(reverse("pathways:add-referral"), valid_referral(given_name=""))
    assert not AuditEntry.objects.filter(action=AuditAction.CHANGE).exists()

    response = client.post(reverse("pathways:add-referral"), valid_referral())

    assert response.status_code == 302
    entry = latest(AuditAction.CHANGE)
    patient = Patient.objects.unscoped().get(nhs_number="9991717811")
    referral = patient.referrals.get()
    assert (entry.user, entry.patient) == (coordinator_user, patient)
    assert entry.obj == f"referral {referral.pk}: added"
    assert (entry.method, entry.outcome) == ("POST", 302)


def test_recording_a_report_received_is_recorded_as_a_change(
    coordinator_user: User, referral: Referral
) -> None:
    url = reverse(
        "pathways:receive-requirement", kwargs={"pk": referral.pk, "kind": "school_report"}
    )
    signed_in(coordinator_user).post(url, date_fields("received_on", dt.date(2024, 1, 5)))

    entry = latest(AuditAction.CHANGE)
    assert (entry.patient, entry.obj) == (
        referral.patient,
        f"referral {referral.pk}: school_report received",
    )
    assert entry.path == url


def test_a_discharge_is_recorded_only_when_confirmed_and_its_reversal_too(
    coordinator_user: User, referral: Referral
) -> None:
    client = signed_in(coordinator_user)
    url = reverse("pathways:discharge", kwargs={"pk": referral.pk})
    client.post(url, discharge_answers())  # the check-and-confirm page: nothing changed yet
    assert not AuditEntry.objects.filter(action=AuditAction.CHANGE).exists()

    client.post(url, discharge_answers(confirm="yes"))
    assert latest(AuditAction.CHANGE).obj == f"referral {referral.pk}: discharged"

    client.post(
        reverse("pathways:reverse-discharge", kwargs={"pk": referral.pk}),
        {"why": "The wrong child was discharged"},
    )
    entry = latest(AuditAction.CHANGE)
    assert (entry.patient, entry.obj) == (
        referral.patient,
        f"referral {referral.pk}: discharge reversed",
    )
    assert AuditEntry.objects.filter(action=AuditAction.CHANGE).count() == 2


def test_a_role_refused_a_page_is_recorded(
    make_user: Callable[..., User], referral: Referral
) -> None:
    clinician = make_user(Role.CLINICIAN, username="dr.who")
    url = reverse("pathways:discharge", kwargs={"pk": referral.pk})

    response = signed_in(clinician).post(
        url, discharge_answers(confirm="yes"), REMOTE_ADDR="10.9.9.9"
    )

    assert response.status_code == 403
    entry = latest(AuditAction.ACCESS_DENIED)
    assert (entry.user, entry.username, entry.role) == (clinician, "dr.who", Role.CLINICIAN)
    assert (entry.method, entry.path, entry.outcome) == ("POST", url, 403)
    assert entry.ip_address == "10.9.9.9"
    assert entry.obj == "pathways:discharge"


def test_a_record_that_does_not_exist_is_recorded_but_a_mistyped_page_is_not(
    coordinator_user: User,
) -> None:
    client = signed_in(coordinator_user)
    assert client.get("/no-such-page/").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED).exists()

    url = reverse("pathways:referral", kwargs={"pk": 987654})
    assert client.get(url).status_code == 404

    entry = latest(AuditAction.ACCESS_DENIED)
    assert (entry.user, entry.path, entry.outcome) == (coordinator_user, url, 404)


def test_signing_in_and_out_are_recorded(make_user: Callable[..., User]) -> None:
    make_user(Role.SECRETARY, username="pat.secretary")
    client = Client()

    response = client.post(
        SIGN_IN, {"username": "pat.secretary", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    assert response.status_code == 302
    entry = latest(AuditAction.SIGN_IN)
    assert (entry.username, entry.role, entry.ip_address) == (
        "pat.secretary",
        Role.SECRETARY,
        "10.0.0.7",
    )

    client.post(reverse("accounts:sign-out"))
    assert latest(AuditAction.SIGN_OUT).username == "pat.secretary"


def test_a_failed_sign_in_records_the_username_tried_and_never_the_password(
    make_user: Callable[..., User],
) -> None:
    make_user(Role.SECRETARY, username="pat.secretary")

    Client().post(
        SIGN_IN,
        {"username": "pat.secretary", "password": "Wr0ng-Secret-Guess"},
        REMOTE_ADDR="10.0.0.8",
    )

    entry = latest(AuditAction.SIGN_IN_FAILED)
    assert (entry.user, entry.username, entry.ip_address) == (None, "pat.secretary", "10.0.0.8")
    row = AuditEntry.objects.filter(pk=entry.pk).values().get()
    assert not any("Wr0ng-Secret-Guess" in str(value) for value in row.values())


def test_forwarded_for_is_believed_only_behind_a_trusted_proxy(
    coordinator_user: User, referral: Referral, settings: Any
) -> None:
    url = reverse("pathways:referral", kwargs={"pk": referral.pk})
    client = signed_in(coordinator_user)
    forwarded = "6.6.6.6, 192.0.2.44"

    client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert latest(AuditAction.VIEW_RECORD).ip_address == "10.0.0.1"

    settings.CLEARWAY_TRUST_X_FORWARDED_FOR = True
    client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    # The address the trusted proxy appended, not one the client wrote itself.
    assert latest(AuditAction.VIEW_RECORD).ip_address == "192.0.2.44"


def test_an_unknown_action_is_refused(coordinator_user: User) -> None:
    with pytest.raises(ValueError):
        record(None, "looked_around", user=coordinator_user)


def test_exports_have_an_action_ready_for_the_first_export(coordinator_user: User) -> None:
    entry = record(None, AuditAction.EXPORT, user=coordinator_user, obj="waiting list (csv)")
    assert entry.get_action_display() == "Exported records"


# Searching ------------------------------------------------------------------------------


def rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    table = parse(response.content.decode()).find_all(id="audit-entries")
    if not table:
        return []
    return [
        [cell.all_text() for cell in tr.find_all("td")]
        for tr in table[0].find_all("tr")
        if tr.find_all("td")
    ]


@pytest.fixture
def history(make_user: Callable[..., User], make_referral: MakeReferral) -> dict[str, Any]:
    """Two children, each viewed by a different person."""
    nia = make_referral(nhs_number="9990000026", hospital_number="RX0000001")
    ola = make_referral(nhs_number="9990000034", hospital_number="RX0000002")
    sam = make_user(Role.COORDINATOR, username="sam")
    kim = make_user(Role.SECRETARY, username="kim")
    signed_in(sam).get(reverse("pathways:referral", kwargs={"pk": nia.pk}))
    signed_in(kim).get(reverse("pathways:referral", kwargs={"pk": ola.pk}))
    signed_in(kim).get(reverse("pathways:referral", kwargs={"pk": nia.pk}))
    return {"nia": nia, "ola": ola}


def test_the_manager_finds_who_saw_a_child_by_nhs_number_newest_first(
    manager_client: Client, history: dict[str, Any]
) -> None:
    found = rows(manager_client.get(SEARCH, {"child": "999 000 0026"}))

    assert [(r[1].split()[0], r[2], r[3]) for r in found] == [
        ("kim", "Viewed a child's record", "999 000 0026"),
        ("sam", "Viewed a child's record", "999 000 0026"),
    ]


def test_the_manager_finds_a_child_by_hospital_number(
    manager_client: Client, history: dict[str, Any]
) -> None:
    found = rows(manager_client.get(SEARCH, {"child": "rx0000002"}))
    assert [r[4] for r in found] == [f"referral {history['ola'].pk}"]


def test_the_manager_finds_what_a_person_did(
    manager_client: Client, history: dict[str, Any]
) -> None:
    found = rows(manager_client.get(SEARCH, {"person": "KIM"}))
    viewed, signed = "Viewed a child's record", "Signed in"
    assert [r[2] for r in found] == [viewed, signed, viewed, signed]
    assert {r[1] for r in found} == {"kim (secretary)"}


def test_the_manager_searches_a_date_range(manager_client: Client, history: dict[str, Any]) -> None:
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    assert rows(manager_client.get(SEARCH, {"person": "sam", **date_fields("earliest", today)}))
    assert not rows(
        manager_client.get(SEARCH, {"person": "sam", **date_fields("latest", yesterday)})
    )


def test_a_search_that_finds_nothing_says_so_and_a_backwards_range_is_refused(
    manager_client: Client, history: dict[str, Any]
) -> None:
    response = manager_client.get(SEARCH, {"person": "nobody"})
    assert "No entries match" in response.content.decode()

    today = timezone.localdate()
    response = manager_client.get(
        SEARCH,
        {**date_fields("earliest", today), **date_fields("latest", today - dt.timedelta(days=3))},
    )
    assert "To must be the same as or after From" in response.content.decode()
    assert not rows(response)


def test_the_audit_pages_through_fifty_entries_at_a_time(
    manager_client: Client, coordinator_user: User
) -> None:
    for _ in range(60):
        record(None, AuditAction.EXPORT, user=coordinator_user)
    first = rows(manager_client.get(SEARCH, {"person": "sam.coordinator"}))
    second = rows(manager_client.get(SEARCH, {"person": "sam.coordinator", "page": "2"}))
    assert (len(first), len(second)) == (50, 10)


def test_a_coordinator_is_refused_the_audit_and_the_refusal_is_audited(
    coordinator_user: User,
) -> None:
    response = signed_in(coordinator_user).get(SEARCH, {"person": "kim"})

    assert response.status_code == 403
    entry = latest(AuditAction.ACCESS_DENIED)
    assert (entry.user, entry.path, entry.outcome) == (coordinator_user, SEARCH, 403)


def test_the_audit_is_in_the_header_for_managers_only(
    manager_client: Client, coordinator_client: Client
) -> None:
    assert f'href="{SEARCH}"' in manager_client.get(SEARCH).content.decode()
    assert (
        f'href="{SEARCH}"' not in coordinator_client.get(reverse("pathways:list")).content.decode()
    )


# Append-only ----------------------------------------------------------------------------


@pytest.fixture
def entry(coordinator_user: User, referral: Referral) -> AuditEntry:
    return record(None, AuditAction.VIEW_RECORD, user=coordinator_user, patient=referral.patient)


def test_the_app_cannot_change_or_delete_an_entry(entry: AuditEntry) -> None:
    entry.obj = "something else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(obj="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["obj"])
    assert AuditEntry.objects.get(pk=entry.pk).obj == ""


def test_the_database_refuses_to_change_an_entry(entry: AuditEntry) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET username = 'someone else'")
    assert AuditEntry.objects.get(pk=entry.pk).username == "sam.coordinator"


def test_on_postgresql_the_database_refuses_to_delete_an_entry(entry: AuditEntry) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's DELETE is left to the app (Django's test flush uses it)")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_admin_shows_entries_but_cannot_add_change_or_delete_them(
    make_user: Callable[..., User], entry: AuditEntry
) -> None:
    admin = make_user(Role.ADMIN)
    client = signed_in(admin)
    base = "/admin/audit/auditentry/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"{base}{entry.pk}/change/", {"obj": "rewritten"})
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.get(pk=entry.pk).obj == ""
