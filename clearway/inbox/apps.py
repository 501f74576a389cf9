from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "clearway.inbox"
    label = "inbox"
    verbose_name = "Shared inbox"
