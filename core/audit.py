"""The audit trail's own rules, beyond what django-auditlog records.

- `withhold` is the mask for identifying fields: the entry says that the field changed, never what it
  held (auditlog's own mask keeps half of each value, which is half a child's name).
- Sealed records: an app may withhold some records' entries from the audit trail for a time (offers are
  sealed from the council until their deadline; their entries would show the fees). `audit_visible`
  leaves them out in the same SQL query as the trail itself.
- `history_redact` overwrites the values of chosen fields in the recorded changes of chosen records: the
  retention rule uses it so that an anonymised child's name and what was written about them do not live
  on in the history. Nothing else in the application changes an entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField
from django.db.models.functions import Cast

WITHHELD = "[withheld]"

_sealed: list[Callable[[], models.QuerySet]] = []


def withhold(value: str) -> str:
    """auditlog's mask for identifying fields (AUDITLOG_MASK_CALLABLE): nothing of the value is kept."""
    return WITHHELD


def register_sealed(records: Callable[[], models.QuerySet]) -> None:
    """`records()` gives the records whose entries are withheld from the audit trail at the moment."""
    _sealed.append(records)


def audit_visible(entries: models.QuerySet) -> models.QuerySet:
    """The entries less those of sealed records, as one query (each sealed set is a subquery)."""
    for records in _sealed:
        sealed = records()
        entries = entries.exclude(
            content_type=ContentType.objects.get_for_model(sealed.model),
            object_pk__in=sealed.annotate(sealed_pk=Cast("pk", CharField())).values("sealed_pk"),
        )
    return entries


M2M_OPERATIONS = {"add": "added", "delete": "removed", "clear": "cleared"}


def change_lines(changes) -> list[tuple[str, str, str]]:
    """An entry's changes as (field, before, after) in words, many-to-many changes included (auditlog
    records those as {"type": "m2m", "operation": ..., "objects": [...]}, not as a before and after)."""
    if not isinstance(changes, dict):
        return []
    lines = []
    for field, change in changes.items():
        if isinstance(change, dict) and change.get("type") == "m2m":
            operation = M2M_OPERATIONS.get(change.get("operation"), change.get("operation", ""))
            lines.append((field, "", f"{operation}: {', '.join(map(str, change.get('objects', [])))}".strip(": ")))
        elif isinstance(change, list | tuple) and len(change) == 2:
            lines.append((field, "" if change[0] in (None, "None") else str(change[0]), str(change[1] or "")))
        else:
            lines.append((field, "", str(change)))
    return lines


def change_text(changes) -> str:
    """The changes as one line of text, for the CSV export."""
    return "; ".join(
        f"{field}: {before or '(blank)'} → {after or '(blank)'}" for field, before, after in change_lines(changes)
    )


def history_redact(*, model: type[models.Model], pks: Iterable[int], fields: Iterable[str], marker: str) -> int:
    """Overwrite what the history recorded of `fields` for these records with `marker` (an empty value
    stays empty, so the history still shows when a field was first filled in). Returns the entries changed."""
    from auditlog.models import LogEntry

    fields = list(fields)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk__in=[str(pk) for pk in pks]
    ).only("pk", "changes")
    changed = []
    for entry in entries.iterator():
        recorded = entry.changes if isinstance(entry.changes, dict) else {}
        touched = [field for field in fields if isinstance(recorded.get(field), list)]
        for field in touched:
            recorded[field] = [value if value in (None, "", "None") else marker for value in recorded[field]]
        if touched:
            entry.changes = recorded
            changed.append(entry)
    LogEntry.objects.bulk_update(changed, ["changes"], batch_size=500)
    return len(changed)
