import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

#: Session keys: when the person signed in, and when they last did anything (Unix seconds).
SIGNED_IN_AT = "clearway_signed_in_at"
LAST_ACTIVITY = "clearway_last_activity"
#: How stale the recorded activity may get before it is written again, to spare the database a
#: write on every request; the idle limit is kept to within this much.
ACTIVITY_RESOLUTION_SECONDS = 60

IDLE_MESSAGE = "You were signed out after 30 minutes without activity. Sign in again."
ABSOLUTE_MESSAGE = "You were signed out because you signed in 12 hours ago. Sign in again."


class ContentSecurityPolicyMiddleware:
    """A strict Content Security Policy with a fresh nonce for each request's inline scripts."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            # Django's admin uses inline scripts and styles of its own.
            return response
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            # The NHS.UK font (Frutiger) is licensed only as served from assets.nhs.uk.
            "font-src 'self' https://assets.nhs.uk; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        return response


def record_sign_in(request: HttpRequest) -> None:
    """Start the clocks of a new session (called when someone signs in)."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


class SessionTimeoutMiddleware:
    """Sign people out after 30 minutes without activity, or 12 hours after they signed in.

    Django's own session expiry restarts whenever the session is saved, so it cannot end a
    session that is in constant use; this keeps both clocks in the session itself. It must come
    after the session, authentication and message middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self.check_session(request)
        return self.get_response(request)

    def check_session(self, request: HttpRequest) -> None:
        session = request.session
        now = int(time.time())
        signed_in_at = session.get(SIGNED_IN_AT)
        last_activity = session.get(LAST_ACTIVITY)
        if signed_in_at is None or last_activity is None:
            record_sign_in(request)  # a session from before these clocks: start them now
            return
        idle_limit = settings.SESSION_IDLE_TIMEOUT.total_seconds()
        absolute_limit = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        message = None
        if now - signed_in_at > absolute_limit:
            message = ABSOLUTE_MESSAGE
        elif now - last_activity > idle_limit:
            message = IDLE_MESSAGE
        if message:
            logout(request)  # flushes the session: its key no longer works
            # LoginRequiredMiddleware now sends them to sign in, where this is shown.
            messages.info(request, message)
            return
        if now - last_activity >= ACTIVITY_RESOLUTION_SECONDS:
            session[LAST_ACTIVITY] = now
