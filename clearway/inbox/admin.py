from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from clearway.core.admin import ReadOnlyAdmin
from clearway.inbox.fetch import InboxError, fetch_mailbox
from clearway.inbox.models import InboxAttachment, InboxMessage, Mailbox


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "service", "host", "username", "folder", "enabled", "last_fetched_at")
    list_filter = ("service", "enabled")
    readonly_fields = (
        "uidvalidity",
        "uidvalidity_folder",
        "last_uid",
        "last_fetched_at",
        "last_error",
        "last_error_at",
        "last_notice",
    )
    actions = ["fetch_now"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.enabled:
            from clearway.inbox.tasks import schedule_fetch

            transaction.on_commit(schedule_fetch)

    @admin.action(description="Fetch new messages now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset:
            try:
                result = fetch_mailbox(mailbox)
            except InboxError as error:
                self.message_user(request, f"{mailbox.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A mailbox with messages is kept with them (the database refuses it too).
        return obj is None or not obj.messages.exists()


class InboxAttachmentInline(admin.TabularInline):
    model = InboxAttachment
    fields = ("position", "content_type", "size", "sha256", "document", "patient")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    # No subject or sender in the list: they may name a child.
    list_display = ("pk", "mailbox", "status", "received_at", "size", "flagged")
    list_filter = ("service", "mailbox", "status", "flagged")
    exclude = ("from_header", "to_header", "subject", "body_text", "note", "proposal")
    inlines = [InboxAttachmentInline]
