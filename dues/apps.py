from django.apps import AppConfig


class DuesConfig(AppConfig):
    name = "dues"
