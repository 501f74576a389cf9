from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clearway.accounts.models import Role
from clearway.audit.forms import AuditSearchForm
from clearway.audit.models import AuditEntry
from clearway.core.permissions import roles_required

PAGE_SIZE = 50


@roles_required(Role.MANAGER, Role.ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    # Only what happened in the manager's own services, and sign-ins, which name no child.
    services = request.user.services.all()  # type: ignore[union-attr]
    entries = AuditEntry.objects.for_services(services).select_related("patient").newest_first()
    searched = form.is_bound and form.is_valid()
    if searched:
        data = form.cleaned_data
        if data["child"]:
            entries = entries.for_child(data["child"])
        if data["person"]:
            entries = entries.by_person(data["person"])
        entries = entries.recorded_between(data["earliest"], data["latest"])
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/search.jinja",
        {
            "form": form if form.is_bound and form.errors else None,
            "filters": form,
            "page": page,
            "rows": [
                {"entry": entry, "when": timezone.localtime(entry.recorded_at)}
                for entry in page.object_list
            ],
            "query": query.urlencode(),
            "filtered": any(request.GET.get(k) for k in ("child", "person"))
            or any(k.startswith(("earliest", "latest")) and v for k, v in request.GET.items()),
        },
    )
