"""Fixtures for the Open311 tests: the demo organisation, an app's API key, filed cases."""

from __future__ import annotations

import pytest
from django.test import Client


SERVICE = "SPFW-01"
MATTER = {"service_code": SERVICE, "attribute[kind]": "complaint",
          "description": "网上办理营业执照变更一直提示系统繁忙，窗口让我们回去等通知。",
          "first_name": "三丰", "last_name": "张", "phone": "13812345678",
          "email": "zhang@example.com"}


@pytest.fixture
def app_key(users):
    """The API key of an app that files matters (held by the intake desk's account)."""
    from qinqing.cases import services

    return services.issue_token(users["intake"])


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def file(client, app_key):
    """POST a matter (the fields of MATTER, overridden); returns the response."""
    def post(fmt="json", headers=None, **fields):
        return client.post(f"/open311/v2/requests.{fmt}",
                           {"api_key": app_key, **MATTER, **fields}, headers=headers or {})
    return post
