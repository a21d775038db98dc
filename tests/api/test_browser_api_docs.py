"""``/api/docs`` in a real browser: Swagger UI, served from the app's own files under the app's
Content-Security-Policy, renders the generated document (every operation listed, no script
errors, nothing fetched from another origin)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import TIMEOUT_MS, LiveServer, screenshot

pytestmark = pytest.mark.browser


def test_api_docs_render_the_document_from_local_files(live: LiveServer, browser: Any) -> None:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: None if req.url.startswith(live.url) else foreign.append(req.url))
    page.on("response", lambda res: errors.append(f"{res.status} {res.url}") if res.status >= 400 else None)
    response = page.goto(f"{live.url}/api/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path")
    shown = {el.inner_text().strip() for el in page.query_selector_all(".opblock-summary-path")}
    doc = page.request.get(f"{live.url}/api/openapi.json").json()
    assert set(doc["paths"]) <= {p.replace("\u200b", "") for p in shown}
    assert "Hotline API" in page.inner_text(".info .title")
    screenshot(page, "api-docs")
    assert not errors, errors
    assert not foreign, foreign
    context.close()
