"""`qinqing demo` as make run calls it."""

import pytest


@pytest.mark.django_db
def test_if_empty_adds_cases_only_to_an_empty_database():
    from io import StringIO

    from django.core.management import call_command

    from qinqing.cases.models import Case
    from qinqing.demo.oversight import DEMO_CASES  # the oversight story's own cases
    from qinqing.demo.public import MATTERS  # the public side's matters

    out = StringIO()
    call_command("demo", "--cases", "5", "--if-empty", stdout=out)
    assert Case.objects.count() == 5 + DEMO_CASES + len(MATTERS)
    call_command("demo", "--cases", "5", "--if-empty", stdout=out)
    assert Case.objects.count() == 5 + DEMO_CASES + len(MATTERS)
    assert "none added (--if-empty)" in out.getvalue()
