"""Receiving an uploaded file safely: its size, its real type, and where it is kept.

Each kind of upload (a legacy waiting list, a PAS extract, a child's document) accepts some
file endings (:data:`KINDS`), and each ending has one check of the file's content
(:data:`TYPES`). A file is judged by its content, not its name:

- an xlsx, xlsm or ods is a zip archive of a workbook's parts, an xls an OLE2 compound file, a
  csv text with no NUL bytes that is not a web page;
- a pdf starts ``%PDF-`` and ends ``%%EOF``, and is not encrypted (clinicians must be able to
  open it at panel); a docx is a zip archive of a Word document's parts, with no macros; a doc
  an OLE2 compound file holding a ``WordDocument`` stream, with no macros; an odt a zip
  archive with the OpenDocument text ``mimetype``; a jpg, png or tif starts with its image
  format's signature.

A web page renamed ``list.xlsx`` or ``report.pdf`` is refused, and so is a program renamed
``report.docx``. Password-protected files are refused with their own message. HEIC photos are
refused too: many NHS computers cannot open them. Files are written under a generated name in
``CLEARWAY_UPLOAD_DIR`` (outside the web root: nothing serves that folder), readable by
Clearway's own user only, and are given back only to permitted staff, as an attachment (see
``clearway.intake.views.download`` and ``clearway.documents.views.download``).
"""

import hashlib
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from clearway.intake.models import UploadKind

#: A report, letter or form filed to a child's record (``clearway.documents``).
DOCUMENT = "document"

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
#: The stream an encrypted (password-protected) Office file keeps its workbook in.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
#: The stream every Word 97-2003 document has.
WORD_DOCUMENT = "WordDocument".encode("utf-16-le")
#: The stream of a Word 97-2003 document's macros.
VBA_PROJECT = "_VBA_PROJECT".encode("utf-16-le")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_WEB_PAGE = re.compile(rb"^\s*<(!doctype|html|head|body|script|\?xml|svg|iframe|meta|a\s)", re.I)
#: An encryption dictionary named by a PDF's trailer (or cross-reference stream).
_PDF_ENCRYPT = re.compile(rb"/Encrypt\s*(?:\d+\s+\d+\s+R|<<)")
#: How far from its end a PDF's last ``%%EOF`` may be (some writers add a little after it).
PDF_EOF_WITHIN = 1024
#: The most of a zip member read to check it (a manifest): a zip bomb is never inflated.
ZIP_MEMBER_LIMIT = 1 << 20
CHUNK = 1 << 20


class UploadRefused(Exception):
    """A file Clearway will not keep; the message says why, in plain words, naming the file."""


@dataclass(frozen=True)
class ReceivedFile:
    """A file written to the upload folder under a generated name, not yet recorded."""

    path: Path
    original_name: str
    size: int
    sha256: str
    #: The type Clearway found by checking the content (never what the browser said).
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Kind:
    """What one kind of upload may be."""

    suffixes: tuple[str, ...]
    #: Said (after the file's name) of a file with another ending.
    wrong_name: str
    #: Said (after the size limit) of a file that is too large.
    too_large: str
    #: Endings refused with their own explanation.
    refused: Mapping[str, str] = field(default_factory=dict)


_SPLIT_IT = "Split it, or ask your administrator to raise the limit"
KINDS: dict[str, Kind] = {
    UploadKind.LEGACY_LIST: Kind(
        (".xlsx", ".xlsm", ".xls", ".ods", ".csv"),
        "the waiting list must be an xlsx, xlsm, xls, ods or csv file",
        _SPLIT_IT,
    ),
    UploadKind.PAS_EXTRACT: Kind((".csv",), "the PAS extract must be a csv file", _SPLIT_IT),
    DOCUMENT: Kind(
        (".pdf", ".docx", ".doc", ".odt", ".jpg", ".jpeg", ".png", ".tif", ".tiff"),
        "a document must be a PDF, a Word document (docx or doc), an OpenDocument text (odt), "
        "or a scan or photo (jpg, png or tif)",
        "Save a smaller copy (for example, scan it again at a lower resolution), or ask your "
        "administrator to raise the limit",
        refused={
            ".heic": "HEIC photos (from an iPhone) cannot be opened on many NHS computers. "
            "Ask for it as a JPEG or PDF, or save it as one, and upload that",
            ".heif": "HEIF photos cannot be opened on many NHS computers. "
            "Ask for it as a JPEG or PDF, or save it as one, and upload that",
            ".docm": "the document holds macros (small programs), which Clearway does not "
            "keep. Save it as a PDF or docx and upload that",
        },
    ),
}
#: What each kind of upload may be, by the file's ending.
SUFFIXES = {kind: found.suffixes for kind, found in KINDS.items()}


def max_bytes() -> int:
    return int(settings.CLEARWAY_UPLOAD_MAX_BYTES)


def megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


def clean_name(name: str) -> str:
    """The uploaded file's own name, for showing only: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "unnamed file"


def suffix_of(name: str) -> str:
    return Path(name).suffix.lower()


def check_name(name: str, kind: str) -> None:
    found = KINDS[kind]
    suffix = suffix_of(name)
    if suffix in found.suffixes:
        return
    raise UploadRefused(f"{name}: {found.refused.get(suffix, found.wrong_name)}")


# --- what a file really is ------------------------------------------------------------------


def _password_protected(name: str, what: str) -> UploadRefused:
    return UploadRefused(
        f"{name}: the {what} is password-protected. Save a copy without a password and upload that"
    )


def _contains(path: Path, pattern: bytes | re.Pattern[bytes]) -> bool:
    """Whether the file holds these bytes (or this pattern), read a piece at a time."""
    tail = b""
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            # A match may straddle two pieces: each window starts with the last one's end.
            window = tail + chunk
            if isinstance(pattern, re.Pattern):
                if pattern.search(window):
                    return True
            elif pattern in window:
                return True
            tail = window[-256:]
    return False


def _is_encrypted(path: Path) -> bool:
    # The directory of an OLE2 file sits anywhere in it, so the whole file is searched.
    return _contains(path, ENCRYPTED_PACKAGE)


#: What a file's first bytes say it is, for telling someone what they uploaded instead.
_SIGNATURES: tuple[tuple[tuple[bytes, ...], str, str], ...] = (
    ((PDF_MAGIC,), "a PDF", ".pdf"),
    ((JPEG_MAGIC,), "a JPEG image", ".jpg"),
    ((PNG_MAGIC,), "a PNG image", ".png"),
    (TIFF_MAGICS, "a TIFF image", ".tif"),
    ((b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe"), "a program", ""),
    ((b"#!",), "a script", ""),
    ((b"GIF87a", b"GIF89a"), "a GIF image", ""),
    ((b"{\\rtf",), "a rich text (rtf) file", ""),
    ((ZIP_MAGIC,), "a zip archive", ""),
    ((OLE2_MAGIC,), "an older Office file", ""),
)


def _what_it_is(head: bytes) -> tuple[str, str]:
    """What the file seems to be instead, and the ending it would be accepted with ("" if
    none), or ("", "") if it cannot be told."""
    text = head.lstrip(b"\xef\xbb\xbf")
    if _WEB_PAGE.match(text):
        return "a web page", ""
    for magics, what, suffix in _SIGNATURES:
        if head.startswith(magics):
            return what, suffix
    return "", ""


def _not_a(name: str, head: bytes, expected: str) -> UploadRefused:
    """The refusal of a file that is not what its name says, naming what it is if known."""
    what, suffix = _what_it_is(head)
    if not what:
        return UploadRefused(f"{name}: is not a real {expected}")
    message = f"{name}: is {what}, not {'an' if expected[0] in 'AEIOU' else 'a'} {expected}"
    if suffix and suffix != suffix_of(name):
        message += f". Rename it to end {suffix} and upload it again"
    return UploadRefused(message)


def _zip_names(path: Path) -> set[str] | None:
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None


def _zip_member(path: Path, member: str) -> bytes:
    """The start of one member of a zip archive (b"" if it has none)."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            return handle.read(ZIP_MEMBER_LIMIT)
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return b""


# --- the check for each ending --------------------------------------------------------------


def _check_workbook_zip(path: Path, name: str, head: bytes) -> None:
    suffix = suffix_of(name)
    if head.startswith(OLE2_MAGIC) and _is_encrypted(path):
        raise _password_protected(name, "workbook")
    if not head.startswith(ZIP_MAGIC) or not _is_spreadsheet_zip(path, suffix):
        raise UploadRefused(f"{name}: is not a real {suffix[1:]} spreadsheet")


def _check_xls(path: Path, name: str, head: bytes) -> None:
    if not head.startswith(OLE2_MAGIC):
        raise UploadRefused(f"{name}: is not a real xls spreadsheet")
    if _is_encrypted(path):
        raise _password_protected(name, "workbook")


def _check_csv(path: Path, name: str, head: bytes) -> None:
    if head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
        raise UploadRefused(
            f"{name}: is a spreadsheet, not a csv file. Save it as csv, or upload it as it is "
            "with its own ending (xlsx, xls or ods)"
        )
    if _WEB_PAGE.match(head.lstrip(b"\xef\xbb\xbf")):
        raise UploadRefused(f"{name}: is a web page, not a csv file")
    if _contains(path, b"\x00"):
        raise UploadRefused(f"{name}: is not a text csv file (it holds binary data)")


def _is_spreadsheet_zip(path: Path, suffix: str) -> bool:
    names = _zip_names(path)
    if names is None:
        return False
    if suffix == ".ods":
        return "mimetype" in names and _zip_member(path, "mimetype").strip() == ODS_MIMETYPE
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _check_pdf(path: Path, name: str, head: bytes) -> None:
    if not head.startswith(PDF_MAGIC):
        raise _not_a(name, head, "PDF")
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - PDF_EOF_WITHIN))
        tail = handle.read()
    if b"%%EOF" not in tail:
        raise UploadRefused(
            f"{name}: is not a complete PDF (its end is missing). It may not have finished "
            "downloading or saving: save it again and upload the new copy"
        )
    if _contains(path, _PDF_ENCRYPT):
        # Even a PDF that opens without a password may refuse printing or copying; Clearway
        # cannot tell which, and a clinician must be able to read the report at panel.
        raise UploadRefused(
            f"{name}: the PDF is password-protected or locked, so clinicians may not be able to "
            "open it at panel. Ask the sender for a copy without a password and upload that"
        )


def _check_docx(path: Path, name: str, head: bytes) -> None:
    if head.startswith(OLE2_MAGIC) and _is_encrypted(path):
        raise _password_protected(name, "document")
    names = _zip_names(path) if head.startswith(ZIP_MAGIC) else None
    if names is None:
        raise _not_a(name, head, "Word document")
    if "[Content_Types].xml" not in names or not any(n.startswith("word/") for n in names):
        raise UploadRefused(f"{name}: is not a real Word document")
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UploadRefused(
            f"{name}: the document holds macros (small programs), which Clearway does not keep. "
            "Save it as a PDF or docx and upload that"
        )


def _check_doc(path: Path, name: str, head: bytes) -> None:
    if not head.startswith(OLE2_MAGIC):
        raise _not_a(name, head, "Word document")
    if _is_encrypted(path):
        raise _password_protected(name, "document")
    if not _contains(path, WORD_DOCUMENT):
        raise UploadRefused(f"{name}: is not a real Word document")
    if _contains(path, VBA_PROJECT):
        raise UploadRefused(
            f"{name}: the document holds macros (small programs), which Clearway does not keep. "
            "Save it as a PDF or docx and upload that"
        )


def _check_odt(path: Path, name: str, head: bytes) -> None:
    names = _zip_names(path) if head.startswith(ZIP_MAGIC) else None
    if names is None:
        raise _not_a(name, head, "OpenDocument text")
    if "mimetype" not in names or _zip_member(path, "mimetype").strip() != ODT_MIMETYPE:
        raise UploadRefused(f"{name}: is not a real OpenDocument text")
    if b"encryption-data" in _zip_member(path, "META-INF/manifest.xml"):
        raise _password_protected(name, "document")


def _check_image(expected: str, magics: tuple[bytes, ...]) -> Callable[[Path, str, bytes], None]:
    def check(path: Path, name: str, head: bytes) -> None:
        if not head.startswith(magics):
            raise _not_a(name, head, expected)

    return check


@dataclass(frozen=True)
class FileType:
    """What a file with one ending must be, and the type it is given back as."""

    content_type: str
    #: check(path, name, first bytes) raises :class:`UploadRefused` if the content is not right.
    check: Callable[[Path, str, bytes], None]


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_JPEG = FileType("image/jpeg", _check_image("JPEG image", (JPEG_MAGIC,)))
_TIFF = FileType("image/tiff", _check_image("TIFF image", TIFF_MAGICS))
#: The one check for each ending any kind accepts.
TYPES: dict[str, FileType] = {
    ".xlsx": FileType(_XLSX, _check_workbook_zip),
    ".xlsm": FileType("application/vnd.ms-excel.sheet.macroEnabled.12", _check_workbook_zip),
    ".ods": FileType("application/vnd.oasis.opendocument.spreadsheet", _check_workbook_zip),
    ".xls": FileType("application/vnd.ms-excel", _check_xls),
    ".csv": FileType("text/csv", _check_csv),
    ".pdf": FileType("application/pdf", _check_pdf),
    ".docx": FileType(_DOCX, _check_docx),
    ".doc": FileType("application/msword", _check_doc),
    ".odt": FileType("application/vnd.oasis.opendocument.text", _check_odt),
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".png": FileType("image/png", _check_image("PNG image", (PNG_MAGIC,))),
    ".tif": _TIFF,
    ".tiff": _TIFF,
}
assert all(s in TYPES for k in KINDS.values() for s in k.suffixes), "every ending needs a check"


def check_content(path: Path, name: str) -> str:
    """Refuse a file whose content is not what its name says (see the module's docstring);
    return the content type it was found to be."""
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused(f"{name}: the file is empty")
    with path.open("rb") as handle:
        head = handle.read(8192)
    found = TYPES[suffix_of(name)]
    found.check(path, name, head)
    return found.content_type


def receive(chunks: Iterable[bytes], original_name: str, kind: str) -> ReceivedFile:
    """Write an upload under a generated name, checking its name, size and content.

    On any refusal nothing is left behind. The caller records the file (an ``Upload``, a
    ``Document``) or, if a later check refuses it, calls :func:`discard`.
    """
    name = clean_name(original_name)
    check_name(name, kind)
    folder = Path(settings.CLEARWAY_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{uuid.uuid4().hex}{suffix_of(name)}"
    digest = hashlib.sha256()
    size = 0
    limit = max_bytes()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise UploadRefused(
                        f"{name}: the file is larger than {megabytes(limit)}, the most Clearway "
                        f"accepts. {KINDS[kind].too_large}"
                    )
                digest.update(chunk)
                handle.write(chunk)
        content_type = check_content(path, name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ReceivedFile(path, name, size, digest.hexdigest(), content_type)


def discard(received: ReceivedFile) -> None:
    received.path.unlink(missing_ok=True)
