"""/api/v1/docs in the browser: the browser here has no internet access, so operations
drawn on the page prove that Swagger UI came from the platform's own static files."""

from __future__ import annotations

from tests.e2e.workbench import expect


def test_the_api_docs_render_offline(wb):
    page = wb.page(None)
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith(wb.url) and not r.url.startswith("data:") else None)
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Qinqing API")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 3
    expect(page.locator(".opblock-summary-path").filter(has_text="/cases").first).to_be_visible()
    assert outside == [], outside
