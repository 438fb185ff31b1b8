"""The platform's one gap-free yearly numbering (qinqing.cases.numbering): case numbers
and reminder-letter numbers are two series of it."""

from __future__ import annotations

import pytest
from django.db import transaction

from qinqing.cases import numbering
from qinqing.cases.models import NumberSequence


def test_series_count_apart_and_a_rollback_gives_the_number_back(db):
    assert numbering.last_value(numbering.LETTER, 2031) == 0
    assert [numbering.next_value(numbering.CASE, 2031) for _ in range(3)] == [1, 2, 3]
    assert numbering.next_value(numbering.LETTER, 2031) == 1
    assert numbering.next_value(numbering.CASE, 2032) == 1  # a year starts at one
    with pytest.raises(RuntimeError), transaction.atomic():
        assert numbering.next_value(numbering.LETTER, 2031) == 2
        raise RuntimeError("the letter failed")  # its number is given back
    assert numbering.next_value(numbering.LETTER, 2031) == 2
    assert numbering.last_value(numbering.CASE, 2031) == 3
    assert sorted(NumberSequence.objects.values_list("series", "year", "last")) == [
        ("case", 2031, 3), ("case", 2032, 1), ("letter", 2031, 2)]


def test_a_case_number_is_the_case_series(make_case):
    case = make_case("received")
    year = int(case.number[3:7])
    assert case.number == f"QQ-{year}-{numbering.last_value(numbering.CASE, year):06d}"
