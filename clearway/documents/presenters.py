"""View-models for the documents on a child's record, shaped for the pages."""

from dataclasses import dataclass, field

from clearway.documents.models import Document, FiledInError
from clearway.intake.uploads import megabytes
from clearway.pathways.models import Referral

#: How each checked type is named to people.
TYPE_NAMES = {
    "application/pdf": "PDF",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/tiff": "TIFF image",
}


def describe_file(document: Document) -> str:
    """ "PDF, 120 KB": what a person needs to know before opening it."""
    return f"{TYPE_NAMES.get(document.content_type, 'File')}, {megabytes(max(document.size, 1024))}"


@dataclass
class DocumentRow:
    document: Document
    #: "PDF, 120 KB".
    file: str
    filed_in_error: FiledInError | None


@dataclass
class ReferralDocuments:
    """A referral's documents: those that count, and those filed in error (kept, shown apart)."""

    current: list[DocumentRow] = field(default_factory=list)
    in_error: list[DocumentRow] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.current or self.in_error)


def referral_documents(referral: Referral) -> ReferralDocuments:
    """The referral's documents, newest arrival first, for the child's record."""
    found = ReferralDocuments()
    documents = (
        Document.objects.for_service(referral.service_id)
        .filter(referral=referral)
        .select_related("filed_in_error")
    )
    for document in documents:
        in_error = getattr(document, "filed_in_error", None)
        row = DocumentRow(document, describe_file(document), in_error)
        (found.in_error if in_error else found.current).append(row)
    return found
