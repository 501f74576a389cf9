"""django-axes locks an account after 5 failed sign-ins, for a cool-off, by username."""

import datetime as dt
import logging
from collections.abc import Callable

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from clearway.accounts.models import Role, User
from clearway.accounts.views import locked_out
from tests.conftest import PASSWORD
from tests.html import check_page

pytestmark = pytest.mark.django_db

SIGN_IN = reverse("accounts:sign-in")
LOCKED = (
    "Your account is locked after 5 failed sign-ins. Try again in 30 minutes, "
    "or ask the service manager to unlock it."
)
WRONG = "Enter a correct username and password"
WRONG_PASSWORD = "not-the-password-canary-7731"


@pytest.fixture
def sam(make_user: Callable[..., User]) -> User:
    return make_user(Role.COORDINATOR, username="sam")


def attempt(client: Client, password: str, username: str = "sam") -> tuple[int, str]:
    response = client.post(SIGN_IN, {"username": username, "password": password})
    return response.status_code, response.content.decode()


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def error_summary(html: str) -> str:
    start = html.index('class="nhsuk-error-summary"')
    return html[start : html.index("</div>", start)]


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(sam: User) -> None:
    client = Client()
    for _ in range(4):
        status, html = attempt(client, WRONG_PASSWORD)
        assert status == 200
        assert WRONG in error_summary(html)
        assert LOCKED not in html

    status, html = attempt(client, WRONG_PASSWORD)

    assert status == 429
    check_page(html)
    assert "Error: Sign in" in html
    assert LOCKED in error_summary(html)
    assert not signed_in(client)


def test_while_locked_even_the_right_password_is_refused(sam: User) -> None:
    client = Client()
    for _ in range(5):
        attempt(client, WRONG_PASSWORD)

    status, html = attempt(Client(), PASSWORD)  # from a fresh browser too

    assert status == 429
    assert LOCKED in error_summary(html)
    assert not signed_in(client)


def test_after_the_cool_off_the_right_password_works_again(sam: User) -> None:
    client = Client()
    for _ in range(5):
        attempt(client, WRONG_PASSWORD)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))

    status, _ = attempt(client, PASSWORD)

    assert status == 302
    assert signed_in(client)


def test_a_successful_sign_in_before_the_limit_starts_the_count_again(sam: User) -> None:
    client = Client()
    for _ in range(4):
        attempt(client, WRONG_PASSWORD)
    assert attempt(client, PASSWORD)[0] == 302
    client.post(reverse("accounts:sign-out"))

    for _ in range(4):
        status, html = attempt(client, WRONG_PASSWORD)
        assert status == 200, "locked by failures from before the successful sign-in"
        assert LOCKED not in html
    assert attempt(client, PASSWORD)[0] == 302


def test_the_lock_is_on_the_account_not_the_address_staff_share(
    sam: User, make_user: Callable[..., User]
) -> None:
    make_user(Role.SECRETARY, username="alex")
    client = Client()  # every request comes from the same address
    for _ in range(5):
        attempt(client, WRONG_PASSWORD)

    status, _ = attempt(Client(), PASSWORD, username="alex")

    assert status == 302


def test_lockouts_are_logged_without_the_password(
    sam: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    for _ in range(5):
        attempt(client, WRONG_PASSWORD)

    assert any("Locking out" in r.getMessage() for r in caplog.records)
    assert WRONG_PASSWORD not in caplog.text
    # The database keeps who and when for the service manager, but never the password.
    record = AccessAttempt.objects.get(username="sam")
    assert record.failures_since_start == 5
    assert WRONG_PASSWORD not in record.post_data + record.get_data
    assert AccessFailureLog.objects.filter(username="sam", locked_out=True).exists()
    assert all(
        WRONG_PASSWORD not in str(value)
        for row in AccessFailureLog.objects.values()
        for value in row.values()
    )


def test_a_lockout_found_outside_the_sign_in_form_still_shows_the_sign_in_page(
    rf: RequestFactory,
) -> None:
    request = rf.post("/elsewhere/")
    request.user = AnonymousUser()

    response = locked_out(request, HttpResponse(status=302), credentials={"username": "sam"})

    assert response.status_code == 429
    html = response.content.decode()
    check_page(html)
    assert LOCKED in error_summary(html)
