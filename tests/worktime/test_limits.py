import pytest

from qinqing.worktime.limits import Limit, LimitFormatError, LimitUnit, parse_limit


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("3d", 3, LimitUnit.WORKING_DAYS),
        ("2h", 2, LimitUnit.WORKING_HOURS),
        ("24n", 24, LimitUnit.NATURAL_HOURS),
        ("  15d \n", 15, LimitUnit.WORKING_DAYS),
        ("8H", 8, LimitUnit.WORKING_HOURS),
        ("1N", 1, LimitUnit.NATURAL_HOURS),
        ("3650d", 3650, LimitUnit.WORKING_DAYS),
        ("87600h", 87600, LimitUnit.WORKING_HOURS),
        ("87600n", 87600, LimitUnit.NATURAL_HOURS),
    ],
)
def test_parse_good(text, amount, unit):
    assert parse_limit(text) == Limit(amount, unit)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "d", "3", "3x", "-3d", "+3d", "1.5d", "3 d", "3dd", "d3", "3 days", "三天", "0x3d"],
)
def test_parse_garbage(text):
    with pytest.raises(LimitFormatError) as info:
        parse_limit(text)
    message = str(info.value)
    assert message.startswith(f"unknown time limit {text.strip()!r}: ")
    assert "d (working days), h (working hours) or n (natural hours), e.g. 3d, 2h, 24n" in message
    assert "\n" not in message


def test_error_message_exact():
    with pytest.raises(LimitFormatError) as info:
        parse_limit("3x")
    assert str(info.value) == (
        "unknown time limit '3x': write a whole number followed by d (working days), "
        "h (working hours) or n (natural hours), e.g. 3d, 2h, 24n"
    )


@pytest.mark.parametrize("text", ["0d", "0h", "00n"])
def test_zero_rejected(text):
    with pytest.raises(LimitFormatError, match="must be at least 1"):
        parse_limit(text)


@pytest.mark.parametrize(
    ("text", "bound"),
    [("3651d", "3650d (3650 working days)"), ("87601h", "87600h (87600 working hours)"),
     ("100000n", "87600n (87600 natural hours)"), ("99999999999999999999d", "3650d")],
)
def test_too_long_rejected(text, bound):
    with pytest.raises(LimitFormatError, match="too long") as info:
        parse_limit(text)
    assert f"at most {bound}" in str(info.value)


def test_error_is_value_error():
    assert issubclass(LimitFormatError, ValueError)


def test_str_is_compact_and_round_trips():
    for text in ["3d", "2h", "24n"]:
        assert str(parse_limit(text)) == text
    assert str(parse_limit(" 07D ")) == "7d"


def test_limit_constructor_validates():
    assert Limit(3, "d") == Limit(3, LimitUnit.WORKING_DAYS)
    with pytest.raises(LimitFormatError):
        Limit(0, LimitUnit.WORKING_DAYS)
    with pytest.raises(LimitFormatError):
        Limit(-1, LimitUnit.WORKING_HOURS)
    with pytest.raises(LimitFormatError):
        Limit(1.5, LimitUnit.WORKING_HOURS)
    with pytest.raises(LimitFormatError):
        Limit(True, LimitUnit.WORKING_HOURS)
    with pytest.raises(LimitFormatError):
        Limit(3, "x")


def test_unit_values_and_labels():
    assert [u.value for u in LimitUnit] == ["d", "h", "n"]
    assert LimitUnit("h") is LimitUnit.WORKING_HOURS
    assert LimitUnit.NATURAL_HOURS.label == "natural hours"
    assert str(LimitUnit.WORKING_DAYS) == "d"
