"""The waiting list, a child's record, and the steps of their pathway. Thin: the work is in
``services`` (changes), ``models`` (queries) and ``presenters`` (what the page shows)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearway.accounts.models import Role
from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.contact import presenters as contact_presenters
from clearway.contact.views import WORKERS as CONTACT_WORKERS
from clearway.core.permissions import (
    LIST_EDITORS,
    PATHWAY_EDITORS,
    STAFF,
    has_role,
    roles_required,
)
from clearway.documents.models import Document
from clearway.documents.presenters import referral_documents
from clearway.inbox import services as inbox_services
from clearway.pathways import services
from clearway.pathways.forms import (
    DischargeForm,
    ListFilterForm,
    ReferralForm,
    RequirementReceivedForm,
    RetentionApprovalForm,
    ReverseDischargeForm,
    ReverseRequirementForm,
)
from clearway.pathways.models import (
    WAITING,
    DischargeReason,
    Patient,
    Referral,
    RequirementState,
    Status,
)
from clearway.pathways.presenters import (
    ListRow,
    in_sentence,
    requirement_rows,
    status_tag,
    timeline,
)
from clearway.pathways.retention_review import (
    RetentionError,
    approve_for_deletion_review,
    past_retention,
)
from clearway.services.models import Service

SORT_ORDER = {
    "longest": ("received_on", "pk"),
    "shortest": ("-received_on", "-pk"),
    "name": ("patient__family_name", "patient__given_name", "pk"),
}


def _service(request: HttpRequest) -> Service:
    """The service the person is working in (set by ``CurrentServiceMiddleware``)."""
    return request.service  # type: ignore[attr-defined]


def _referrals(request: HttpRequest) -> Any:
    """The referrals of the person's current service: every page's only way to a referral."""
    return Referral.objects.for_service(_service(request))


def _filtered_referrals(request: HttpRequest, form: ListFilterForm, today: Any) -> Any:
    data = form.cleaned_data if form.is_valid() else {}
    referrals = _referrals(request)
    status = data.get("status") or "waiting"
    if status == "waiting":
        referrals = referrals.filter(status__in=WAITING)
    elif status != "all":
        referrals = referrals.filter(status=status)
    if data.get("consultant"):
        referrals = referrals.filter(consultant_id=data["consultant"])
    if data.get("outstanding"):
        referrals = referrals.outstanding(data["outstanding"])
    if data.get("wait"):
        referrals = referrals.received_between(*ListFilterForm.wait_range(data["wait"], today))
    if data.get("q"):
        referrals = referrals.search(data["q"])
    return referrals.order_by(*SORT_ORDER[data.get("sort") or "longest"])


def _changed(request: HttpRequest, referral: Referral, what: str) -> HttpResponse:
    """After a change: audit it, and go back to the child's record."""
    response = redirect("pathways:referral", pk=referral.pk)
    audit.record(
        request,
        AuditAction.CHANGE,
        patient=referral.patient,
        obj=f"referral {referral.pk}: {what}",
        outcome=response.status_code,
    )
    return response


@roles_required(*STAFF)
def waiting_list(request: HttpRequest) -> HttpResponse:
    pathway = _service(request).pathway
    today = timezone.localdate()
    form = ListFilterForm(
        request.GET or None,
        requirement_choices=[(r.key, r.name) for r in pathway.requirements],
    )
    referrals = _filtered_referrals(request, form, today).select_related("patient", "consultant")
    referrals = referrals.prefetch_related("requirements")
    page = Paginator(referrals, settings.CLEARWAY_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pathways/list.jinja",
        {
            "form": form if form.is_bound and form.errors else None,
            "filters": form,
            "page": page,
            "rows": [ListRow(referral, today, pathway) for referral in page.object_list],
            "pathway": pathway,
            "query": query.urlencode(),
            "filtered": any(
                request.GET.get(k) for k in ("q", "status", "consultant", "wait", "outstanding")
            ),
        },
    )


@roles_required(*STAFF)
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(
        _referrals(request).select_related("patient", "patient__school", "consultant"), pk=pk
    )
    pathway = _service(request).pathway
    today = timezone.localdate()
    other_referrals = (
        _referrals(request)
        .filter(patient=referral.patient)
        .exclude(pk=referral.pk)
        .order_by("-received_on")
    )
    audit.record(
        request, AuditAction.VIEW_RECORD, patient=referral.patient, obj=f"referral {referral.pk}"
    )
    return render(
        request,
        "pathways/referral.jinja",
        {
            "referral": referral,
            "patient": referral.patient,
            "carers": list(referral.patient.carers.all()),
            "age": referral.patient.age_on(today),
            "days_waiting": referral.days_waiting(today),
            "status": status_tag(referral),
            "requirements": requirement_rows(referral, pathway),
            "timeline": timeline(referral, pathway),
            "other_referrals": other_referrals,
            "documents": referral_documents(referral),
            "can_edit": has_role(request.user, LIST_EDITORS),
            "can_discharge": has_role(request.user, PATHWAY_EDITORS),
            "open": referral.status in WAITING,
            # Standard work: what is to do for this child, and every contact so far.
            "work": contact_presenters.open_tasks(referral, pathway, today),
            "contact_history": contact_presenters.contact_history(referral),
            "inbox_items": inbox_services.for_child(_service(request), referral.patient),
            "can_contact": has_role(request.user, CONTACT_WORKERS),
        },
    )


@roles_required(*LIST_EDITORS)
@require_http_methods(["GET", "POST"])
def add_referral(request: HttpRequest) -> HttpResponse:
    form = ReferralForm(
        request.POST if request.method == "POST" else None, service=_service(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.add_referral(request.user, form.new_referral())
        except services.PathwayError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{referral.patient.full_name} is on the waiting list.")
            return _changed(request, referral, "added")
    return render(request, "pathways/add_referral.jinja", {"form": form})


@roles_required(*LIST_EDITORS)
@require_http_methods(["GET", "POST"])
def receive_requirement(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    referral = get_object_or_404(_referrals(request).select_related("patient"), pk=pk)
    pathway = _service(request).pathway
    try:
        requirement = pathway.requirement(kind)
    except KeyError:
        return render(request, "core/404.jinja", status=404)
    form = RequirementReceivedForm(
        request.POST or None, initial={"received_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            event = services.record_requirement_received(
                request.user, referral, kind, form.cleaned_data["received_on"]
            )
        except services.PathwayError as error:
            form.add_error(None, str(error))
        else:
            text = f"{requirement.name} recorded as received."
            if event.details.get("ready_for_panel"):
                text += f" {referral.patient.full_name} is now ready for panel."
            messages.success(request, text)
            return _changed(request, referral, f"{kind} received")
    return render(
        request,
        "pathways/receive_requirement.jinja",
        {"form": form, "referral": referral, "requirement": requirement},
    )


@roles_required(*PATHWAY_EDITORS)
@require_http_methods(["GET", "POST"])
def reverse_requirement(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Take back a report or form recorded as received by mistake. Two steps: say why, then
    check and confirm. Nothing changes unconfirmed."""
    referral = get_object_or_404(_referrals(request).select_related("patient"), pk=pk)
    pathway = _service(request).pathway
    try:
        definition = pathway.requirement(kind)
    except KeyError:
        return render(request, "core/404.jinja", status=404)
    report = in_sentence(definition.name)
    requirement = referral.requirements.filter(kind=kind).first()
    form = ReverseRequirementForm(request.POST if request.method == "POST" else None, report=report)
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "yes":
            try:
                event = services.reverse_requirement_received(
                    request.user, referral, kind, form.cleaned_data["why"]
                )
            except services.PathwayError as error:
                form.add_error(None, str(error))
            else:
                text = f"The {report} is no longer recorded as received."
                if event.status_before == Status.READY_FOR_PANEL:
                    text += f" {referral.patient.full_name} is no longer ready for panel."
                messages.success(request, text)
                return _changed(request, referral, f"{kind} received taken back")
        else:
            confirming = True
    return render(
        request,
        "pathways/reverse_requirement.jinja",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "requirement": requirement,
            "name": definition.name,
            "report": report,
            "received": requirement is not None and requirement.state == RequirementState.RECEIVED,
            "closed": referral.status in (Status.ASSESSED, Status.DISCHARGED),
            "booked": referral.status == Status.BOOKED,
            "ready": referral.status == Status.READY_FOR_PANEL,
            # A report filed as a document is best taken back by marking the document as
            # filed in error, which does both at once.
            "documents": Document.objects.for_service(_service(request))
            .current()
            .filter(referral=referral, requirement=kind),
            "confirming": confirming,
        },
    )


@roles_required(*PATHWAY_EDITORS)
@require_http_methods(["GET", "POST"])
def discharge(request: HttpRequest, pk: int) -> HttpResponse:
    """Two steps: say why and when, then confirm. Nothing leaves the list unconfirmed."""
    referral = get_object_or_404(_referrals(request).select_related("patient"), pk=pk)
    assessed = referral.status == Status.ASSESSED
    form = DischargeForm(request.POST if request.method == "POST" else None, assessed=assessed)
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirm") == "yes":
            try:
                services.discharge(
                    request.user,
                    referral,
                    form.cleaned_data["reason"],
                    form.cleaned_data["effective"],
                    form.cleaned_data["note"],
                )
            except services.PathwayError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"{referral.patient.full_name} has been discharged.")
                return _changed(request, referral, "discharged")
        else:
            confirming = True
    return render(
        request,
        "pathways/discharge.jinja",
        {
            "form": form,
            "referral": referral,
            "confirming": confirming,
            "reason_label": DischargeReason(form.cleaned_data["reason"]).label
            if confirming
            else "",
            "closed": referral.status == Status.DISCHARGED,
        },
    )


@roles_required(*PATHWAY_EDITORS)
@require_http_methods(["GET", "POST"])
def reverse_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_object_or_404(_referrals(request).select_related("patient"), pk=pk)
    form = ReverseDischargeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reverse_discharge(request.user, referral, form.cleaned_data["why"])
        except services.PathwayError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{referral.patient.full_name} is back on the waiting list.")
            return _changed(request, referral, "discharge reversed")
    return render(request, "pathways/reverse_discharge.jinja", {"form": form, "referral": referral})


@roles_required(Role.MANAGER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    """Records past their retention date, each to approve for deletion review. Deletes nothing.

    Only the service's own children are listed or may be approved; the dates count every
    service's referrals, as a child is one record."""
    today = timezone.localdate()
    children = Patient.objects.for_service(_service(request))
    form = RetentionApprovalForm(
        request.POST if request.method == "POST" else None,
        initial={"child": request.GET.get("child")},
    )
    if request.method == "POST" and form.is_valid():
        patient = get_object_or_404(children, pk=form.cleaned_data["child"])
        try:
            decision = approve_for_deletion_review(
                request.user, patient, form.cleaned_data["note"], today
            )
        except RetentionError as error:
            form.add_error(None, str(error))
        else:
            audit.record(
                request,
                AuditAction.CHANGE,
                patient=patient,
                obj=f"retention decision {decision.pk}",
            )
            messages.success(
                request, f"{patient.full_name}'s record is approved for deletion review."
            )
            return redirect("pathways:retention")
    rows = past_retention(today, children)
    chosen = str(form["child"].value() or "")
    choosing = next((r for r in rows if str(r.patient.pk) == chosen and r.decision is None), None)
    return render(
        request,
        "pathways/retention.jinja",
        {
            "rows": rows,
            "form": form if form.is_bound and form.errors else None,
            "approval": form,
            "choosing": choosing,
        },
    )
