"""The service a signed-in person is working in: ``request.service``, for every page."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clearway.accounts.models import User
from clearway.services.models import Service

#: The session key holding the service the person chose (its primary key).
SESSION_KEY = "clearway_service"
#: Pages a person with no service may still use: signing out, and the admin pages where an
#: administrator gives people their services.
WITHOUT_A_SERVICE = frozenset({"accounts:sign-out"})


def current_service(request: HttpRequest) -> Service | None:
    """The service in the session if the person is a member of it, else their home service:
    the one they were first added to."""
    services = request.user.services.all()  # type: ignore[union-attr]
    chosen = request.session.get(SESSION_KEY)
    service = services.filter(pk=chosen).first() if chosen is not None else None
    if service is None:
        # Membership rows are numbered in the order the person was added to services.
        through = User.services.through.objects
        memberships = through.filter(user_id=request.user.pk or 0).order_by("pk")
        home = memberships.values_list("service_id", flat=True).first()
        service = services.filter(pk=home).first() if home is not None else None
    return service


class CurrentServiceMiddleware:
    """Sets ``request.service`` for every signed-in page; refuses a person with no service.

    It comes after the sign-in and role checks, so it sees only people already allowed the page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(view_func, "login_required", True) or not request.user.is_authenticated:
            return None
        match = request.resolver_match
        if match is not None and (
            match.namespace == "admin" or match.view_name in WITHOUT_A_SERVICE
        ):
            return None
        service = current_service(request)
        if service is None:
            return render(request, "services/no_service.jinja", status=403)
        request.service = service  # type: ignore[attr-defined]
        return None
