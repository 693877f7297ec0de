"""What each role may do with providers (see core.roles)."""

from core.roles import Role

ROLE_PERMISSIONS = {
    Role.OFFICER: {
        "providers.view_provider",
        "providers.view_provider_directory",
    },
    Role.COMMISSIONER: {
        "providers.view_provider",
        "providers.view_provider_directory",
    },
    Role.PROVIDER: {
        "providers.use_provider_portal",
    },
}
