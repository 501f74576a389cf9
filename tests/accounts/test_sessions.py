"""Sessions: a new key at sign-in, gone at sign-out, ended after 30 minutes idle or 12 hours."""

import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import Role, User
from clearway.core.middleware import LAST_ACTIVITY, SIGNED_IN_AT
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIST = reverse("pathways:list")
SIGN_IN = reverse("accounts:sign-in")
IDLE_MESSAGE = "You were signed out after 30 minutes without activity"
ABSOLUTE_MESSAGE = "You were signed out because you signed in 12 hours ago"


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(Role.COORDINATOR, username="sam")


def sign_in(client: Client) -> None:
    response = client.post(SIGN_IN, {"username": "sam", "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def a_client_with_session(key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def set_clocks(client: Client, *, signed_in_ago: float, last_active_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SIGNED_IN_AT] = int(now - signed_in_ago)
    session[LAST_ACTIVITY] = int(now - last_active_ago)
    session.save()


def test_signing_in_gives_a_new_session_key(user: User) -> None:
    client = Client()
    session = client.session  # an anonymous session, as an attacker might plant one
    session["planted"] = True
    session.save()
    planted_key = session.session_key
    assert planted_key

    sign_in(client)

    assert session_key(client) != planted_key
    assert not Session.objects.filter(session_key=planted_key).exists()
    assert a_client_with_session(planted_key).get(LIST).status_code == 302


def test_signing_out_ends_the_session(user: User) -> None:
    client = Client()
    sign_in(client)
    key = session_key(client)
    assert a_client_with_session(key).get(LIST).status_code == 200

    response = client.post(reverse("accounts:sign-out"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    stolen = a_client_with_session(key).get(LIST)
    assert stolen.status_code == 302
    assert stolen["Location"].startswith(SIGN_IN)


def test_the_session_cookie_is_http_only_same_site_and_ends_with_the_browser(
    user: User,
) -> None:
    client = Client()
    response = client.get(SIGN_IN)
    csrf_cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["httponly"]
    assert csrf_cookie["samesite"] == "Lax"

    response = client.post(SIGN_IN, {"username": "sam", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    # Secure in production: tests/core/test_deploy_check.py proves it.


def test_signing_in_starts_both_clocks(user: User) -> None:
    client = Client()
    before = int(time.time())
    sign_in(client)
    session = client.session
    assert before <= session[SIGNED_IN_AT] <= time.time()
    assert session[LAST_ACTIVITY] == session[SIGNED_IN_AT]


def test_after_30_minutes_without_activity_the_person_is_signed_out(user: User) -> None:
    client = Client()
    sign_in(client)
    key = session_key(client)
    set_clocks(client, signed_in_ago=2 * 3600, last_active_ago=31 * 60)

    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next={LIST}"
    assert not Session.objects.filter(session_key=key).exists()
    sign_in_page = client.get(response["Location"])
    assert IDLE_MESSAGE in sign_in_page.content.decode()
    # The message is shown once, and the person is not signed in.
    assert IDLE_MESSAGE not in client.get(SIGN_IN).content.decode()
    assert client.get(LIST).status_code == 302


def test_activity_within_30_minutes_keeps_the_session_and_restarts_the_idle_clock(
    user: User,
) -> None:
    client = Client()
    sign_in(client)
    set_clocks(client, signed_in_ago=2 * 3600, last_active_ago=29 * 60)

    assert client.get(LIST).status_code == 200

    assert client.session[LAST_ACTIVITY] >= time.time() - 5
    # 29 minutes later again: still signed in, because the clock restarted.
    set_clocks(client, signed_in_ago=2 * 3600 + 29 * 60, last_active_ago=29 * 60)
    assert client.get(LIST).status_code == 200


def test_12_hours_after_sign_in_the_session_ends_even_if_in_use(user: User) -> None:
    client = Client()
    sign_in(client)
    key = session_key(client)
    set_clocks(client, signed_in_ago=12 * 3600 + 1, last_active_ago=10)

    response = client.get(LIST)

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert ABSOLUTE_MESSAGE in client.get(response["Location"]).content.decode()


def test_just_under_12_hours_after_sign_in_the_session_still_works(user: User) -> None:
    client = Client()
    sign_in(client)
    set_clocks(client, signed_in_ago=12 * 3600 - 60, last_active_ago=10)
    assert client.get(LIST).status_code == 200


def test_a_session_without_clocks_starts_them_rather_than_living_for_ever(
    client_for: Callable[[str], Client],
) -> None:
    client = client_for(Role.CLINICIAN)
    session = client.session
    del session[SIGNED_IN_AT], session[LAST_ACTIVITY]
    session.save()

    assert client.get(LIST).status_code == 200

    assert client.session[SIGNED_IN_AT] >= time.time() - 5
