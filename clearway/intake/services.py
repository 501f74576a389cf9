"""Every change the intake pages make: one function per use case, each taking the acting user.

- :func:`receive_upload` keeps a legacy list or PAS extract that passed every check.
- :func:`import_legacy_list` puts a legacy list's children on the service's list, all at once
  or not at all, keeping every row's original cells.
- :func:`validate_list` validates the service's list against a PAS extract: one proposal per
  child, none proposed again whose evidence a person already decided on.
- :func:`confirm`, :func:`reject` and :func:`confirm_group` record a person's decisions; a
  confirmed removal writes a discharge (through ``clearway.pathways.services``) effective on
  the day PAS recorded it, recorded now.

A refused step raises :class:`IntakeError` with a plain message the pages show as it is.
"""

import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from clearway.core.actors import actor_fields
from clearway.core.formatting import format_nhs_number
from clearway.intake import uploads
from clearway.intake.models import (
    GROUPABLE,
    REMOVALS,
    Decision,
    ImportRow,
    LegacyImport,
    Outcome,
    Proposal,
    RowOutcome,
    Upload,
    UploadKind,
    ValidationRun,
    Verdict,
)
from clearway.pathways import services as pathway
from clearway.pathways.models import (
    OPEN,
    WAITING,
    Consultant,
    DischargeReason,
    Patient,
    Referral,
    Source,
)
from clearway.services.models import Service
from clearway.validation import engine
from clearway.validation.readers import LegacyList, LegacyRow, ReadError, read_legacy

#: Each removal outcome, confirmed, is a discharge with this reason.
DISCHARGE_REASONS = {
    Outcome.SEEN: DischargeReason.SEEN_ELSEWHERE,
    Outcome.DISCHARGED: DischargeReason.SEEN_ELSEWHERE,
    Outcome.DECEASED: DischargeReason.DECEASED,
    Outcome.DUPLICATE: DischargeReason.DUPLICATE,
}
#: The fields a row needs to become a referral, in words.
NEEDED = {
    "birth_date": "date of birth",
    "referral_date": "referral date",
}
#: How many events of a PAS patient a proposal keeps as evidence.
PAS_EVENTS_KEPT = 30


class IntakeError(Exception):
    """A step the intake pages refuse, explained in plain words."""


def _day(value: dt.date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "an unknown date"


# --- uploads --------------------------------------------------------------------------------


def _reader_message(error: Exception, path: Path, name: str) -> str:
    """A reader's one-line message, naming the file as the person knows it."""
    return str(error).replace(path.name, name)


def check_pas_extract(path: Path, name: str) -> engine.PasExtract:
    """Read a PAS extract as validation will; raise :class:`IntakeError` if it cannot be."""
    con = duckdb.connect()
    try:
        return engine.read_pas(con, path)
    except ReadError as error:
        raise IntakeError(_reader_message(error, path, name)) from error
    finally:
        con.close()


def receive_upload(
    actor: Any, service: Service, kind: str, chunks: Iterable[bytes], original_name: str
) -> Upload:
    """Keep an uploaded file that passes every check: name, size, content, and a first read.

    A refused file leaves nothing behind: no file on disk, no record.
    """
    who = actor_fields(actor)
    try:
        received = uploads.receive(chunks, original_name, kind)
    except uploads.UploadRefused as error:
        raise IntakeError(str(error)) from error
    try:
        if kind == UploadKind.LEGACY_LIST:
            try:
                read_legacy(received.path, as_of=timezone.localdate())
            except ReadError as error:
                raise IntakeError(
                    _reader_message(error, received.path, received.original_name)
                ) from error
        else:
            check_pas_extract(received.path, received.original_name)
        return Upload.objects.create(
            service=service,
            kind=kind,
            original_name=received.original_name,
            stored_name=received.path.name,
            size=received.size,
            sha256=received.sha256,
            uploaded_by=who["actor"],
            uploaded_by_name=who["actor_name"],
        )
    except BaseException:
        uploads.discard(received)
        raise


def read_upload(upload: Upload, mapping: Mapping[str, str | None] | None = None) -> LegacyList:
    """Read an uploaded legacy list, with a column mapping (header -> field, or None)."""
    checked = {header: field or "ignore" for header, field in (mapping or {}).items()}
    try:
        return read_legacy(upload.path, mapping=checked or None, as_of=timezone.localdate())
    except ReadError as error:
        raise IntakeError(_reader_message(error, upload.path, upload.original_name)) from error


# --- importing a legacy list ----------------------------------------------------------------


@dataclass
class PlannedRow:
    """One data row of a legacy list, and what importing it would do."""

    row: LegacyRow
    #: Why it cannot be imported (empty: it can).
    refusals: list[str] = field(default_factory=list)
    #: What was noticed about a row that can be imported.
    notes: list[str] = field(default_factory=list)
    patient: Patient | None = None
    consultant: Consultant | None = None

    @property
    def importable(self) -> bool:
        return not self.refusals


@dataclass
class ImportPlan:
    """What importing a legacy list would do, row by row: shown before anything is saved."""

    legacy: LegacyList
    rows: list[PlannedRow]
    #: Problems with the file as a whole (a needed column missing): nothing can be imported.
    problems: list[str]
    #: Consultants named in the list whom Clearway does not know, with how many rows.
    unknown_consultants: dict[str, int]

    @property
    def importable(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.importable]

    @property
    def refused(self) -> list[PlannedRow]:
        return [r for r in self.rows if not r.importable]

    @property
    def can_import(self) -> bool:
        return not self.problems and bool(self.importable)


def _name_key(text: str | None) -> str:
    return "".join(ch for ch in (text or "").casefold() if ch.isalpha())


def _missing_columns(legacy: LegacyList) -> list[str]:
    problems = []
    has = {column.field for column in legacy.columns if column.field}
    if "name" not in has and not {"family_name", "given_name"} <= has:
        problems.append(
            "No column is read as the child's name: choose the column that holds the whole "
            "name, or the columns that hold the first and last names"
        )
    for field_name, words in NEEDED.items():
        if field_name not in has:
            problems.append(f"No column is read as the {words}: choose the column that holds it")
    return problems


def plan_import(service: Service, legacy: LegacyList) -> ImportPlan:
    """What importing ``legacy`` into ``service`` would do, without saving anything.

    A row becomes a referral when it has a first and last name, a date of birth and a usable
    referral date. It is not imported (and says why) when it lacks one, when its NHS or
    hospital number repeats an earlier row, when the child is already on this service's list,
    or when its number belongs to a child with another birth date or name.
    """
    problems = _missing_columns(legacy)
    consultants = {_name_key(c.name): c for c in Consultant.objects.filter(active=True)}
    unknown: dict[str, int] = defaultdict(int)
    numbers = {r.nhs_number for r in legacy.rows if r.nhs_number}
    hospital = {r.hospital_number for r in legacy.rows if r.hospital_number}
    known = {p.nhs_number: p for p in Patient.objects.unscoped().filter(nhs_number__in=numbers)} | {
        p.hospital_number: p
        for p in Patient.objects.unscoped().filter(hospital_number__in=hospital)
    }
    open_here = dict(
        Referral.objects.for_service(service)
        .filter(status__in=OPEN, patient__in=[p.pk for p in known.values()])
        .values_list("patient_id", "received_on")
    )
    first_row_with: dict[str, int] = {}
    today = timezone.localdate()
    planned: list[PlannedRow] = []
    for row in legacy.rows:
        plan = PlannedRow(row)
        planned.append(plan)
        refuse, note = plan.refusals.append, plan.notes.append
        if not row.family_name or not row.given_name:
            name_problems = row.problems_with("name")
            refuse(
                f"no first and last name ({name_problems[0].message})"
                if name_problems
                else "no first name"
                if row.family_name
                else "no name"
            )
        for field_name, words in NEEDED.items():
            if getattr(row, field_name) is None:
                found = row.problems_with(field_name)
                refuse(f"no {words}" + (f" ({found[0].message})" if found else ""))
            else:
                for found_problem in row.problems_with(field_name):
                    refuse(f"{words}: {found_problem.message}")
        if row.birth_date and row.birth_date > today:
            refuse("the date of birth is in the future")
        for nhs_problem in row.problems_with("nhs_number"):
            note(f"imported without its NHS number: {nhs_problem.message}")
        for number, what in (
            (row.nhs_number, "NHS number"),
            (row.hospital_number, "hospital number"),
        ):
            if not number:
                continue
            shown = format_nhs_number(number) if what == "NHS number" else number
            if number in first_row_with:
                refuse(f"the same {what} ({shown}) as row {first_row_with[number]}")
            else:
                first_row_with[number] = row.source_row
        patient = known.get(row.nhs_number or "") or known.get(row.hospital_number or "")
        if patient is not None:
            plan.patient = patient
            if row.nhs_number and patient.nhs_number and patient.nhs_number != row.nhs_number:
                refuse(
                    f"the hospital number {row.hospital_number} belongs to another child in "
                    f"Clearway (NHS number {format_nhs_number(patient.nhs_number)})"
                )
            elif row.birth_date and patient.birth_date != row.birth_date:
                refuse(
                    f"Clearway already has this number for {patient.full_name}, born "
                    f"{_day(patient.birth_date)}: check the number and the date of birth"
                )
            elif (
                row.family_name
                and _name_key(patient.family_name) != _name_key(row.family_name)
                and _name_key(patient.given_name) != _name_key(row.given_name)
            ):
                refuse(
                    f"Clearway already has this number for {patient.full_name}: check the "
                    "number and the name"
                )
            elif patient.pk in open_here:
                refuse(
                    f"{patient.full_name} is already on the list, referred "
                    f"{_day(open_here[patient.pk])}"
                )
            else:
                note(f"{patient.full_name} is already known to Clearway: the referral is added")
        if row.consultant:
            plan.consultant = consultants.get(_name_key(row.consultant))
            if plan.consultant is None:
                unknown[row.consultant] += 1
        for name in ("school_report", "salt_report", "consent"):
            for cell_problem in row.problems_with(name):
                note(cell_problem.message)
    return ImportPlan(legacy, planned, problems, dict(unknown))


def _json_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


@transaction.atomic
def import_legacy_list(
    actor: Any, upload: Upload, mapping: Mapping[str, str | None] | None = None
) -> LegacyImport:
    """Put the children of an uploaded legacy list on its service's list, in one transaction.

    Every row is kept as an :class:`ImportRow` with its original cells: imported (with its
    referral), not imported (with why), or skipped (blank, title, footer). Rows that cannot be
    imported never stop the others; anything else that goes wrong imports nothing.
    """
    who = actor_fields(actor)
    if upload.kind != UploadKind.LEGACY_LIST:
        raise IntakeError("Only a waiting list can be imported.")
    Upload.objects.select_for_update().filter(pk=upload.pk).first()
    done = LegacyImport.objects.filter(upload=upload).first()
    if done is None:
        done = (
            LegacyImport.objects.for_service(upload.service_id)
            .filter(upload__sha256=upload.sha256)
            .first()
        )
    if done is not None:
        raise IntakeError(
            f"This file was already imported on {_day(timezone.localdate(done.imported_at))} "
            f"by {done.imported_by_name}."
        )
    legacy = read_upload(upload, mapping)
    plan = plan_import(upload.service, legacy)
    if plan.problems:
        raise IntakeError(" ".join(plan.problems) + ".")
    if not plan.importable:
        raise IntakeError("No row of this list can be imported: see why on each row.")
    batch = LegacyImport.objects.create(
        service=upload.service,
        upload=upload,
        sheet=legacy.sheet,
        header_row=legacy.header_row,
        mapping={column.header: column.field for column in legacy.columns},
        imported_by=who["actor"],
        imported_by_name=who["actor_name"],
        imported_count=len(plan.importable),
        not_imported_count=len(plan.refused),
        skipped_count=len(legacy.skipped),
    )
    keys = set(upload.service.pathway.requirement_keys)
    rows: list[ImportRow] = []
    imported: list[tuple[ImportRow, pathway.NewReferral]] = []
    for planned in plan.rows:
        row = planned.row
        nhs_problem = row.problems_with("nhs_number")
        record = ImportRow(
            batch=batch,
            source_sheet=row.source_sheet,
            source_row=row.source_row,
            raw={str(k): _json_cell(v) for k, v in row.raw.items()},
            nhs_number_problem=nhs_problem[0].message[:300] if nhs_problem else "",
        )
        rows.append(record)
        if not planned.importable:
            record.outcome = RowOutcome.NOT_IMPORTED
            record.reasons = planned.refusals
            continue
        assert row.birth_date and row.referral_date and row.family_name and row.given_name
        record.outcome = RowOutcome.IMPORTED
        record.reasons = planned.notes
        new = pathway.NewReferral(
            service=upload.service,
            given_name=row.given_name,
            family_name=row.family_name,
            birth_date=row.birth_date,
            received_on=row.referral_date,
            nhs_number=row.nhs_number,
            hospital_number=row.hospital_number,
            source=Source.OTHER,
            consultant=planned.consultant,
            requirements={k: v for k, v in row.requirements.items() if k in keys},
        )
        imported.append((record, new))
    try:
        referrals = pathway.add_referrals(actor, upload.service, [new for _, new in imported])
    except pathway.PathwayError as error:
        # The plan said they could: the list changed meanwhile. Import nothing.
        which = f"Row {imported[error.row][0].source_row}" if error.row is not None else "The list"
        raise IntakeError(
            f"{which} could not be imported ({error}), so nothing was imported. "
            "Check the list again."
        ) from error
    for (record, _), referral in zip(imported, referrals, strict=True):
        record.referral = referral
    rows += [
        ImportRow(
            batch=batch,
            source_sheet=skipped.source_sheet,
            source_row=skipped.source_row,
            outcome=RowOutcome.SKIPPED,
            reasons=[skipped.why],
        )
        for skipped in legacy.skipped
    ]
    ImportRow.objects.bulk_create(rows, batch_size=500)
    return batch


# --- validation -----------------------------------------------------------------------------


def list_table(service: Service) -> pa.Table:
    """The service's waiting list as the engine's legacy rows: ``source_row`` is the referral's
    number, and an imported child's unreadable NHS number cell is passed on as its problem."""
    rows = (
        Referral.objects.for_service(service)
        .filter(status__in=WAITING)
        .order_by("pk")
        .values_list(
            "pk",
            "patient__nhs_number",
            "patient__hospital_number",
            "patient__given_name",
            "patient__family_name",
            "patient__birth_date",
            "received_on",
            "import_row__nhs_number_problem",
        )
    )
    columns: dict[str, list[Any]] = {name: [] for name, _, _ in engine.LEGACY_COLUMNS}
    for pk, nhs, hospital, given, family, birth, received, problem in rows:
        columns["source_sheet"].append("Clearway")
        columns["source_row"].append(pk)
        columns["nhs_number"].append(nhs or None)
        columns["nhs_number_problem"].append(problem or None)
        columns["hospital_number"].append((hospital or "").strip().upper() or None)
        columns["given_name"].append(given or None)
        columns["family_name"].append(family or None)
        columns["birth_date"].append(birth)
        columns["referral_date"].append(received)
        columns["referral_date_problem"].append(None)
    return pa.table(columns, schema=engine.legacy_schema())


def evidence_key(
    proposal: engine.Proposal, duplicate_of: int | None, pas_events: list[dict[str, str]]
) -> str:
    """A digest of the evidence for a proposal: the outcome, how the child was matched, the
    event that decided it, and every event PAS holds for the matched patient up to the day
    validated. A later run with the same digest has nothing new to show a person."""
    parts = [
        proposal.outcome,
        proposal.pas_id or "",
        proposal.match,
        proposal.agreement,
        proposal.event,
        proposal.event_date.isoformat() if proposal.event_date else "",
        duplicate_of or "",
        sorted((e["date"], e["event"], e["clinic"]) for e in pas_events),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def validate_list(
    actor: Any,
    service: Service,
    pas_upload: Upload,
    as_of: dt.date,
    *,
    linkage: engine.Linkage = "full",
) -> ValidationRun:
    """Validate the service's waiting list against a PAS extract; keep one proposal per child.

    A child whose earlier proposal, with the same evidence, a person already decided on is not
    proposed again: the new proposal points at that decision instead.
    """
    who = actor_fields(actor)
    if pas_upload.kind != UploadKind.PAS_EXTRACT or pas_upload.service_id != service.pk:
        raise IntakeError("Choose a PAS extract uploaded to this service.")
    if as_of > timezone.localdate():
        raise IntakeError("The date the extract was taken cannot be in the future.")
    started = time.perf_counter()
    table = list_table(service)
    if table.num_rows == 0:
        raise IntakeError("There is nobody on the waiting list to validate.")
    settings = engine.Settings(
        as_of=as_of,
        panel_clinic=service.pathway.panel_clinic or "SCD Panel",
        referral_clinic=service.pathway.referral_clinic,
        linkage=linkage,
    )
    try:
        result = engine.validate(table, pas_upload.path, settings, pas_records=True)
    except ReadError as error:
        raise IntakeError(
            _reader_message(error, pas_upload.path, pas_upload.original_name)
        ) from error
    proposals = result.proposals
    referrals = {
        r.pk: r
        for r in Referral.objects.for_service(service)
        .filter(pk__in=[p.source_row for p in proposals])
        .select_related("patient")
    }
    pas = result.pas_records
    decided: dict[int, Proposal] = {}
    for earlier in (
        Proposal.objects.filter(run__service=service, referral_id__in=list(referrals))
        .filter(decision__isnull=False)
        .order_by("decision__decided_at", "pk")
    ):
        decided[earlier.referral_id] = earlier  # the latest decision wins
    with transaction.atomic():
        run = ValidationRun.objects.create(
            service=service,
            pas_upload=pas_upload,
            as_of=as_of,
            panel_clinic=settings.panel_clinic,
            linkage=linkage,
            list_size=table.num_rows,
            counts=result.outcome_counts(),
            created_by=who["actor"],
            created_by_name=who["actor_name"],
        )
        rows = []
        for found in proposals:
            referral = referrals.get(found.source_row)
            if referral is None:
                continue  # left the list while validation ran: nothing to propose
            duplicate_of = found.duplicate_of_row if found.duplicate_of_row in referrals else None
            record = pas.get(found.pas_id or "", {})
            key = evidence_key(found, duplicate_of, record.get("events", []))
            earlier = decided.get(referral.pk)
            carried = (
                earlier
                if earlier is not None
                and earlier.evidence_key == key
                and found.outcome != Outcome.WAITING
                else None
            )
            patient = referral.patient
            rows.append(
                Proposal(
                    run=run,
                    referral=referral,
                    outcome=found.outcome,
                    reason=found.reason,
                    duplicate_of_id=duplicate_of,
                    pas_id=found.pas_id or "",
                    pas_nhs_number=found.nhs_number or "",
                    match=found.match,
                    agreement=found.agreement,
                    confidence=found.confidence,
                    event=found.event,
                    event_date=found.event_date,
                    referral_date=found.referral_date,
                    match_probability=found.match_probability,
                    list_record={
                        "nhs_number": patient.nhs_number or "",
                        "hospital_number": patient.hospital_number or "",
                        "given_name": patient.given_name,
                        "family_name": patient.family_name,
                        "birth_date": patient.birth_date.isoformat(),
                        "referral_date": referral.received_on.isoformat(),
                    },
                    pas_record={**record, "events": record.get("events", [])[-PAS_EVENTS_KEPT:]}
                    if record
                    else {},
                    evidence_key=key,
                    carried_from=carried,
                )
            )
        Proposal.objects.bulk_create(rows, batch_size=500)
        run.seconds = round(time.perf_counter() - started, 2)
        run.save(update_fields=["seconds"])
    return run


# --- decisions ------------------------------------------------------------------------------


def removal(proposal: Proposal) -> tuple[str, dt.date]:
    """The discharge reason and effective day a confirmed removal writes.

    A seen, discharged or deceased child leaves the list on the day PAS recorded it; a second
    entry of a child leaves from its own referral date, so as now known it never waited.
    """
    reason = DISCHARGE_REASONS[Outcome(proposal.outcome)]
    if proposal.outcome == Outcome.DUPLICATE:
        return reason, proposal.referral.received_on
    if proposal.event_date is None:
        raise IntakeError("This proposal names no PAS event date, so it cannot be confirmed.")
    return reason, proposal.event_date


def _evidence(proposal: Proposal) -> dict[str, Any]:
    run = proposal.run
    return {
        "validation_run": run.pk,
        "proposal": proposal.pk,
        "outcome": proposal.outcome,
        "reason": proposal.reason,
        "pas_id": proposal.pas_id,
        "match": proposal.match,
        "agreement": proposal.agreement,
        "confidence": proposal.confidence,
        "event": proposal.event,
        "event_date": proposal.event_date.isoformat() if proposal.event_date else None,
        "duplicate_of_referral": proposal.duplicate_of_id,
        "pas_extract": run.pas_upload.original_name,
        "pas_extract_sha256": run.pas_upload.sha256,
        "as_of": run.as_of.isoformat(),
    }


def _check_open(proposal: Proposal) -> None:
    """Refuse a decision on a proposal that is not waiting for one."""
    if not proposal.run.is_latest:
        raise IntakeError(
            "A newer validation has been run since this one: decide on the newest validation."
        )
    if Decision.objects.filter(proposal=proposal).exists():
        decision = Decision.objects.get(proposal=proposal)
        raise IntakeError(
            f"{decision.actor_name} already decided this on "
            f"{_day(timezone.localdate(decision.decided_at))}."
        )
    if proposal.carried_from_id is not None:
        raise IntakeError("This was decided on an earlier validation, with the same evidence.")
    if proposal.outcome == Outcome.WAITING:
        raise IntakeError("Nothing to decide: validation found the child still waiting.")
    if proposal.referral.status not in WAITING:
        raise IntakeError(
            f"{proposal.referral.patient.full_name} is no longer on the waiting list."
        )


def _locked(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update()
        .select_related("run", "run__pas_upload", "referral", "referral__patient")
        .get(pk=proposal.pk)
    )


@transaction.atomic
def confirm(actor: Any, proposal: Proposal, note: str = "", *, group: str = "") -> Decision:
    """Confirm a proposed removal: discharge the child from the day PAS recorded, now."""
    who = actor_fields(actor)
    proposal = _locked(proposal)
    _check_open(proposal)
    if proposal.outcome not in REMOVALS:
        raise IntakeError(
            "Only a proposed removal can be confirmed. To take this child off the list, check "
            "the evidence and discharge them from their record."
        )
    reason, effective = removal(proposal)
    try:
        event = pathway.discharge(
            actor,
            proposal.referral,
            reason,
            effective,
            note.strip() or f"Validation against PAS: {proposal.get_outcome_display().lower()}",
            evidence=_evidence(proposal),
        )
    except pathway.PathwayError as error:
        raise IntakeError(str(error)) from error
    return Decision.objects.create(
        proposal=proposal,
        verdict=Verdict.CONFIRMED,
        note=note.strip(),
        group=group,
        event=event,
        actor=who["actor"],
        actor_name=who["actor_name"],
    )


@transaction.atomic
def reject(actor: Any, proposal: Proposal, note: str) -> Decision:
    """Keep the child on the list: the proposal was wrong, or needs no action. Say why."""
    who = actor_fields(actor)
    if not note.strip():
        raise IntakeError("Say why the child stays on the list.")
    proposal = _locked(proposal)
    _check_open(proposal)
    return Decision.objects.create(
        proposal=proposal,
        verdict=Verdict.REJECTED,
        note=note.strip(),
        actor=who["actor"],
        actor_name=who["actor_name"],
    )


def group_digest(proposals: Iterable[Proposal]) -> str:
    """A digest of exactly which children a group holds, to confirm no more and no fewer."""
    members = sorted(f"{p.pk}:{p.referral_id}" for p in proposals)
    return hashlib.sha256(",".join(members).encode()).hexdigest()


def group_label(outcome: str, agreement: str) -> str:
    return f"{Outcome(outcome).label}: {agreement}"


@transaction.atomic
def confirm_group(
    actor: Any, run: ValidationRun, outcome: str, agreement: str, digest: str, note: str = ""
) -> list[Decision]:
    """Confirm every proposal of a high-confidence group at once, or none of them.

    ``digest`` is :func:`group_digest` of the children the person was shown: if the group has
    changed since (someone decided one, a child left the list), nothing is confirmed.
    """
    actor_fields(actor)
    if outcome not in GROUPABLE:
        raise IntakeError("Only children seen or discharged can be confirmed as a group.")
    if not run.is_latest:
        raise IntakeError(
            "A newer validation has been run since this one: decide on the newest validation."
        )
    members = list(run.proposals.group(outcome, agreement).order_by("pk"))
    if not members:
        raise IntakeError("There is nothing left to confirm in this group.")
    if group_digest(members) != digest:
        raise IntakeError(
            "The group has changed since you checked it (a child was decided or left the "
            "list). Nothing was confirmed: check the group again."
        )
    label = group_label(outcome, agreement)
    decisions = []
    for proposal in members:
        try:
            decisions.append(confirm(actor, proposal, note, group=label))
        except IntakeError as error:
            name = proposal.referral.patient.full_name
            raise IntakeError(f"{name}: {error} Nothing in the group was confirmed.") from error
    return decisions
