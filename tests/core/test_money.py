from decimal import Decimal

import pytest

from core.money import format_gbp, percent_change, round_to_penny, to_money


def test_round_half_up_to_the_penny():
    assert round_to_penny(Decimal("0.005")) == Decimal("0.01")
    assert round_to_penny(Decimal("2.675")) == Decimal("2.68")


def test_parse_money_never_from_float():
    assert to_money("£1,234.5") == Decimal("1234.50")
    with pytest.raises(TypeError):
        to_money(1.5)
    with pytest.raises(ValueError):
        to_money("lots")


def test_format_gbp():
    assert format_gbp(Decimal("1134984")) == "£1,134,984.00"
    assert format_gbp(Decimal("-12.5")) == "-£12.50"
    assert format_gbp(Decimal("1618487.40"), pence=False) == "£1,618,487"


def test_percent_change_from_the_seed_spend_figures():
    # The council's spot-purchase spend: the stated "+4.6%" and "+9.2%" do not match these figures.
    assert percent_change(Decimal("1134984"), Decimal("1291166")) == Decimal("13.8")
    assert percent_change(Decimal("1291166"), Decimal("1618487")) == Decimal("25.4")
    assert percent_change(None, Decimal("1")) is None
    assert percent_change(Decimal("0"), Decimal("1")) is None
