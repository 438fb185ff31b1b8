import pytest
from django.core.exceptions import ValidationError

from qinqing.org.models import Role, Unit, UnitKind, User
from qinqing.org.queries import can_see_unit, region_of, visible_units
from qinqing.org.services import ensure_staff, ensure_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    city = ensure_unit(code="C", name="市", kind=UnitKind.CITY_GOVERNMENT, region_code="990000")
    a = ensure_unit(code="A", name="甲县", kind=UnitKind.COUNTY, parent=city, region_code="990101")
    a_dept = ensure_unit(code="A-D", name="甲县市场监管局", kind=UnitKind.DEPARTMENT, parent=a)
    b = ensure_unit(code="B", name="乙县", kind=UnitKind.COUNTY, parent=city, region_code="990102")
    b_dept = ensure_unit(code="B-D", name="乙县市场监管局", kind=UnitKind.DEPARTMENT, parent=b)
    return {"city": city, "a": a, "a_dept": a_dept, "b": b, "b_dept": b_dept}


def test_path_follows_the_tree(tree):
    assert tree["city"].path == "/C/"
    assert tree["a_dept"].path == "/C/A/A-D/"
    assert tree["a_dept"].depth == 3
    assert tree["a_dept"].region_code == "990101"  # inherited from the county


def test_subtree_is_the_unit_and_below(tree):
    assert set(Unit.objects.subtree(tree["a"])) == {tree["a"], tree["a_dept"]}
    assert Unit.objects.subtree(tree["city"]).count() == 5


def test_moving_a_unit_moves_its_descendants(tree):
    a = tree["a"]
    a.parent = tree["b"]
    a.save()
    tree["a_dept"].refresh_from_db()
    assert tree["a_dept"].path == "/C/B/A/A-D/"
    assert set(Unit.objects.subtree(tree["b"])) == {tree["b"], tree["b_dept"], a, tree["a_dept"]}


def test_cannot_move_a_unit_below_itself(tree):
    a = tree["a"]
    a.parent = tree["a_dept"]
    with pytest.raises(ValidationError) as err:
        a.full_clean()
    assert "parent" in err.value.message_dict


def test_window_must_belong_to_a_service_hall(tree):
    with pytest.raises(ValidationError):
        ensure_unit(code="W", name="窗口", kind=UnitKind.WINDOW, parent=tree["a"])
    hall = ensure_unit(code="H", name="大厅", kind=UnitKind.SERVICE_HALL, parent=tree["a"])
    window = ensure_unit(code="W", name="窗口", kind=UnitKind.WINDOW, parent=hall)
    assert region_of(window) == tree["a"]


def test_bad_unit_code_is_refused(tree):
    with pytest.raises(ValidationError):
        ensure_unit(code="有空格 code", name="x", kind=UnitKind.DEPARTMENT, parent=tree["a"])
    assert not Unit.objects.filter(name="x").exists()


def test_scoping_a_member_sees_own_unit_and_below(tree):
    handler, _ = ensure_staff(username="h", full_name="h", unit=tree["a"], role=Role.HANDLER,
                              password="x")
    city_staff, _ = ensure_staff(username="s", full_name="s", unit=tree["city"],
                                 role=Role.SUPERVISOR, password="x")
    assert set(visible_units(handler)) == {tree["a"], tree["a_dept"]}
    assert can_see_unit(handler, tree["a_dept"])
    assert not can_see_unit(handler, tree["b_dept"])
    assert not can_see_unit(handler, tree["city"])
    assert visible_units(city_staff).count() == 5


def test_accounts_without_unit_or_inactive_see_nothing(tree):
    nobody = User.objects.create(username="nobody")
    assert not visible_units(nobody).exists()
    handler, _ = ensure_staff(username="h", full_name="h", unit=tree["a"], role=Role.HANDLER,
                              password="x")
    handler.is_active = False
    assert not visible_units(handler).exists()
    assert not can_see_unit(handler, tree["a"])


def test_a_role_needs_a_unit():
    user = User(username="x", role=Role.HANDLER)
    user.set_password("x")
    with pytest.raises(ValidationError) as err:
        user.full_clean()
    assert "unit" in err.value.message_dict
