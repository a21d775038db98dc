"""Browser-test plumbing shared by every part: the real app on a free 127.0.0.1 port (werkzeug,
threaded) and Debian's chromium through Playwright. A missing browser or Playwright fails with
CI=true and skips otherwise. Screenshots go to ``test-artifacts/screenshots/``.

Loaded as a pytest plugin by ``tests/conftest.py``: tests ask for the ``live`` and ``browser``
fixtures and sign in with ``sign_in(browser, live, name, errors)``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
PASSWORD = "password123"  # what make_user / the browser tests give their users
TIMEOUT_MS = 15_000
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_browser() -> Any:
    """The ``sync_playwright`` entry point, or fail (CI) / skip when the browser is missing."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem, sync_playwright = "the playwright package is not installed (pip install -r requirements-dev.txt)", None
    if problem is None and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    if problem:
        if IN_CI:
            pytest.fail(f"browser tests need a browser: {problem} (CI=true: this is a failure)")
        pytest.skip(problem)
    return sync_playwright


@dataclass
class LiveServer:
    url: str
    app: Any
    server: Any
    thread: threading.Thread

    @property
    def sim(self) -> Any:
        return self.app.extensions["simulator"]


def serve(tmp_path: Path, database_url: str, overrides: dict[str, Any] | None = None) -> Iterator[LiveServer]:
    """Start ``create_app`` (the tests' settings, manual simulator clock driven by the test)."""
    from werkzeug.serving import make_server

    from app import create_app
    from core.config import _deep_merge
    from tests.conftest import base_overrides

    def not_yet(_environ: Any, start_response: Any) -> list[bytes]:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"starting"]

    server = make_server("127.0.0.1", 0, not_yet, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = _deep_merge(base_overrides(tmp_path, database_url), {"server": {"public_url": url}})
    app = create_app(overrides=_deep_merge(settings, overrides or {}), environ={})
    server.app = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield LiveServer(url, app, server, thread)
    finally:
        for stop in app.extensions.get("hotline_stoppers", []):
            stop()  # closes the SSE streams first, so shutdown does not wait on them
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["simulator"].stop()
        app.extensions["db_engine"].dispose()


def screenshot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    """The real app served on a free port (settings of tests/conftest.py)."""
    yield from serve(tmp_path, database_url)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium, launched headless through Playwright."""
    sync_playwright = need_browser()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def sign_in(browser: Any, live: LiveServer, name: str, errors: list[str], *, console_errors: bool = True,
            viewport: tuple[int, int] = (1400, 1000)) -> Any:
    """A new browser context signed in to the console as ``name``; page errors (and, with
    ``console_errors``, console errors) are collected in ``errors``."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    if console_errors:
        page.on("console", lambda msg: errors.append(f"{name}: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{live.url}/console/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/console/")
    return page
