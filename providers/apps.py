from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Providers"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import models

        for model in (
            models.Provider,
            models.ProviderList,
            models.Lot,
            models.Membership,
            models.PricingSchedule,
            models.PriceLine,
            models.CapacityDeclaration,
            models.Practitioner,
            models.InsurancePolicy,
            models.InsuranceMinimums,
        ):
            auditlog.register(model)
        auditlog.register(models.ComplianceDocument, exclude_fields=["file"])
        auditlog.register(models.SelectionQuestionnaire, exclude_fields=["snapshot"])
