from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "requests_app.feedback"
    label = "feedback"
    verbose_name = "Feedback loop"

    def ready(self) -> None:
        from requests_app import extensions

        from .extension import FeedbackExtension

        extensions.register(FeedbackExtension())

        # Register the Celery tasks in every process (see requests_app.apps).
        from . import tasks  # noqa: F401
