from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from clearway.accounts.models import Role
from clearway.core.permissions import STAFF, roles_required


@roles_required(*STAFF)
def home(request: HttpRequest) -> HttpResponse:
    """The coordinator starts the day on today's work; everyone else on the waiting list."""
    if getattr(request.user, "role", None) == Role.COORDINATOR:
        return redirect("contact:worklist")
    return redirect("pathways:list")


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/403.jinja", status=403)


@login_not_required
def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.jinja", status=404)
