import pytest

from qinqing.demo.city import DEMO_LOGINS, build_demo_organisation
from qinqing.org.models import Role, Unit, UnitKind, User

pytestmark = pytest.mark.django_db


def test_demo_city_has_the_shape_of_a_prefecture(demo_org):
    kinds = {k: Unit.objects.filter(kind=k).count() for k in UnitKind.values}
    assert kinds[UnitKind.CITY_GOVERNMENT] == 1
    assert kinds[UnitKind.COUNTY] == 17
    assert Unit.objects.filter(kind=UnitKind.DEPARTMENT, parent__kind=UnitKind.CITY_GOVERNMENT).count() >= 30
    assert kinds[UnitKind.DISCIPLINE_COMMISSION] == 1
    assert kinds[UnitKind.DEVELOPMENT_ZONE] == 1
    assert kinds[UnitKind.SERVICE_HALL] == 18
    assert all(w.parent.kind == UnitKind.SERVICE_HALL
               for w in Unit.objects.filter(kind=UnitKind.WINDOW).select_related("parent"))
    # fictional: no real prefecture code starts with 99
    assert not Unit.objects.exclude(region_code__startswith="99").exists()


def test_one_login_per_role(demo_org):
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.check_password("qinqing-demo")
        assert user.unit.code == login.unit_code


def test_demo_is_idempotent_and_keeps_changed_passwords(demo_org):
    user = User.objects.get(username="handler")
    user.set_password("a-new-secret")
    user.save()
    counts = build_demo_organisation()
    assert counts["logins_created"] == 0
    assert Unit.objects.count() == counts["units"]
    user.refresh_from_db()
    assert user.check_password("a-new-secret")
