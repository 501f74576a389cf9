"""One test walks every URL: each needs sign-in, declares its roles, and admits only them.

The expected table below is the record of who may use each page. A new page, or a change in
who may use one, fails these tests until the table is changed too, so it is always deliberate.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse

from clearway.accounts.models import Role
from clearway.config import urls as project_urls
from clearway.core.permissions import view_roles
from clearway.pathways.models import Referral
from tests.contact.factories import message_template, recorded_letter
from tests.documents.factories import stored_document
from tests.inbox.factories import inbox_message
from tests.intake.factories import intake_objects

ALL_ROLES = tuple(Role.values)
COORDINATOR_SECRETARY_ADMIN = (Role.COORDINATOR, Role.SECRETARY, Role.ADMIN)
COORDINATOR_ADMIN = (Role.COORDINATOR, Role.ADMIN)
WORKERS = (Role.COORDINATOR, Role.SECRETARY, Role.MANAGER, Role.ADMIN)
INBOX_READERS = (Role.COORDINATOR, Role.SECRETARY, Role.ADMIN, Role.MANAGER)

#: Pages anyone may open without signing in, and what they answer.
OPEN_TO_EVERYONE = {
    "accounts:sign-in": 200,
    "core:health": 200,
    "admin-sign-in": 302,  # the admin's sign-in sends people to Clearway's
    # Single sign-on's start and callback: 404 while it is not set up, as in these tests
    # (tests/accounts/test_single_sign_on.py covers them set up).
    "accounts:sso-start": 404,
    "accounts:oidc-callback": 404,
}


@dataclass(frozen=True)
class Expected:
    roles: tuple[str, ...]
    method: str = "get"
    #: What an allowed role gets: 200 for a page, 302 for a view that sends you on.
    status: int = 200


#: Who may use each page. Change this only when you mean to change who may use a page.
EXPECTED: dict[str, Expected] = {
    "core:home": Expected(ALL_ROLES, status=302),
    "core:switch-service": Expected(ALL_ROLES),
    "accounts:sign-out": Expected(ALL_ROLES, method="post", status=302),
    "pathways:list": Expected(ALL_ROLES),
    "pathways:referral": Expected(ALL_ROLES),
    "pathways:add-referral": Expected(COORDINATOR_SECRETARY_ADMIN),
    "pathways:receive-requirement": Expected(COORDINATOR_SECRETARY_ADMIN),
    "pathways:discharge": Expected(COORDINATOR_ADMIN),
    "pathways:reverse-discharge": Expected(COORDINATOR_ADMIN),
    "pathways:reverse-requirement": Expected(COORDINATOR_ADMIN),
    "pathways:retention": Expected((Role.MANAGER, Role.ADMIN)),
    "audit:search": Expected((Role.MANAGER, Role.ADMIN)),
    "intake:home": Expected((Role.COORDINATOR, Role.MANAGER, Role.ADMIN)),
    "intake:upload-list": Expected(COORDINATOR_ADMIN),
    "intake:check-list": Expected(COORDINATOR_ADMIN),
    "intake:import": Expected((Role.COORDINATOR, Role.MANAGER, Role.ADMIN)),
    "intake:validate": Expected(COORDINATOR_ADMIN),
    "intake:run": Expected((Role.COORDINATOR, Role.MANAGER, Role.ADMIN)),
    "intake:proposal": Expected((Role.COORDINATOR, Role.MANAGER, Role.ADMIN)),
    "intake:decide": Expected(COORDINATOR_ADMIN),
    "intake:confirm-group": Expected(COORDINATOR_ADMIN),
    "intake:download": Expected(COORDINATOR_ADMIN),
    # Documents: staff read a child's documents; those who keep the list file them.
    "documents:upload": Expected(COORDINATOR_SECRETARY_ADMIN),
    "documents:download": Expected(ALL_ROLES),
    "documents:file-in-error": Expected(COORDINATOR_SECRETARY_ADMIN),
    # Standard work: the worklist, a task, calls; chase rules; the workload.
    "contact:worklist": Expected(WORKERS),
    "contact:task": Expected(WORKERS),
    "contact:call": Expected(WORKERS),
    "contact:rules": Expected(WORKERS),
    "contact:workload": Expected((Role.MANAGER, Role.ADMIN)),
    # The shared inbox: coordinators, secretaries and admins file; the service manager reads.
    "inbox:list": Expected(INBOX_READERS),
    "inbox:message": Expected(INBOX_READERS),
    "inbox:attachment": Expected(INBOX_READERS),
    # Templates (staff read, coordinators and managers change), the live language check,
    # writing to someone (those who keep the list), a recorded letter's PDF (staff).
    "contact:language-check": Expected(WORKERS, method="post", status=204),
    "contact:templates": Expected(ALL_ROLES),
    "contact:template-new": Expected((Role.COORDINATOR, Role.MANAGER, Role.ADMIN)),
    "contact:template-edit": Expected(ALL_ROLES),
    "contact:compose": Expected(COORDINATOR_SECRETARY_ADMIN),
    "contact:letter": Expected(ALL_ROLES),
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern
    converters: dict[str, Any]


def walk(
    patterns: list[Any] | None = None, namespace: str = "", converters: dict[str, Any] | None = None
) -> Iterator[Route]:
    """Every URL pattern of the project outside the admin, recursing into includes."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        found = {**(converters or {}), **entry.pattern.converters}
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = (
                f"{namespace}:{entry.namespace}"
                if entry.namespace and namespace
                else (entry.namespace or namespace)
            )
            yield from walk(entry.url_patterns, inner, found)
        elif isinstance(entry, URLPattern):
            assert entry.name, (
                f"Every page needs a name so the permission table can list it: {entry}"
            )
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, entry, found)


def all_routes() -> list[Route]:
    return list(walk())


def concrete_path(route: Route, referral: Referral) -> str:
    kwargs: dict[str, Any] = {}
    intake: dict[str, Any] | None = None
    for key, converter in route.converters.items():
        kind = type(converter).__name__
        if route.name.startswith("intake:"):
            # Uploads, imports, validations and proposals of the referral's service.
            intake = intake or intake_objects(referral)
            kwargs[key] = intake[key]
        elif route.name == "inbox:message":
            kwargs[key] = inbox_message(referral).pk
        elif route.name == "inbox:attachment":
            kwargs[key] = inbox_message(referral).attachments.get().pk
        elif route.name == "contact:task":
            kwargs[key] = referral.tasks.order_by("pk").values_list("pk", flat=True)[0]
        elif route.name in {"documents:download", "documents:file-in-error"}:
            kwargs[key] = stored_document(referral).pk
        elif route.name == "contact:template-edit":
            kwargs[key] = message_template(referral).pk
        elif route.name == "contact:letter":
            kwargs[key] = recorded_letter(referral).pk
        elif route.name == "contact:compose" and key == "channel":
            kwargs[key] = "letter"
        elif kind == "IntConverter":
            kwargs[key] = referral.pk
        elif kind == "SlugConverter" and key == "kind":
            kwargs[key] = "school_report"
        else:
            raise AssertionError(f"Teach this test a value for <{kind} {key}> in {route.name}")
    return reverse(route.name, kwargs=kwargs)


@pytest.fixture
def referral(make_referral: Callable[..., Referral]) -> Referral:
    return make_referral()


def test_the_table_lists_every_page_and_no_others() -> None:
    names = {route.name for route in all_routes()}
    assert names == set(EXPECTED) | set(OPEN_TO_EVERYONE)


def test_every_page_but_sign_in_and_health_sends_an_anonymous_user_to_sign_in(
    anonymous_client: Client, referral: Referral
) -> None:
    checked = []
    for route in all_routes():
        url = concrete_path(route, referral)
        response = anonymous_client.get(url)
        if route.name in OPEN_TO_EVERYONE:
            assert response.status_code == OPEN_TO_EVERYONE[route.name], route.name
            continue
        assert response.status_code == 302, (route.name, response.status_code)
        assert response["Location"] == f"/sign-in/?next={quote(url)}", route.name
        checked.append(route.name)
    assert len(checked) == len(EXPECTED)


def test_every_page_that_needs_sign_in_declares_its_roles() -> None:
    for route in all_routes():
        view = route.pattern.callback
        if not getattr(view, "login_required", True):
            assert route.name in OPEN_TO_EVERYONE, f"{route.name} is open without sign-in"
            continue
        assert view_roles(view) is not None, f"{route.name} does not say which roles may use it"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_can_use_exactly_the_pages_the_table_gives_it(
    role: str, client_for: Callable[[str], Client], referral: Referral
) -> None:
    for route in all_routes():
        if route.name in OPEN_TO_EVERYONE:
            continue
        expected = EXPECTED[route.name]
        client = client_for(role)  # a fresh sign-in each time: signing out ends the last
        url = concrete_path(route, referral)
        response = getattr(client, expected.method)(url)
        want = expected.status if role in expected.roles else 403
        assert response.status_code == want, f"{role} {expected.method.upper()} {url}"
        if want == 403:
            assert "You cannot see this page" in response.content.decode()


def test_the_declared_roles_match_the_table() -> None:
    for route in all_routes():
        if route.name in OPEN_TO_EVERYONE:
            continue
        assert view_roles(route.pattern.callback) == frozenset(EXPECTED[route.name].roles), (
            route.name
        )


def test_the_admin_needs_sign_in_and_the_admin_role(
    anonymous_client: Client, client_for: Callable[[str], Client]
) -> None:
    response = anonymous_client.get("/admin/")
    assert response.status_code == 302
    # Django's admin sends people to its own sign-in page, which admits only administrators.
    assert response["Location"] in {"/sign-in/?next=/admin/", "/admin/login/?next=/admin/"}
    for role in ALL_ROLES:
        response = client_for(role).get("/admin/")
        assert response.status_code == (200 if role == Role.ADMIN else 403), role


# A page whose author forgot to say which roles may use it.
def forgot_the_roles(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>Secret</title><p>Nobody should see this</p>")


urlpatterns = [path("forgot-the-roles/", forgot_the_roles), *project_urls.urlpatterns]
handler403 = project_urls.handler403


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_page_that_declares_no_roles_is_refused_to_everyone(
    role: str, client_for: Callable[[str], Client], anonymous_client: Client
) -> None:
    response = client_for(role).get("/forgot-the-roles/")
    assert response.status_code == 403
    assert "Nobody should see this" not in response.content.decode()
    assert anonymous_client.get("/forgot-the-roles/").status_code == 302
