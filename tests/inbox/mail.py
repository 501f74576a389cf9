"""Real MIME messages for the inbox's tests: plain, HTML, with a PDF and an image, odd
encodings, a large attachment, a malformed one. Synthetic people only (NHS numbers in the 999
range). Each builder returns the message's bytes, as a mail server would hold them (CRLF)."""

import datetime as dt
import itertools
import zlib
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_ids = itertools.count(1)
SENT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def message_id() -> str:
    return f"<test-{next(_ids)}@school.example.org>"


def _headers(
    message: EmailMessage, subject: str, sender: str, to: str, msgid: str | None, sent: dt.datetime
) -> None:
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = msgid or message_id()


def plain(
    subject: str = "School report for Ada Lovelace",
    body: str = "Please find the school report for Ada Lovelace, NHS number 999 000 0018.\n",
    *,
    sender: str = "Senco <senco@school.example.org>",
    to: str = "SCD service <scd.inbox@nhs.example>",
    msgid: str | None = None,
    sent: dt.datetime = SENT,
) -> bytes:
    message = EmailMessage()
    _headers(message, subject, sender, to, msgid, sent)
    message.set_content(body)
    return message.as_bytes(policy=SMTP)


def html(subject: str = "Referral question", *, msgid: str | None = None) -> bytes:
    message = EmailMessage()
    _headers(message, subject, "Parent <parent@example.com>", "scd.inbox@nhs.example", msgid, SENT)
    message.set_content("When is my son's assessment?\n")
    message.add_alternative(
        "<html><body><p>When is my <b>son's</b> assessment?</p></body></html>", subtype="html"
    )
    return message.as_bytes(policy=SMTP)


def tiny_pdf(text: str = "School report for Ada Lovelace") -> bytes:
    """A one-page PDF holding ``text`` (real enough for a PDF reader to find the text)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def tiny_png() -> bytes:
    """A grey PNG of one pixel."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def with_attachments(
    subject: str = "SaLT report", *, pdf: bytes | None = None, msgid: str | None = None
) -> bytes:
    """A message with a PDF report and a scanned page (PNG) attached."""
    message = EmailMessage()
    _headers(message, subject, "SaLT <salt@nhs.example>", "scd.inbox@nhs.example", msgid, SENT)
    message.set_content("Report attached, and a scan of the consent form.\n")
    message.add_attachment(
        pdf or tiny_pdf(), maintype="application", subtype="pdf", filename="salt-report.pdf"
    )
    message.add_attachment(tiny_png(), maintype="image", subtype="png", filename="consent.png")
    return message.as_bytes(policy=SMTP)


def odd_encodings(*, msgid: str | None = None) -> bytes:
    """A latin-1 body (8bit), an RFC 2047 subject and an RFC 2231 file name."""
    body = "Le rapport de l'élève est joint. Très urgent — merci.\n".replace("—", "-")
    return (
        b"From: =?iso-8859-1?q?Am=E9lie_Dubois?= <amelie@ecole.example.fr>\r\n"
        b"To: scd.inbox@nhs.example\r\n"
        b"Subject: =?iso-8859-1?q?Rapport_scolaire_=E9l=E8ve?= =?utf-8?b?4pyT?=\r\n"
        b"Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
        b"Message-ID: " + (msgid or message_id()).encode() + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n'
        b"\r\n"
        b"--b1\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n" + body.encode("latin-1").replace(b"\n", b"\r\n") + b"--b1\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename*=iso-8859-1''R%E9sum%E9%20%E9l%E8ve.pdf\r\n"
        b"\r\n" + _base64_lines(tiny_pdf("Resume eleve")) + b"--b1--\r\n"
    )


def _base64_lines(data: bytes) -> bytes:
    import base64

    encoded = base64.encodebytes(data)
    return encoded.replace(b"\n", b"\r\n")


def large_attachment(megabytes: int = 20, *, msgid: str | None = None) -> tuple[bytes, bytes]:
    """A message with one ``megabytes`` MB attachment; (the message, the attachment)."""
    block = bytes(range(256)) * 4096  # 1 MB, not compressible to nothing
    data = b"".join(block[i:] + block[:i] for i in range(megabytes))
    message = EmailMessage()
    _headers(
        message, "Scanned reports", "Office <office@school.example.org>", "inbox@x", msgid, SENT
    )
    message.set_content("The scans are attached.\n")
    message.add_attachment(data, maintype="application", subtype="pdf", filename="scans.pdf")
    return message.as_bytes(policy=SMTP), data


def malformed(*, msgid: str | None = None) -> bytes:
    """A multipart message whose boundary never appears, with a broken Date and bad base64."""
    return (
        b"From: someone@example.com\r\n"
        b"Subject: Broken\r\n"
        b"Date: Thursday, sometime\r\n"
        b"Message-ID: " + (msgid or message_id()).encode() + b"\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-there"\r\n'
        b"\r\n"
        b"--wrong-boundary\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"JVBERi0x!!!not*base64\r\n"
    )
