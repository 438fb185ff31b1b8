"""The demo's codes (make run): every hall and window and the demo enterprises have one,
through the registry's and the codes' services; the registry refuses a bad credit code."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from qinqing.codes.models import SupervisionCode
from qinqing.demo.codes import DEMO_ENTERPRISES, build_demo_codes, credit_code
from qinqing.enterprises.models import Enterprise
from qinqing.enterprises.services import register
from qinqing.org.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


def test_the_demo_gives_every_hall_window_and_demo_enterprise_one_code(demo_org):
    made = build_demo_codes()
    places = Unit.objects.filter(kind__in=(UnitKind.SERVICE_HALL, UnitKind.WINDOW))
    assert made == {"enterprises": len(DEMO_ENTERPRISES),
                    "codes": places.count() + len(DEMO_ENTERPRISES)}
    live = SupervisionCode.objects.filter(revoked_at__isnull=True)
    assert set(live.exclude(unit=None).values_list("unit__code", flat=True)) == set(
        places.values_list("code", flat=True))
    assert live.exclude(enterprise=None).count() == len(DEMO_ENTERPRISES)
    for enterprise in Enterprise.objects.all():
        enterprise.full_clean()  # the credit code passes its check character
    # Again: nothing new, the printed codes stay valid.
    tokens = set(live.values_list("token", flat=True))
    assert build_demo_codes()["codes"] == 0
    assert set(live.values_list("token", flat=True)) == tokens


def test_the_registry_refuses_a_bad_credit_code_and_updates_a_known_one(demo_org):
    region = Unit.objects.get(code="990171")
    good = credit_code("990171", "MA0HT0001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError):
        register("某公司", bad, region)
    assert not Enterprise.objects.exists()
    first = register("恒泰机械", good.lower()[:8] + " " + good[8:], region)
    assert first.credit_code == good
    again = register("恒泰精密机械", good, region)
    assert again.pk == first.pk and Enterprise.objects.get().name == "恒泰精密机械"
