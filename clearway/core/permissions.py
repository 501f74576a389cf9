"""Deny by default: every view names the roles that may use it, or it is refused.

Django's ``LoginRequiredMiddleware`` already demands sign-in for every view not marked
``login_not_required``. ``RoleRequiredMiddleware`` then demands that the view declared its roles
with :func:`roles_required`; a view that declared none is refused to everyone, so a forgotten
declaration fails closed (and ``tests/core/test_permissions.py`` finds it).
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clearway.accounts.models import Role

View = TypeVar("View", bound=Callable[..., Any])

STAFF = (Role.COORDINATOR, Role.SECRETARY, Role.CLINICIAN, Role.MANAGER, Role.ADMIN)
LIST_EDITORS = (Role.COORDINATOR, Role.SECRETARY, Role.ADMIN)
PATHWAY_EDITORS = (Role.COORDINATOR, Role.ADMIN)


def roles_required(*roles: str) -> Callable[[View], View]:
    """Mark a view as open to these roles only."""

    def decorate(view: View) -> View:
        view.clearway_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return decorate


def view_roles(view: Callable[..., Any]) -> frozenset[str] | None:
    view = getattr(view, "view_class", view)
    return getattr(view, "clearway_roles", None)


def has_role(user: Any, roles: tuple[str, ...]) -> bool:
    return getattr(user, "role", None) in roles


class RoleRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated:
            return None  # LoginRequiredMiddleware has already sent them to sign in
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            if user.role == Role.ADMIN and user.is_staff:
                return None
            raise PermissionDenied("The admin pages are for administrators.")
        roles = view_roles(view_func)
        if roles is None or user.role not in roles:
            raise PermissionDenied("Your role does not allow this page.")
        return None
