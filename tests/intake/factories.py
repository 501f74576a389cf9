"""Intake records for tests that walk every page (permissions, scoping, CSP): one of each, for
the service of a given referral."""

import datetime as dt
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from clearway.intake.models import (
    ImportRow,
    LegacyImport,
    Outcome,
    Proposal,
    RowOutcome,
    Upload,
    UploadKind,
    ValidationRun,
)
from clearway.intake.presenters import group_slug
from clearway.pathways.models import Referral

LEGACY_CSV = (
    "NHS Number,Surname,Forename,Date of Birth,Referral Received\n"
    "9991717811,Brown,Nia,01/02/2016,03/02/2021\n"
)
PAS_CSV = (
    "pas_id,nhs_number,family_name,given_name,birth_date,event,event_date,clinic\n"
    "RX0000001,9991717811,BROWN,Nia,2016-02-01,attended,2021-03-01,SCD Panel\n"
)
AGREEMENT = "NHS number, name and birth date agree"


def stored_upload(service: Any, kind: str, content: str, name: str) -> Upload:
    """An upload with its file in place, as ``receive_upload`` would leave it."""
    data = content.encode()
    folder = Path(settings.CLEARWAY_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.csv"
    (folder / stored).write_bytes(data)
    return Upload.objects.create(
        service=service,
        kind=kind,
        original_name=name,
        stored_name=stored,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_name="Clearway tests (system)",
    )


def intake_objects(referral: Referral) -> dict[str, Any]:
    """A legacy upload not yet imported, an import, and a validation with one proposal (seen,
    high confidence: a group) for ``referral``, all in the referral's service."""
    service = referral.service
    fresh = stored_upload(service, UploadKind.LEGACY_LIST, LEGACY_CSV, "list.csv")
    imported = stored_upload(service, UploadKind.LEGACY_LIST, LEGACY_CSV + "\n", "old.csv")
    batch = LegacyImport.objects.create(
        service=service,
        upload=imported,
        sheet="old.csv",
        header_row=1,
        imported_by_name="Clearway tests (system)",
        imported_count=1,
    )
    ImportRow.objects.create(
        batch=batch, source_sheet="old.csv", source_row=2, outcome=RowOutcome.IMPORTED
    )
    pas = stored_upload(service, UploadKind.PAS_EXTRACT, PAS_CSV, "pas.csv")
    run = ValidationRun.objects.create(
        service=service,
        pas_upload=pas,
        as_of=dt.date(2021, 5, 3),
        panel_clinic="SCD Panel",
        list_size=1,
        counts={"seen": 1},
        created_by_name="Clearway tests (system)",
    )
    proposal = Proposal.objects.create(
        run=run,
        referral=referral,
        outcome=Outcome.SEEN,
        reason="Seen: attended SCD Panel on 1 Mar 2021.",
        pas_id="RX0000001",
        match="nhs_number",
        agreement=AGREEMENT,
        confidence="high",
        event="attended",
        event_date=max(dt.date(2021, 3, 1), referral.received_on),
        list_record={
            "nhs_number": referral.patient.nhs_number or "",
            "given_name": referral.patient.given_name,
            "family_name": referral.patient.family_name,
            "birth_date": referral.patient.birth_date.isoformat(),
            "referral_date": referral.received_on.isoformat(),
        },
        evidence_key="0" * 64,
    )
    return {
        "upload": fresh.pk,
        "batch": batch.pk,
        "run": run.pk,
        "proposal": proposal.pk,
        "group": group_slug(Outcome.SEEN, AGREEMENT),
    }
