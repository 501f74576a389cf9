from django.contrib import admin

from clearway.core.admin import ReadOnlyAdmin
from clearway.documents.models import Document, FiledInError


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    # No names of children in the list: the admin shows what was filed, by whom and when.
    list_display = (
        "pk",
        "kind_label",
        "service",
        "content_type",
        "uploaded_by_name",
        "uploaded_at",
    )
    list_filter = ("service", "requirement", "content_type")


@admin.register(FiledInError)
class FiledInErrorAdmin(ReadOnlyAdmin):
    list_display = ("document", "actor_name", "recorded_at")
