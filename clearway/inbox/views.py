"""The shared inbox's triage: what came in, what Clearway proposes, and filing it. Thin: the
work is in ``services``."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from clearway.accounts.models import Role
from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.core.permissions import LIST_EDITORS, has_role, roles_required
from clearway.inbox import services
from clearway.inbox.forms import AboutChildForm, FileForm, NotForChildForm
from clearway.inbox.models import InboxAttachment, InboxMessage, MessageStatus
from clearway.pathways.models import OPEN, Patient, Referral
from clearway.pathways.presenters import in_sentence
from clearway.services.models import Service

#: Who reads the inbox: those who file (coordinator, secretary, admin) and the service manager.
READERS = (*LIST_EDITORS, Role.MANAGER)
VIEWS: dict[str, tuple[str, dict[str, Any]]] = {
    "new": ("To triage", {"status": MessageStatus.NEW}),
    "done": (
        "Done",
        {"status__in": (MessageStatus.FILED, MessageStatus.SPLIT, MessageStatus.NOT_FOR_CHILD)},
    ),
}


def _service(request: HttpRequest) -> Service:
    return request.service  # type: ignore[attr-defined]


def _messages(request: HttpRequest) -> Any:
    return InboxMessage.objects.for_service(_service(request))


@roles_required(*READERS)
def inbox(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("show", "new")
    view = shown if shown in VIEWS else "new"
    found = _messages(request).filter(**VIEWS[view][1]).select_related("proposed_patient")
    page = Paginator(found.order_by("-received_at", "-pk"), 50).get_page(request.GET.get("page"))
    counts = {key: _messages(request).filter(**flt).count() for key, (_, flt) in VIEWS.items()}
    return render(
        request,
        "inbox/list.jinja",
        {
            "view": view,
            "views": VIEWS,
            "counts": counts,
            "page": page,
            "names": _requirement_names(_service(request)),
        },
    )


def _requirement_names(service: Service) -> dict[str, str]:
    """Each report's name as a sentence says it ("school report", "SaLT report")."""
    return {r.key: in_sentence(r.name) for r in service.pathway.requirements}


def _child_choices(message: InboxMessage, service: Service) -> list[tuple[str, str]]:
    ids: list[int] = []
    if message.proposed_patient_id:
        ids.append(message.proposed_patient_id)
    ids += [
        c["child_id"] for c in message.proposal.get("candidates", []) if c["child_id"] not in ids
    ]
    found = {p.pk: p for p in Patient.objects.for_service(service).filter(pk__in=ids)}
    choices = []
    for pk in ids:
        if pk in found:
            p = found[pk]
            choices.append((str(pk), f"{p.full_name}, born {p.birth_date:%d/%m/%Y}"))
    return choices


@roles_required(*READERS)
@require_http_methods(["GET", "POST"])
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request)
    message = get_object_or_404(_messages(request).select_related("proposed_patient"), pk=pk)
    attachments = list(message.attachments.select_related("patient", "document"))
    requirements = [(r.key, r.name) for r in service.pathway.requirements]
    children = _child_choices(message, service)
    can_file = has_role(request.user, LIST_EDITORS) and message.status == MessageStatus.NEW
    action = request.POST.get("action", "")
    forms: dict[int, FileForm] = {}
    for attachment in attachments:
        bound = request.method == "POST" and action == f"file-{attachment.pk}"
        initial_requirement = message.proposed_requirement
        suggested = message.proposal.get("attachment_requirements", [])
        if attachment.position < len(suggested) and suggested[attachment.position]:
            initial_requirement = suggested[attachment.position]
        forms[attachment.pk] = FileForm(
            request.POST if bound else None,
            prefix=f"a{attachment.pk}",
            children=children,
            requirements=requirements,
            initial={
                "child": str(message.proposed_patient_id or ""),
                "requirement": initial_requirement,
            },
        )
    about_child = AboutChildForm(
        request.POST if action == "about-child" else None,
        prefix="about",
        children=children,
        initial={"child": str(message.proposed_patient_id or "")},
    )
    not_for_child = NotForChildForm(
        request.POST if action == "not-for-child" else None, prefix="nfc"
    )
    form: Any = None
    if request.method == "POST" and can_file:
        try:
            if action.startswith("file-"):
                attachment = next(a for a in attachments if f"file-{a.pk}" == action)
                form = forms[attachment.pk]
                if form.is_valid():
                    patient = _chosen_child(form, service)
                    document = services.file_attachment(
                        request.user,
                        attachment,
                        patient=patient,
                        requirement=form.cleaned_data["requirement"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(
                        request,
                        f"{attachment.filename} is filed for {patient.full_name} "
                        f"as {document.kind_label.lower()}.",
                    )
                    audit.record(
                        request,
                        AuditAction.CHANGE,
                        patient=patient,
                        obj=f"inbox message {message.pk}: filed",
                    )
                    return redirect("inbox:message", pk=message.pk)
            elif action == "about-child":
                form = about_child
                if form.is_valid():
                    patient = _chosen_child(form, service)
                    services.mark_read(request.user, message, patient, form.cleaned_data["note"])
                    messages.success(request, f"Noted on {patient.full_name}'s record.")
                    audit.record(
                        request,
                        AuditAction.CHANGE,
                        patient=patient,
                        obj=f"inbox message {message.pk}: about this child",
                    )
                    return redirect("inbox:message", pk=message.pk)
            elif action == "not-for-child":
                form = not_for_child
                if form.is_valid():
                    services.not_for_a_child(request.user, message, form.cleaned_data["note"])
                    messages.success(request, "Marked as not for a child.")
                    return redirect("inbox:list")
        except (services.InboxError, StopIteration) as error:
            if form is not None:
                form.add_error(None, str(error) or "That attachment is not part of this message.")
    audit.record(request, AuditAction.VIEW_RECORD, obj=f"inbox message {message.pk}")
    return render(
        request,
        "inbox/message.jinja",
        {
            "message": message,
            "attachments": [(a, forms[a.pk]) for a in attachments],
            "form": form,
            "not_for_child": not_for_child,
            "about_child": about_child,
            "can_file": can_file,
            "flags": message.proposal.get("flags", []),
            "names": _requirement_names(service),
            "reply_to": Referral.objects.for_service(service)
            .filter(patient_id=message.proposed_patient_id, status__in=OPEN)
            .first()
            if message.proposed_patient_id and has_role(request.user, LIST_EDITORS)
            else None,
            "reasons": message.proposal.get("reasons", []),
        },
    )


def _chosen_child(form: FileForm | AboutChildForm, service: Service) -> Patient:
    choice = form.cleaned_data["child"]
    children = Patient.objects.for_service(service)
    if choice == "other":
        digits = "".join(ch for ch in form.cleaned_data["nhs_number"] if ch.isdigit())
        patient = children.filter(nhs_number=digits).first()
        if patient is None:
            raise services.InboxError(
                "No child on this service's list has the NHS number "
                f"{form.cleaned_data['nhs_number']}."
            )
        return patient
    patient = children.filter(pk=choice).first()
    if patient is None:
        raise services.InboxError("Select the child it is about.")
    return patient


@roles_required(*READERS)
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment as it arrived, as a download (never shown in the page)."""
    attachment = get_object_or_404(
        InboxAttachment.objects.for_service(_service(request)).select_related("message"), pk=pk
    )
    response = FileResponse(
        attachment.path.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    audit.record(request, AuditAction.EXPORT, obj=f"inbox attachment {attachment.pk}")
    return response


urlpatterns: list[Any] = [
    path("", inbox, name="list"),
    path("messages/<int:pk>/", message_detail, name="message"),
    path("attachments/<int:pk>/", attachment_file, name="attachment"),
]
