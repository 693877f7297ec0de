"""Small display helpers for the children's therapy pages (how a child is named lives in `children`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from core.periods import FinancialYear

register = template.Library()


@register.filter
def financial_year_label(start_year) -> str:
    """2024 -> "2024-25" (commitments are stored by the year their financial year starts)."""
    return FinancialYear(int(start_year)).label if start_year not in (None, "") else ""


@register.filter
def share_of(part, whole) -> str:
    """`shortfall|share_of:specified` -> "40.2%" (one row's share, for display only)."""
    try:
        if not whole:
            return ""
        return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"
    except (InvalidOperation, TypeError, ValueError):
        return ""
