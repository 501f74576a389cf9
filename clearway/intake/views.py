"""Uploading a legacy list and a PAS extract, and the validation worklist. Thin: the work is
in ``services`` (changes), ``models`` (queries) and ``presenters`` (what the pages show)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearway.accounts.models import Role
from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.core.permissions import PATHWAY_EDITORS, has_role, roles_required
from clearway.intake import presenters, services
from clearway.intake.forms import (
    CONFIRM,
    DecisionForm,
    GroupConfirmForm,
    LegacyListForm,
    MappingForm,
    ValidateForm,
    WorklistFilterForm,
    file_params,
)
from clearway.intake.models import (
    Decision,
    LegacyImport,
    Outcome,
    Proposal,
    RowOutcome,
    State,
    Upload,
    UploadKind,
    ValidationRun,
)
from clearway.pathways.models import WAITING, Referral
from clearway.services.models import Service

#: Who may upload, import and decide.
DECIDERS = PATHWAY_EDITORS
#: Who may see imports, validations and proposals.
VIEWERS = (Role.COORDINATOR, Role.MANAGER, Role.ADMIN)
WORKLIST_PAGE_SIZE = 50


def _service(request: HttpRequest) -> Service:
    return request.service  # type: ignore[attr-defined]


def _chunks(uploaded: Any) -> Any:
    return uploaded.chunks()


@roles_required(*VIEWERS)
def home(request: HttpRequest) -> HttpResponse:
    service = _service(request)
    runs = ValidationRun.objects.for_service(service).select_related("pas_upload")[:10]
    imports = LegacyImport.objects.for_service(service).select_related("upload")[:10]
    latest = runs[0] if runs else None
    return render(
        request,
        "intake/home.jinja",
        {
            "runs": runs,
            "imports": imports,
            "latest": latest,
            "to_decide": latest.proposals.to_decide().count() if latest else 0,
            "waiting": Referral.objects.for_service(service).filter(status__in=WAITING).count(),
            "can_decide": has_role(request.user, DECIDERS),
        },
    )


@roles_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def upload_list(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = LegacyListForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            upload = services.receive_upload(
                request.user,
                _service(request),
                UploadKind.LEGACY_LIST,
                _chunks(uploaded),
                uploaded.name,
            )
        except services.IntakeError as error:
            form.add_error("file", str(error))
        else:
            audit.record(request, AuditAction.CHANGE, obj=f"upload {upload.pk}: waiting list")
            return redirect("intake:check-list", upload=upload.pk)
    return render(
        request,
        "intake/upload_list.jinja",
        {"form": form, "file": file_params(form["file"]), "limit": _limit()},
    )


def _limit() -> str:
    return f"{settings.CLEARWAY_UPLOAD_MAX_BYTES // 2**20:,} MB"


def _legacy_upload(request: HttpRequest, pk: int) -> Upload:
    return get_object_or_404(
        Upload.objects.for_service(_service(request)), pk=pk, kind=UploadKind.LEGACY_LIST
    )


@roles_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def check_list(request: HttpRequest, upload: int) -> HttpResponse:
    """What Clearway read from the list, the mapping to correct, and the import button."""
    found = _legacy_upload(request, upload)
    done = LegacyImport.objects.filter(upload=found).first()
    if done is not None:
        return redirect("intake:import", batch=done.pk)
    try:
        first = services.read_upload(found)
    except services.IntakeError as error:
        return render(request, "intake/unreadable.jinja", {"upload": found, "error": str(error)})
    form = MappingForm(request.POST or None, columns=first.columns)
    mapping, legacy = None, first
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        legacy = services.read_upload(found, mapping)
    plan = services.plan_import(_service(request), legacy)
    form.refused = len(plan.refused)
    importing = request.POST.get("action") == "import"
    if importing and form.is_valid() and form.check_acknowledged():
        for problem in plan.problems:
            form.add_error(None, problem)
        if not plan.problems:
            try:
                batch = services.import_legacy_list(request.user, found, mapping)
            except services.IntakeError as error:
                form.add_error(None, str(error))
            else:
                _audit_import(request, batch)
                text = f"{batch.imported_count:,} children are on the waiting list."
                if batch.not_imported_count:
                    text += f" {batch.not_imported_count:,} rows were not imported: see below."
                messages.success(request, text)
                return redirect("intake:import", batch=batch.pk)
    return render(
        request,
        "intake/check_list.jinja",
        {
            "upload": found,
            "legacy": legacy,
            "plan": plan,
            "form": form if form.is_bound and form.errors else None,
            "mapping": form,
            "columns": presenters.column_rows(legacy.columns),
            "counts": presenters.plan_counts(plan),
            "raw": presenters.raw_cells,
            "preview": plan.importable[:10],
            "consultants": ", ".join(
                f"{name} ({count:,} {'row' if count == 1 else 'rows'})"
                for name, count in sorted(plan.unknown_consultants.items())
            ),
        },
    )


def _audit_import(request: HttpRequest, batch: LegacyImport) -> None:
    audit.record(request, AuditAction.CHANGE, obj=f"import {batch.pk}: {batch.imported_count}")
    rows = batch.rows.filter(outcome=RowOutcome.IMPORTED).select_related("referral__patient")
    audit.record_each(
        request,
        AuditAction.CHANGE,
        (
            (row.referral.patient, f"referral {row.referral_id}: imported")
            for row in rows
            if row.referral is not None
        ),
    )


@roles_required(*VIEWERS)
def import_detail(request: HttpRequest, batch: int) -> HttpResponse:
    found = get_object_or_404(
        LegacyImport.objects.for_service(_service(request)).select_related("upload"), pk=batch
    )
    rows = found.rows.select_related("referral__patient")
    return render(
        request,
        "intake/import.jinja",
        {
            "batch": found,
            "not_imported": rows.filter(outcome=RowOutcome.NOT_IMPORTED),
            "skipped": rows.filter(outcome=RowOutcome.SKIPPED),
            "noted": rows.filter(outcome=RowOutcome.IMPORTED).exclude(reasons=[]),
            "raw": presenters.raw_cells,
            "can_download": has_role(request.user, DECIDERS),
        },
    )


@roles_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def validate(request: HttpRequest) -> HttpResponse:
    service = _service(request)
    posted = request.method == "POST"
    form = ValidateForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        initial={"as_of": timezone.localdate()},
    )
    waiting = Referral.objects.for_service(service).filter(status__in=WAITING).count()
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        try:
            upload = services.receive_upload(
                request.user, service, UploadKind.PAS_EXTRACT, _chunks(uploaded), uploaded.name
            )
        except services.IntakeError as error:
            form.add_error("file", str(error))
        else:
            audit.record(request, AuditAction.CHANGE, obj=f"upload {upload.pk}: PAS extract")
            try:
                run = services.validate_list(
                    request.user, service, upload, form.cleaned_data["as_of"]
                )
            except services.IntakeError as error:
                form.add_error(None, str(error))
            else:
                audit.record(request, AuditAction.CHANGE, obj=f"validation {run.pk}")
                messages.success(
                    request,
                    f"Validated {run.list_size:,} children against {upload.original_name} in "
                    f"{run.seconds:.1f} seconds.",
                )
                return redirect("intake:run", run=run.pk)
    return render(
        request,
        "intake/validate.jinja",
        {"form": form, "file": file_params(form["file"]), "waiting": waiting, "limit": _limit()},
    )


def _run(request: HttpRequest, pk: int) -> ValidationRun:
    return get_object_or_404(
        ValidationRun.objects.for_service(_service(request)).select_related("pas_upload"), pk=pk
    )


@roles_required(*VIEWERS)
def run_detail(request: HttpRequest, run: int) -> HttpResponse:
    """The worklist: counts by outcome, groups to confirm, and every proposal, filtered."""
    found = _run(request, run)
    filters = WorklistFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    proposals = found.proposals.with_state().select_related("referral")
    if data.get("outcome"):
        proposals = proposals.filter(outcome=data["outcome"])
    if data.get("confidence"):
        confidence = "" if data["confidence"] == "none" else data["confidence"]
        proposals = proposals.filter(confidence=confidence)
    if data.get("state"):
        proposals = proposals.filter(state=data["state"])
    page = Paginator(proposals.order_by("pk"), WORKLIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    latest = found.is_latest
    return render(
        request,
        "intake/run.jinja",
        {
            "run": found,
            "latest": latest,
            "newest": None
            if latest
            else ValidationRun.objects.for_service(_service(request)).first(),
            "outcomes": presenters.outcome_table(found),
            "groups": presenters.groups(found) if latest else [],
            "filters": filters,
            "filtered": any(request.GET.get(k) for k in ("outcome", "confidence", "state")),
            "page": page,
            "rows": [presenters.ProposalRow(p) for p in page.object_list],
            "query": query.urlencode(),
            "can_decide": has_role(request.user, DECIDERS) and latest,
        },
    )


def _proposal(request: HttpRequest, run: int, proposal: int) -> Proposal:
    return get_object_or_404(
        Proposal.objects.with_state()
        .filter(run__service=_service(request))
        .select_related(
            "run", "run__pas_upload", "referral", "referral__patient", "duplicate_of__patient"
        ),
        run_id=run,
        pk=proposal,
    )


def _decision_of(proposal: Proposal) -> Decision | None:
    source = proposal.carried_from if proposal.carried_from_id else proposal
    return Decision.objects.filter(proposal=source).select_related("event").first()


@roles_required(*VIEWERS)
def proposal_detail(request: HttpRequest, run: int, proposal: int) -> HttpResponse:
    found = _proposal(request, run, proposal)
    audit.record(
        request,
        AuditAction.VIEW_RECORD,
        patient=found.referral.patient,
        obj=f"referral {found.referral_id}: validation proposal {found.pk}",
    )
    return render(
        request,
        "intake/proposal.jinja",
        {
            "proposal": found,
            "run": found.run,
            "patient": found.referral.patient,
            "state": presenters.state_tag(found.state),  # type: ignore[attr-defined]
            "outcome": presenters.outcome_tag(found.outcome),
            "comparison": presenters.comparison_rows(found),
            "events": presenters.pas_events(found),
            "evidence": presenters.evidence_rows(found),
            "decision": _decision_of(found),
            "can_decide": has_role(request.user, DECIDERS)
            and found.state == State.TO_DECIDE  # type: ignore[attr-defined]
            and found.run.is_latest,
        },
    )


@roles_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, run: int, proposal: int) -> HttpResponse:
    """Confirm or reject one proposal; a removal is confirmed on a second page."""
    found = _proposal(request, run, proposal)
    back = redirect("intake:proposal", run=run, proposal=proposal)
    if found.state != State.TO_DECIDE or not found.run.is_latest:  # type: ignore[attr-defined]
        messages.info(request, "There is nothing to decide on this proposal now.")
        return back
    form = DecisionForm(request.POST or None, removal=found.is_removal)
    confirming = False
    effective = None
    if request.method == "POST" and form.is_valid():
        verdict, note = form.cleaned_data["verdict"], form.cleaned_data["note"]
        try:
            if verdict == CONFIRM and request.POST.get("confirm") != "yes":
                confirming = True
                _, effective = services.removal(found)
            elif verdict == CONFIRM:
                services.confirm(request.user, found, note)
                _audit_decision(request, found, "confirmed")
                messages.success(
                    request, f"{found.referral.patient.full_name} is off the waiting list."
                )
                return back
            else:
                services.reject(request.user, found, note)
                _audit_decision(request, found, "kept on the list")
                messages.success(
                    request, f"{found.referral.patient.full_name} stays on the waiting list."
                )
                return back
        except services.IntakeError as error:
            confirming = False
            form.add_error(None, str(error))
    return render(
        request,
        "intake/decide.jinja",
        {
            "form": form,
            "proposal": found,
            "patient": found.referral.patient,
            "confirming": confirming,
            "effective": effective,
            "evidence": presenters.evidence_rows(found),
        },
    )


def _audit_decision(request: HttpRequest, proposal: Proposal, what: str) -> None:
    audit.record(
        request,
        AuditAction.CHANGE,
        patient=proposal.referral.patient,
        obj=f"referral {proposal.referral_id}: validation {what}",
    )


@roles_required(*DECIDERS)
@require_http_methods(["GET", "POST"])
def confirm_group(request: HttpRequest, run: int, group: str) -> HttpResponse:
    """Every child of a high-confidence group, to check, then confirm all at once."""
    found = _run(request, run)
    named = presenters.find_group(found, group)
    if named is None:
        raise Http404("No such group")
    outcome, agreement = named
    members = list(
        found.proposals.group(outcome, agreement).select_related("referral__patient").order_by("pk")
    )
    form = GroupConfirmForm(request.POST or None, initial={"digest": presenters.digest(members)})
    if request.method == "POST" and form.is_valid():
        try:
            decisions = services.confirm_group(
                request.user,
                found,
                outcome,
                agreement,
                form.cleaned_data["digest"],
                form.cleaned_data["note"],
            )
        except services.IntakeError as error:
            form.add_error(None, str(error))
        else:
            for decision in decisions:
                _audit_decision(request, decision.proposal, "confirmed with a group")
            messages.success(request, f"{len(decisions):,} children are off the waiting list.")
            return redirect("intake:run", run=found.pk)
    return render(
        request,
        "intake/confirm_group.jinja",
        {
            "form": form,
            "run": found,
            "latest": found.is_latest,
            "label": services.group_label(outcome, agreement),
            "outcome": Outcome(outcome),
            "members": [presenters.ProposalRow(p) for p in members],
            "digest": presenters.digest(members),
        },
    )


@roles_required(*DECIDERS)
def download(request: HttpRequest, upload: int) -> FileResponse:
    """The file as uploaded, to permitted staff only, as an attachment nobody's browser runs."""
    found = get_object_or_404(Upload.objects.for_service(_service(request)), pk=upload)
    if not found.path.is_file():
        raise Http404("The file is no longer kept")
    audit.record(request, AuditAction.EXPORT, obj=f"upload {found.pk}: downloaded")
    response = FileResponse(
        found.path.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
