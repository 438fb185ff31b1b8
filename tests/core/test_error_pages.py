"""Error pages (issue 14 §3): in the product's look and in Chinese, saying what happened
and where to go, never Django's bare English pages. With DEBUG off, as in production."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_debug(settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]


def _staff(role="intake_agent"):
    from qinqing.org.models import Unit, User

    unit = Unit.objects.create(code="990199", name="测试市人民政府", kind="city_government",
                               path="990199")
    return User.objects.create_user("errors14", password="x" * 12, role=role, unit=unit)


def _looks_like_the_product(html: str, status: int):
    assert 'class="top"' in html and "亲清" in html  # the header
    assert f'data-status="{status}"' in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html


def test_404_in_chinese_with_the_menu_and_ways_on():
    client = Client()
    client.force_login(_staff())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    _looks_like_the_product(html, 404)
    assert "页面不存在" in html and "返回工作台" in html and 'href="/cases/"' in html
    assert "<nav" in html  # the workbench menu


def test_404_for_someone_signed_out_offers_sign_in():
    html = Client().get("/no-such-page/").content.decode()
    _looks_like_the_product(html, 404)
    assert "登录" in html and 'href="/login/"' in html


def test_403_says_the_role_may_not_and_where_to_go():
    client = Client()
    client.force_login(_staff(role="handler"))
    response = client.get("/intake/new/")
    assert response.status_code == 403
    html = response.content.decode()
    _looks_like_the_product(html, 403)
    assert "无权" in html and "返回工作台" in html


def test_csrf_failure_says_nothing_was_saved():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    html = response.content.decode()
    _looks_like_the_product(html, 403)
    assert "页面已过期" in html and "未保存" in html


def test_400_page():
    from django.core.exceptions import SuspiciousOperation
    from django.views.defaults import bad_request

    request = RequestFactory().get("/x/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = bad_request(request, SuspiciousOperation("bad"))
    assert response.status_code == 400
    html = response.content.decode()
    _looks_like_the_product(html, 400)
    assert "请求无法处理" in html


def test_500_page_needs_no_database_and_no_context(django_assert_num_queries):
    from django.views.defaults import server_error

    request = RequestFactory().get("/x/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    _looks_like_the_product(html, 500)
    assert html.index("系统出错") < html.index("Server error")  # Chinese first
    assert 'href="/"' in html
