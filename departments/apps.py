from django.apps import AppConfig


class DepartmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "departments"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import config_version, personal

        config_version.watch()
        # Signing in copies the person's language and time zone into their session (departments.personal).
        user_logged_in.connect(personal.remember_on_sign_in, dispatch_uid="departments-personal-settings")
