from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models, reports  # noqa: F401  (reports register their definitions on import)

        auditlog.register(models.ReportSubscription)
