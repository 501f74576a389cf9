"""Single sign-on by OpenID Connect, against a real provider on 127.0.0.1 (oidc_provider.py).

Django's test client plays the browser on Clearway's side; `requests` follows Clearway's
redirect to the provider, which approves at once and sends back a code for Clearway's callback.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import ExternalIdentity, Role, User
from clearway.accounts.oidc import ROLE_REFUSED_MESSAGE
from clearway.audit.models import AuditAction, AuditEntry
from clearway.core.middleware import SIGNED_IN_AT
from tests.accounts.oidc_provider import LocalOpenIDProvider, new_key
from tests.conftest import PASSWORD, default_service

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:sign-in")
START = reverse("accounts:sso-start")
LIST = reverse("pathways:list")
FAILED = "Signing in with NHS Care Identity did not work"


def cis2_claims(sub: str = "910000000001", job_role: str = "R8000", **more: Any) -> dict[str, Any]:
    """Claims as NHS CIS2 gives them: the roles are objects, one of them selected at sign-in."""
    return {
        "sub": sub,
        "uid": sub,
        "given_name": "Priya",
        "family_name": "Shah",
        "selected_roleid": "555000000001",
        "nhsid_nrbac_roles": [
            {
                "person_roleid": "555000000001",
                "org_code": "RX1",
                "role_code": f"S8000:G8000:{job_role}",
                "role_name": '"Clinical":"Clinical Provision":"Nurse Access Role"',
            },
            # A role at another organisation, not the one chosen: it must not count.
            {"person_roleid": "555000000002", "org_code": "RX2", "role_code": "S0080:G0450:R8008"},
        ],
        **more,
    }


def sign_in_through(provider: LocalOpenIDProvider, client: Client, next_url: str = "") -> Any:
    """Click "Sign in with NHS Care Identity", let the provider approve, return to Clearway."""
    response = client.get(START + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    to_provider = response["Location"]
    assert to_provider.startswith(f"{provider.issuer}/authorize?")
    query = parse_qs(urlsplit(to_provider).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    back = requests.get(to_provider, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert callback.path == reverse("accounts:oidc-callback")
    return client.get(f"{callback.path}?{callback.query}")


def refusal_shown(client: Client, response: Any, message: str) -> None:
    assert response.status_code == 302 and response["Location"] == SIGN_IN
    page = client.get(SIGN_IN)
    assert message in page.content.decode()
    assert client.get(LIST).status_code == 302  # not signed in


def test_first_sign_in_creates_the_person_with_their_mapped_role(single_sign_on: Any) -> None:
    single_sign_on.claims = cis2_claims()
    client = Client()
    planted = client.session  # an anonymous session, as an attacker might plant one
    planted["planted"] = True
    planted.save()

    response = sign_in_through(single_sign_on, client, next_url=LIST)

    assert response.status_code == 302 and response["Location"] == LIST
    # Signed in, but in no service until an administrator adds them to one.
    refused = client.get(LIST)
    assert refused.status_code == 403
    assert "You are not a member of any service. Ask an administrator." in refused.text
    user = User.objects.get()
    user.services.add(default_service())
    assert client.get(LIST).status_code == 200
    assert (user.username, user.role, user.get_full_name()) == (
        "910000000001",
        Role.COORDINATOR,
        "Priya Shah",
    )
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get()
    assert (identity.user, identity.issuer, identity.subject) == (
        user,
        single_sign_on.issuer,
        "910000000001",
    )
    # The session is new, its clocks started, and the sign-in audited.
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert client.session[SIGNED_IN_AT] >= int(time.time()) - 5
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN, user=user).count() == 1


def test_entra_app_roles_map_too(single_sign_on: Any, settings: Any) -> None:
    settings.OIDC_ROLE_CLAIM = "roles"
    settings.OIDC_ROLE_MAP = {"Clearway.Manager": Role.MANAGER}
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    single_sign_on.claims = {
        "sub": "entra-oid-1",
        "preferred_username": "jo.bloggs@nhs.net",
        "roles": ["Other.App", "Clearway.Manager"],
    }
    client = Client()
    assert sign_in_through(single_sign_on, client).status_code == 302
    assert User.objects.get(username="jo.bloggs@nhs.net").role == Role.MANAGER


def test_a_role_not_in_the_table_is_refused_and_audited(single_sign_on: Any) -> None:
    # R8008 is in the table, but only at RX2, which the person did not choose at sign-in.
    single_sign_on.claims = cis2_claims(job_role="R9999")
    client = Client()

    response = sign_in_through(single_sign_on, client)

    refusal_shown(client, response, ROLE_REFUSED_MESSAGE)
    assert not User.objects.exists()
    failed = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failed.username == "910000000001"
    assert failed.obj == "single sign-on: no mapped role"


def test_userinfo_about_someone_else_is_refused(single_sign_on: Any) -> None:
    single_sign_on.claims = cis2_claims()
    single_sign_on.userinfo_changes = {"sub": "910000000999"}
    client = Client()
    refusal_shown(client, sign_in_through(single_sign_on, client), FAILED)
    assert not User.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED).count() == 1


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        ({"id_token_changes": {"aud": "another-client"}}, "Audience doesn't match"),
        ({"id_token_changes": {"exp": int(time.time()) - 3600}}, "Signature has expired"),
        ({"id_token_changes": {"iss": "https://impostor.example"}}, "Invalid issuer"),
        ({"signing_key": new_key()}, "Signature verification failed"),
    ],
    ids=["wrong-audience", "expired", "wrong-issuer", "foreign-key"],
)
def test_an_id_token_that_fails_its_checks_is_refused(
    single_sign_on: Any, spoil: dict[str, Any], reason: str
) -> None:
    single_sign_on.claims = cis2_claims()
    for name, value in spoil.items():
        setattr(single_sign_on, name, value)
    client = Client()

    refusal_shown(client, sign_in_through(single_sign_on, client), FAILED)

    assert not User.objects.exists()
    failed = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert reason.casefold() in failed.obj.casefold()


def test_a_good_token_is_accepted_with_the_same_provider_settings(single_sign_on: Any) -> None:
    # The control for the test above: the same flow, unspoiled, signs in.
    single_sign_on.claims = cis2_claims()
    client = Client()
    assert sign_in_through(single_sign_on, client)["Location"] == reverse("core:home")


def test_a_second_sign_in_is_the_same_person_with_the_role_from_the_new_claims(
    single_sign_on: Any,
) -> None:
    single_sign_on.claims = cis2_claims(job_role="R8000")
    sign_in_through(single_sign_on, Client())
    first = User.objects.get()

    # Their role changed at the provider: no longer R8000 but R8008 (now selected).
    single_sign_on.claims = cis2_claims(job_role="R8008", family_name="Shah-Jones")
    client = Client()
    sign_in_through(single_sign_on, client)

    assert User.objects.get() == first
    first.refresh_from_db()
    assert (first.role, first.last_name) == (Role.SECRETARY, "Shah-Jones")
    first.services.add(default_service())
    assert client.get(LIST).status_code == 200
    assert ExternalIdentity.objects.count() == 1


def test_a_person_who_loses_their_role_is_refused_next_time(single_sign_on: Any) -> None:
    single_sign_on.claims = cis2_claims(job_role="R8000")
    sign_in_through(single_sign_on, Client())
    single_sign_on.claims = cis2_claims(job_role="R0001")
    client = Client()
    refusal_shown(client, sign_in_through(single_sign_on, client), ROLE_REFUSED_MESSAGE)


def test_a_local_account_is_never_taken_over_by_single_sign_on(
    single_sign_on: Any, make_user: Callable[..., User]
) -> None:
    local = make_user(Role.MANAGER, username="910000000001", email="priya.shah@nhs.net")
    single_sign_on.claims = cis2_claims(email="priya.shah@nhs.net")
    client = Client()

    sign_in_through(single_sign_on, client)

    sso_user = User.objects.exclude(pk=local.pk).get()
    assert sso_user.username == "910000000001-2"
    assert sso_user.role == Role.COORDINATOR
    assert ExternalIdentity.objects.get().user == sso_user
    local.refresh_from_db()
    assert local.role == Role.MANAGER and local.check_password(PASSWORD)
    assert not local.external_identities.exists()
    assert client.session["_auth_user_id"] == str(sso_user.pk)


def test_an_account_turned_off_cannot_sign_in_by_single_sign_on(single_sign_on: Any) -> None:
    single_sign_on.claims = cis2_claims()
    sign_in_through(single_sign_on, Client())
    User.objects.update(is_active=False)
    client = Client()
    refusal_shown(client, sign_in_through(single_sign_on, client), "turned off")


def test_a_code_from_the_provider_works_once(single_sign_on: Any) -> None:
    single_sign_on.claims = cis2_claims()
    client = Client()
    response = client.get(START)
    back = urlsplit(
        requests.get(response["Location"], allow_redirects=False, timeout=5).headers["Location"]
    )
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.post(reverse("accounts:sign-out"))
    # The state was used up: Clearway refuses the replay before asking the provider.
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code in {302, 400}
    assert single_sign_on.token_requests == 1


def test_the_sign_in_page_offers_single_sign_on_above_the_local_form(single_sign_on: Any) -> None:
    page = Client().get(SIGN_IN + "?next=/list/").content.decode()
    assert "Sign in with NHS Care Identity" in page
    assert "nhsuk-button--secondary" in page
    assert f'href="{START}?next=%2Flist%2F"' in page
    assert page.index("Sign in with NHS Care Identity") < page.index('name="password"')


def test_only_single_sign_on_when_oidc_only(
    single_sign_on: Any, settings: Any, make_user: Callable[..., User]
) -> None:
    settings.OIDC_ONLY = True
    make_user(Role.COORDINATOR, username="sam")
    client = Client()
    page = client.get(SIGN_IN).content.decode()
    assert "Sign in with NHS Care Identity" in page and 'name="password"' not in page
    response = client.post(SIGN_IN, {"username": "sam", "password": PASSWORD})
    assert response.status_code == 405
    assert client.get(LIST).status_code == 302


def test_without_settings_there_is_no_single_sign_on(make_user: Callable[..., User]) -> None:
    client = Client()
    assert "Sign in with NHS Care Identity" not in client.get(SIGN_IN).content.decode()
    assert client.get(START).status_code == 404
    assert client.get(reverse("accounts:oidc-callback") + "?code=x&state=y").status_code == 404
