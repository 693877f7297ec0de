from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    name = "placements"
    verbose_name = "Children's therapy"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from core.audit import register_sealed
        from core.panels import DetailSection, HomePanel, register_panel, register_section
        from core.roles import Role

        from . import models
        from .views import officer_panel_context, provider_disputes_context, provider_panel_context

        # A child's identity is masked in the audit trail: it records that a name changed, not the name.
        auditlog.register(models.Child, mask_fields=list(models.Child.IDENTIFYING_FIELDS))
        auditlog.register(models.PersonalBudget, mask_fields=["paid_to"])  # a member of the family
        for model in (
            models.Provision,
            models.Referral,
            models.Placement,
            models.PlacementVariation,
            models.Invoice,
            models.Dispute,
            models.Review,
            models.PlacementRequest,
            models.Invitation,
            models.Offer,
            models.SchoolPlacement,
            models.FeeUplift,
            models.BlockContract,
            models.NmissHistoricalSpend,
        ):
            auditlog.register(model)
        # An offer's entries show its fees: like the offer, they are sealed from the council until the deadline.
        register_sealed(models.Offer.objects.sealed)
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
