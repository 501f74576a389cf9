from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clearway.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the trail is added to by Clearway itself and never changed by anyone."""

    list_display = ("recorded_at", "username", "role", "action", "obj", "ip_address", "outcome")
    list_filter = ("action",)
    search_fields = ("username",)
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
