"""Reading mail: subject, body and attachment text from real MIME, however awkward.

Every message here is real RFC 5322 bytes parsed as the fetcher parses them
(:func:`parse_message`), or an :class:`EmailMessage` built with the standard library.
"""

import datetime as dt
import io
import os
import random
import time
import zipfile
from email.message import EmailMessage

import pypdf
import pytest

from clearway.inbox.synthetic import docx_with_text, generate, pdf_with_text, png_image
from clearway.inbox.text import (
    MAX_PDF_BYTES,
    MAX_PDF_PAGES,
    SCANNED_IMAGE,
    attachment_text,
    decode_bytes,
    html_to_text,
    message_text,
    parse_message,
)


def _message(subject: str = "Report", body: str = "Hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "senco@school.example"
    message["To"] = "scd.service@clearway.example"
    message["Subject"] = subject
    message.set_content(body)
    return message


def _round_trip(message: EmailMessage) -> EmailMessage:
    return parse_message(message.as_bytes())


def _raw(headers: str, body: bytes) -> EmailMessage:
    return parse_message(headers.replace("\n", "\r\n").encode("ascii") + b"\r\n\r\n" + body)


# --- subjects -------------------------------------------------------------------------------


def test_subject_encoded_words_are_decoded() -> None:
    message = _raw(
        "Subject: =?utf-8?b?U2FMVCByZXBvcnQgLSBab8OrIE3DvGxsZXI=?=\nContent-Type: text/plain",
        b"Hello",
    )
    assert message_text(message).subject == "SaLT report - Zoë Müller"


def test_subject_in_latin_1_quoted_printable() -> None:
    message = _raw("Subject: =?iso-8859-1?q?Rapport_de_Zo=EB?=", b"Hello")
    assert message_text(message).subject == "Rapport de Zoë"


def test_subject_with_an_unknown_charset_does_not_crash() -> None:
    message = _raw("Subject: =?x-made-up?q?Caf=E9?= report", b"Hello")
    subject = message_text(message).subject
    assert subject.startswith("Caf") and subject.endswith("report")


def test_subject_built_with_the_standard_library_round_trips() -> None:
    message = _round_trip(_message(subject="Consent form – Siân O’Brien"))
    assert message_text(message).subject == "Consent form – Siân O’Brien"


def test_missing_subject_and_headers_give_empty_subject() -> None:
    text = message_text(parse_message(b"just some words, no headers at all"))
    assert text.subject == ""
    assert "just some words" in text.body


# --- bodies ---------------------------------------------------------------------------------


def test_plain_text_is_preferred_to_html() -> None:
    message = _message(body="The plain words")
    message.add_alternative("<p>The <b>HTML</b> words</p>", subtype="html")
    text = message_text(_round_trip(message))
    assert text.body == "The plain words"


def test_html_only_body_is_turned_into_text() -> None:
    message = _message()
    message.set_content(
        "<html><head><title>Ignored</title><style>p { color: red }</style></head><body>"
        "<p>Dear team,</p><p>Report for <b>Ella&nbsp;Brook</b> &amp; family.</p>"
        "<script>track('open')</script><table><tr><td>DOB</td><td>03/03/2018</td></tr>"
        "</table></body></html>",
        subtype="html",
    )
    body = message_text(_round_trip(message)).body
    assert body.splitlines() == ["Dear team,", "Report for Ella Brook & family.", "DOB 03/03/2018"]
    assert "track" not in body and "color" not in body and "Ignored" not in body


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>Open <b>tags <i>never closed<div>and more") == (
        "Open tags never closed\nand more"
    )


@pytest.mark.parametrize(
    ("charset", "data"),
    [
        ("iso-8859-1", "Zoë Müller, café".encode("latin-1")),
        ("windows-1252", "Zoë said “hello” – café".encode("cp1252")),
        ("utf-8", b"\xef\xbb\xbf" + "Zoë Müller".encode()),
        ("x-mac-made-up", "Zoë Müller".encode("cp1252")),
        ("utf-8", "Zoë Müller".encode("cp1252")),  # mislabelled: falls back
        (None, "Zoë Müller".encode()),
    ],
)
def test_odd_charsets_decode(charset: str | None, data: bytes) -> None:
    content_type = f'text/plain; charset="{charset}"' if charset else "text/plain"
    message = _raw(
        f"Subject: x\nContent-Type: {content_type}\nContent-Transfer-Encoding: 8bit", data
    )
    body = message_text(message).body
    assert body.startswith("Zo")
    assert "Zoë" in body or "Zo\ufffd" in body
    assert not body.startswith("\ufeff")


def test_windows_1252_quotes_read_from_a_latin_1_label() -> None:
    # Mail labelled Latin-1 is nearly always Windows-1252: curly quotes survive.
    assert decode_bytes(b"\x93hello\x94", "iso-8859-1") == "“hello”"


def test_undecodable_bytes_become_replacement_characters() -> None:
    assert decode_bytes(b"ok \xff\xfe\xfd", "ascii").startswith("ok ")
    assert decode_bytes(b"\x80\x81 abc", "utf-8") == "\ufffd\ufffd abc"


def test_quoted_printable_body() -> None:
    message = _raw(
        "Subject: x\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable",
        b"Zo=C3=AB M=C3=BCller, a long line that is =\r\nwrapped",
    )
    assert message_text(message).body == "Zoë Müller, a long line that is wrapped"


# --- malformed messages ---------------------------------------------------------------------


def test_wrong_boundary_is_salvaged() -> None:
    message = _raw(
        'Subject: broken\nContent-Type: multipart/mixed; boundary="declared"',
        b"--actual\r\nContent-Type: text/plain\r\n\r\nThe words\r\n"
        b"--actual\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
        b'filename="scan.png"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n'
        b"--actual--\r\n",
    )
    text = message_text(message)
    assert text.body == "The words"
    assert [a.filename for a in text.attachments] == ["scan.png"]
    assert text.problems


def test_no_boundary_at_all_reads_the_body_as_text() -> None:
    message = _raw('Subject: broken\nContent-Type: multipart/mixed; boundary="b"', b"Just words")
    text = message_text(message)
    assert text.body == "Just words"
    assert text.problems == ("the message's parts could not be told apart; read as text",)


def test_missing_closing_boundary_and_bad_base64_keep_what_can_be_read() -> None:
    message = _raw(
        'Subject: cut short\nContent-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe words\r\n--b\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="report.pdf"\r\n\r\nJVBERi0x!!!garb',
    )
    text = message_text(message)
    assert text.body == "The words"
    (attachment,) = text.attachments
    assert attachment.filename == "report.pdf"
    assert attachment.text == ""
    assert attachment.note == "the PDF is damaged and its text cannot be read"
    assert "the message ends early; its last part may be cut short" in text.problems


def test_forwarded_message_is_read_too() -> None:
    inner = _message(subject="School report Ella Brook", body="DOB 03/03/2018")
    inner.add_attachment(
        pdf_with_text(["NHS No: 999 123 4567"]), "application", "pdf", filename="r.pdf"
    )
    outer = _message(subject="Fwd: report", body="See below")
    outer.add_attachment(inner)
    text = message_text(_round_trip(outer))
    assert "See below" in text.body
    assert "Subject: School report Ella Brook" in text.body
    assert "DOB 03/03/2018" in text.body
    assert [a.text for a in text.attachments] == ["NHS No: 999 123 4567"]


# --- attachments ----------------------------------------------------------------------------


def test_pdf_attachment_text_is_read() -> None:
    message = _message(body="Please find attached")
    message.add_attachment(
        pdf_with_text(["School report", "Zoë Müller (born 3 March 2018)", "NHS No: 999 123 4567"]),
        "application",
        "pdf",
        filename="School report - Müller.pdf",
    )
    (attachment,) = message_text(_round_trip(message)).attachments
    assert attachment.filename == "School report - Müller.pdf"  # RFC 2231 on the wire
    assert attachment.content_type == "application/pdf"
    assert attachment.size > 300
    assert attachment.text == "School report\nZoë Müller (born 3 March 2018)\nNHS No: 999 123 4567"
    assert attachment.note is None


def test_rfc_2231_and_rfc_2047_file_names() -> None:
    message = _raw(
        'Subject: x\nContent-Type: multipart/mixed; boundary="b"',
        b"--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
        b"--b\r\nContent-Type: text/plain\r\n"
        b"Content-Disposition: attachment; filename*=iso-8859-1''Zo%EB%20notes.txt\r\n\r\n"
        b"notes\r\n"
        b'--b\r\nContent-Type: application/pdf; name="=?utf-8?q?Si=C3=A2n_report=2Epdf?="\r\n'
        b"\r\n%PDF-broken\r\n--b--\r\n",
    )
    names = [a.filename for a in message_text(message).attachments]
    assert names == ["Zoë notes.txt", "Siân report.pdf"]


def test_attachment_without_a_name_is_named_by_its_type() -> None:
    message = _message()
    message.add_attachment(png_image(), "image", "png")
    (attachment,) = message_text(_round_trip(message)).attachments
    assert attachment.filename == "attachment 1.png"
    assert attachment.note == SCANNED_IMAGE


def test_scanned_image_gives_no_text() -> None:
    assert attachment_text("scan0001.jpg", "image/jpeg", png_image()) == ("", SCANNED_IMAGE)
    # The bytes decide, whatever the name and type claim.
    assert attachment_text("report.pdf", "application/octet-stream", png_image()) == (
        "",
        SCANNED_IMAGE,
    )


def test_password_protected_pdf_gives_a_reason() -> None:
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(io.BytesIO(pdf_with_text(["Secret words"]))).pages[0])
    writer.encrypt(user_password="secret", algorithm="AES-128")
    data = io.BytesIO()
    writer.write(data)
    text, note = attachment_text("report.pdf", "application/pdf", data.getvalue())
    assert text == ""
    assert note == "the PDF is protected by a password, so its text cannot be read"


def test_pdf_with_an_owner_password_only_is_read() -> None:
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(io.BytesIO(pdf_with_text(["Open words"]))).pages[0])
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    data = io.BytesIO()
    writer.write(data)
    assert attachment_text("report.pdf", "application/pdf", data.getvalue()) == ("Open words", None)


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4\nnot really a pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, b""],
    ids=["truncated", "garbage", "empty"],
)
def test_broken_pdf_gives_a_reason_not_an_exception(data: bytes) -> None:
    text, note = attachment_text("report.pdf", "application/pdf", data)
    assert text == ""
    assert note in (
        "the PDF is damaged and its text cannot be read",
        "scanned PDF: no text to read",
    )


def test_huge_pdf_is_not_opened() -> None:
    data = pdf_with_text(["words"]) + b"%" + b"0" * MAX_PDF_BYTES
    text, note = attachment_text("big.pdf", "application/pdf", data)
    assert text == ""
    assert note == "the PDF is too large to read for matching (30 MB)"


def test_long_pdf_reads_only_its_first_pages() -> None:
    writer = pypdf.PdfWriter()
    for number in range(MAX_PDF_PAGES + 5):
        page = pypdf.PdfReader(io.BytesIO(pdf_with_text([f"Page {number + 1}"]))).pages[0]
        writer.add_page(page)
    data = io.BytesIO()
    writer.write(data)
    text, note = attachment_text("long.pdf", "application/pdf", data.getvalue())
    assert text.splitlines() == [f"Page {n}" for n in range(1, MAX_PDF_PAGES + 1)]
    assert note == f"only the first {MAX_PDF_PAGES} of {MAX_PDF_PAGES + 5} pages were read"


def test_pdf_without_a_text_layer_is_a_scan() -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    data = io.BytesIO()
    writer.write(data)
    assert attachment_text("scan.pdf", "application/pdf", data.getvalue()) == (
        "",
        "scanned PDF: no text to read",
    )


def test_twenty_megabyte_pdf_is_read_quickly() -> None:
    # A report with a 20 MB embedded file: pypdf reads objects lazily, so only the page's.
    writer = pypdf.PdfWriter()
    writer.add_page(pypdf.PdfReader(io.BytesIO(pdf_with_text(["Report for Ella Brook"]))).pages[0])
    writer.add_attachment("scan.bin", os.urandom(20 * 1024 * 1024))
    data = io.BytesIO()
    writer.write(data)
    assert len(data.getvalue()) > 20 * 1024 * 1024
    started = time.perf_counter()
    assert attachment_text("big.pdf", "application/pdf", data.getvalue()) == (
        "Report for Ella Brook",
        None,
    )
    assert time.perf_counter() - started < 2


def test_word_document_text_is_read() -> None:
    data = docx_with_text(["SaLT report", "Name: Ella Brook", "DOB: 03/03/2018 & more"])
    text, note = attachment_text(
        "SLT report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        data,
    )
    assert text == "SaLT report\nName: Ella Brook\nDOB: 03/03/2018 & more"
    assert note is None


def test_broken_word_document_gives_a_reason() -> None:
    assert attachment_text("x.docx", "application/octet-stream", b"PK\x03\x04junk") == (
        "",
        "the Word document is damaged and its text cannot be read",
    )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("other.xml", "<x/>")
    assert attachment_text("x.docx", "", data.getvalue())[1] == (
        "the Word document is damaged and its text cannot be read"
    )


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("notes.txt", "Zoë Müller".encode("cp1252"), "Zoë Müller"),
        (
            "list.csv",
            b"\xef\xbb\xbfname,dob\r\nElla Brook,03/03/2018",
            "name,dob\nElla Brook,03/03/2018",
        ),
        ("notes.txt", "Zoë".encode(), "Zoë"),
    ],
)
def test_text_files_are_decoded(filename: str, data: bytes, expected: str) -> None:
    assert attachment_text(filename, "application/octet-stream", data) == (expected, None)


def test_other_files_give_no_text() -> None:
    assert attachment_text("macro.xlsm", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0") == (
        "",
        "no text is read from this kind of file (.xlsm)",
    )


def test_damaged_messages_never_raise() -> None:
    # Real generated messages with bytes changed, cut out and put in at random.
    _, messages = generate(3, 60, 12, today=dt.date(2026, 6, 1))
    rng = random.Random(5)
    for _ in range(150):
        raw = bytearray(rng.choice(messages).message.as_bytes())
        for _ in range(rng.randint(1, 30)):
            at = rng.randrange(max(1, len(raw)))
            roll = rng.random()
            if roll < 0.4 and raw:
                raw[at] = rng.randrange(256)
            elif roll < 0.7:
                del raw[at : at + rng.randint(1, 200)]
            else:
                raw[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        text = message_text(parse_message(bytes(raw)))
        assert isinstance(text.body, str)
        assert all(isinstance(a.text, str) for a in text.attachments)
