"""Uploads: a bad file gets a clear message and changes nothing; a good one is kept safely."""

import hashlib
import io
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from clearway.audit.models import AuditAction, AuditEntry
from clearway.intake.models import Upload, UploadKind
from clearway.pathways.models import Patient, Referral
from tests.intake.conftest import AS_OF, INTAKE_DATA, LEGACY_SAMPLE, PAS_SAMPLE
from tests.pathways.test_views import error_summary as summary_items

pytestmark = pytest.mark.django_db

UPLOAD_LIST = reverse("intake:upload-list")
VALIDATE = reverse("intake:validate")
HTML = b"<!DOCTYPE html><html><body><script>alert('x')</script></body></html>"
PAS_HEADER = "pas_id,nhs_number,family_name,given_name,birth_date,event,event_date,clinic\n"


def post_list(client: Client, name: str, content: bytes) -> Any:
    return client.post(UPLOAD_LIST, {"file": SimpleUploadedFile(name, content)})


def post_pas(client: Client, name: str, content: bytes, as_of: Any = AS_OF) -> Any:
    return client.post(
        VALIDATE,
        {
            "file": SimpleUploadedFile(name, content),
            "as_of_day": as_of.day,
            "as_of_month": as_of.month,
            "as_of_year": as_of.year,
        },
    )


def error_summary(response: Any) -> str:
    """The messages of the page's NHS.UK error summary, which must have one."""
    assert response.status_code == 200, response.status_code
    items = summary_items(response)
    assert items, "no error summary on the page"
    return " ".join(message for message, _ in items)


def nothing_changed(upload_dir: Path) -> None:
    assert Upload.objects.count() == 0
    assert not upload_dir.exists() or not any(upload_dir.iterdir())
    assert Referral.objects.unscoped().count() == 0
    assert Patient.objects.unscoped().count() == 0


def xlsx_without_a_sheet() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return data.getvalue()


BAD_LISTS = [
    ("empty.csv", b"", "empty.csv: the file is empty"),
    (
        "no-header.csv",
        b"just some words\nand more words\n1,2,3\n",
        "no-header.csv: no header row found",
    ),
    ("page.xlsx", HTML, "page.xlsx: is not a real xlsx spreadsheet"),
    ("page.csv", HTML, "page.csv: is a web page, not a csv file"),
    ("binary.csv", b"NHS Number,Name\n999\x00123,Ann Other\n", "is not a text csv file"),
    ("zip.xlsx", xlsx_without_a_sheet(), "zip.xlsx: is not a real xlsx spreadsheet"),
    ("old.xls", b"NHS Number,Name\n", "old.xls: is not a real xls spreadsheet"),
    ("list.pdf", b"%PDF-1.4", "must be an xlsx, xlsm, xls, ods or csv file"),
    (
        "password_protected.xlsx",
        (INTAKE_DATA / "password_protected.xlsx").read_bytes(),
        "password_protected.xlsx: the workbook is password-protected",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_LISTS, ids=[b[0] for b in BAD_LISTS])
def test_a_bad_list_gets_a_clear_message_and_changes_nothing(
    coordinator_client: Client, upload_dir: Path, name: str, content: bytes, message: str
) -> None:
    response = post_list(coordinator_client, name, content)
    assert message in error_summary(response)
    nothing_changed(upload_dir)


def test_a_list_over_the_size_limit_is_refused(
    coordinator_client: Client, upload_dir: Path, settings: Any
) -> None:
    settings.CLEARWAY_UPLOAD_MAX_BYTES = 1024
    response = post_list(coordinator_client, "big.csv", b"NHS Number,Name\n" + b"x" * 2000)
    assert "big.csv: the file is larger than" in error_summary(response)
    nothing_changed(upload_dir)


BAD_EXTRACTS = [
    (
        "no-event.csv",
        b"pas_id,nhs_number,family_name,given_name,birth_date,event_date,clinic\n"
        b"RX1,9991717811,BROWN,Nia,2016-02-01,2021-03-01,SCD Panel\n",
        r"no-event\.csv: the PAS extract .*'event'",
    ),
    ("pas.xlsx", (LEGACY_SAMPLE).read_bytes(), r"pas\.xlsx: the PAS extract must be a csv file"),
    ("pas.csv", HTML, r"pas\.csv: is a web page, not a csv file"),
    ("empty.csv", b"", r"empty\.csv: the file is empty"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), BAD_EXTRACTS, ids=[b[0] for b in BAD_EXTRACTS]
)
def test_a_bad_pas_extract_gets_a_clear_message_and_changes_nothing(
    coordinator_client: Client,
    upload_dir: Path,
    make_referral: Callable[..., Referral],
    name: str,
    content: bytes,
    message: str,
) -> None:
    make_referral()
    response = post_pas(coordinator_client, name, content)
    assert re.search(message, error_summary(response))
    assert Upload.objects.count() == 0
    assert not any(upload_dir.iterdir()) if upload_dir.exists() else True
    assert Referral.objects.unscoped().get().status == "awaiting_information"


def test_a_good_list_is_kept_under_a_generated_name_outside_the_web_root(
    coordinator_client: Client, upload_dir: Path
) -> None:
    content = LEGACY_SAMPLE.read_bytes()
    response = post_list(coordinator_client, "../../Our list.xlsx", content)
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:check-list", kwargs={"upload": upload.pk})
    assert upload.kind == UploadKind.LEGACY_LIST
    assert upload.original_name == "Our list.xlsx"  # shown, never used as a path
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.path.parent == upload_dir
    assert "Our list" not in upload.stored_name and upload.stored_name.endswith(".xlsx")
    assert upload.path.read_bytes() == content
    assert stat.S_IMODE(upload.path.stat().st_mode) == 0o600
    static_root = Path(django_settings.STATIC_ROOT).resolve()
    assert static_root not in upload.path.resolve().parents
    assert AuditEntry.objects.filter(
        action=AuditAction.CHANGE, obj=f"upload {upload.pk}: waiting list"
    ).exists()


def test_the_uploads_folder_is_not_served(
    coordinator_client: Client, upload_dir: Path, settings: Any
) -> None:
    post_list(coordinator_client, "list.xlsx", LEGACY_SAMPLE.read_bytes())
    upload = Upload.objects.get()
    for guess in (f"/var/uploads/{upload.stored_name}", f"/static/{upload.stored_name}"):
        assert coordinator_client.get(guess).status_code == 404


def test_a_file_is_given_back_only_as_an_attachment_that_is_not_sniffed(
    coordinator_client: Client, upload_dir: Path
) -> None:
    post_list(coordinator_client, "page.csv", b"NHS Number,Surname,Forename,DOB\n")
    upload = Upload.objects.get()
    response = coordinator_client.get(reverse("intake:download", kwargs={"upload": upload.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="page.csv"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.getvalue() == upload.path.read_bytes()
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_a_manager_cannot_download_an_upload(
    coordinator_client: Client, manager_client: Client, upload_dir: Path
) -> None:
    post_list(coordinator_client, "list.xlsx", LEGACY_SAMPLE.read_bytes())
    upload = Upload.objects.get()
    response = manager_client.get(reverse("intake:download", kwargs={"upload": upload.pk}))
    assert response.status_code == 403


def test_a_good_pas_extract_runs_validation(
    coordinator_client: Client, upload_dir: Path, make_referral: Callable[..., Referral]
) -> None:
    make_referral()
    response = post_pas(coordinator_client, "pas.csv", PAS_SAMPLE.read_bytes())
    assert response.status_code == 302, error_summary(response)
    assert Upload.objects.get().kind == UploadKind.PAS_EXTRACT


def test_no_file_chosen_is_an_error_on_the_field(coordinator_client: Client) -> None:
    response = coordinator_client.post(UPLOAD_LIST, {})
    assert "Choose a file to upload" in error_summary(response)


def test_a_pas_extract_with_only_a_header_is_read(
    coordinator_client: Client, upload_dir: Path, make_referral: Callable[..., Referral]
) -> None:
    # An extract with no events is a real (if useless) extract: everyone stays waiting.
    make_referral()
    response = post_pas(coordinator_client, "pas.csv", PAS_HEADER.encode())
    assert response.status_code == 302
