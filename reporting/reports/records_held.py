"""Records held: how many records of each kind the service holds (for the data protection officer)."""

from django.apps import apps

from reporting.definitions import Column, ReportDefinition, Result, Table, register

OUR_APPS = ("core", "providers", "contracts", "placements", "reporting")


@register
class RecordsHeld(ReportDefinition):
    kind = "records-held"
    title = "Records held"
    description = "How many records of each kind the service holds: for the council's record of processing."
    group = "Service"

    def build(self, *, params, progress, user) -> Result:
        models = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS and not m._meta.auto_created]
        rows = []
        for index, model in enumerate(sorted(models, key=lambda m: (m._meta.app_label, m._meta.verbose_name))):
            progress(index * 100 // len(models), f"Counting {model._meta.verbose_name_plural}")
            rows.append(
                {
                    "area": apps.get_app_config(model._meta.app_label).verbose_name,
                    "kind": str(model._meta.verbose_name_plural).capitalize(),
                    "count": model._default_manager.count(),
                }
            )
        table = Table(
            key="records",
            title="Records by kind",
            columns=[Column("area", "Area"), Column("kind", "Kind of record"), Column("count", "Records", "int")],
            rows=rows,
            footer={"area": "Total", "kind": "", "count": sum(r["count"] for r in rows)},
        )
        return Result(
            tables=[table], summary=[{"label": "Records in all", "value": table.footer["count"], "kind": "int"}]
        )
