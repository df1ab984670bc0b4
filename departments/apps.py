from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "departments"

    def ready(self) -> None:
        from . import config_version

        config_version.watch()
