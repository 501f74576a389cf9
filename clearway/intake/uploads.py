"""Receiving an uploaded file safely: its size, its real type, and where it is kept.

A file is judged by its content, not its name: an xlsx or ods is a zip archive of the right
parts, an xls is an OLE2 compound file, a csv is text with no NUL bytes that is not a web page.
A web page renamed ``list.xlsx`` or ``list.csv`` is refused. Files are written under a
generated name in ``CLEARWAY_UPLOAD_DIR`` (outside the web root: nothing serves that folder),
readable by Clearway's own user only, and are given back only to permitted staff, as an
attachment (see ``views.download``).
"""

import hashlib
import os
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from clearway.intake.models import UploadKind

#: What each kind of upload may be, by the file's ending.
SUFFIXES = {
    UploadKind.LEGACY_LIST: (".xlsx", ".xlsm", ".xls", ".ods", ".csv"),
    UploadKind.PAS_EXTRACT: (".csv",),
}
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
#: The stream an encrypted (password-protected) Office file keeps its workbook in.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_WEB_PAGE = re.compile(rb"^\s*<(!doctype|html|head|body|script|\?xml|svg|iframe|meta|a\s)", re.I)


class UploadRefused(Exception):
    """A file Clearway will not keep; the message says why, in plain words, naming the file."""


@dataclass(frozen=True)
class ReceivedFile:
    """A file written to the upload folder under a generated name, not yet recorded."""

    path: Path
    original_name: str
    size: int
    sha256: str


def max_bytes() -> int:
    return int(settings.CLEARWAY_UPLOAD_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


def clean_name(name: str) -> str:
    """The uploaded file's own name, for showing only: no folders, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-200:] or "unnamed file"


def suffix_of(name: str) -> str:
    return Path(name).suffix.lower()


def check_name(name: str, kind: str) -> None:
    if suffix_of(name) in SUFFIXES[UploadKind(kind)]:
        return
    if kind == UploadKind.PAS_EXTRACT:
        raise UploadRefused(f"{name}: the PAS extract must be a csv file")
    raise UploadRefused(f"{name}: the waiting list must be an xlsx, xlsm, xls, ods or csv file")


def check_content(path: Path, name: str) -> None:
    """Refuse a file whose content is not what its name says (see the module's docstring)."""
    size = path.stat().st_size
    if size == 0:
        raise UploadRefused(f"{name}: the file is empty")
    with path.open("rb") as handle:
        head = handle.read(8192)
    suffix = suffix_of(name)
    if suffix in {".xlsx", ".xlsm", ".ods"}:
        if head.startswith(OLE2_MAGIC) and _is_encrypted(path):
            raise UploadRefused(
                f"{name}: the workbook is password-protected. Save a copy without a password "
                "and upload that"
            )
        if not head.startswith(ZIP_MAGIC) or not _is_spreadsheet_zip(path, suffix):
            raise UploadRefused(f"{name}: is not a real {suffix[1:]} spreadsheet")
    elif suffix == ".xls":
        if not head.startswith(OLE2_MAGIC):
            raise UploadRefused(f"{name}: is not a real xls spreadsheet")
        if _is_encrypted(path):
            raise UploadRefused(
                f"{name}: the workbook is password-protected. Save a copy without a password "
                "and upload that"
            )
    elif suffix == ".csv":
        if head.startswith((ZIP_MAGIC, OLE2_MAGIC)):
            raise UploadRefused(
                f"{name}: is a spreadsheet, not a csv file. Save it as csv, or upload it as it is "
                "with its own ending (xlsx, xls or ods)"
            )
        if _WEB_PAGE.match(head.lstrip(b"\xef\xbb\xbf")):
            raise UploadRefused(f"{name}: is a web page, not a csv file")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                if b"\x00" in chunk:
                    raise UploadRefused(f"{name}: is not a text csv file (it holds binary data)")


def _is_encrypted(path: Path) -> bool:
    # The directory of an OLE2 file sits anywhere in it; encrypted Office files are small
    # enough (the upload limit) to search whole.
    return ENCRYPTED_PACKAGE in path.read_bytes()


def _is_spreadsheet_zip(path: Path, suffix: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if suffix == ".ods":
                return "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE
            return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def receive(chunks: Iterable[bytes], original_name: str, kind: str) -> ReceivedFile:
    """Write an upload under a generated name, checking its name, size and content.

    On any refusal nothing is left behind. The caller records the file (an ``Upload``) or,
    if a later check refuses it, calls :func:`discard`.
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
                        f"{name}: the file is larger than {_megabytes(limit)}, the most Clearway "
                        "accepts. Split it, or ask your administrator to raise the limit"
                    )
                digest.update(chunk)
                handle.write(chunk)
        check_content(path, name)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ReceivedFile(path, name, size, digest.hexdigest())


def discard(received: ReceivedFile) -> None:
    received.path.unlink(missing_ok=True)
