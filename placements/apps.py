from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "Children's therapy"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from core.panels import DetailSection, HomePanel, register_panel, register_section
        from core.roles import Role

        from . import models
        from .views import officer_panel_context, provider_disputes_context, provider_panel_context

        # A child's identity is masked in the audit trail: it records that a name changed, not the name.
        auditlog.register(models.Child, mask_fields=["first_name", "last_name", "date_of_birth"])
        for model in (
            models.Provision,
            models.Referral,
            models.Placement,
            models.PlacementVariation,
            models.PersonalBudget,
            models.Invoice,
            models.Dispute,
            models.Review,
        ):
            auditlog.register(model)
        register_section(
            DetailSection(
                slot="provider-detail",
                key="placements-disputes",
                template="placements/_provider_disputes.html",
                context=provider_disputes_context,
                permission="placements.view_dispute",
            )
        )
        register_panel(
            HomePanel(
                key="placements-officer",
                template="placements/_home_officer.html",
                roles=frozenset({Role.OFFICER}),
                context=officer_panel_context,
                order=10,
            )
        )
        register_panel(
            HomePanel(
                key="placements-provider",
                template="placements/_home_provider.html",
                roles=frozenset({Role.PROVIDER}),
                context=provider_panel_context,
                order=10,
            )
        )
