"""Template filters for this service (loaded everywhere as builtins): money, dates, financial years."""

from datetime import date, datetime
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.money import format_gbp
from core.periods import FinancialYear

register = template.Library()


@register.filter
def gbp(value, pence=True) -> str:
    """£1,234.50; `|gbp:0` drops the pence."""
    if value in (None, ""):
        return ""
    return format_gbp(Decimal(value), pence=bool(pence))


@register.filter
def govuk_date(value) -> str:
    """GOV.UK style: 1 April 2025 (datetimes in local time: 1 April 2025 at 2:05pm)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(local, "j F Y \\a\\t g:iA").replace("AM", "am").replace("PM", "pm")
    if isinstance(value, date):
        return date_format(value, "j F Y")
    return str(value)


@register.filter
def financial_year(value) -> str:
    return FinancialYear.of(value).label if isinstance(value, date) else ""


@register.filter
def percent(value, places=1) -> str:
    if value is None or value == "":
        return ""
    value = Decimal(value)
    sign = "+" if value > 0 else ""
    return f"{sign}{value:.{int(places)}f}%"


@register.simple_tag(takes_context=True)
def query_transform(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for sort links and pagination)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.inclusion_tag("includes/detail_sections.html", takes_context=True)
def detail_sections(context, slot: str, obj):
    """Sections other apps contribute to this page (see core.panels.register_section)."""
    from core.panels import sections_for

    return {"sections": sections_for(slot, context["request"], obj), "request": context["request"]}


@register.filter
def get_item(mapping, key):
    """`row|get_item:"column"` for dict rows in templates."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def govuk_styled(form):
    """`{% with form=filter.form|govuk_styled %}`: the form with GOV.UK classes on its widgets."""
    from core.forms import style_widgets

    return style_widgets(form)


@register.filter
def audit_changes(changes) -> list[tuple[str, str, str]]:
    """An audit entry's changes as (field, before, after), many-to-many changes in words."""
    from core.audit import change_lines

    return change_lines(changes)
