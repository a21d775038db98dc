"""Helpers for tests of console pages (other parts' page tests may use them too).

``login(client, "alice")`` signs in through the real form (CSRF included) and returns the
CSRF token to send with later POSTs (form field ``csrf_token`` or header ``X-CSRFToken``).
"""

from __future__ import annotations

import re
from typing import Any

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client: Any, path: str = "/console/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_META.search(page)
    assert match, f"no csrf meta tag on {path}"
    return match.group(1)


def login(client: Any, name: str, password: str = "password123") -> str:
    token = csrf_token(client)
    response = client.post("/console/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return csrf_token(client, "/console/")


def post_json(client: Any, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body or {}, headers={"X-CSRFToken": token, "X-Requested-With": "fetch"})
