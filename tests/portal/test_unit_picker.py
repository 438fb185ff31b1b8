"""The unit a matter concerns, picked on /submit/ by name, short name, pinyin, initials or
an abbreviation (the intake's picker, shared through qinqing.pickers and web/picker.js);
the server resolves the name shown back to the unit and refuses one it does not know."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from qinqing.cases.models import Case
from qinqing.org.queries import unit_picker_options
from qinqing.pickers import Option, resolve_option, search_options

pytestmark = pytest.mark.django_db

APPROVALS = "示范市行政审批服务管理局"


def matter(**overrides) -> dict:
    return {"kind": "complaint", "category": "SPFW-01", "title": "",
            "content": "营业执照变更网上办理三次被退回，每次理由不同。", "region": "",
            "subject_unit": "", "enterprise_name": "", "enterprise_code": "",
            "anonymous": "on", "name": "", "phone": "", "sms_code": "",
            "token": uuid.uuid4().hex, "action": "submit", **overrides}


def displays(found: list[Option]) -> list[str]:
    return [o.display for o in found]


@pytest.mark.parametrize("typed", ["审批", "spj", "审批局", "shenpi", "sxzsp", "市审批局"])
def test_a_unit_is_found_by_name_pinyin_initials_or_abbreviation(demo_org, typed):
    found = displays(search_options(unit_picker_options(), typed))
    assert APPROVALS in found, (typed, found[:5])


def test_what_is_typed_inside_a_name_comes_before_an_abbreviation(demo_org):
    found = displays(search_options(unit_picker_options(), "市监局"))
    # 市场监督管理局 abbreviated (市…监…局): every county's, the city's first in the tree.
    assert found[0] == "示范市市场监督管理局" and "河阳区市场监督管理局" in found
    plain = displays(search_options(unit_picker_options(), "示范市市场"))
    assert plain == ["示范市市场监督管理局"]
    # One letter abbreviates too much: only what it is inside of.
    assert len(search_options(unit_picker_options(), "j")) == len(
        [o for o in unit_picker_options() if "j" in o.search])


def test_names_are_shown_never_codes_and_each_name_once(demo_org):
    from django.utils import translation

    with translation.override("zh-hans"):
        options = unit_picker_options()
    shown = displays(options)
    assert len(shown) == len(set(shown))
    assert not any(re.search(r"\d{6}|-D\d\d|HALL", d) for d in shown)
    hints = {o.hint for o in options}
    assert {"职能部门", "服务窗口", "政务服务大厅"} <= hints


def test_two_units_of_one_name_are_told_apart_by_their_parents(demo_org):
    from qinqing.org.models import Unit, UnitKind
    from qinqing.org.services import ensure_unit

    for hall in ("990102-HALL", "990103-HALL"):
        ensure_unit(code=f"{hall}-X", name="综合窗口", kind=UnitKind.WINDOW,
                    parent=Unit.objects.get(code=hall))
    options = unit_picker_options()
    both = [o for o in options if o.display.startswith("综合窗口")]
    assert displays(both) == ["综合窗口（河阳区政务服务中心）", "综合窗口（城东区政务服务中心）"]
    assert resolve_option(options, "综合窗口（城东区政务服务中心）") == "990103-HALL-X"
    assert resolve_option(options, "综合窗口") is None  # two: the person must pick


def test_the_page_carries_the_picker_and_a_list_for_browsers_without_script(
        client, demo_org, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        page = client.get("/submit/").content.decode()
    tag = re.search(r'<input[^>]*name="subject_unit"[^>]*>', page)[0]
    for attribute in ('role="combobox"', 'aria-controls="unit-list"', 'aria-expanded="false"',
                      'data-combobox="unit-options-data"', 'list="unit-options"'):
        assert attribute in tag
    assert 'role="listbox" id="unit-list"' in page and "web/picker.js" in page
    data = json.loads(re.search(r'<script id="unit-options-data" type="application/json">'
                                r'(.*?)</script>', page, re.S)[1])
    approvals = next(o for o in data if o["d"] == APPROVALS)
    assert "spfwglj" in approvals["s"] and "spj" not in approvals["s"] and approvals["a"]
    assert f'<option value="{APPROVALS}">' in page  # the datalist, without script
    assert "拼音首字母" in page


@pytest.mark.parametrize("typed", [APPROVALS, f" {APPROVALS} ", "示范市行政审批服务"])
def test_the_name_shown_is_resolved_to_its_unit(client, demo_org, typed):
    answer = client.post("/submit/", matter(subject_unit=typed))
    assert answer.status_code == 200, answer.content.decode()
    assert Case.objects.get().subject_unit.name == APPROVALS


@pytest.mark.parametrize("typed", ["不存在的窗口", "spj", "审批"])
def test_an_unknown_or_unpicked_name_is_refused_and_kept(client, demo_org, typed):
    answer = client.post("/submit/", matter(subject_unit=typed))
    assert answer.status_code == 400 and Case.objects.count() == 0
    page = answer.content.decode()
    assert "没有这个名称的单位" in page
    assert f'value="{typed}"' in page


def test_the_hall_window_keeps_its_own_list_of_places(client, demo_org):
    page = client.get("/cannot-do/990102-HALL/").content.decode()
    assert 'role="combobox"' not in page and "unit-options-data" not in page
    assert '<select name="subject_unit"' in page
