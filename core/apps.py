from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs) -> None:
    """After `migrate`, once the last app's permissions exist, make the role groups match the table."""
    from django.apps import apps

    from .roles import sync_role_groups

    if sender.name != list(apps.get_app_configs())[-1].name:
        return
    sync_role_groups(using=using)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        # Role permissions are synced once every app's permissions exist (the last app's post_migrate).
        post_migrate.connect(_sync_roles, dispatch_uid="core.sync_role_groups")
        auditlog.register(models.User, exclude_fields=["password", "last_login"], m2m_fields={"groups"})
        auditlog.register(models.ApiToken, exclude_fields=["key_hash"])
        auditlog.register(models.TherapyType)
        auditlog.register(models.District)
