"""The readable text of an email: subject, body, and each attachment's name, type and text.

:func:`message_text` turns an :class:`email.message.EmailMessage` (as the fetcher parses it)
into a :class:`MessageText` that matching reads; :func:`attachment_text` reads one attachment
and is also what the fetcher calls when it stores an attachment.

Everything here is forgiving: mail arrives from many systems, and some of it is broken. An
unknown character set, a bad base64 line, a missing closing boundary, a damaged or
password-protected PDF never raise: the part is read as far as it can be, undecodable bytes
become U+FFFD, and an attachment that gives no text says why in plain words (its ``note``).
Pure Python (no Django); PDF text comes from pypdf.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.utils
import io
import logging
import mimetypes
import re
import zipfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from html import unescape
from html.parser import HTMLParser

__all__ = [
    "MAX_PDF_BYTES",
    "MAX_PDF_PAGES",
    "MAX_TEXT_CHARACTERS",
    "AttachmentText",
    "MessageText",
    "attachment_text",
    "decode_bytes",
    "html_to_text",
    "message_text",
    "parse_message",
]

MAX_TEXT_CHARACTERS = 100_000
"""At most this much text is kept from any one part: enough for any report's identifiers."""

MAX_PDF_PAGES = 20
"""Only the first pages of a PDF are read: identifiers sit at the top of a report."""

MAX_PDF_BYTES = 30 * 1024 * 1024
"""PDFs larger than this are not opened for text (they are kept, just not read)."""

MAX_DOCX_XML_BYTES = 20 * 1024 * 1024
"""A Word document whose main part unpacks to more than this is not read (a zip bomb)."""

SCANNED_IMAGE = "scanned image: no text to read"


@dataclass(frozen=True)
class AttachmentText:
    """One attachment: its name, type and size, and the text read from it.

    ``text`` is ``""`` when nothing could be read; ``note`` then says why in plain words
    ("scanned image: no text to read", "the PDF is protected by a password"). A note may
    also accompany text ("only the first 20 pages were read").
    """

    filename: str
    content_type: str
    size: int
    text: str
    note: str | None = None


@dataclass(frozen=True)
class MessageText:
    """What a person could read in a message: subject, body and attachments.

    ``problems`` lists what was wrong with the message itself (a missing boundary, a bad
    character set) in plain words; the text is what could be read despite them.
    """

    subject: str
    body: str
    attachments: tuple[AttachmentText, ...] = ()
    problems: tuple[str, ...] = ()


# --- decoding -------------------------------------------------------------------------------

# Mail labelled Latin-1 is nearly always Windows-1252 (curly quotes, the euro sign), as
# browsers assume; the charset names people get wrong are mapped to what they meant.
_CHARSET_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Bytes to text without ever failing.

    A byte-order mark wins; then the declared ``charset`` if Python knows it (Latin-1 read
    as Windows-1252); otherwise UTF-8 if the bytes are valid UTF-8, else Windows-1252.
    What still cannot be decoded becomes U+FFFD.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    codec = _codec(charset)
    if codec is not None and codec not in ("utf-8", "cp1252"):
        return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if codec == "utf-8":
            return data.decode("utf-8", "replace")
        return data.decode("cp1252", "replace")


def _decode_header(value: object) -> str:
    """A header's text: RFC 2047 encoded words decoded, unknown charsets tolerated."""
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:
        return " ".join(text.split())
    try:
        chunks = email.header.decode_header(text)
    except Exception:  # a header too broken to split: show it as written
        return " ".join(text.split())
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset))
        else:
            parts.append(chunk)
    return " ".join("".join(parts).split())


def _header(msg: Message, name: str) -> str:
    try:
        return _decode_header(msg.get(name))
    except Exception:  # a structured header the policy could not parse
        raw = getattr(msg, "_headers", [])
        for key, value in raw:
            if key.lower() == name.lower():
                return _decode_header(value)
        return ""


# --- HTML -----------------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {
        *("p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5"),
        *("h6", "blockquote", "pre", "section", "article", "header", "footer", "hr", "dt"),
        *("dd", "address", "title"),
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_HIDDEN_TAGS = frozenset({"script", "style", "template", "head"})


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.pieces.append("\n")
        elif tag in _CELL_TAGS:
            self.pieces.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML body, a line per block; scripts, styles and the head dropped."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is a last resort
        return _tidy(re.sub(r"<[^>]*>", " ", unescape(html)))
    return _tidy("".join(parser.pieces))


def _tidy(text: str) -> str:
    """Collapse runs of spaces in each line, drop blank lines, cap the length."""
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)[:MAX_TEXT_CHARACTERS]


# --- attachments ----------------------------------------------------------------------------

_IMAGE_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
)
_DOCX_TYPES = frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
_TEXT_EXTENSIONS = frozenset({".txt", ".csv", ".text", ".tsv"})
_W_PARAGRAPH_END = re.compile(r"</w:p>|<w:br\s*/>|<w:cr\s*/>")
_W_TAB = re.compile(r"<w:tab\s*/>")
_W_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot >= 0 else ""


def _kind(filename: str, content_type: str, data: bytes) -> str:
    """What an attachment is, from its first bytes, then its name, then its declared type."""
    extension = _extension(filename)
    content_type = content_type.lower()
    if data.startswith(b"%PDF") or (b"%PDF" in data[:1024] and extension == ".pdf"):
        return "pdf"
    if data.startswith(_IMAGE_SIGNATURES) or data[8:12] in (b"WEBP", b"heic", b"ftyp"):
        return "image"
    if data.startswith(b"PK\x03\x04") and (extension == ".docx" or content_type in _DOCX_TYPES):
        return "docx"
    if extension == ".pdf" or content_type == "application/pdf":
        return "pdf"
    if content_type.startswith("image/") or extension in (".jpg", ".jpeg", ".png", ".tif"):
        return "image"
    if extension == ".docx" or content_type in _DOCX_TYPES:
        return "docx"
    if extension in _TEXT_EXTENSIONS or content_type in ("text/plain", "text/csv"):
        return "text"
    if content_type == "text/html" or extension in (".htm", ".html"):
        return "html"
    return "other"


def _pdf_text(data: bytes) -> tuple[str, str | None]:
    if len(data) > MAX_PDF_BYTES:
        size = len(data) / (1024 * 1024)
        return "", f"the PDF is too large to read for matching ({size:.0f} MB)"
    import pypdf  # imported here: only mail with PDFs pays for it

    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)  # damaged PDFs make pypdf chatty
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception:
                opened = False
            if not opened:
                return "", "the PDF is protected by a password, so its text cannot be read"
        pages = reader.pages
        count = len(pages)
        texts: list[str] = []
        length = 0
        for index in range(min(count, MAX_PDF_PAGES)):
            try:
                page_text = pages[index].extract_text() or ""
            except Exception:
                page_text = ""
            texts.append(page_text)
            length += len(page_text)
            if length >= MAX_TEXT_CHARACTERS:
                break
    except Exception:
        return "", "the PDF is damaged and its text cannot be read"
    finally:
        pypdf_log.setLevel(level)
    text = _tidy("\n".join(texts))
    if not text:
        return "", "scanned PDF: no text to read"
    if count > len(texts):
        return text, f"only the first {len(texts)} of {count} pages were read"
    return text, None


def _docx_text(data: bytes) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_DOCX_XML_BYTES:
                return "", "the Word document is too large to read for matching"
            xml = archive.read(info).decode("utf-8", "replace")
    except Exception:
        return "", "the Word document is damaged and its text cannot be read"
    xml = _W_TAB.sub("<w:t> </w:t>", _W_PARAGRAPH_END.sub("<w:t>\n</w:t>", xml))
    text = _tidy(unescape("".join(_W_TEXT.findall(xml))))
    return text, None if text else "the Word document has no text"


def attachment_text(filename: str, content_type: str, data: bytes) -> tuple[str, str | None]:
    """The text of one attachment, and a plain-words note when there is none (or not all).

    PDFs are read with pypdf (the first :data:`MAX_PDF_PAGES` pages; password-protected,
    damaged or huge ones give no text and say so); ``.txt`` and ``.csv`` are decoded; Word
    ``.docx`` text comes from ``word/document.xml``; images give no text ("scanned image:
    no text to read"); anything else gives no text. Never raises.
    """
    kind = _kind(filename or "", content_type or "", data)
    if kind == "pdf":
        return _pdf_text(data)
    if kind == "image":
        return "", SCANNED_IMAGE
    if kind == "docx":
        return _docx_text(data)
    if kind == "text":
        return _tidy(decode_bytes(data[: MAX_TEXT_CHARACTERS * 4])), None
    if kind == "html":
        return html_to_text(decode_bytes(data[: MAX_TEXT_CHARACTERS * 8])), None
    shown = _extension(filename) or content_type or "unknown"
    return "", f"no text is read from this kind of file ({shown})"


# --- messages -------------------------------------------------------------------------------


def parse_message(data: bytes) -> EmailMessage:
    """Raw RFC 5322 bytes (as IMAP hands them over) to an :class:`EmailMessage`."""
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


_BOUNDARY_LINE = re.compile(r"^--([^\s\-][^\s]{0,69}?)(?:--)?[ \t\r]*$", re.MULTILINE)


def _salvage_multipart(part: Message) -> Message | None:
    """A multipart whose declared boundary never appears, re-read with the one it uses."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    found = _BOUNDARY_LINE.search(payload)
    if found is None:
        return None
    boundary = found.group(1)
    head = f'Content-Type: {part.get_content_type()}; boundary="{boundary}"\n\n'
    try:
        salvaged = email.message_from_string(head + payload, policy=policy.default)
    except Exception:
        return None
    return salvaged if salvaged.is_multipart() else None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _part_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(_payload_bytes(part), charset)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            param = part.get_param("name")
        except Exception:
            param = None
        if isinstance(param, tuple):  # an RFC 2231 value not yet collapsed
            name = email.utils.collapse_rfc2231_value(param)
        elif isinstance(param, str):
            name = param
    if not name:
        return None
    return _decode_header(name).replace("/", "_").replace("\\", "_") or None


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if _filename(part):
        return True
    return part.get_content_type() not in ("text/plain", "text/html")


class _Walker:
    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[AttachmentText] = []
        self.problems: list[str] = []

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > 20:
            return
        maintype = part.get_content_maintype()
        if maintype == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                for child in payload:
                    if isinstance(child, Message):
                        self.walk(child, depth + 1)
                return
            salvaged = _salvage_multipart(part)
            if salvaged is not None:
                self.problems.append("the message's parts were marked wrongly; read as found")
                self.walk(salvaged, depth + 1)
            else:
                self.problems.append("the message's parts could not be told apart; read as text")
                self.plain.append(_tidy(_part_text(part)))
            return
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list):  # a forwarded message: read it as part of this one
                for child in payload:
                    if isinstance(child, Message):
                        self._forwarded_headers(child)
                        self.walk(child, depth + 1)
                return
        if _is_attachment(part):
            self.attachments.append(self._attachment(part))
            return
        if part.get_content_type() == "text/html":
            self.html.append(html_to_text(_part_text(part)))
        else:
            self.plain.append(_tidy(_part_text(part)))

    def _forwarded_headers(self, message: Message) -> None:
        subject = _header(message, "subject")
        if subject:
            self.plain.append(f"Subject: {subject}")

    def _attachment(self, part: Message) -> AttachmentText:
        data = _payload_bytes(part)
        content_type = part.get_content_type()
        filename = _filename(part)
        if not filename:
            extension = mimetypes.guess_extension(content_type) or ""
            filename = f"attachment {len(self.attachments) + 1}{extension}"
        text, note = attachment_text(filename, content_type, data)
        return AttachmentText(filename, content_type, len(data), text, note)


def message_text(msg: Message) -> MessageText:
    """The subject, plain body and attachments of ``msg``, read as far as they can be.

    The body is the message's text/plain parts; when it has none, its HTML parts turned
    into text. Each attachment (a part with a filename or marked as an attachment, or any
    part that is not text) is read by :func:`attachment_text`. Never raises for a broken
    message: what cannot be read is left out and ``problems`` says so.
    """
    walker = _Walker()
    try:
        walker.walk(msg)
    except Exception:
        walker.problems.append("part of the message could not be read")
    for defect in getattr(msg, "defects", []):
        if type(defect).__name__ == "CloseBoundaryNotFoundDefect":
            walker.problems.append("the message ends early; its last part may be cut short")
            break
    body = "\n\n".join(text for text in walker.plain if text)
    if not body:
        body = "\n\n".join(text for text in walker.html if text)
    return MessageText(
        subject=_header(msg, "subject"),
        body=body[:MAX_TEXT_CHARACTERS],
        attachments=tuple(walker.attachments),
        problems=tuple(dict.fromkeys(walker.problems)),
    )
