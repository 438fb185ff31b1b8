"""Statutory time limits (时限) written in compact form: ``3d``, ``2h``, ``24n``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Limit", "LimitFormatError", "LimitUnit", "parse_limit"]


class LimitUnit(str, Enum):
    """The unit a time limit is counted in."""

    WORKING_DAYS = "d"
    WORKING_HOURS = "h"
    NATURAL_HOURS = "n"

    @property
    def label(self) -> str:
        """Plain English name, e.g. ``working days``."""
        return _LABELS[self]

    def __str__(self) -> str:
        return self.value


_LABELS = {
    LimitUnit.WORKING_DAYS: "working days",
    LimitUnit.WORKING_HOURS: "working hours",
    LimitUnit.NATURAL_HOURS: "natural hours",
}

# Ten years. Anything longer is a typo, and the bound keeps calendar walks finite.
MAX_AMOUNT = {
    LimitUnit.WORKING_DAYS: 3650,
    LimitUnit.WORKING_HOURS: 87600,
    LimitUnit.NATURAL_HOURS: 87600,
}

_LIMIT_RE = re.compile(r"([0-9]+)([dhn])")
_FORMAT_HELP = (
    "write a whole number followed by d (working days), h (working hours) "
    "or n (natural hours), e.g. 3d, 2h, 24n"
)


class LimitFormatError(ValueError):
    """A time limit that is not a positive whole number followed by d, h or n."""


@dataclass(frozen=True)
class Limit:
    """A time limit such as 3 working days."""

    amount: int
    unit: LimitUnit

    def __post_init__(self) -> None:
        try:
            unit = LimitUnit(self.unit)
        except ValueError:
            raise LimitFormatError(
                f"unknown time limit unit {self.unit!r}: {_FORMAT_HELP}"
            ) from None
        object.__setattr__(self, "unit", unit)
        # bool is an int subclass; True as "1" would hide a programming error.
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise LimitFormatError(
                f"time limit amount must be a whole number, got {self.amount!r}: {_FORMAT_HELP}"
            )
        if self.amount < 1:
            raise LimitFormatError(
                f"time limit '{self}' must be at least 1{unit.value}: {_FORMAT_HELP}"
            )
        maximum = MAX_AMOUNT[unit]
        if self.amount > maximum:
            raise LimitFormatError(
                f"time limit '{self}' is too long: at most {maximum}{unit.value} "
                f"({maximum} {unit.label})"
            )

    def __str__(self) -> str:
        return f"{self.amount}{self.unit.value}"


def parse_limit(text: str) -> Limit:
    """Parse ``3d``, ``2h`` or ``24n`` (surrounding spaces and upper case allowed)."""
    cleaned = text.strip() if isinstance(text, str) else text
    match = _LIMIT_RE.fullmatch(cleaned.lower()) if isinstance(cleaned, str) else None
    if match is None:
        raise LimitFormatError(f"unknown time limit {cleaned!r}: {_FORMAT_HELP}")
    return Limit(int(match.group(1)), LimitUnit(match.group(2)))
