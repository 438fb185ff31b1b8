"""A NUL character in any address or query answers 4xx with the product's page, never 500.

PostgreSQL refuses NUL in text (psycopg raises DataError); SQLite stores it. The API has
answered 422 for it since issue 13 (api/main.py `data_error`); the pages answered 500
(found 2026-12-07: a NUL in the case page's address). Every GET page of the site is
walked here, as a superuser (who may open them all), with a NUL in its path and in every
query parameter a page reads.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

PARAMS = ("q", "text", "number", "phone", "region", "unit", "category", "kind", "state",
          "channel", "start", "end", "period", "year", "month", "status", "page", "sort",
          "next", "campaign", "type", "severity", "year_month", "date", "lead_unit")
SKIPPED = ("admin", "api", "static", "media", "logout", "set_language", "i18n")


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _url(route: str, number: str) -> str:
    """A concrete address for a route: str/slug parameters get the case's number, ints 1."""
    route = route.lstrip("^").rstrip("$")
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug|path):?\w*>", number, route)
    route = re.sub(r"<\w+>", number, route)
    return "/" + route


@pytest.fixture
def pages(make_case):
    case = make_case("handling")
    return case, sorted({_url(r, case.number) for r in _routes()
                         if not r.startswith(SKIPPED) and "(?P" not in r})


def test_no_page_answers_500_to_a_nul(pages, user):
    case, urls = pages
    client = Client(raise_request_exception=False)  # a 500 is what the server would answer
    client.force_login(user("admin"))
    assert len(urls) > 40, urls  # the walk found the site
    query = urlencode({name: "x\x00y" for name in PARAMS})
    failures = []
    for url in urls:
        for address in (f"{url}?{query}", url.replace(case.number, f"{case.number}%00")):
            response = client.get(address)
            if response.status_code >= 500:
                failures.append((address[:80], response.status_code))
    assert not failures, failures


def test_a_refused_value_reads_as_the_products_400_page(client, user, settings):
    """The page a DataError answers: the product's look, in Chinese, nothing stored."""
    from django.db import DataError

    from qinqing.web.refused import RefusedValueMiddleware

    client.force_login(user("admin"))
    request = client.get("/").wsgi_request
    response = RefusedValueMiddleware(lambda r: None).process_exception(
        request, DataError("A string literal cannot contain NUL (0x00) characters."))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-page"' in html and 'data-status="400"' in html
    assert "无法处理的内容" in html and "未保存任何内容" in html
