"""Fixtures for every test: staff of each role, signed-in clients, and referrals."""

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from nhs_number import calculate_checksum

from clearway.accounts.models import Role, User
from clearway.accounts.services import create_user
from clearway.core.actors import SystemActor
from clearway.pathways import services
from clearway.pathways.models import Referral
from clearway.services.models import DEFAULT_SERVICE_NAME, DEFAULT_SERVICE_SLUG, Service
from tests.html import check_page

TEST_ACTOR = SystemActor("Clearway tests")
PASSWORD = "correct-horse-battery-9"


def synthetic_nhs_numbers() -> Iterator[str]:
    """Valid NHS numbers in the 999 test range, never a real person's."""
    for serial in itertools.count(100000):
        nine = f"999{serial:06d}"
        check = calculate_checksum(nine)
        if check is not None and check < 10:
            yield f"{nine}{check}"


class CheckingClient(Client):
    """Django's test client that checks each HTML page it receives (title, unique ids)."""

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        content_type = response.headers.get("Content-Type", "")
        if response.status_code == 200 and content_type.startswith("text/html"):
            check_page(response.content.decode())
        return response


def default_service() -> Service:
    """The default SCD service (made by the migrations; made again after a test that flushed
    the database)."""
    found, _ = Service.objects.get_or_create(
        slug=DEFAULT_SERVICE_SLUG, defaults={"name": DEFAULT_SERVICE_NAME, "pathway_key": "scd"}
    )
    return found


@pytest.fixture
def service(db: None) -> Service:
    return default_service()


@pytest.fixture
def other_service(db: None) -> Service:
    """A second service on the same installation, with a pathway of its own."""
    return Service.objects.create(name="Autism assessment", slug="autism", pathway_key="autism")


@pytest.fixture
def make_user(service: Service) -> Callable[..., User]:
    """make_user(role, services=[...]) → a member of staff, of the default service unless told."""
    counter = itertools.count(1)

    def make(
        role: str,
        username: str | None = None,
        services: list[Service] | None = None,
        **fields: Any,
    ) -> User:
        user = create_user(username or f"{role}{next(counter)}", PASSWORD, role, **fields)
        # One at a time, in the order given: the first is their home service (``set()`` would
        # add them in a set's order, which follows the primary keys' hashes).
        for each in [service] if services is None else services:
            user.services.add(each)
        return user

    return make


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[[str], CheckingClient]:
    """client_for(role) → a client signed in as a new member of staff with that role."""

    def make(role: str) -> CheckingClient:
        client = CheckingClient()
        client.force_login(make_user(role, first_name="Test", last_name=role.title()))
        return client

    return make


@pytest.fixture
def anonymous_client() -> CheckingClient:
    return CheckingClient()


@pytest.fixture
def coordinator_client(client_for: Callable[[str], CheckingClient]) -> CheckingClient:
    return client_for(Role.COORDINATOR)


@pytest.fixture
def secretary_client(client_for: Callable[[str], CheckingClient]) -> CheckingClient:
    return client_for(Role.SECRETARY)


@pytest.fixture
def clinician_client(client_for: Callable[[str], CheckingClient]) -> CheckingClient:
    return client_for(Role.CLINICIAN)


@pytest.fixture
def manager_client(client_for: Callable[[str], CheckingClient]) -> CheckingClient:
    return client_for(Role.MANAGER)


@pytest.fixture
def coordinator(make_user: Callable[..., User]) -> User:
    return make_user(Role.COORDINATOR, first_name="Sam", last_name="Coordinator")


@pytest.fixture
def nhs_numbers() -> Iterator[str]:
    return synthetic_nhs_numbers()


@pytest.fixture
def make_referral(service: Service, nhs_numbers: Iterator[str]) -> Callable[..., Referral]:
    """make_referral(**fields of NewReferral) → a referral added through the service layer, to
    the default service unless ``service=`` says otherwise."""
    counter = itertools.count(1)

    def make(
        actor: Any = TEST_ACTOR, recorded_at: dt.datetime | None = None, **fields: Any
    ) -> Referral:
        n = next(counter)
        values: dict[str, Any] = {
            "service": service,
            "given_name": f"Child{n}",
            "family_name": "Testcase",
            "birth_date": dt.date(2016, 1, 1),
            "received_on": dt.date(2020, 1, 1),
            "nhs_number": next(nhs_numbers),
            "hospital_number": f"RX{n:07d}",
            "carers": [
                {
                    "name": "Jo Testcase",
                    "relationship": "mother",
                    "parental_responsibility": True,
                    "phone": "07700 900123",
                    "main_contact": True,
                }
            ],
        }
        values.update(fields)
        return services.add_referral(actor, services.NewReferral(**values), recorded_at=recorded_at)

    return make


@pytest.fixture
def oidc_provider() -> Iterator[Any]:
    """A real OpenID provider on 127.0.0.1 (tests/accounts/oidc_provider.py), for this test."""
    from tests.accounts.oidc_provider import LocalOpenIDProvider

    provider = LocalOpenIDProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def single_sign_on(oidc_provider: Any, settings: Any) -> Any:
    """Clearway set up for single sign-on by oidc_provider, as for NHS CIS2: the job role
    R8000 (clinical practitioner) is a coordinator, R8008 (admin) a secretary."""
    configured = oidc_provider.settings(
        OIDC_PROVIDER_NAME="NHS Care Identity",
        OIDC_ROLE_CLAIM="nhsid_nrbac_roles",
        OIDC_ROLE_MAP={"R8000": Role.COORDINATOR, "R8008": Role.SECRETARY},
        OIDC_USERNAME_CLAIM="uid",
    )
    for name, value in configured.items():
        setattr(settings, name, value)
    return oidc_provider


@pytest.fixture(autouse=True)
def _fresh_inbox_indexes() -> Iterator[None]:
    """Each test starts with no remembered index of children (a rolled-back test can leave the
    next one a list with the same numbers and other children)."""
    from clearway.inbox import services as inbox_services

    inbox_services._indexes.clear()
    yield
    inbox_services._indexes.clear()
