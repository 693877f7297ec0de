"""Money is Decimal pounds, end to end. Round once, at the edge."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY = models.DecimalField(max_digits=12, decimal_places=2)  # output_field for aggregates


def money_field(verbose_name: str, **kwargs) -> models.DecimalField:
    """A pounds-and-pence column: DecimalField(12, 2)."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def round_to_penny(value: Decimal) -> Decimal:
    """The one place we round: half-up to the penny, at the edge (totals, exports)."""
    return Decimal(value).quantize(PENNY, rounding=ROUND_HALF_UP)


def to_money(value) -> Decimal:
    """Parse '£1,234.50', '1234.5' or a Decimal into pounds; never via float."""
    if isinstance(value, Decimal):
        return round_to_penny(value)
    if isinstance(value, float):
        raise TypeError("Money is never a float; pass a string or a Decimal.")
    text = str(value).strip().replace("£", "").replace(",", "")
    try:
        return round_to_penny(Decimal(text))
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} is not an amount of money.") from exc


def format_gbp(value, *, pence: bool = True) -> str:
    """£1,234.50 (or £1,235 without pence); negative amounts as -£12.00."""
    if value is None or value == "":
        return ""
    amount = round_to_penny(Decimal(value))
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    text = f"{amount:,.2f}" if pence else f"{amount.quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"
    return f"{sign}£{text}"


def percent_change(previous: Decimal | None, current: Decimal | None) -> Decimal | None:
    """Year-on-year change as a percentage to one decimal place; None when it cannot be computed."""
    if previous in (None, ZERO) or current is None:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
