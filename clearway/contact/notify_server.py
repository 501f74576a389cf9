"""A small, real, Notify-compatible HTTP server for local use and the tests.

It speaks the part of GOV.UK Notify's v2 API Clearway uses, as Notify does:

- ``POST /v2/notifications/sms`` and ``POST /v2/notifications/email``: checks the JSON, the
  number or address (Notify's rules), the template and its personalisation, and answers 201
  with the notification, or 400 with Notify's errors
  (``{"status_code": 400, "errors": [{"error": "ValidationError", "message": "..."}]}``);
- ``GET /v2/notifications/<id>``: one notification and its status;
- ``GET /v2/notifications?reference=&status=&template_type=&older_than=``: newest first, 250 a
  page, with ``links``.

Every request must carry a JSON Web Token made from the server's API key (HS256 with the
key's secret, ``iss`` the service id, ``iat`` within 30 seconds), checked with the same code
Notify uses; otherwise 401 or 403 with Notify's ``AuthError``. A notification is ``created``,
then ``sending`` after ``sending_after`` seconds, then ``delivered`` after ``final_after``
seconds, except to Notify's test numbers and addresses: 07700 900002 and
perm-fail@simulator.notify fail permanently, 07700 900003 and temp-fail@simulator.notify
temporarily (:data:`clearway.contact.notify.TEST_FAILURES`). Nothing leaves the machine and
nothing is kept: it all lives in memory, where the tests read it (``requests``,
``notifications``, ``sends()``), move its clock on (``advance``) or make it slow to answer
sends (``respond_after``, to provoke a client's timeout after the message was taken).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import (
    TokenDecodeError,
    TokenError,
    TokenExpiredError,
    TokenIssuedAtError,
    TokenIssuerError,
)

from clearway.contact.notify import (
    FAILURES,
    SMS_MAX_CHARS,
    InvalidRecipient,
    email_address,
    parse_api_key,
    simulated_failure,
    uk_mobile_number,
)

DEFAULT_PORT = 6011
PAGE_SIZE = 250
STATUSES = ("created", "sending", "pending", "delivered", "sent", *FAILURES)
_PLACEHOLDER = re.compile(r"\(\(([^)]+)\)\)")
_ONE = re.compile(r"^/v2/notifications/([^/]+)$")


@dataclass(frozen=True)
class NotifyTemplate:
    id: str
    type: str
    body: str
    subject: str = ""
    version: int = 1

    def placeholders(self) -> list[str]:
        names = _PLACEHOLDER.findall(f"{self.subject} {self.body}")
        return list(dict.fromkeys(name.split("??")[0].strip() for name in names))

    def render(self, text: str, values: dict[str, Any]) -> str:
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1).strip(), "")), text)


@dataclass
class ReceivedRequest:
    """One request as the server received it (``authorised``: its token was good)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorised: bool
    status: int = 0


@dataclass
class Notification:
    id: str
    type: str
    to: str
    template: NotifyTemplate
    personalisation: dict[str, Any]
    reference: str | None
    body: str
    subject: str | None
    created: float
    #: The status at the end, from the recipient: delivered, or a test number's failure.
    outcome: str = "delivered"
    extra: dict[str, Any] = field(default_factory=dict)


class NotifyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        api_key: str,
        templates: list[NotifyTemplate],
        sending_after: float = 1.0,
        final_after: float = 3.0,
    ) -> None:
        self.service_id, self.secret = parse_api_key(api_key)
        self.templates = {template.id: template for template in templates}
        self.sending_after = sending_after
        self.final_after = final_after
        #: Seconds to wait before answering a send, after keeping the notification.
        self.respond_after = 0.0
        self.requests: list[ReceivedRequest] = []
        self.notifications: dict[str, Notification] = {}
        self._offset = 0.0
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock on: notifications' statuses move as if time had passed."""
        with self._lock:
            self._offset += seconds

    def sends(self) -> list[ReceivedRequest]:
        """Every request that asked to send a message (taken or refused)."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def status(self, notification: Notification) -> str:
        elapsed = self.now() - notification.created
        if elapsed < self.sending_after:
            return "created"
        if elapsed < self.final_after:
            return "sending"
        return notification.outcome

    def represent(self, n: Notification) -> dict[str, Any]:
        status = self.status(n)
        return {
            "id": n.id,
            "reference": n.reference,
            "email_address": n.to if n.type == "email" else None,
            "phone_number": n.to if n.type == "sms" else None,
            "line_1": None,
            "line_2": None,
            "line_3": None,
            "line_4": None,
            "line_5": None,
            "line_6": None,
            "postcode": None,
            "postage": None,
            "type": n.type,
            "status": status,
            "template": {
                "id": n.template.id,
                "version": n.template.version,
                "uri": f"{self.base_url}/v2/template/{n.template.id}/version/{n.template.version}",
            },
            "body": n.body,
            "subject": n.subject,
            "created_at": _timestamp(n.created),
            "created_by_name": None,
            "sent_at": _timestamp(n.created + self.sending_after) if status != "created" else None,
            "completed_at": _timestamp(n.created + self.final_after)
            if status in ("delivered", *FAILURES)
            else None,
            "scheduled_for": None,
            "one_click_unsubscribe_url": None,
        }

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (its timeout) is expected here; anything else is not."""
        if not isinstance(sys.exception(), (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def _timestamp(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Refusal(Exception):
    def __init__(self, status: int, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.status = status
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {
            "status_code": self.status,
            "errors": [{"error": error, "message": message} for error, message in self.errors],
        }


def _validation(*messages: str) -> _Refusal:
    return _Refusal(400, [("ValidationError", message) for message in messages])


def _bad_request(message: str) -> _Refusal:
    return _Refusal(400, [("BadRequestError", message)])


class _Handler(BaseHTTPRequestHandler):
    server: NotifyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the paths carry no one's details, but nothing here needs logging either."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        received = ReceivedRequest(method, url.path, query, None, authorised=False)
        with self.server._lock:
            self.server.requests.append(received)
        try:
            received.body = json.loads(raw) if raw else None
        except ValueError:
            received.body = raw.decode(errors="replace")
        try:
            self._authorise()
            received.authorised = True
            status, answer = self._route(method, url.path, query, raw)
        except _Refusal as refusal:
            status, answer = refusal.status, refusal.body()
        received.status = status
        self._answer(status, answer)

    def _answer(self, status: int, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorise(self) -> None:
        header = self.headers.get("Authorization")
        if not header:
            raise _Refusal(
                401, [("AuthError", "Unauthorized: authentication token must be provided")]
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            raise _Refusal(
                401, [("AuthError", "Unauthorized: authentication bearer scheme must be used")]
            )
        # Notify's own checks, with the client library's code (as Notify's API uses it).
        try:
            issuer = get_token_issuer(token)
        except TokenIssuerError:
            raise _Refusal(403, [("AuthError", "Invalid token: iss field not provided")]) from None
        except TokenDecodeError:
            raise _Refusal(
                403, [("AuthError", "Invalid token: signature, api token not found")]
            ) from None
        if issuer != self.server.service_id:
            raise _Refusal(403, [("AuthError", "Invalid token: service not found")])
        try:
            decode_jwt_token(token, self.server.secret)
        except TokenExpiredError:
            raise _Refusal(
                403,
                [("AuthError", "Error: Your system clock must be accurate to within 30 seconds")],
            ) from None
        except TokenIssuedAtError:
            raise _Refusal(403, [("AuthError", "Invalid token: iat field not provided")]) from None
        except TokenError:
            raise _Refusal(
                403, [("AuthError", "Invalid token: signature, api token not found")]
            ) from None

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path in ("/v2/notifications/sms", "/v2/notifications/email"):
            return 201, self._send(path.rsplit("/", 1)[1], raw)
        if method == "GET" and path == "/v2/notifications":
            return 200, self._list(query)
        one = _ONE.match(path)
        if method == "GET" and one:
            return 200, self._one(one.group(1))
        raise _Refusal(404, [("NotFound", "The requested URL was not found on the server.")])

    def _send(self, kind: str, raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw or b"null")
        except ValueError:
            raise _bad_request("Invalid JSON supplied in POST data") from None
        if not isinstance(data, dict):
            raise _bad_request("Invalid JSON supplied in POST data")
        recipient_field = "phone_number" if kind == "sms" else "email_address"
        problems = []
        for name in (recipient_field, "template_id"):
            if name not in data:
                problems.append(f"{name} is a required property")
        to = data.get(recipient_field)
        if recipient_field in data:
            if not isinstance(to, str):
                problems.append(f"{recipient_field} {to!r} is not of type string")
            else:
                try:
                    uk_mobile_number(to) if kind == "sms" else email_address(to)
                except InvalidRecipient as error:
                    problems.append(f"{recipient_field} {error}")
        if "template_id" in data:
            try:
                uuid.UUID(str(data["template_id"]))
            except ValueError:
                problems.append("template_id is not a valid UUID")
        personalisation = data.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            problems.append(f"personalisation {personalisation!r} is not of type object")
        reference = data.get("reference")
        if reference is not None and not isinstance(reference, str):
            problems.append(f"reference {reference!r} is not of type string")
        if problems:
            raise _validation(*problems)
        assert isinstance(to, str)
        template = self.server.templates.get(str(data["template_id"]))
        if template is None:
            raise _bad_request("Template not found")
        if template.type != kind:
            raise _bad_request(f"{template.type} template is not suitable for {kind} notification")
        missing = [name for name in template.placeholders() if name not in personalisation]
        if missing:
            raise _bad_request(f"Missing personalisation: {', '.join(missing)}")
        body = template.render(template.body, personalisation)
        subject = template.render(template.subject, personalisation) if kind == "email" else None
        if not body.strip():
            raise _bad_request("Message is empty or just whitespace")
        if kind == "sms" and len(body) > SMS_MAX_CHARS:
            raise _bad_request(
                f"Your message is too long. Text messages cannot be longer than {SMS_MAX_CHARS} "
                f"characters. Your message is {len(body)} characters long."
            )
        notification = Notification(
            id=str(uuid.uuid4()),
            type=kind,
            to=to,
            template=template,
            personalisation=personalisation,
            reference=reference,
            body=body,
            subject=subject,
            created=self.server.now(),
            outcome=simulated_failure(kind, to) or "delivered",
        )
        with self.server._lock:
            self.server.notifications[notification.id] = notification
        if self.server.respond_after:
            time.sleep(self.server.respond_after)
        content: dict[str, Any] = {"body": body}
        if kind == "sms":
            content["from_number"] = "Clearway"
        else:
            content.update(subject=subject, from_email="clearway@notifications.local")
        return {
            "id": notification.id,
            "reference": reference,
            "content": content,
            "uri": f"{self.server.base_url}/v2/notifications/{notification.id}",
            "template": self.server.represent(notification)["template"],
            "scheduled_for": None,
        }

    def _one(self, notification_id: str) -> dict[str, Any]:
        try:
            uuid.UUID(notification_id)
        except ValueError:
            raise _validation("notification_id is not a valid UUID") from None
        with self.server._lock:
            notification = self.server.notifications.get(notification_id)
        if notification is None:
            raise _Refusal(404, [("NoResultFound", "No result found")])
        return self.server.represent(notification)

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        statuses = set(query.get("status", []))
        for status in statuses:
            if status not in (*STATUSES, "failed"):
                raise _validation(f"status {status} is not one of [{', '.join(STATUSES)}]")
        if "failed" in statuses:
            statuses |= set(FAILURES)
        types = set(query.get("template_type", []))
        for kind in types:
            if kind not in ("sms", "email", "letter"):
                raise _validation(f"template_type {kind} is not one of [sms, email, letter]")
        reference = query.get("reference", [None])[0]
        older_than = query.get("older_than", [None])[0]
        with self.server._lock:
            newest_first = list(reversed(self.server.notifications.values()))
        if older_than is not None:
            ids = [n.id for n in newest_first]
            newest_first = newest_first[ids.index(older_than) + 1 :] if older_than in ids else []
        chosen = [
            self.server.represent(n)
            for n in newest_first
            if (reference is None or n.reference == reference) and (not types or n.type in types)
        ]
        if statuses:
            chosen = [n for n in chosen if n["status"] in statuses]
        page = chosen[:PAGE_SIZE]
        current = {key: values[0] for key, values in query.items() if values}
        links = {"current": f"{self.server.base_url}/v2/notifications?{urlencode(current)}"}
        if len(page) == PAGE_SIZE:
            following = {**current, "older_than": page[-1]["id"]}
            links["next"] = f"{self.server.base_url}/v2/notifications?{urlencode(following)}"
        return {"notifications": page, "links": links}


def local_templates(sms_template_id: str, email_template_id: str) -> list[NotifyTemplate]:
    """Clearway's two generic templates, as they must be set up in Notify."""
    return [
        NotifyTemplate(id=sms_template_id, type="sms", body="((body))"),
        NotifyTemplate(id=email_template_id, type="email", subject="((subject))", body="((body))"),
    ]


def start_notify_server(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    *,
    api_key: str | None = None,
    sms_template_id: str | None = None,
    email_template_id: str | None = None,
    sending_after: float = 1.0,
    final_after: float = 3.0,
) -> tuple[NotifyServer, str]:
    """Start the server in a thread; (server, base URL). Port 0: any free port.

    The key and template ids default to Clearway's settings, so Clearway's client is accepted.
    Raises OSError if the port is taken. ``server.stop()`` stops it.
    """
    if api_key is None or sms_template_id is None or email_template_id is None:
        from django.conf import settings

        api_key = api_key or settings.NOTIFY_API_KEY
        sms_template_id = sms_template_id or settings.NOTIFY_SMS_TEMPLATE_ID
        email_template_id = email_template_id or settings.NOTIFY_EMAIL_TEMPLATE_ID
    server = NotifyServer(
        (host, port),
        api_key=str(api_key),
        templates=local_templates(str(sms_template_id), str(email_template_id)),
        sending_after=sending_after,
        final_after=final_after,
    )
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="notify-server", daemon=True
    )
    thread.start()
    return server, server.base_url


def local_address(base_url: str) -> tuple[str, int] | None:
    """(host, port) when ``base_url`` names this machine over plain HTTP, else None."""
    url = urlsplit(base_url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost"):
        return None
    return url.hostname, url.port or 80
