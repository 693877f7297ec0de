"""Roles are Django groups; what each may do is the permission list below, kept in one place.

Capability ("may this person end placements?") is a permission granted through the role's group.
Scope ("which placements?") is each model's `visible_to(user)`.

Each app states what each role may do with its models in its own `roles.py`
(`ROLE_PERMISSIONS = {Role.OFFICER: {"app.codename", ...}}`); `role_permissions()` gathers them, and
`sync_role_groups` makes the groups match. It runs after every `migrate` (see `core.apps`).
"""

import importlib
import importlib.util

from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    """The roles of the service, in precedence order."""

    ADMINISTRATOR = "administrator", "Administrator"
    OFFICER = "officer", "Officer"
    COMMISSIONER = "commissioner", "Commissioner"
    PROVIDER = "provider", "Provider user"
    INTEGRATION = "integration", "Integration"


# "app_label.codename" per role, for core's own models.
ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.ADMINISTRATOR: {
        "core.view_user",
        "core.add_user",
        "core.change_user",
        "core.view_audit",
        "core.manage_api_tokens",
        "auth.view_group",
    },
    Role.OFFICER: {
        "core.manage_api_tokens",
        "core.manage_reference_data",
        "core.view_audit",
    },
    Role.COMMISSIONER: set(),
    Role.PROVIDER: set(),
    Role.INTEGRATION: set(),
}


def role_permissions() -> dict[Role, set[str]]:
    """Every app's `roles.ROLE_PERMISSIONS`, merged."""
    from django.apps import apps

    merged: dict[Role, set[str]] = {role: set() for role in Role}
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.roles") is None:
            continue
        module = importlib.import_module(f"{config.name}.roles")
        for role, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            merged[role] |= set(perms)
    return merged


def sync_role_groups(using: str = "default") -> None:
    """Create the role groups and set their permissions exactly to what the apps' tables say."""
    from django.contrib.auth.models import Group, Permission

    for role, wanted in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role.label)
        match = Q(pk__in=[])
        for name in wanted:
            app_label, codename = name.split(".", 1)
            match |= Q(content_type__app_label=app_label, codename=codename)
        perms = list(Permission.objects.using(using).filter(match).select_related("content_type"))
        found = {f"{p.content_type.app_label}.{p.codename}" for p in perms}
        missing = wanted - found
        if missing:
            raise LookupError(f"Role {role.label!r} names permissions that do not exist: {sorted(missing)}")
        group.permissions.set(perms)
