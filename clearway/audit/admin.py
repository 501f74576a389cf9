from django.contrib import admin

from clearway.audit.models import AuditEntry
from clearway.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read only: the trail is added to by Clearway itself and never changed by anyone."""

    list_display = ("recorded_at", "username", "role", "action", "obj", "ip_address", "outcome")
    list_filter = ("action",)
    search_fields = ("username",)
    date_hierarchy = "recorded_at"
