"""/api/v1/docs is served from our own static files: nothing is loaded from a CDN, so the
page works where the platform runs, without internet access (issue 14 §3). The browser
test (tests/e2e/test_api_docs.py) shows the operations drawn offline."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders
from django.test import Client


def test_the_docs_page_loads_only_local_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and not re.search(r"https?://", html), html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), urls
    assert any(u.endswith("swagger-ui.css") for u in urls), urls
    for url in urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    # The settings Swagger UI starts with: our schema, no call to validator.swagger.io.
    settings = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    assert '"url": "/api/v1/openapi.json"' in settings and '"validatorUrl": null' in settings
