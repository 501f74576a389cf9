"""The checks a document's file passes: its type judged by content, for each ending accepted.

These call ``clearway.intake.uploads`` directly; ``test_services`` and ``test_views`` file the
same files to a child through the service and the page.
"""

import stat
from pathlib import Path

import pytest

from clearway.intake import uploads
from tests.documents import files
from tests.documents.conftest import files_in
from tests.intake.conftest import INTAKE_DATA

ACCEPTED = [
    ("report.pdf", files.pdf(), "application/pdf"),
    (
        "report.docx",
        files.docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("report.doc", files.doc(), "application/msword"),
    ("consent.odt", files.odt(), "application/vnd.oasis.opendocument.text"),
    ("photo.jpg", files.image("JPEG"), "image/jpeg"),
    ("photo.JPEG", files.image("JPEG"), "image/jpeg"),
    ("scan.png", files.image("PNG"), "image/png"),
    ("scan.tif", files.image("TIFF"), "image/tiff"),
    ("scan.tiff", files.big_endian_tiff(), "image/tiff"),
]


@pytest.mark.parametrize(
    ("name", "content", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED]
)
def test_each_kind_of_document_is_accepted_with_the_type_its_content_shows(
    upload_dir: Path, name: str, content: bytes, content_type: str
) -> None:
    received = uploads.receive([content], name, uploads.DOCUMENT)
    assert received.content_type == content_type
    assert received.path.read_bytes() == content
    assert received.path.parent == upload_dir
    assert stat.S_IMODE(received.path.stat().st_mode) == 0o600
    assert name.rsplit(".", 1)[0] not in received.path.name  # a generated name


def test_the_test_files_are_what_they_claim() -> None:
    # The images open in Pillow, the big-endian TIFF included; the Word 97-2003 container is a
    # compound file whose directory names its WordDocument stream.
    import io

    from PIL import Image

    for data, fmt in (
        (files.image("PNG"), "PNG"),
        (files.image("JPEG"), "JPEG"),
        (files.big_endian_tiff(), "TIFF"),
    ):
        with Image.open(io.BytesIO(data)) as opened:
            assert opened.format == fmt
    assert files.big_endian_tiff().startswith(b"MM\x00*")
    assert files.doc().startswith(uploads.OLE2_MAGIC)
    assert uploads.WORD_DOCUMENT in files.doc()[1024:1536]  # the directory sector


REFUSED = [
    ("page.pdf", files.HTML_PAGE, "page.pdf: is a web page, not a PDF"),
    ("setup.docx", files.PROGRAM, "setup.docx: is a program, not a Word document"),
    ("setup.doc", files.PROGRAM, "setup.doc: is a program, not a Word document"),
    ("page.png", files.HTML_PAGE, "page.png: is a web page, not a PNG image"),
    ("script.jpg", b"#!/bin/sh\nrm -rf ~\n", "script.jpg: is a script, not a JPEG image"),
    ("empty.pdf", b"", "empty.pdf: the file is empty"),
    (
        "locked.pdf",
        files.encrypted_pdf(),
        "locked.pdf: the PDF is password-protected or locked, so clinicians may not be able to "
        "open it at panel. Ask the sender for a copy without a password",
    ),
    ("cut-short.pdf", files.pdf()[:-400], "cut-short.pdf: is not a complete PDF"),
    (
        "photo.pdf",
        files.image("PNG"),
        "photo.pdf: is a PNG image, not a PDF. Rename it to end .png and upload it again",
    ),
    (
        "report.docx",
        files.pdf(),
        "report.docx: is a PDF, not a Word document. Rename it to end .pdf",
    ),
    (
        "macros.docx",
        files.docx(macros=True),
        "macros.docx: the document holds macros (small programs)",
    ),
    ("macros.doc", files.doc(macros=True), "macros.doc: the document holds macros"),
    (
        "password.docx",
        (INTAKE_DATA / "password_protected.xlsx").read_bytes(),
        "password.docx: the document is password-protected. Save a copy without a password",
    ),
    (
        "sheet.doc",
        (INTAKE_DATA / "password_protected.xlsx").read_bytes(),
        "sheet.doc: the document is password-protected",
    ),
    ("locked.odt", files.odt(encrypted=True), "locked.odt: the document is password-protected"),
    ("words.odt", files.docx(), "words.odt: is not a real OpenDocument text"),
    ("sheet.docx", files.odt(), "sheet.docx: is not a real Word document"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic", "photo.heic: HEIC photos (from an iPhone)"),
    ("report.html", files.HTML_PAGE, "report.html: a document must be a PDF, a Word document"),
    ("report.exe", files.PROGRAM, "report.exe: a document must be a PDF"),
    ("report", files.pdf(), "report: a document must be a PDF"),
    ("list.xlsx", b"PK\x03\x04", "list.xlsx: a document must be a PDF"),
]


@pytest.mark.parametrize(("name", "content", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_kept(
    upload_dir: Path, name: str, content: bytes, message: str
) -> None:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.receive([content], name, uploads.DOCUMENT)
    assert message in str(refused.value)
    assert files_in(upload_dir) == []


def test_a_file_over_the_limit_is_refused_as_it_is_written(
    upload_dir: Path, settings: object
) -> None:
    settings.CLEARWAY_UPLOAD_MAX_BYTES = 2048  # type: ignore[attr-defined]
    pieces = [b"%PDF-1.7\n" + b"0" * 1000, b"0" * 1000, b"0" * 1000, b"%%EOF"]
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.receive(iter(pieces), "big scan.pdf", uploads.DOCUMENT)
    assert str(refused.value).startswith(
        "big scan.pdf: the file is larger than 2 KB, the most Clearway accepts. Save a smaller copy"
    )
    assert files_in(upload_dir) == []


def test_an_encryption_key_word_in_a_pdf_s_text_is_not_taken_for_a_password() -> None:
    # "/Encrypt" counts only where a trailer names an encryption dictionary.
    assert not uploads._PDF_ENCRYPT.search(
        b"(See /Encrypt in the manual) Tj /EncryptMetadata false"
    )
    assert uploads._PDF_ENCRYPT.search(b"<< /Size 9 /Encrypt 8 0 R >>")
    assert uploads._PDF_ENCRYPT.search(b"/Encrypt<</Filter/Standard>>")


def test_the_waiting_list_kinds_still_refuse_documents(upload_dir: Path) -> None:
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.receive([files.pdf()], "list.pdf", "legacy_list")
    assert str(refused.value) == (
        "list.pdf: the waiting list must be an xlsx, xlsm, xls, ods or csv file"
    )
