from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "clearway.contact"
    label = "contact"
    verbose_name = "Standard work and contact"
