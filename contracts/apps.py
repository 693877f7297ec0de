from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from core.panels import HomePanel, register_panel
        from core.roles import Role

        from . import models
        from .views import alerts_panel_context

        for model in (
            models.Contract,
            models.ProcurementRoute,
            models.ContractYear,
            models.Variation,
            models.FundingContribution,
            models.BudgetElement,
            models.FundedPost,
            models.PerformanceReturn,
        ):
            auditlog.register(model)
        register_panel(
            HomePanel(
                key="contracts-alerts",
                template="contracts/_home_alerts.html",
                roles=frozenset({Role.OFFICER, Role.COMMISSIONER}),
                context=alerts_panel_context,
                order=20,
            )
        )
