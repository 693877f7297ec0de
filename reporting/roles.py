"""Who may run and read reports (see core.roles). Provider users may not run council-wide reports."""

from core.roles import Role

ROLE_PERMISSIONS = {
    Role.OFFICER: {"reporting.view_reportrun", "reporting.add_reportrun"},
    Role.COMMISSIONER: {"reporting.view_reportrun", "reporting.add_reportrun"},
    Role.INTEGRATION: {"reporting.view_reportrun", "reporting.add_reportrun"},
}
