"""Today's worklist, a task, the call screen, chase rules and the workload. Thin: the work is in
``services`` (changes), ``standard_work`` (what is due) and ``presenters`` (what pages show)."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clearway.accounts.models import Role, User
from clearway.audit import services as audit
from clearway.audit.models import AuditAction
from clearway.contact import language, presenters, services
from clearway.contact.forms import (
    AppointmentForm,
    AssignForm,
    CallForm,
    ChaseRuleForm,
    DoneForm,
    InviteCheckForm,
    OptOutForm,
    SnoozeForm,
    WorklistFilterForm,
)
from clearway.contact.models import ChaseRuleChange, SaltStage, Task, TaskKind, TaskState
from clearway.contact.recipients import (
    ContactRefused,
    family_recipients,
    recipient_by_key,
    refusal,
)
from clearway.core.permissions import has_role, roles_required
from clearway.pathways.definition import ChaseRule
from clearway.pathways.models import Referral
from clearway.services.models import Service

#: Who works the list: coordinators and secretaries; the service manager (escalations); admins.
WORKERS = (Role.COORDINATOR, Role.SECRETARY, Role.MANAGER, Role.ADMIN)
MANAGERS: tuple[str, ...] = (Role.MANAGER, Role.ADMIN)
PAGE_SIZE = 50


class CountedPaginator(Paginator):
    """A paginator told how many rows there are, when the page has counted them already."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def _service(request: HttpRequest) -> Service:
    return request.service  # type: ignore[attr-defined]


def _task(request: HttpRequest, pk: int) -> Task:
    return get_object_or_404(
        Task.objects.for_service(_service(request)).select_related(
            "referral", "referral__patient", "referral__service", "assigned_to"
        ),
        pk=pk,
    )


def _people(service: Service) -> list[tuple[str, str]]:
    staff = User.objects.filter(services=service, is_active=True, role__in=WORKERS).order_by(
        "first_name", "last_name", "username"
    )
    return [(str(person.pk), f"{person} ({person.get_role_display().lower()})") for person in staff]


def _advise(request: HttpRequest, *texts: str) -> None:
    """A note saved with blaming words: say so kindly afterwards (the check advises, it never
    blocks). With JavaScript the same advice showed as the note was written."""
    advice = [item for text in texts for item in language.check(text or "")]
    if advice:
        words = "; ".join(f"instead of “{a.phrase}”, try {a.alternative}" for a in advice)
        messages.info(request, f"Your note was saved. Kinder words to consider: {words}.")


def _changed(request: HttpRequest, referral: Referral, what: str, to: str) -> HttpResponse:
    response = redirect(to)
    audit.record(
        request,
        AuditAction.CHANGE,
        patient=referral.patient,
        obj=f"referral {referral.pk}: {what}",
        outcome=response.status_code,
    )
    return response


@roles_required(*WORKERS)
def worklist(request: HttpRequest) -> HttpResponse:
    service = _service(request)
    pathway = service.pathway
    today = timezone.localdate()
    day = today
    if request.GET.get("on"):
        try:
            day = dt.date.fromisoformat(request.GET["on"])
        except ValueError:
            day = today
    form = WorklistFilterForm(request.GET or None, kinds=presenters.filter_choices(pathway))
    data = form.cleaned_data if form.is_valid() else {}
    due = presenters.due_tasks(service, day)
    counts = presenters.kind_counts(due, pathway)
    tasks = due
    if data.get("kind"):
        kind, _, requirement = data["kind"].partition(":")
        tasks = tasks.filter(kind=kind, requirement=requirement)
    if data.get("who") == "me":
        tasks = tasks.filter(assigned_to=request.user)
    # Two steps: the page's ids in wait order from the index alone, then its 50 rows. How many
    # are due is known from the counts already (Paginator.count is a cached property).
    ids_in_order = tasks.order_by("wait_from", "pk").values_list("pk", flat=True)
    if data.get("who"):
        paginator = Paginator(ids_in_order, PAGE_SIZE)
    else:
        wanted = data.get("kind")
        known = sum(c["count"] for c in counts if not wanted or c["key"] == wanted)
        paginator = CountedPaginator(ids_in_order, PAGE_SIZE, known)
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = (
        Task.objects.for_service(service)
        .filter(pk__in=ids)
        .select_related("referral__patient", "assigned_to")
    )
    shown = sorted((t for t in found if presenters.still_waiting(t)), key=lambda t: ids.index(t.pk))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "contact/worklist.jinja",
        {
            "day": day,
            "today": today,
            "week_ahead": today + dt.timedelta(days=7),
            "counts": counts,
            "total": sum(c["count"] for c in counts),
            "filters": form,
            "page": page,
            "rows": [presenters.TaskRow(task, day, pathway) for task in shown],
            "query": query.urlencode(),
            "filtered": bool(data.get("kind") or data.get("who")),
            "is_manager": has_role(request.user, MANAGERS),
        },
    )


def _salt_form(task: Task, data: Any) -> Any:
    if task.kind == TaskKind.SALT_CHECK_INVITE:
        return InviteCheckForm(data, prefix="salt")
    if task.kind == TaskKind.SALT_APPOINTMENT:
        return AppointmentForm(data, prefix="salt")
    if task.kind == TaskKind.SALT_OPT_OUT:
        return OptOutForm(data, prefix="salt")
    return None


def _do_salt(request: HttpRequest, task: Task, form: Any) -> str:
    data, referral, user = form.cleaned_data, task.referral, request.user
    if task.kind == TaskKind.SALT_CHECK_INVITE:
        sent = data["sent"] == "yes"
        services.record_salt_invite_check(
            user,
            referral,
            sent_on=data["sent_on"] if sent else None,
            check_again_on=None if sent else data["check_again_on"],
            note=data["note"],
        )
        return "SaLT invitation recorded" if sent else "Put aside until SaLT have sent it"
    if task.kind == TaskKind.SALT_APPOINTMENT:
        known = data["known"] == "yes"
        services.record_salt_appointment(
            user,
            referral,
            appointment_on=data["appointment_on"] if known else None,
            check_again_on=None if known else data["check_again_on"],
            note=data["note"],
        )
        return "SaLT appointment recorded" if known else "Put aside until the appointment is booked"
    services.decide_after_opt_out(user, referral, choice=data["choice"], why=data["why"])
    if data["choice"] == "discharge":
        return f"{referral.patient.full_name} has been discharged: the family opted out"
    return "Recorded: to panel without the SaLT report"


@roles_required(*WORKERS)
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task, with its action ready: do it, record what happened, put it aside or give it
    to someone else."""
    task = _task(request, pk)
    referral = task.referral
    service = _service(request)
    action = request.POST.get("action") if request.method == "POST" else None
    post = request.POST if request.method == "POST" else None
    done_form = DoneForm(post if action == "done" else None, prefix="done")
    snooze_form = SnoozeForm(post if action == "snooze" else None, prefix="snooze")
    assign_form = AssignForm(
        post if action == "assign" else None,
        prefix="assign",
        people=_people(service),
        initial={"person": str(task.assigned_to_id or "")},
    )
    salt_form = _salt_form(task, post if action == "salt" else None)
    bound = {"done": done_form, "snooze": snooze_form, "assign": assign_form, "salt": salt_form}
    form = bound.get(action or "")
    if task.state == TaskState.OPEN and form is not None and form.is_valid():
        user = request.user
        try:
            if action == "done":
                services.complete_task(
                    user, task, form.cleaned_data["outcome"], form.cleaned_data["done_on"]
                )
                text = (
                    f"Done: {presenters.task_label(task.kind, task.requirement, service.pathway)}"
                )
            elif action == "snooze":
                services.snooze_task(
                    user, task, form.cleaned_data["until"], form.cleaned_data["reason"]
                )
                text = f"Put aside until {form.cleaned_data['until']:%d/%m/%Y}"
            elif action == "assign":
                person_id = form.cleaned_data["person"]
                person = User.objects.get(pk=person_id) if person_id else None
                services.assign_task(user, task, person)
                text = f"Given to {person}" if person else "Given back to the whole team"
            else:
                text = _do_salt(request, task, form)
        except (services.WorkError, ContactRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, text)
            return _changed(
                request, referral, f"task {task.pk} {action}", reverse("contact:worklist")
            )
    audit.record(request, AuditAction.VIEW_RECORD, patient=referral.patient, obj=f"task {task.pk}")
    pathway = service.pathway
    today = timezone.localdate()
    return render(
        request,
        "contact/task.jinja",
        {
            "task": task,
            "referral": referral,
            "patient": referral.patient,
            "label": presenters.task_label(task.kind, task.requirement, pathway),
            "purpose": presenters.purpose_of(task),
            "form": form,
            "done_form": done_form,
            "snooze_form": snooze_form,
            "assign_form": assign_form,
            "salt_form": salt_form,
            "refused": refusal(referral),
            "advice": {
                name: language.check(request.POST.get(name, ""))
                for name in ("done-outcome", "salt-note", "salt-why")
            },
            "history": presenters.contact_history(referral)[:5],
            "days_waiting": (today - referral.received_on).days,
            "is_call": task.kind in (TaskKind.SALT_CALL_CARER, TaskKind.CALLBACK),
            "can_write": task.kind
            in (TaskKind.REQUEST, TaskKind.CHASE, TaskKind.CALLBACK, TaskKind.SALT_CALL_CARER),
        },
    )


@roles_required(*WORKERS)
@require_http_methods(["GET", "POST"])
def call(request: HttpRequest, pk: int) -> HttpResponse:
    """The call screen: who, the number, what the call is for, the contact so far, a short
    guide to a kind call, and the outcome in a few clicks."""
    service = _service(request)
    referral = get_object_or_404(
        Referral.objects.for_service(service).select_related("patient", "service"), pk=pk
    )
    task = None
    if request.GET.get("task"):
        task = get_object_or_404(
            Task.objects.for_service(service).filter(referral=referral, state=TaskState.OPEN),
            pk=request.GET["task"],
        )
    people = family_recipients(referral)
    follow_up = getattr(referral, "salt_follow_up", None)
    salt_open = service.pathway.salt_requirement is not None and (
        follow_up is None or follow_up.stage in (SaltStage.CHECK_INVITE, SaltStage.CALL_CARER)
    )
    default = next((p.key for p in people if p.responsible), None) if people else None
    form = CallForm(
        request.POST if request.method == "POST" else None,
        recipients=people,
        salt=salt_open,
        initial={"recipient": default, "decision": "none"},
    )
    if request.method == "POST" and people and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_call(
                request.user,
                referral,
                recipient=recipient_by_key(referral, data["recipient"]),
                outcome=data["outcome"],
                decision=data["decision"] or "none",
                call_back_on=data["call_back_on"],
                note=data["note"],
                task=task,
            )
        except (services.WorkError, ContactRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Call with {referral.patient.full_name}'s family recorded.")
            _advise(request, data["note"])
            to = reverse("contact:worklist") if task else reverse("pathways:referral", args=[pk])
            return _changed(request, referral, "call recorded", to)
    audit.record(request, AuditAction.VIEW_RECORD, patient=referral.patient, obj=f"call {pk}")
    return render(
        request,
        "contact/call.jinja",
        {
            "referral": referral,
            "patient": referral.patient,
            "task": task,
            "label": presenters.task_label(task.kind, task.requirement, service.pathway)
            if task
            else "",
            "people": people,
            "default": default,
            "form": form,
            "refused": refusal(referral),
            "history": presenters.contact_history(referral),
            "salt_open": salt_open,
            "note_advice": language.check(request.POST.get("note", "")),
        },
    )


@roles_required(*WORKERS)
@require_http_methods(["GET", "POST"])
def chase_rules(request: HttpRequest) -> HttpResponse:
    """The chase rule of each requirement; the service manager changes them, with a reason."""
    service = _service(request)
    pathway = service.pathway
    rules = services.rules_for(service)
    can_change = has_role(request.user, MANAGERS)
    editing = request.GET.get("requirement") or request.POST.get("requirement")
    form = None
    if can_change and editing in pathway.requirement_keys:
        current = rules.for_requirement(editing)
        form = ChaseRuleForm(
            request.POST if request.method == "POST" else None, initial=current.as_dict()
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.change_chase_rule(
                    request.user,
                    service,
                    editing,
                    ChaseRule(**{name: data[name] for name in ChaseRule.FIELDS}),
                    data["why"],
                )
            except services.WorkError as error:
                form.add_error(None, str(error))
            else:
                name = pathway.requirement(editing).name
                messages.success(request, f"The chase rule for the {name.lower()} was changed.")
                response = redirect("contact:rules")
                audit.record(request, AuditAction.CHANGE, obj=f"chase rule {editing}")
                return response
    elif request.method == "POST":
        return redirect("contact:rules")
    return render(
        request,
        "contact/rules.jinja",
        {
            "rows": [
                {"requirement": r, "rule": rules.for_requirement(r.key)}
                for r in pathway.requirements
            ],
            "salt": pathway.salt,
            "form": form,
            "editing": pathway.requirement(editing) if form is not None and editing else None,
            "can_change": can_change,
            "changes": ChaseRuleChange.objects.filter(service=service)[:20],
            "pathway": pathway,
        },
    )


@roles_required(*MANAGERS)
def workload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "contact/workload.jinja",
        {"today": today, **presenters.workload(_service(request), 8, today)},
    )


urlpatterns: list[Any] = [
    path("worklist/", worklist, name="worklist"),
    path("worklist/tasks/<int:pk>/", task_detail, name="task"),
    path("referrals/<int:pk>/call/", call, name="call"),
    path("worklist/rules/", chase_rules, name="rules"),
    path("worklist/workload/", workload, name="workload"),
]
