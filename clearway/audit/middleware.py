"""Audit every refused access: a 403 anywhere, and a 404 on a page of one record."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from clearway.audit.models import AuditAction
from clearway.audit.services import record


class AuditAccessDeniedMiddleware:
    """Sees every response after the views, role checks and error handlers have answered.

    A 404 is audited only on a URL that names a record (``/referrals/<pk>/...``): guessing
    record numbers is an access attempt; a mistyped page address is not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        status = response.status_code
        match = getattr(request, "resolver_match", None)
        if status == 403 or (status == 404 and match is not None and match.kwargs):
            what = match.view_name if match is not None else ""
            record(request, AuditAction.ACCESS_DENIED, obj=what, outcome=status)
        return response
