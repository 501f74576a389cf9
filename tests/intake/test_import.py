"""Importing a legacy list: what was read is shown first, every row is accounted for, and the
children are put on the list all at once or not at all."""

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clearway.accounts.models import User
from clearway.audit.models import AuditAction, AuditEntry
from clearway.intake import services
from clearway.intake.models import ImportRow, LegacyImport, RowOutcome, Upload
from clearway.pathways import services as pathway
from clearway.pathways.models import Event, EventKind, Patient, Referral, RequirementState
from clearway.services.models import Service
from clearway.validation.readers import read_legacy
from tests.intake.conftest import LEGACY_SAMPLE
from tests.pathways.test_views import error_summary, page, text_of

pytestmark = pytest.mark.django_db

UPLOAD_LIST = reverse("intake:upload-list")

# A list whose date-of-birth column Clearway cannot recognise by its header ("Born").
ODD_LIST = (
    "Waiting list for SCD, printed 1 May 2021\n"
    "\n"
    "Patient Name,NHS No,Born,Date Ref Rec'd,Comments\n"
    '"SMITH, Ann",999 171 7811,03/02/2016,04/05/2020,\n'
    "Ben Jones,,04/03/2015,05/06/2020,moved?\n"
    "Cara Lee,9990000019,05/04/2014,06/07/2020,\n"
    '"SMITH, Ann",999 171 7811,03/02/2016,04/05/2020,entered twice\n'
    ",,,,\n"
    "Dev Patel,,,07/08/2020,no DOB\n"
    "Total: 5,,,,\n"
)


def check_url(upload: Upload) -> str:
    return reverse("intake:check-list", kwargs={"upload": upload.pk})


def uploaded(client: Client, name: str, content: bytes) -> Upload:
    response = client.post(UPLOAD_LIST, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, error_summary(response)
    return Upload.objects.latest("pk")


def mapping_post(upload: Upload, changes: dict[str, str], **extra: str) -> dict[str, str]:
    """The mapping form as posted: each column as read, with ``changes`` by column letter."""
    legacy = read_legacy(upload.path)
    data = {
        f"column_{c.letter}": c.field or ""
        for c in legacy.columns
        if not c.header.startswith("column ")
    }
    data.update({f"column_{letter}": field for letter, field in changes.items()})
    data.update(extra)
    return data


def test_the_check_page_shows_what_was_read_and_saves_nothing(
    coordinator_client: Client, upload_dir: Path
) -> None:
    upload = uploaded(coordinator_client, "legacy_ptl.xlsx", LEGACY_SAMPLE.read_bytes())
    response = coordinator_client.get(check_url(upload))
    html = page(response)
    text = html.all_text()
    assert "80 children's rows" in " ".join(text.split()).replace(
        "Children's rows 80", "80 children's rows"
    )
    columns = [
        [cell.all_text() for cell in row.find_all("td")][:3]
        for row in html.find("table", id="column-mapping").find("tbody").find_all("tr")
    ]
    assert ["A", "NHS Number", "NHS number (from its header)"] in columns
    assert ["D", "Date of Birth", "Date of birth (from its header)"] in columns
    # Rows whose referral date is before the birth date cannot be imported, and say why.
    refused = {
        row.find_all("td")[0].all_text(): row.find_all("td")[1].all_text()
        for row in html.find("table", id="refused-rows").find("tbody").find_all("tr")
    }
    assert "18" in refused and "before the birth date" in refused["18"]
    assert "Row 84: footer row: 'Total: 80'" in text
    assert Referral.objects.unscoped().count() == 0
    assert Patient.objects.unscoped().count() == 0


def test_a_column_the_header_does_not_name_is_mapped_before_import(
    coordinator_client: Client, upload_dir: Path
) -> None:
    upload = uploaded(coordinator_client, "odd.csv", ODD_LIST.encode())
    first = coordinator_client.get(check_url(upload))
    assert "No column is read as the date of birth" in text_of(first)
    assert "Import 1 child" not in text_of(first)

    # When the coordinator says column C ("Born") is the date of birth, and checks again
    checked = coordinator_client.post(
        check_url(upload), mapping_post(upload, {"C": "birth_date"}, action="check")
    )
    text = text_of(checked)
    assert "No column is read as the date of birth" not in text
    assert "Date of birth (as you chose)" in text
    assert "3 of 5 children can be imported" in " ".join(text.split())
    assert Referral.objects.unscoped().count() == 0  # still nothing saved

    # Importing needs the coordinator to acknowledge the rows left out
    refused = coordinator_client.post(
        check_url(upload), mapping_post(upload, {"C": "birth_date"}, action="import")
    )
    assert any(
        "Confirm that you understand which rows will not be imported" in m
        for m, _ in error_summary(refused)
    )
    assert Referral.objects.unscoped().count() == 0

    done = coordinator_client.post(
        check_url(upload),
        mapping_post(upload, {"C": "birth_date"}, action="import", acknowledge="on"),
    )
    batch = LegacyImport.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("intake:import", kwargs={"batch": batch.pk})
    assert batch.mapping["Born"] == "birth_date"
    children = sorted(
        Referral.objects.unscoped().values_list("patient__family_name", "patient__birth_date")
    )
    assert children == [
        ("Jones", dt.date(2015, 3, 4)),
        ("Lee", dt.date(2014, 4, 5)),
        ("Smith", dt.date(2016, 2, 3)),
    ]
    rows = {row.source_row: row for row in ImportRow.objects.all()}
    # Every row of the file is accounted for: title and blank above the header, each child,
    # a blank row and the footer.
    assert sorted(rows) == [1, 2, 4, 5, 6, 7, 8, 9, 10]
    assert rows[4].outcome == RowOutcome.IMPORTED and rows[4].raw["Patient Name"] == "SMITH, Ann"
    # A mistyped NHS number (its check digit fails) does not keep a child off the list: they
    # are imported without it, with a note, and the cell as it was.
    assert rows[6].outcome == RowOutcome.IMPORTED
    assert rows[6].referral is not None and rows[6].referral.patient.nhs_number is None
    assert "imported without its NHS number" in rows[6].reasons[0]
    assert rows[6].nhs_number_problem and rows[6].raw["NHS No"] == "9990000019"
    assert rows[7].outcome == RowOutcome.NOT_IMPORTED
    assert "the same NHS number (999 171 7811) as row 4" in rows[7].reasons
    assert rows[9].outcome == RowOutcome.NOT_IMPORTED and "no date of birth" in rows[9].reasons
    assert rows[10].outcome == RowOutcome.SKIPPED

    # The import's page lists the rows left out, with their original cells
    shown = text_of(coordinator_client.get(done["Location"]))
    assert "Rows not imported (2)" in shown
    assert "Dev Patel" in shown


def test_the_sample_list_imports_every_importable_row_with_its_original_cells(
    sample_import: LegacyImport, service: Service
) -> None:
    legacy = read_legacy(LEGACY_SAMPLE)
    referrals = Referral.objects.for_service(service)
    assert referrals.count() == sample_import.imported_count
    assert sample_import.imported_count + sample_import.not_imported_count == len(legacy.rows)
    assert sample_import.skipped_count == len(legacy.skipped) == 3
    assert ImportRow.objects.count() == len(legacy.rows) + len(legacy.skipped)
    row = ImportRow.objects.get(source_row=2)
    assert row.raw["NHS Number"] == "9998151414"
    assert row.raw["Panel Date"] == "2021-03-31"
    referral = row.referral
    assert referral is not None
    assert referral.received_on == dt.date(2020, 11, 28)
    assert referral.patient.birth_date == dt.date(2007, 1, 28)
    states = dict(referral.requirements.values_list("kind", "state"))
    assert states == {
        "school_report": RequirementState.RECEIVED,
        "salt_report": RequirementState.REQUESTED,
        "consent": RequirementState.RECEIVED,
    }
    event = Event.objects.get(referral=referral)
    assert event.kind == EventKind.REFERRAL_RECEIVED
    assert event.effective == dt.date(2020, 11, 28)
    assert event.actor_name == "Sam Coordinator"


def test_a_child_already_known_is_not_created_twice(
    upload: Callable[..., Upload],
    coordinator: User,
    make_referral: Callable[..., Referral],
    other_service: Service,
    service: Service,
    tmp_path: Path,
) -> None:
    # Nia is on another service's list; Omar is on this one's already.
    nia = make_referral(
        service=other_service,
        given_name="Nia",
        family_name="Brown",
        birth_date=dt.date(2016, 2, 1),
        nhs_number="9991717811",
    )
    omar = make_referral(
        given_name="Omar",
        family_name="Said",
        birth_date=dt.date(2015, 1, 1),
        nhs_number="9990000026",
    )
    path = tmp_path / "list.csv"
    path.write_text(
        "NHS Number,Surname,Forename,DOB,Referral date\n"
        "9991717811,Brown,Nia,01/02/2016,03/02/2021\n"
        "9990000026,Said,Omar,01/01/2015,03/02/2021\n"
        "9990000019,Other,Olga,01/01/2013,03/02/2021\n",
        encoding="utf-8",
    )
    patients = Patient.objects.unscoped().count()
    batch = services.import_legacy_list(coordinator, upload(path))
    rows = {r.source_row: r for r in batch.rows.all()}
    assert rows[2].outcome == RowOutcome.IMPORTED
    assert rows[2].referral is not None and rows[2].referral.patient_id == nia.patient_id
    assert rows[3].outcome == RowOutcome.NOT_IMPORTED
    assert rows[3].reasons == ["Omar Said is already on the list, referred 1 January 2020"]
    # Olga's number fails its check digit: she is a new child, imported without it.
    assert rows[4].outcome == RowOutcome.IMPORTED
    assert Patient.objects.unscoped().count() == patients + 1
    assert Referral.objects.for_service(service).filter(patient=omar.patient).count() == 1


def test_a_number_held_by_a_child_with_another_birth_date_is_not_imported(
    upload: Callable[..., Upload],
    coordinator: User,
    make_referral: Callable[..., Referral],
    other_service: Service,
    tmp_path: Path,
) -> None:
    make_referral(service=other_service, nhs_number="9991717811", birth_date=dt.date(2016, 2, 1))
    path = tmp_path / "list.csv"
    path.write_text(
        "NHS Number,Surname,Forename,DOB,Referral date\n"
        "9991717811,Brown,Nia,02/02/2016,03/02/2021\n"
        "9997430816,Jackson,Elia,28/04/2014,07/09/2020\n",
        encoding="utf-8",
    )
    batch = services.import_legacy_list(coordinator, upload(path))
    refused = batch.rows.get(source_row=2)
    assert refused.outcome == RowOutcome.NOT_IMPORTED
    assert "check the number and the date of birth" in refused.reasons[0]


def test_an_import_that_fails_part_way_saves_nothing(
    upload: Callable[..., Upload],
    coordinator: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = upload(LEGACY_SAMPLE)
    real = pathway.add_referrals

    def fails_once_written(actor: Any, service: Any, rows: Any, **kwargs: Any) -> Any:
        real(actor, service, rows, **kwargs)
        assert Referral.objects.unscoped().count() == len(rows)  # every child written, then
        raise pathway.PathwayError("the list changed", row=4)

    monkeypatch.setattr(pathway, "add_referrals", fails_once_written)
    with pytest.raises(services.IntakeError, match="so nothing was imported"):
        services.import_legacy_list(coordinator, sample)
    assert Referral.objects.unscoped().count() == 0
    assert Patient.objects.unscoped().count() == 0
    assert Event.objects.count() == 0
    assert LegacyImport.objects.count() == 0
    assert ImportRow.objects.count() == 0


def test_a_child_put_on_the_list_since_the_check_stops_the_import_at_their_row(
    upload: Callable[..., Upload],
    coordinator: User,
    service: Service,
    make_referral: Callable[..., Referral],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample = upload(LEGACY_SAMPLE)
    checked = services.plan_import(service, services.read_upload(sample))
    row = next(p.row for p in checked.importable[3:] if p.row.nhs_number)
    # While the coordinator read the check page, a colleague added this child by hand.
    make_referral(nhs_number=row.nhs_number, birth_date=row.birth_date, hospital_number=None)
    monkeypatch.setattr(services, "plan_import", lambda service, legacy: checked)
    with pytest.raises(services.IntakeError) as refused:
        services.import_legacy_list(coordinator, sample)
    assert str(refused.value).startswith(f"Row {row.source_row} could not be imported (")
    assert "is already on the list" in str(refused.value)
    assert "so nothing was imported" in str(refused.value)
    assert Referral.objects.unscoped().count() == 1  # the colleague's
    assert Patient.objects.unscoped().count() == 1
    assert LegacyImport.objects.count() == 0
    assert ImportRow.objects.count() == 0


def test_the_same_file_is_not_imported_twice(
    sample_import: LegacyImport, upload: Callable[..., Upload], coordinator: User
) -> None:
    again = upload(LEGACY_SAMPLE)
    with pytest.raises(services.IntakeError, match="already imported"):
        services.import_legacy_list(coordinator, again)


def test_an_imported_upload_goes_to_its_import(
    coordinator_client: Client, sample_import: LegacyImport
) -> None:
    response = coordinator_client.get(check_url(sample_import.upload))
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:import", kwargs={"batch": sample_import.pk})


def test_importing_is_audited_child_by_child(coordinator_client: Client, upload_dir: Path) -> None:
    upload = uploaded(coordinator_client, "legacy_ptl.xlsx", LEGACY_SAMPLE.read_bytes())
    response = coordinator_client.post(
        check_url(upload), mapping_post(upload, {}, action="import", acknowledge="on")
    )
    assert response.status_code == 302
    batch = LegacyImport.objects.get()
    entries = AuditEntry.objects.filter(action=AuditAction.CHANGE, patient__isnull=False)
    assert entries.count() == batch.imported_count


def test_two_columns_read_as_the_same_field_are_refused(
    coordinator_client: Client, upload_dir: Path
) -> None:
    upload = uploaded(coordinator_client, "legacy_ptl.xlsx", LEGACY_SAMPLE.read_bytes())
    response = coordinator_client.post(
        check_url(upload), mapping_post(upload, {"E": "birth_date"}, action="check")
    )
    messages = [m for m, _ in error_summary(response)]
    assert "Column D and column E are both read as date of birth: choose one" in messages
