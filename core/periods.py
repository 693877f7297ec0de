"""Financial years (1 April to 31 March), months, and pro-rating money across them by days.

Terms are inclusive: a placement from 1 April to 31 March is 365 (or 366) days.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .money import ZERO, round_to_penny

_LABEL = re.compile(r"^(\d{4})[-/](\d{2}|\d{4})$")


def financial_year_start(day: date) -> date:
    """UK public-sector financial years run 1 April to 31 March."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The financial year starting 1 April of `start_year`; its label is like '2023-24'."""

    start_year: int

    @classmethod
    def of(cls, day: date) -> FinancialYear:
        return cls(financial_year_start(day).year)

    @classmethod
    def from_label(cls, label: str) -> FinancialYear:
        """Accepts '2023-24', '2023/24' and '2023-2024'."""
        match = _LABEL.match(label.strip())
        if not match:
            raise ValueError(f"{label!r} is not a financial year like 2023-24.")
        start, end = int(match.group(1)), match.group(2)
        expected = str(start + 1)[-len(end) :]
        if end != expected:
            raise ValueError(f"{label!r} is not a financial year like 2023-24.")
        return cls(start)

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{str(self.start_year + 1)[-2:]}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.label

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[date]:
        """The first day of each month, April to March."""
        return [date(self.start_year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]

    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)


def financial_year_label(day: date) -> str:
    return FinancialYear.of(day).label


def financial_years_between(start: date, end: date) -> list[FinancialYear]:
    """Every financial year touched by the inclusive range start..end."""
    if end < start:
        raise ValueError("The end of a period cannot be before its start.")
    first, last = FinancialYear.of(start), FinancialYear.of(end)
    return [FinancialYear(y) for y in range(first.start_year, last.start_year + 1)]


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def months_between(start: date, end: date) -> Iterator[date]:
    """First day of each month touched by the inclusive range start..end."""
    current = month_start(start)
    while current <= end:
        yield current
        current = month_end(current) + timedelta(days=1)


def days_inclusive(start: date, end: date) -> int:
    return (end - start).days + 1


def overlap_days(start: date, end: date, other_start: date, other_end: date) -> int:
    """Days the two inclusive ranges share (0 when they do not meet)."""
    first, last = max(start, other_start), min(end, other_end)
    return max(0, (last - first).days + 1)


def prorate_by_financial_year(amount: Decimal, start: date, end: date) -> dict[FinancialYear, Decimal]:
    """Split `amount` spent evenly over the inclusive range start..end into financial years, by days.

    Rounds cumulatively (each year gets the rounded running total minus the rounded total before
    it), so the shares always add up to `amount` exactly and none is ever negative.
    """
    years = financial_years_between(start, end)
    total_days = days_inclusive(start, end)
    amount = Decimal(amount)
    shares: dict[FinancialYear, Decimal] = {}
    days_so_far, allocated = 0, ZERO
    for year in years:
        days_so_far += overlap_days(start, end, year.start, year.end)
        running_total = round_to_penny(amount * days_so_far / total_days)
        shares[year] = running_total - allocated
        allocated = running_total
    return shares


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 29 Feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    target = date(day.year + year, month + 1, 1)
    return min(
        day.replace(year=target.year, month=target.month, day=1) + timedelta(days=day.day - 1), month_end(target)
    )


def weeks_between(start: date, end: date) -> int:
    """Whole weeks elapsed from start to end (0 when end is before start)."""
    return max(0, (end - start).days // 7)
