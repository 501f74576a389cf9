"""Load the demo service: a synthetic list shaped like the case on the day its recovery began.

``clearway demo`` calls :func:`load_demo`. It writes, in one transaction, four consultants,
about thirty schools, the children with their carers, referrals, requirements and the history
the service would have recorded (so the list "as recorded" on any past day works), the demo
staff sign-ins, and standard work as it stands on the day: ten weeks of the worklist in use
and today's tasks (:mod:`clearway.demo.contact`). Two services share the installation: SCD
assessment holds the case's list, and a small autism assessment service, with its own pathway,
shows staff of one service cannot see the other's children. It then writes the PAS extract that
validation will use, and the answers a careful person would reach (``pas_truth.csv``), under
``VAR_DIR/demo/``.

Rows are built in Python and inserted with ``bulk_create`` in batches: 100,000 children load
in minutes on SQLite. Everything is invented: NHS numbers are in the 999 test range.
"""

import csv
import datetime as dt
import statistics
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from clearway.accounts.models import User
from clearway.accounts.services import create_user
from clearway.contact.models import (
    ChaseRuleChange,
    ChaseRuleSetting,
    MessageTemplate,
    ServiceContactDetails,
)
from clearway.core.actors import SystemActor, actor_fields
from clearway.core.db import refresh_statistics
from clearway.demo.contact import prepare_standard_work, worklist_summary
from clearway.demo.inbox import load_demo_inbox
from clearway.demo.plan import DemoPlan, PasEvent, PlannedChild
from clearway.demo.staff import DEMO_PASSWORD, DEMO_SERVICES, DEMO_USERS
from clearway.documents.models import Document
from clearway.inbox.models import InboxAttachment, InboxMessage, Mailbox
from clearway.intake.models import LegacyImport, Upload, ValidationRun
from clearway.pathways.models import (
    Carer,
    Consultant,
    Event,
    Patient,
    Referral,
    Requirement,
    School,
    Status,
)
from clearway.services.models import Service
from clearway.validation.engine import PAS_COLUMNS

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DemoAlreadyLoaded", "load_demo"]

#: The size of the case's list on the day its recovery began.
CASE_LIST_SIZE = 1109
#: The children planned for the demo's second service, the autism assessment one.
AUTISM_LIST_SIZE = 60
#: Added to the seed to plan the second service's children, so they are other children.
AUTISM_SEED_OFFSET = 1_000_003
#: Children written per round of inserts.
BATCH = 2000
ACTOR = SystemActor("Clearway demo")
#: Every pathway table, children's dependants first; before them, the intake records of
#: uploads, imports and validations, which belong to the list being reset.
PATHWAY_MODELS: tuple[type[models.Model], ...] = (
    ValidationRun,
    LegacyImport,
    Upload,
    Event,
    Requirement,
    Referral,
    Carer,
    Patient,
    School,
    Consultant,
)
#: A service's own standard-work settings, which the demo sets up again: chase rules changed
#: (and the record of each change), templates, contact details. (The worklist's tasks, the
#: contact log and messages point at referrals, so they go with them.)
CONTACT_MODELS: tuple[type[models.Model], ...] = (
    ChaseRuleChange,
    ChaseRuleSetting,
    MessageTemplate,
    ServiceContactDetails,
)
#: The shared inbox: its messages point at children, and the demo's mailbox is loaded again.
#: (Clearway never deletes them: only a reset does, by SQL, with their files.)
INBOX_MODELS: tuple[type[models.Model], ...] = (InboxAttachment, InboxMessage, Mailbox)
TRUTH_COLUMNS = ("referral_id", "hospital_number", "truth", "duplicate_of")
_PAS_EVENT_ORDER = {
    "referral": 0,
    "attended": 1,
    "was_not_brought": 1,
    "cancelled": 1,
    "discharged": 2,
    "deceased": 3,
}


class DemoAlreadyLoaded(Exception):
    """The demo (or any list) is already in the database and no reset was asked for."""


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def load_demo(
    seed: int = 1,
    today: dt.date | None = None,
    reset: bool = False,
    children: int = CASE_LIST_SIZE,
    autism_children: int = AUTISM_LIST_SIZE,
) -> str:
    """Load the demo service as it stood on ``today``; return a short summary to print.

    The same seed and day give the same service, down to names and NHS numbers. Refuses if a
    list is already loaded, unless ``reset``, which first deletes every child, referral and
    event (staff sign-ins stay).
    """
    real_today = timezone.localdate()
    today = today or real_today
    if today > real_today:
        raise ValueError(
            f"The demo cannot stand on {_day(today)}: that is in the future "
            f"(today is {_day(real_today)})."
        )
    with transaction.atomic():
        services = _ensure_services()
        scd, autism = services["scd"], services["autism"]
        plan = DemoPlan(
            seed, today, children, scd.pathway.requirement_keys, ZoneInfo(settings.TIME_ZONE)
        )
        if reset:
            _wipe()
        elif Referral.objects.unscoped().exists():
            waiting = Referral.objects.for_service(scd).waiting().count()
            raise DemoAlreadyLoaded(
                f"The demo service is already loaded ({_plural(waiting, 'child', 'children')} on "
                "the list). Run `clearway demo --reset` to load it again."
            )
        _ensure_staff(services)
        consultants, schools = _insert_shared(plan)
        loaded = _insert(plan, scd, consultants, schools)
        autism_loaded = _insert(
            DemoPlan(
                seed + AUTISM_SEED_OFFSET,
                today,
                autism_children,
                autism.pathway.requirement_keys,
                ZoneInfo(settings.TIME_ZONE),
            ),
            autism,
            consultants,
            schools,
            skip=loaded.identifiers,
        )
        # The planner needs to know what the tables hold before standard work reads them
        # (PostgreSQL would otherwise run its joins over the new children as if empty).
        refresh_statistics()
        for service in (scd, autism):
            prepare_standard_work(service, seed, today)
        folder = Path(settings.VAR_DIR) / "demo"
        inbox = load_demo_inbox(scd, folder, seed, today)
        refresh_statistics()
    folder.mkdir(parents=True, exist_ok=True)
    extract = folder / "pas_extract.csv"
    _write_csv(extract, PAS_COLUMNS, _pas_rows(loaded.pas_people, plan))
    _write_csv(folder / "pas_truth.csv", TRUTH_COLUMNS, loaded.truth)
    waits = loaded.waits
    return "\n".join(
        [
            f"Loaded the demo service (seed {seed}) as it stood on {_day(today)}:",
            f"  {_plural(len(waits), 'child', 'children')} on the list, "
            f"mean wait {statistics.fmean(waits):.0f} days, longest {max(waits):,} days",
            f"  {loaded.ready:,} ready for panel, "
            f"{len(waits) - loaded.ready:,} awaiting information",
            f"  today's work: {worklist_summary(scd, today)}",
            f"  {inbox.summary()}",
            f"  PAS extract to validate against: {extract}",
            f"and the {autism.name} service beside it: "
            f"{_plural(len(autism_loaded.waits), 'child', 'children')} on its list",
        ]
    )


def _wipe() -> None:
    """Delete every pathway row, and any row (in other apps) that points at one, and the
    services' standard-work settings (``CONTACT_MODELS``); keep staff.

    Events cannot be deleted through the app, and on PostgreSQL a trigger refuses DELETE, so
    this is raw SQL: TRUNCATE on PostgreSQL (which the trigger leaves alone), DELETE elsewhere.
    The tables are named, not cascaded to: were a staff record ever to point at a pathway row,
    the reset would fail loudly rather than take the staff with it.
    """
    stored = [upload.path for upload in Upload.objects.all()]
    stored += [document.path for document in Document.objects.unscoped().only("stored_name")]
    stored += [m.path for m in InboxMessage.all_objects.only("stored_name")]
    stored += [a.path for a in InboxAttachment.all_objects.only("stored_name")]
    # The uploaded files (lists, extracts, children's reports) go once the reset is saved (not
    # before: it may yet roll back).
    transaction.on_commit(lambda: [path.unlink(missing_ok=True) for path in stored])
    # The inbox first: its messages point at children, documents and the mailbox.
    models_ = [*INBOX_MODELS, *_with_dependants(PATHWAY_MODELS + CONTACT_MODELS)]
    tables = list(dict.fromkeys(model._meta.db_table for model in models_))
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE refuses while deferred foreign-key checks are pending in this
            # transaction (rows inserted earlier in it): run them now, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)} RESTART IDENTITY")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        for table in tables:
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608 - our own table names
        if connection.vendor == "sqlite":  # number from 1 again, so a reload is identical
            marks = ", ".join("%s" for _ in tables)
            cursor.execute(f"DELETE FROM sqlite_sequence WHERE name IN ({marks})", tables)  # noqa: S608


def _with_dependants(roots: tuple[type[models.Model], ...]) -> list[type[models.Model]]:
    """These models and any whose rows point at them, however indirectly, dependants first.

    Staff (the user model) are never included.
    """
    found: list[type[models.Model]] = []
    pending = list(roots)
    while pending:
        model = pending.pop(0)
        if model in found or model is User:
            continue
        found.append(model)
        relations = [
            field
            for field in model._meta.get_fields(include_hidden=True)
            if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
        ]
        for relation in relations:
            for dependant in (relation.related_model, getattr(relation, "through", None)):
                if isinstance(dependant, type) and issubclass(dependant, models.Model):
                    pending.append(dependant)
    return [*reversed([m for m in found if m not in roots]), *roots]


def _ensure_services() -> dict[str, Service]:
    return {
        slug: Service.objects.get_or_create(
            slug=slug, defaults={"name": name, "pathway_key": pathway_key}
        )[0]
        for slug, (name, pathway_key) in DEMO_SERVICES.items()
    }


def _ensure_staff(services: dict[str, Service]) -> None:
    existing = {
        user.username: user
        for user in User.objects.filter(username__in=[u.username for u in DEMO_USERS])
    }
    for demo_user in DEMO_USERS:
        user = existing.get(demo_user.username) or create_user(
            demo_user.username,
            DEMO_PASSWORD,
            demo_user.role,
            first_name=demo_user.first_name,
            last_name=demo_user.last_name,
            email=f"{demo_user.username}@example.org",
        )
        user.services.add(*(services[slug] for slug in demo_user.services))


#: Who PAS knows: pas_id, NHS number, family and given names, birth date, events.
PasPerson = tuple[str, str, str, str, dt.date, list[PasEvent]]


class _Loaded:
    """What the summary and the files need from the rows written."""

    def __init__(self) -> None:
        self.waits: list[int] = []
        self.ready = 0
        self.truth: list[tuple[Any, ...]] = []
        self.pas_people: list[PasPerson] = []
        #: NHS and hospital numbers written, so another service's children are other children.
        self.identifiers: set[str] = set()


def _batches(items: Iterator[PlannedChild], size: int) -> Iterator[list[PlannedChild]]:
    while batch := list(islice(items, size)):
        yield batch


def _insert_shared(plan: DemoPlan) -> tuple[list[Consultant], list[School]]:
    """The consultants and schools, which every service shares."""
    consultants = Consultant.objects.bulk_create(Consultant(name=name) for name in plan.consultants)
    schools = School.objects.bulk_create(
        School(
            name=s["name"],
            phone=s["phone"],
            email=s["email"],
            address=f"{s['address']}\n{s['postcode']}",
        )
        for s in plan.schools
    )
    return consultants, schools


def _insert(
    plan: DemoPlan,
    service: Service,
    consultants: list[Consultant],
    schools: list[School],
    skip: frozenset[str] | set[str] = frozenset(),
) -> _Loaded:
    """The plan's children, referred to ``service``, but none whose NHS or hospital number is
    in ``skip`` (children of another service), nor their second entries."""
    actor = actor_fields(ACTOR)
    loaded = _Loaded()
    referral_ids: dict[int, int] = {}
    skipped: set[int] = set()

    def kept(child: PlannedChild) -> bool:
        if {child.nhs_number, child.hospital_number} & skip or child.duplicate_of in skipped:
            skipped.add(child.number)
            return False
        return True

    for batch in _batches(filter(kept, plan.children()), BATCH):
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    nhs_number=c.nhs_number,
                    hospital_number=c.hospital_number,
                    given_name=c.given_name,
                    family_name=c.family_name,
                    birth_date=c.birth_date,
                    address=c.address,
                    postcode=c.postcode,
                    school=schools[c.school % len(schools)],
                    gp_practice=c.gp_practice,
                    looked_after=c.looked_after,
                    social_worker_name=c.social_worker_name,
                    social_worker_phone=c.social_worker_phone,
                    social_worker_email=c.social_worker_email,
                )
                for c in batch
            ],
            batch_size=BATCH,
        )
        Carer.objects.bulk_create(
            [
                Carer(patient_id=p.pk, **carer)
                for c, p in zip(batch, patients, strict=True)
                for carer in c.carers
            ],
            batch_size=BATCH,
        )
        referrals = Referral.objects.bulk_create(
            [
                Referral(
                    service=service,
                    patient_id=p.pk,
                    received_on=c.received_on,
                    source=c.source,
                    consultant=None if c.consultant is None else consultants[c.consultant],
                    priority=c.priority,
                    status=c.status,
                    ready_on=c.ready_on,
                    created_at=c.events[0].recorded_at,
                )
                for c, p in zip(batch, patients, strict=True)
            ],
            batch_size=BATCH,
        )
        Requirement.objects.bulk_create(
            [
                Requirement(
                    referral_id=r.pk,
                    kind=q.key,
                    state=q.state,
                    requested_on=q.requested_on,
                    received_on=q.received_on,
                )
                for c, r in zip(batch, referrals, strict=True)
                for q in c.requirements
            ],
            batch_size=BATCH,
        )
        Event.objects.bulk_create(
            [
                Event(
                    referral_id=r.pk,
                    kind=e.kind,
                    effective=e.effective,
                    recorded_at=e.recorded_at,
                    status_before=e.status_before,
                    status_after=e.status_after,
                    details=e.details,
                    **actor,
                )
                for c, r in zip(batch, referrals, strict=True)
                for e in c.events
            ],
            batch_size=BATCH,
        )
        for c, r in zip(batch, referrals, strict=True):
            referral_ids[c.number] = r.pk
            loaded.identifiers.update(n for n in (c.nhs_number, c.hospital_number) if n)
            loaded.waits.append((plan.today - c.received_on).days)
            loaded.ready += c.status == Status.READY_FOR_PANEL
            duplicate_of = "" if c.duplicate_of is None else referral_ids[c.duplicate_of]
            loaded.truth.append((r.pk, c.hospital_number or "", c.truth, duplicate_of))
            if c.pas_id and c.pas_events:  # a second entry adds nothing to PAS
                loaded.pas_people.append(
                    (
                        c.pas_id,
                        c.pas_nhs_number,
                        c.family_name,
                        c.given_name,
                        c.birth_date,
                        c.pas_events,
                    )
                )
    return loaded


def _pas_rows(people: list[PasPerson], plan: DemoPlan) -> list[tuple[str, ...]]:
    """One row per PAS event, by date: the list's children and those PAS alone knows."""
    people = people + [
        (p.pas_id, p.nhs_number, p.family_name, p.given_name, p.birth_date, p.pas_events)
        for p in plan.pas_only()
    ]
    rows = [
        (
            event.event_date,
            _PAS_EVENT_ORDER[event.event],
            pas_id,
            (
                pas_id,
                nhs,
                family.upper(),
                given,
                birth.isoformat(),
                event.event,
                event.event_date.isoformat(),
                event.clinic,
            ),
        )
        for pas_id, nhs, family, given, birth, events in people
        for event in events
    ]
    rows.sort(key=lambda row: row[:3])
    return [row[3] for row in rows]


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    partial.replace(path)
