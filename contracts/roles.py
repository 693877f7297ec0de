"""What each role may do with contracts (see core.roles)."""

from core.roles import Role

ROLE_PERMISSIONS = {
    Role.OFFICER: {"contracts.view_contract"},
    Role.COMMISSIONER: {"contracts.view_contract", "contracts.add_contract", "contracts.change_contract"},
}
