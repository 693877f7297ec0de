"""Records held: how many records of each kind the service holds (for the data protection officer)."""

from django.apps import apps
from django.db import connection

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
        models.sort(key=lambda m: (m._meta.app_label, m._meta.verbose_name))
        progress(10, "Counting the records of each kind")
        # Every table counted in one statement (a round trip a kind costs more than the counting): each kind's
        # records are its table's rows, as the ORM's count() counts them.
        quote = connection.ops.quote_name
        counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)})" for model in models)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {counts}")
            counted = cursor.fetchone()
        rows = [
            {
                "area": apps.get_app_config(model._meta.app_label).verbose_name,
                "kind": str(model._meta.verbose_name_plural).capitalize(),
                "count": counted[index],
            }
            for index, model in enumerate(models)
        ]
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
