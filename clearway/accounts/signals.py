from typing import Any

from django.http import HttpRequest

from clearway.core.middleware import record_sign_in


def start_session_clocks(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Each sign-in starts the idle and absolute clocks of its new session."""
    if request is not None and hasattr(request, "session"):
        record_sign_in(request)
