"""Filing a document to a child, giving it back, and marking it as filed in error. Thin: the
work is in ``services`` (changes), ``models`` (queries) and ``presenters`` (what pages show)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.core.forms import field_params
from clearway.core.permissions import LIST_EDITORS, STAFF, roles_required
from clearway.documents import services
from clearway.documents.forms import OTHER_CHOICE, DocumentForm, FiledInErrorForm
from clearway.documents.models import Document
from clearway.documents.presenters import describe_file
from clearway.intake.forms import file_params
from clearway.pathways.models import OPEN, Referral, RequirementState
from clearway.pathways.presenters import uk_date
from clearway.services.models import Service


def _service(request: HttpRequest) -> Service:
    return request.service  # type: ignore[attr-defined]


def _documents(request: HttpRequest) -> Any:
    """The documents of the person's current service: every page's only way to a document."""
    return Document.objects.for_service(_service(request)).select_related(
        "referral", "patient", "filed_in_error"
    )


def _record_page(referral_pk: int) -> str:
    return reverse("pathways:referral", kwargs={"pk": referral_pk}) + "#documents"


@roles_required(*LIST_EDITORS)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """File a report (or another document) to the child; ``?requirement=<key>`` picks its type."""
    referral = get_object_or_404(
        Referral.objects.for_service(_service(request)).select_related("patient"), pk=pk
    )
    pathway = _service(request).pathway
    chosen = request.GET.get("requirement", "")
    if chosen not in pathway.requirement_keys and chosen != OTHER_CHOICE:
        chosen = ""
    posted = request.method == "POST"
    form = DocumentForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        pathway=pathway,
        initial={"requirement": chosen or None, "received_on": timezone.localdate()},
    )
    if posted and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            document = services.file_document(
                request.user,
                referral,
                chunks=uploaded.chunks(),
                original_name=uploaded.name,
                requirement=form.requirement_key(),
                received_on=form.cleaned_data["received_on"],
                note=form.cleaned_data["note"],
            )
        except services.DocumentError as error:
            form.add_error(error.field, str(error))
        else:
            audit.record(
                request,
                AuditAction.CHANGE,
                patient=referral.patient,
                obj=f"referral {referral.pk}: document {document.pk} filed",
            )
            text = (
                f"{document.original_name} is filed for {referral.patient.full_name} as the "
                f"{document.kind_label.lower()}."
            )
            if document.event is not None:
                text += f" The {document.kind_label.lower()} is recorded as received."
            if services.made_ready(document):
                text += f" {referral.patient.full_name} is now ready for panel."
            messages.success(request, text)
            return redirect(_record_page(referral.pk))
    return render(
        request,
        "documents/upload.jinja",
        {
            "form": form,
            "file": file_params(form["file"]),
            "kinds": _kind_params(form, referral),
            "referral": referral,
            "patient": referral.patient,
            "closed": referral.status not in OPEN,
            "limit": f"{settings.CLEARWAY_UPLOAD_MAX_BYTES // 2**20:,} MB",
        },
    )


def _kind_params(form: DocumentForm, referral: Referral) -> dict[str, Any]:
    """The type radios, each report already received saying so."""
    params = field_params(form["requirement"])
    received = {
        r.kind: r.received_on for r in referral.requirements.filter(state=RequirementState.RECEIVED)
    }
    for item in params["items"]:
        if item["value"] in received:
            item["hint"] = {
                "text": f"Already received on {uk_date(received[item['value']])}. A new copy is "
                "filed beside the first, and the date received stays"
            }
    return params


@roles_required(*STAFF)
def download(request: HttpRequest, pk: int) -> FileResponse:
    """The document as filed, to staff of its service only, as an attachment nobody's browser
    runs. Opening a child's document is a view of their record, and audited as one."""
    document = get_object_or_404(_documents(request), pk=pk)
    if not document.path.is_file():
        raise Http404("The file is no longer kept")
    audit.record(
        request,
        AuditAction.VIEW_RECORD,
        patient=document.patient,
        obj=f"referral {document.referral_id}: document {document.pk}",
    )
    response = FileResponse(
        document.path.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@roles_required(*LIST_EDITORS)
@require_http_methods(["GET", "POST"])
def file_in_error(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a document as filed by mistake, saying why. It is kept, and no longer counts."""
    document = get_object_or_404(_documents(request), pk=pk)
    already = getattr(document, "filed_in_error", None)
    form = FiledInErrorForm(request.POST if request.method == "POST" else None)
    effect = services.in_error_effect(document) if already is None else services.InErrorEffect()
    if request.method == "POST" and already is None and form.is_valid():
        try:
            services.file_in_error(request.user, document, form.cleaned_data["why"])
        except services.DocumentError as error:
            form.add_error(error.field, str(error))
        else:
            audit.record(
                request,
                AuditAction.CHANGE,
                patient=document.patient,
                obj=f"referral {document.referral_id}: document {document.pk} filed in error",
            )
            messages.success(
                request,
                f"{document.original_name} is marked as filed in error. It is kept, and no "
                f"longer counts as {document.patient.full_name}'s {document.kind_label.lower()}."
                + (f" The {effect.report} is back to asked for." if effect.takes_back else ""),
            )
            return redirect(_record_page(document.referral_id))
    return render(
        request,
        "documents/file_in_error.jinja",
        {
            "form": form,
            "document": document,
            "patient": document.patient,
            "referral": document.referral,
            "already": already,
            "effect": effect,
            "file": describe_file(document),
        },
    )
