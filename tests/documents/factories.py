"""Documents for tests that walk every page (permissions, scoping, CSP)."""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings

from clearway.documents.models import Document
from clearway.pathways.models import Referral

#: The smallest file that is a PDF as Clearway checks one.
TINY_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def stored_document(referral: Referral, name: str = "school-report.pdf") -> Document:
    """A document of ``referral``, with its file in place, as ``file_document`` leaves one
    (without recording the requirement as received)."""
    folder = Path(settings.CLEARWAY_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}.pdf"
    # Each document's content differs, as two real reports would.
    data = TINY_PDF + stored.encode()
    (folder / stored).write_bytes(data)
    return Document.objects.create(
        service=referral.service,
        referral=referral,
        patient=referral.patient,
        requirement="school_report",
        kind_label="School report",
        stored_name=stored,
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_type="application/pdf",
        uploaded_by_name="Clearway tests (system)",
    )
