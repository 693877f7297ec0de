"""Financial years and pro-rating, at the edges: 31 March, 1 April, leap years."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.periods import (
    FinancialYear,
    days_inclusive,
    financial_year_label,
    financial_year_start,
    financial_years_between,
    month_end,
    months_between,
    overlap_days,
    prorate_by_financial_year,
)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2024, 3, 31), "2023-24"),
        (date(2024, 4, 1), "2024-25"),
        (date(2024, 1, 1), "2023-24"),
        (date(2024, 12, 31), "2024-25"),
        (date(1999, 4, 1), "1999-00"),
        (date(2000, 3, 31), "1999-00"),
    ],
)
def test_financial_year_of_a_date(day, label):
    assert financial_year_label(day) == label


def test_financial_year_start_is_first_of_april():
    assert financial_year_start(date(2025, 3, 31)) == date(2024, 4, 1)
    assert financial_year_start(date(2025, 4, 1)) == date(2025, 4, 1)


def test_financial_year_bounds_and_leap_year_length():
    fy = FinancialYear(2023)
    assert (fy.start, fy.end) == (date(2023, 4, 1), date(2024, 3, 31))
    assert fy.days == 366  # includes 29 February 2024
    assert FinancialYear(2024).days == 365
    assert date(2024, 2, 29) in fy
    assert date(2024, 4, 1) not in fy


def test_months_of_a_year_run_april_to_march():
    months = FinancialYear(2023).months()
    assert len(months) == 12
    assert months[0] == date(2023, 4, 1)
    assert months[-1] == date(2024, 3, 1)


@pytest.mark.parametrize("label", ["2023-24", "2023/24", "2023-2024"])
def test_label_round_trip(label):
    assert FinancialYear.from_label(label) == FinancialYear(2023)


@pytest.mark.parametrize("label", ["2023-25", "23-24", "2023", "2023-2025"])
def test_bad_labels_are_refused(label):
    with pytest.raises(ValueError):
        FinancialYear.from_label(label)


def test_years_between_crosses_the_boundary():
    assert financial_years_between(date(2024, 3, 31), date(2024, 4, 1)) == [FinancialYear(2023), FinancialYear(2024)]
    with pytest.raises(ValueError):
        financial_years_between(date(2024, 4, 2), date(2024, 4, 1))


def test_month_end_handles_february_in_leap_years():
    assert month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert month_end(date(2023, 2, 10)) == date(2023, 2, 28)
    assert month_end(date(2023, 12, 5)) == date(2023, 12, 31)
    assert list(months_between(date(2023, 11, 15), date(2024, 1, 1))) == [
        date(2023, 11, 1),
        date(2023, 12, 1),
        date(2024, 1, 1),
    ]


def test_overlap_days_is_inclusive():
    assert overlap_days(date(2024, 3, 31), date(2024, 4, 1), date(2024, 4, 1), date(2025, 3, 31)) == 1
    assert overlap_days(date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 2)) == 0
    assert days_inclusive(date(2024, 4, 1), date(2024, 4, 1)) == 1


def test_prorate_two_days_across_the_year_end_splits_evenly():
    shares = prorate_by_financial_year(Decimal("100.00"), date(2024, 3, 31), date(2024, 4, 1))
    assert shares == {FinancialYear(2023): Decimal("50.00"), FinancialYear(2024): Decimal("50.00")}


def test_prorate_by_days_in_a_leap_year():
    # 1 Jan 2024 to 31 Dec 2024 is 366 days: 91 in 2023-24 (Jan 31 + Feb 29 + Mar 31), 275 in 2024-25.
    shares = prorate_by_financial_year(Decimal("36600.00"), date(2024, 1, 1), date(2024, 12, 31))
    assert shares == {FinancialYear(2023): Decimal("9100.00"), FinancialYear(2024): Decimal("27500.00")}


def test_prorate_rounding_never_loses_a_penny():
    shares = prorate_by_financial_year(Decimal("100.00"), date(2023, 3, 31), date(2025, 4, 1))
    assert sum(shares.values()) == Decimal("100.00")
    assert list(shares) == [FinancialYear(2022), FinancialYear(2023), FinancialYear(2024), FinancialYear(2025)]


@given(
    amount=st.decimals(min_value=0, max_value=10_000_000, places=2),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    length=st.integers(min_value=0, max_value=3000),
)
def test_prorated_shares_always_add_up(amount, start, length):
    from datetime import timedelta

    end = start + timedelta(days=length)
    shares = prorate_by_financial_year(amount, start, end)
    assert sum(shares.values()) == amount
    assert all(share >= 0 for share in shares.values())


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 9, 1), 24, date(2027, 9, 1)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    from core.periods import add_months

    assert add_months(day, months) == expected
