"""Services on one installation: staff of one service never reach another service's children.

The first test walks every URL that names a referral, as tests/core/test_permissions.py walks
them all, so a new child-level page that forgets to scope its query fails here.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clearway.accounts.models import Role, User
from clearway.audit.models import AuditAction, AuditEntry
from clearway.pathways import services
from clearway.pathways.models import DischargeReason, Patient, Referral
from clearway.services.middleware import SESSION_KEY
from clearway.services.models import Service
from clearway.services.scoping import UnscopedQueryError
from tests.conftest import TEST_ACTOR, CheckingClient
from tests.core.test_permissions import EXPECTED, Route, all_routes, concrete_path

pytestmark = pytest.mark.django_db


def child_level_routes() -> list[Route]:
    """Every page that names a referral in its address."""
    return [
        route
        for route in all_routes()
        if any(type(c).__name__ == "IntConverter" for c in route.converters.values())
    ]


def signed_in(user: User) -> CheckingClient:
    client = CheckingClient()
    client.force_login(user)
    return client


@pytest.fixture
def ours(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral(given_name="Olive", family_name="Ourservice")


@pytest.fixture
def theirs(make_referral: Callable[..., Referral], other_service: Service) -> Referral:
    return make_referral(service=other_service, given_name="Zeb", family_name="Otherservice")


@pytest.fixture
def coordinator_here(make_user: Callable[..., User]) -> CheckingClient:
    """A coordinator of the default service only."""
    return signed_in(make_user(Role.COORDINATOR))


def test_the_walk_finds_the_child_level_pages() -> None:
    names = {route.name for route in child_level_routes()}
    assert {
        "pathways:referral",
        "pathways:receive-requirement",
        "pathways:discharge",
        "pathways:reverse-discharge",
    } <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_child_level_page_of_another_service_is_not_found(
    method: str, coordinator_here: Client, ours: Referral, theirs: Referral
) -> None:
    for route in child_level_routes():
        assert Role.COORDINATOR in EXPECTED[route.name].roles, route.name
        response = getattr(coordinator_here, method)(concrete_path(route, theirs))
        assert response.status_code == 404, f"{method.upper()} {route.name}"
        assert "Otherservice" not in response.content.decode(), route.name
        if method == "get":
            own = coordinator_here.get(concrete_path(route, ours))
            assert own.status_code == EXPECTED[route.name].status, route.name
    theirs.refresh_from_db()
    assert theirs.is_waiting  # nothing was changed by any of those posts


def test_the_other_service_sees_its_own_child_and_not_ours(
    make_user: Callable[..., User], other_service: Service, ours: Referral, theirs: Referral
) -> None:
    client = signed_in(make_user(Role.COORDINATOR, services=[other_service]))
    assert client.get(f"/referrals/{theirs.pk}/").status_code == 200
    assert client.get(f"/referrals/{ours.pk}/").status_code == 404


def test_the_list_and_its_search_never_show_another_services_children(
    coordinator_here: Client, ours: Referral, theirs: Referral
) -> None:
    for query in ("", "?status=all", "?q=Otherservice", f"?q={theirs.patient.nhs_number}"):
        page = coordinator_here.get(f"/children/{query}").content.decode()
        assert theirs.patient.listed_name not in page, query
    assert ours.patient.listed_name in coordinator_here.get("/children/").content.decode()


def test_a_child_may_wait_for_two_services_at_once_and_each_sees_only_its_referral(
    make_referral: Callable[..., Referral],
    make_user: Callable[..., User],
    other_service: Service,
    coordinator_here: Client,
) -> None:
    scd = make_referral(nhs_number="9991234561", hospital_number="RX0000042")
    autism = make_referral(
        service=other_service, nhs_number="9991234561", hospital_number="RX0000042"
    )
    assert autism.patient == scd.patient  # one child, one record
    assert autism.is_waiting and scd.is_waiting
    page = coordinator_here.get(f"/referrals/{scd.pk}/").content.decode()
    assert f"/referrals/{autism.pk}/" not in page
    assert "Other referrals" not in page
    # But not twice for one service.
    with pytest.raises(services.PathwayError, match="already on the list"):
        make_referral(service=other_service, nhs_number="9991234561")


def test_a_referral_is_added_to_the_service_the_person_is_working_in(
    make_user: Callable[..., User], other_service: Service
) -> None:
    user = make_user(Role.COORDINATOR, services=[other_service])
    response = signed_in(user).post(
        "/children/new/",
        {
            "given_name": "Ada",
            "family_name": "Newchild",
            "birth_date_day": "4",
            "birth_date_month": "6",
            "birth_date_year": "2016",
            "received_on_day": "1",
            "received_on_month": "2",
            "received_on_year": "2021",
            "source": "gp",
            "priority": "routine",
            "carer_name": "Jo Newchild",
            "carer_relationship": "mother",
        },
    )
    assert response.status_code == 302, response.content.decode()
    referral = Referral.objects.unscoped().get(patient__family_name="Newchild")
    assert referral.service == other_service
    assert sorted(r.kind for r in referral.requirements.all()) == sorted(
        other_service.pathway.requirement_keys
    )


def test_an_unscoped_query_for_children_or_referrals_is_refused(
    ours: Referral, theirs: Referral, service: Service
) -> None:
    refusals: list[Callable[[], Any]] = [
        lambda: list(Referral.objects.all()),
        lambda: Referral.objects.count(),
        lambda: Referral.objects.filter(pk=ours.pk).exists(),
        lambda: Referral.objects.get(pk=ours.pk),
        lambda: Referral.objects.order_by("pk").first(),
        lambda: Referral.objects.filter(pk=ours.pk).update(priority="urgent"),
        lambda: list(Referral.objects.values_list("pk", flat=True)),
        lambda: list(Patient.objects.all()),
        lambda: Patient.objects.filter(pk=ours.patient_id).first(),
        lambda: list(Patient.objects.iterator()),
    ]
    for refusal in refusals:
        with pytest.raises(UnscopedQueryError):
            refusal()
    scoped = Referral.objects.for_service(service).filter(priority="routine").order_by("pk")
    assert list(scoped) == [ours]
    assert list(Patient.objects.for_service(service)) == [ours.patient]
    assert Referral.objects.unscoped().count() == 2
    # Django's own lookups still work: a referral's child, a child's referrals.
    assert ours.patient.referrals.get() == ours


def test_the_audit_search_shows_only_the_managers_services(
    make_user: Callable[..., User],
    make_referral: Callable[..., Referral],
    other_service: Service,
    coordinator_here: Client,
) -> None:
    scd = make_referral(nhs_number="9991234561")
    autism = make_referral(service=other_service, nhs_number="9991234561")
    coordinator_here.get(f"/referrals/{scd.pk}/")
    signed_in(make_user(Role.COORDINATOR, services=[other_service])).get(f"/referrals/{autism.pk}/")
    seen = AuditEntry.objects.filter(action=AuditAction.VIEW_RECORD)
    assert {e.service_id for e in seen} == {scd.service_id, other_service.pk}

    manager = signed_in(make_user(Role.MANAGER))
    page = manager.get("/audit/", {"child": "999 123 4561"}).content.decode()
    assert f"referral {scd.pk}" in page
    assert f"referral {autism.pk}" not in page
    everything = manager.get("/audit/").content.decode()
    assert f"/referrals/{autism.pk}/" not in everything


def test_the_retention_page_lists_and_approves_only_the_services_children(
    make_user: Callable[..., User], make_referral: Callable[..., Referral], other_service: Service
) -> None:
    old = make_referral(
        service=other_service,
        family_name="Oldother",
        birth_date=dt.date(1990, 1, 1),
        received_on=dt.date(2000, 1, 1),
    )
    services.discharge(TEST_ACTOR, old, DischargeReason.MOVED_AWAY, dt.date(2001, 1, 1))
    manager = signed_in(make_user(Role.MANAGER))
    assert "Oldother" not in manager.get("/records/retention/").content.decode()
    refused = manager.post(
        "/records/retention/", {"child": old.patient_id, "note": "Past its date"}
    )
    assert refused.status_code == 404
    theirs = signed_in(make_user(Role.MANAGER, services=[other_service]))
    assert "Oldother" in theirs.get("/records/retention/").content.decode()


def test_a_person_in_two_services_switches_between_them(
    make_user: Callable[..., User],
    other_service: Service,
    service: Service,
    ours: Referral,
    theirs: Referral,
) -> None:
    client = signed_in(make_user(Role.COORDINATOR, services=[service, other_service]))
    # Their home service (the first they were added to) until they choose another.
    first = client.get("/children/").content.decode()
    assert ours.patient.listed_name in first and theirs.patient.listed_name not in first
    assert "Switch service" in first

    page = client.get("/service/")
    assert page.status_code == 200
    assert other_service.name in page.content.decode()
    response = client.post("/service/", {"service": other_service.pk})
    assert response.status_code == 302 and response["Location"] == "/children/"
    assert client.session[SESSION_KEY] == other_service.pk
    listed = client.get("/children/").content.decode()
    assert theirs.patient.listed_name in listed and ours.patient.listed_name not in listed
    assert client.get(f"/referrals/{ours.pk}/").status_code == 404


def test_switching_to_a_service_one_is_not_a_member_of_is_refused(
    coordinator_here: Client, other_service: Service, service: Service
) -> None:
    page = coordinator_here.get("/children/").content.decode()
    assert "Switch service" not in page  # only one service: nothing to switch to
    response = coordinator_here.post("/service/", {"service": other_service.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert coordinator_here.session.get(SESSION_KEY) is None
    # A service planted in the session is ignored, too.
    session = coordinator_here.session
    session[SESSION_KEY] = other_service.pk
    session.save()
    assert service.name in coordinator_here.get("/children/").content.decode()


def test_a_person_in_no_service_is_told_to_ask_an_administrator(
    make_user: Callable[..., User], ours: Referral
) -> None:
    client = signed_in(make_user(Role.COORDINATOR, services=[]))
    for url in ("/children/", f"/referrals/{ours.pk}/", "/service/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You are not a member of any service. Ask an administrator." in response.text
    assert client.post("/sign-out/").status_code == 302
