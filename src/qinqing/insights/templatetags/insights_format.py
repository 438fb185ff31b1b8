"""How figures and scores are written on the insights pages (rounding happens only here)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django import template

register = template.Library()


def _decimal(value) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


@register.filter
def points(value) -> str:
    """A score or its part, to two decimals (the exact value is in data-* attributes)."""
    if value is None or value == "":
        return "—"
    return str(_decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@register.filter
def exact(value) -> str:
    """A fraction as 'n/d' for machines (tests, auditors reading the page source)."""
    if value is None:
        return ""
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "") if mapping else ""
