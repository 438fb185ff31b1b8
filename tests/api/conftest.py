"""Fixtures for the HTTP API tests: demo logins with bearer tokens, a JSON client, cases."""

from __future__ import annotations

import json

import pytest
from django.test import Client


CONSULTATION = {"kind": "consultation", "channel": "hotline", "category": "SPFW-01",
                "content": "营业执照变更网上办理一直提示系统繁忙，请问怎么办？",
                "reporter": {"name": "张三丰", "phone": "13812345678"}}


@pytest.fixture
def tokens(users):
    """Demo username → a bearer token of that login."""
    from qinqing.cases import services

    return {name: services.issue_token(user) for name, user in users.items()}


class ApiClient:
    """django.test.Client speaking JSON to /api/v1 as one demo login (or anonymously)."""

    def __init__(self, tokens: dict[str, str]):
        self.client = Client()
        self.tokens = tokens

    def _headers(self, as_, headers):
        result = dict(headers or {})
        if as_ is not None:
            result["Authorization"] = f"Bearer {self.tokens[as_]}"
        return result

    def get(self, path, as_="dispatcher", params=None, headers=None):
        return self.client.get(f"/api/v1{path}", params or {},
                               headers=self._headers(as_, headers))

    def post(self, path, body=None, as_="dispatcher", headers=None):
        return self.client.post(f"/api/v1{path}", json.dumps(body if body is not None else {}),
                                content_type="application/json",
                                headers=self._headers(as_, headers))

    def upload(self, path, file, as_="dispatcher", headers=None):
        return self.client.post(f"/api/v1{path}", {"file": file},
                                headers=self._headers(as_, headers))


@pytest.fixture
def api_client(tokens):
    return ApiClient(tokens)


@pytest.fixture
def new_case(users):
    """Register a case through the service (fast); returns (case, query_code)."""
    from qinqing.cases import services

    def make(as_="intake", now=None, **overrides):
        intake = services.create_case(users[as_], {**CONSULTATION, **overrides}, now=now)
        return intake.case, intake.query_code

    return make
