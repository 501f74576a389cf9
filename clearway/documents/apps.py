from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "clearway.documents"
    label = "documents"
    verbose_name = "Documents"
