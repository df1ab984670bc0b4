from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "requests_app"
    verbose_name = "Service requests"

    def ready(self) -> None:
        # Register the Celery tasks in every process, not only in workers (whose autodiscovery finds them):
        # ``requests_app.enqueue`` looks tasks up by name, and in eager mode runs them here.
        from . import tasks  # noqa: F401
