from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from clearway.core.permissions import STAFF, roles_required
from clearway.services.forms import SwitchServiceForm
from clearway.services.middleware import SESSION_KEY


@roles_required(*STAFF)
@require_http_methods(["GET", "POST"])
def switch_service(request: HttpRequest) -> HttpResponse:
    """Choose which of one's services to work in. Only one's own services are offered."""
    services = request.user.services.order_by("name")  # type: ignore[union-attr]
    form = SwitchServiceForm(
        request.POST if request.method == "POST" else None,
        services=services,
        initial={"service": str(request.service.pk)},  # type: ignore[attr-defined]
    )
    if request.method == "POST" and form.is_valid():
        chosen = services.get(pk=form.cleaned_data["service"])
        request.session[SESSION_KEY] = chosen.pk
        messages.success(request, f"You are now working in {chosen.name}.")
        return redirect("pathways:list")
    return render(request, "services/switch.jinja", {"form": form})
