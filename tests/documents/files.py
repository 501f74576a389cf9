"""Tiny real files of each kind a document may be, and a few that must be refused.

Each is made here, in the test, rather than kept as a binary in the repository: a PDF rendered
by WeasyPrint, Word and OpenDocument files zipped from their XML parts, a Word 97-2003 file as
a compound file (OLE2) holding a ``WordDocument`` stream, and images written by Pillow (and a
big-endian TIFF by hand).
"""

import io
import struct
import zipfile
from functools import cache

from PIL import Image

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert('x')</script></body></html>"
#: The start of a Windows program (a DOS header and its "This program cannot be run" stub).
PROGRAM = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 50
    + (b"This program cannot be run in DOS mode.\r\r\n$")
)


@cache
def pdf(text: str = "School report for a synthetic child") -> bytes:
    """A real one-page PDF."""
    from weasyprint import HTML

    data = HTML(string=f"<h1>{text}</h1><p>Written for Clearway's tests.</p>").write_pdf()
    assert data is not None
    return bytes(data)


def encrypted_pdf() -> bytes:
    """A PDF whose trailer names an encryption dictionary (RC4, 40-bit), as a PDF saved with a
    password is."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + b"28bf4e5e" * 8
        + b"> /U <"
        + b"0f0e0d0c" * 8
        + b"> /P -44 >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n"
        % (len(objects) + 1, b"ab" * 16, b"ab" * 16)
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _zip(parts: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first is not None:
            archive.writestr(stored_first, parts[stored_first], compress_type=zipfile.ZIP_STORED)
        for name, content in parts.items():
            if name != stored_first:
                archive.writestr(name, content)
    return data.getvalue()


DOCX_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    "word/document.xml": b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>SaLT report for a synthetic child</w:t></w:r></w:p></w:body>"
    b"</w:document>",
}


def docx(*, macros: bool = False) -> bytes:
    """A minimal Word document that Word opens (the three parts a docx needs)."""
    parts = dict(DOCX_PARTS)
    if macros:
        parts["word/vbaProject.bin"] = b"\xcc\x61\xff\xff" + b"\x00" * 60
    return _zip(parts)


ODT_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    b'manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" '
    b'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"%s'
    b"</manifest:manifest>"
)


def odt(*, encrypted: bool = False) -> bytes:
    """A minimal OpenDocument text; ``encrypted``, as one saved with a password."""
    entry = (
        b'><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        b'manifest:checksum="AAAA"/></manifest:file-entry>'
        if encrypted
        else b"/>"
    )
    return _zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
            b'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            b'office:version="1.2"><office:body><office:text><text:p>Consent form</text:p>'
            b"</office:text></office:body></office:document-content>",
            "META-INF/manifest.xml": ODT_MANIFEST % entry,
        },
        stored_first="mimetype",
    )


FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _directory_entry(
    name: str, kind: int, *, child: int = NO_STREAM, right: int = NO_STREAM, start: int, size: int
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)  # length, type, colour (black)
        + struct.pack("<III", NO_STREAM, right, child)
        + b"\x00" * 16  # class id
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # created, modified
        + struct.pack("<IQ", start, size)
    )


def doc(*, macros: bool = False) -> bytes:
    """A compound file (OLE2, version 3, 512-byte sectors) holding a 4 KB ``WordDocument``
    stream that starts with a Word 97 file information block's signature: the container of a
    Word 97-2003 document. ``macros`` adds a ``_VBA_PROJECT`` stream, as a document with macros
    has."""
    stream_sectors = 8  # 4096 bytes: at the mini stream cutoff, so kept in ordinary sectors
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIII", 0, 1, 1, 0)  # directory sectors, FAT sectors, first dir, txn
        + struct.pack("<IIIII", 0x1000, END, 0, END, 0)  # cutoff, mini FAT, DIFAT
        + struct.pack("<I", 0)  # the FAT is sector 0
        + struct.pack("<I", FREE) * 108
    )
    fat = [FAT_SECTOR, END, *range(3, 2 + stream_sectors), END]
    fat_sector = b"".join(struct.pack("<I", n) for n in fat).ljust(512, b"\xff")
    entries = [
        _directory_entry("Root Entry", 5, child=1, start=END, size=0),
        _directory_entry("WordDocument", 2, right=2 if macros else NO_STREAM, start=2, size=4096),
    ]
    if macros:
        entries.append(_directory_entry("_VBA_PROJECT", 2, start=END, size=0))
    while len(entries) < 4:
        entries.append(_directory_entry("", 0, start=0, size=0))
    word = struct.pack("<HH", 0xA5EC, 0x00C1).ljust(4096, b"\x00")
    return header + fat_sector + b"".join(entries) + word


def image(fmt: str) -> bytes:
    """A small real image in Pillow's format ``fmt`` (PNG, JPEG, TIFF)."""
    data = io.BytesIO()
    Image.new("RGB", (16, 12), (0, 94, 184)).save(data, format=fmt)
    return data.getvalue()


def big_endian_tiff() -> bytes:
    """A 1 x 1 grey TIFF in Motorola byte order (``MM\\0*``), as some scanners write."""
    tags = [
        (256, 3, 1, 1 << 16),  # width 1 (a SHORT sits in the value's first two bytes)
        (257, 3, 1, 1 << 16),  # height 1
        (258, 3, 1, 8 << 16),  # 8 bits a sample
        (259, 3, 1, 1 << 16),  # no compression
        (262, 3, 1, 1 << 16),  # black is zero
        (273, 4, 1, 8 + 2 + 8 * 12 + 4),  # the pixel's offset: after the directory
        (278, 3, 1, 1 << 16),  # one row a strip
        (279, 4, 1, 1),  # one byte
    ]
    directory = struct.pack(">H", len(tags)) + b"".join(struct.pack(">HHII", *t) for t in tags)
    return b"MM\x00*" + struct.pack(">I", 8) + directory + struct.pack(">I", 0) + b"\x80"
