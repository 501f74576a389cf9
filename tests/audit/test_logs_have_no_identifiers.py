"""No NHS number, name, phone number or report text ever reaches the application's logs.

A canary child, with a name, NHS number, carer's phone number and discharge note found nowhere
else, goes through the main paths of the service: searched for, added (wrongly, then rightly),
opened, a report recorded, discharged, refused, not found, and typed as a username. Every log
record, at every level from every logger, is then searched for each canary.
"""

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import Role, User
from clearway.audit.logs import NoQueryStrings
from clearway.pathways.models import Patient
from tests.conftest import CheckingClient
from tests.pathways.test_views import date_fields, discharge_answers, valid_referral

pytestmark = pytest.mark.django_db

GIVEN, FAMILY = "Zzcanary", "Qqtestchild"
NHS_NUMBER = "9990000018"  # valid check digit, in the 999 range no real person has
PHONE = "07700 900999"
NOTE = "Zzcanarynote school report says speech is delayed"
CANARIES = [GIVEN, FAMILY, NHS_NUMBER, "999 000 0018", PHONE, PHONE.replace(" ", ""), NOTE]


class EveryRecord(logging.Handler):
    """Keeps the full text of every record: message, arguments and any traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[EveryRecord]:
    caplog.set_level(logging.DEBUG)
    handler = EveryRecord()
    root = logging.getLogger()
    root.addHandler(handler)
    # Log SQL as DEBUG=True would: its parameters are identifiers, so it must go nowhere.
    connection.force_debug_cursor = True
    try:
        yield handler
    finally:
        connection.force_debug_cursor = False
        root.removeHandler(handler)


def leaks(logs: EveryRecord, caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = [*logs.texts, caplog.text]
    return [f"{canary!r} in {text!r}" for text in texts for canary in CANARIES if canary in text]


def signed_in(make_user: Callable[..., User], role: str) -> CheckingClient:
    client = CheckingClient()
    client.force_login(make_user(role))
    return client


def test_the_main_paths_log_no_identifiers(
    logs: EveryRecord, caplog: pytest.LogCaptureFixture, make_user: Callable[..., User]
) -> None:
    coordinator = signed_in(make_user, Role.COORDINATOR)
    canary = valid_referral(
        given_name=GIVEN,
        family_name=FAMILY,
        nhs_number="999 000 0018",
        hospital_number="H0CANARY",
        carer_name=f"Mum {FAMILY}",
        carer_phone=PHONE,
    )
    add = reverse("pathways:add-referral")

    # Adding the child: refused first (no first name), then accepted.
    assert coordinator.post(add, {**canary, "given_name": ""}).status_code == 200
    assert coordinator.post(add, canary).status_code == 302
    referral = Patient.objects.unscoped().get(nhs_number=NHS_NUMBER).referrals.get()
    # Added twice: refused, naming the child on the page (not in the logs).
    assert coordinator.post(add, canary).status_code == 200

    # Searching the list by name and by NHS number.
    for query in (f"{GIVEN} {FAMILY}", "999 000 0018", NHS_NUMBER):
        assert coordinator.get(reverse("pathways:list"), {"q": query}).status_code == 200

    # The child's page, a report received, a discharge checked then confirmed.
    assert (
        coordinator.get(reverse("pathways:referral", kwargs={"pk": referral.pk})).status_code == 200
    )
    received = reverse(
        "pathways:receive-requirement", kwargs={"pk": referral.pk, "kind": "school_report"}
    )
    assert (
        coordinator.post(received, date_fields("received_on", referral.received_on)).status_code
        == 302
    )
    discharge = reverse("pathways:discharge", kwargs={"pk": referral.pk})
    assert coordinator.post(discharge, discharge_answers(note=NOTE)).status_code == 200
    assert (
        coordinator.post(discharge, discharge_answers(note=NOTE, confirm="yes")).status_code == 302
    )

    # Refused (403) and not found (404), each with identifiers in the query string.
    clinician = signed_in(make_user, Role.CLINICIAN)
    assert clinician.get(discharge, {"q": f"{GIVEN} {FAMILY}"}).status_code == 403
    missing = reverse("pathways:referral", kwargs={"pk": 987654})
    assert coordinator.get(missing, {"q": NHS_NUMBER}).status_code == 404
    assert coordinator.get("/children/nobody/", {"q": GIVEN}).status_code == 404

    # Failed sign-ins with the child's name or NHS number typed as the username.
    for username in (f"{GIVEN} {FAMILY}", NHS_NUMBER):
        response = Client().post(
            reverse("accounts:sign-in"), {"username": username, "password": PHONE}
        )
        assert response.status_code == 200

    assert logs.texts, "nothing was logged at all: is the capture working?"
    assert leaks(logs, caplog) == []


def test_the_capture_would_find_a_canary(
    logs: EveryRecord, caplog: pytest.LogCaptureFixture
) -> None:
    # Proves the test above can fail: a careless log line is caught, at any level.
    logging.getLogger("clearway.anything").debug("looked up %s", NHS_NUMBER)
    assert leaks(logs, caplog)


def test_query_strings_are_cut_from_every_message_the_console_writes() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    console = logging_config["handlers"]["console"]
    assert "no_query_strings" in console["filters"]
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /children/?q={GIVEN}+{FAMILY}&nhs={NHS_NUMBER} HTTP/1.1", "404", "179"),
        None,
    )
    assert NoQueryStrings().filter(record)
    message = record.getMessage()
    assert message == '"GET /children/?[query removed] HTTP/1.1" 404 179'
    assert not any(canary in message for canary in CANARIES)


def test_no_logger_emails_requests_and_sql_is_never_logged() -> None:
    logging_config: dict[str, Any] = settings.LOGGING
    loggers = logging_config["loggers"]
    assert loggers["django"]["handlers"] == []  # not Django's mail_admins, which sends the request
    assert logging.getLogger("django").handlers == []
    assert not logging.getLogger("django.db.backends").isEnabledFor(logging.DEBUG)
