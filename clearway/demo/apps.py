from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "clearway.demo"
    label = "demo"
