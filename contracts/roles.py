"""What each role may do with contracts (see core.roles). Provider users see only their own contracts."""

from core.roles import Role

READ = {
    "contracts.view_contract",
    "contracts.view_contractyear",
    "contracts.view_variation",
    "contracts.view_fundingcontribution",
    "contracts.view_fundedpost",
    "contracts.view_procurementroute",
    "contracts.view_performancereturn",
}

ROLE_PERMISSIONS = {
    Role.OFFICER: READ,
    Role.COMMISSIONER: READ
    | {
        "contracts.add_contract",
        "contracts.change_contract",
        "contracts.change_contract_status",
        "contracts.change_procurementroute",
        "contracts.add_performancereturn",
        "contracts.change_performancereturn",
    },
    Role.PROVIDER: {"contracts.view_performancereturn", "contracts.add_performancereturn"},
    Role.INTEGRATION: READ,
}
