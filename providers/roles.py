"""What each role may do with providers (see core.roles). Scope (whose records) is `visible_to`."""

from core.roles import Role

ROLE_PERMISSIONS = {
    Role.OFFICER: {
        "providers.view_provider",
        "providers.add_provider",
        "providers.change_provider",
        "providers.view_provider_directory",
        "providers.view_selectionquestionnaire",
        "providers.review_selectionquestionnaire",
        "providers.verify_compliancedocument",
        "providers.change_insuranceminimums",
    },
    Role.COMMISSIONER: {
        "providers.view_provider",
        "providers.view_provider_directory",
        "providers.view_selectionquestionnaire",
    },
    Role.PROVIDER: {
        "providers.use_provider_portal",
    },
    Role.INTEGRATION: {
        "providers.view_provider",
    },
}
