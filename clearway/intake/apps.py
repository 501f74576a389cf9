from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "clearway.intake"
    label = "intake"
    verbose_name = "Intake and validation"
