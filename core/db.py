"""Database expressions every app's selectors share (date arithmetic that both SQLite and PostgreSQL run)."""

from __future__ import annotations

from datetime import date

from django.db.models import DateField, DecimalField, ExpressionWrapper, F, Func, IntegerField, Value
from django.db.models.functions import Greatest, Least


class DaysBetween(Func):
    """Whole days from `start` to `end` (end minus start) for two date expressions, in SQL.

    PostgreSQL subtracts dates to an integer; SQLite has no date type, so it goes through julianday().
    """

    output_field = IntegerField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and others with a date type
        return super().as_sql(compiler, connection, template="((%(expressions)s))", arg_joiner=") - (", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def as_date(value: date | F | Func):
    """A date literal as a typed SQL value (so Greatest/Least compare dates, not text)."""
    return Value(value, output_field=DateField()) if isinstance(value, date) else value


def overlap_days(start, end, period_start, period_end):
    """Days (inclusive) that the range start..end shares with period_start..period_end; 0 when apart.

    `end` may be an expression that is never NULL (callers Coalesce open ends first).
    """
    first = Greatest(as_date(start), as_date(period_start), output_field=DateField())
    last = Least(as_date(end), as_date(period_end), output_field=DateField())
    return Greatest(DaysBetween(last, first) + 1, Value(0), output_field=IntegerField())


class Divide(Func):
    """`numerator / denominator` without integer division: SQLite stores 1.00 in a decimal column as the
    integer 1, and 1 * 38 / 365 would be 0 there. PostgreSQL's numeric division is exact already."""

    arity = 2

    def __init__(self, numerator, denominator, output_field=None, **extra):
        output_field = output_field or DecimalField(max_digits=20, decimal_places=6)
        super().__init__(
            ExpressionWrapper(numerator, output_field=output_field),
            ExpressionWrapper(denominator, output_field=output_field),
            output_field=output_field,
            **extra,
        )

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="((%(expressions)s))", arg_joiner=") / (", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(CAST(%(expressions)s))", arg_joiner=" AS REAL) / (", **extra_context
        )
