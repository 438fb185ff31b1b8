"""How figures and scores are written on the insights pages (rounding happens only here)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

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


_CN_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}")


@register.filter
def nobreak_dates(text) -> str:
    """The text, escaped, with every date in a span that is never broken across lines
    (a title's "2026年1月1日" must not end one line and start the next)."""
    escaped = str(conditional_escape(text))
    return mark_safe(_CN_DATE.sub(lambda m: f'<span class="date">{m.group(0)}</span>',
                                  escaped))
