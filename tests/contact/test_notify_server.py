"""The local Notify-compatible server, driven by the real GOV.UK Notify client over HTTP."""

import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from django.conf import settings
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from clearway.contact import notify
from clearway.contact.notify_server import NotifyServer, local_address

OTHER_KEY = "someone_else-11111111-1111-4111-8111-111111111111-99999999-9999-4999-8999-999999999999"


def client_for(server: NotifyServer, api_key: str | None = None) -> NotificationsAPIClient:
    return NotificationsAPIClient(api_key or settings.NOTIFY_API_KEY, base_url=server.base_url)


def errors_of(error: HTTPError) -> list[dict[str, str]]:
    assert error.response is not None
    body: dict[str, Any] = error.response.json()
    assert body["status_code"] == error.status_code
    errors: list[dict[str, str]] = body["errors"]
    return errors


def send_sms(api: NotificationsAPIClient, number: str = "07700 900123", **extra: Any) -> Any:
    values = {
        "phone_number": number,
        "template_id": settings.NOTIFY_SMS_TEMPLATE_ID,
        "personalisation": {"body": "Hello from the clinic"},
        **extra,
    }
    return api.send_sms_notification(**values)


def test_the_real_client_sends_a_text_message_and_follows_its_status(notify_server):
    api = client_for(notify_server)
    answer = send_sms(api, reference="ref-1")
    assert answer["reference"] == "ref-1"
    assert answer["content"]["body"] == "Hello from the clinic"
    assert answer["template"]["id"] == settings.NOTIFY_SMS_TEMPLATE_ID

    assert api.get_notification_by_id(answer["id"])["status"] == "created"
    notify_server.advance(1.5)
    assert api.get_notification_by_id(answer["id"])["status"] == "sending"
    notify_server.advance(2)
    found = api.get_notification_by_id(answer["id"])
    assert found["status"] == "delivered"
    assert found["phone_number"] == "07700 900123"
    assert found["type"] == "sms"
    assert found["body"] == "Hello from the clinic"
    assert found["completed_at"].endswith("Z")

    (sent,) = notify_server.sends()
    assert sent.path == "/v2/notifications/sms"
    assert sent.body["reference"] == "ref-1"
    assert sent.authorised


def test_an_email_has_its_subject_and_body_from_the_personalisation(notify_server):
    api = client_for(notify_server)
    answer = api.send_email_notification(
        email_address="jo@example.org",
        template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
        personalisation={"subject": "Your child's assessment", "body": "Dear Jo"},
    )
    assert answer["content"]["subject"] == "Your child's assessment"
    found = api.get_notification_by_id(answer["id"])
    assert (found["email_address"], found["subject"], found["body"]) == (
        "jo@example.org",
        "Your child's assessment",
        "Dear Jo",
    )


def test_a_token_made_with_another_key_is_refused_with_403(notify_server):
    with pytest.raises(HTTPError) as refused:
        send_sms(client_for(notify_server, OTHER_KEY))
    assert refused.value.status_code == 403
    assert errors_of(refused.value) == [
        {"error": "AuthError", "message": "Invalid token: signature, api token not found"}
    ]
    assert notify_server.notifications == {}
    assert not notify_server.sends()[0].authorised


def test_a_token_from_another_service_is_refused(notify_server):
    other_service = (
        "clearway-55555555-5555-4555-8555-555555555555-22222222-2222-4222-8222-222222222222"
    )
    with pytest.raises(HTTPError) as refused:
        client_for(notify_server, other_service).get_all_notifications()
    assert refused.value.status_code == 403
    assert errors_of(refused.value)[0]["message"] == "Invalid token: service not found"


def test_an_old_token_is_refused_as_notify_does(notify_server):
    service_id, secret = notify.parse_api_key(settings.NOTIFY_API_KEY)
    token = jwt.encode({"iss": service_id, "iat": int(time.time()) - 120}, secret, "HS256")
    answer = requests.get(
        f"{notify_server.base_url}/v2/notifications",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert answer.status_code == 403
    assert answer.json()["errors"] == [
        {
            "error": "AuthError",
            "message": "Error: Your system clock must be accurate to within 30 seconds",
        }
    ]


def test_no_token_is_401(notify_server):
    answer = requests.get(f"{notify_server.base_url}/v2/notifications", timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {
        "status_code": 401,
        "errors": [
            {
                "error": "AuthError",
                "message": "Unauthorized: authentication token must be provided",
            }
        ],
    }


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("0161 496 0000", "phone_number Not a UK mobile number"),
        ("07700 9001234", "phone_number Too many digits"),
        ("07700 90012", "phone_number Not enough digits"),
        ("07700 9OO123", "phone_number Must not contain letters or symbols"),
    ],
)
def test_a_bad_phone_number_is_refused_with_400(notify_server, number, message):
    with pytest.raises(HTTPError) as refused:
        send_sms(client_for(notify_server), number)
    assert refused.value.status_code == 400
    assert errors_of(refused.value) == [{"error": "ValidationError", "message": message}]
    assert notify_server.notifications == {}


def test_a_bad_email_address_is_refused(notify_server):
    with pytest.raises(HTTPError) as refused:
        client_for(notify_server).send_email_notification(
            email_address="jo@example",
            template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
            personalisation={"subject": "s", "body": "b"},
        )
    assert errors_of(refused.value) == [
        {"error": "ValidationError", "message": "email_address Not a valid email address"}
    ]


def test_missing_personalisation_is_refused_with_400(notify_server):
    with pytest.raises(HTTPError) as refused:
        client_for(notify_server).send_email_notification(
            email_address="jo@example.org",
            template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
            personalisation={"body": "no subject"},
        )
    assert refused.value.status_code == 400
    assert errors_of(refused.value) == [
        {"error": "BadRequestError", "message": "Missing personalisation: subject"}
    ]


@pytest.mark.parametrize(
    ("template_id", "error", "message"),
    [
        ("not-a-uuid", "ValidationError", "template_id is not a valid UUID"),
        (str(uuid.uuid4()), "BadRequestError", "Template not found"),
        (
            "email",
            "BadRequestError",
            "email template is not suitable for sms notification",
        ),
    ],
)
def test_the_template_must_exist_and_suit_the_channel(notify_server, template_id, error, message):
    if template_id == "email":
        template_id = settings.NOTIFY_EMAIL_TEMPLATE_ID
    with pytest.raises(HTTPError) as refused:
        send_sms(client_for(notify_server), template_id=template_id)
    assert errors_of(refused.value) == [{"error": error, "message": message}]


def test_a_text_message_over_918_characters_is_refused(notify_server):
    with pytest.raises(HTTPError) as refused:
        send_sms(client_for(notify_server), personalisation={"body": "x" * 919})
    assert errors_of(refused.value)[0]["message"] == (
        "Your message is too long. Text messages cannot be longer than 918 characters. "
        "Your message is 919 characters long."
    )


@pytest.mark.parametrize(
    ("channel", "to", "status"),
    [
        ("sms", "07700 900002", "permanent-failure"),
        ("sms", "+44 7700 900003", "temporary-failure"),
        ("email", "perm-fail@simulator.notify", "permanent-failure"),
        ("email", "temp-fail@simulator.notify", "temporary-failure"),
        ("sms", "07700 900111", "delivered"),
    ],
)
def test_notifys_test_numbers_and_addresses_fail_as_documented(notify_server, channel, to, status):
    api = client_for(notify_server)
    if channel == "sms":
        answer = send_sms(api, to)
    else:
        answer = api.send_email_notification(
            email_address=to,
            template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
            personalisation={"subject": "s", "body": "b"},
        )
    notify_server.advance(1.5)
    assert api.get_notification_by_id(answer["id"])["status"] == "sending"
    notify_server.advance(5)
    assert api.get_notification_by_id(answer["id"])["status"] == status


def test_notifications_are_listed_newest_first_and_filtered_as_the_client_asks(notify_server):
    api = client_for(notify_server)
    first = send_sms(api, reference="child-a")
    second = send_sms(api, "07700 900002", reference="child-b")
    email = api.send_email_notification(
        email_address="jo@example.org",
        template_id=settings.NOTIFY_EMAIL_TEMPLATE_ID,
        personalisation={"subject": "s", "body": "b"},
        reference="child-a",
    )
    notify_server.advance(10)

    def ids(**filters: str) -> list[str]:
        return [n["id"] for n in api.get_all_notifications(**filters)["notifications"]]

    assert ids() == [email["id"], second["id"], first["id"]]
    assert ids(reference="child-a") == [email["id"], first["id"]]
    assert ids(reference="child-a", template_type="sms") == [first["id"]]
    assert ids(status="delivered") == [email["id"], first["id"]]
    assert ids(status="failed") == [second["id"]]
    assert ids(older_than=email["id"]) == [second["id"], first["id"]]
    assert ids(reference="nobody") == []
    assert "current" in api.get_all_notifications()["links"]


def test_an_unknown_notification_is_404_and_a_bad_id_400(notify_server):
    api = client_for(notify_server)
    with pytest.raises(HTTPError) as missing:
        api.get_notification_by_id(str(uuid.uuid4()))
    assert missing.value.status_code == 404
    assert errors_of(missing.value) == [{"error": "NoResultFound", "message": "No result found"}]
    with pytest.raises(HTTPError) as bad:
        api.get_notification_by_id("not-an-id")
    assert bad.value.status_code == 400


@pytest.mark.parametrize(
    ("number", "kept"),
    [
        ("07700 900123", "447700900123"),
        ("+44 (0)7700 900123", "447700900123"),
        ("0044 7700-900-123", "447700900123"),
        ("7700900123", "447700900123"),
    ],
)
def test_uk_mobile_numbers_are_read_as_notify_reads_them(number, kept):
    assert notify.uk_mobile_number(number) == kept


@pytest.mark.parametrize(
    "address", ["jo@example", "jo@@example.org", "jo example@example.org", "jo@example..org", ""]
)
def test_email_addresses_notify_refuses(address):
    with pytest.raises(notify.InvalidRecipient):
        notify.email_address(address)


def test_only_this_machine_counts_as_local():
    assert local_address("http://127.0.0.1:6011") == ("127.0.0.1", 6011)
    assert local_address("http://localhost:6011/") == ("localhost", 6011)
    assert local_address("https://api.notifications.service.gov.uk") is None
