"""How the simulator's webhook requests reach the app.

``WsgiTransport`` delivers in-process with werkzeug's test client; the URL's scheme and
host go into the WSGI environ (``base_url``), so the app sees exactly the URL that was
signed (e.g. ``https://hotline.example.com/ivr/voice``), path and query string included.
``HttpTransport`` uses ``requests`` against a real server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from werkzeug.test import Client


@dataclass
class TransportResponse:
    status: int
    text: str
    content_type: str
    content: bytes


class Transport(Protocol):
    def request(self, method: str, url: str, params: dict[str, str],
                headers: dict[str, str]) -> TransportResponse: ...


def with_query(url: str, params: dict[str, str]) -> str:
    """The URL a GET webhook requests: Twilio appends its parameters to the query string."""
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


class WsgiTransport:
    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def request(self, method: str, url: str, params: dict[str, str],
                headers: dict[str, str]) -> TransportResponse:
        method = method.upper()
        target = with_query(url, params) if method == "GET" else url
        parts = urlsplit(target)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        kwargs: dict[str, Any] = {"method": method, "headers": headers,
                                  "base_url": f"{parts.scheme}://{parts.netloc}"}
        if method != "GET":
            kwargs["data"] = urlencode(params)
            kwargs["content_type"] = "application/x-www-form-urlencoded"
        response = Client(self.wsgi_app).open(path, **kwargs)
        try:
            content = response.get_data()
            return TransportResponse(response.status_code, content.decode("utf-8", "replace"),
                                     response.headers.get("Content-Type", ""), content)
        finally:
            response.close()


class HttpTransport:
    """Real HTTP. No 15-second cut-off here: the engine records a warning instead."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.session = requests.Session()
        self.timeout_s = timeout_s

    def request(self, method: str, url: str, params: dict[str, str],
                headers: dict[str, str]) -> TransportResponse:
        method = method.upper()
        if method == "GET":
            response = self.session.get(with_query(url, params), headers=headers,
                                        timeout=self.timeout_s, allow_redirects=False)
        else:
            response = self.session.request(method, url, data=params, headers=headers,
                                            timeout=self.timeout_s, allow_redirects=False)
        return TransportResponse(response.status_code, response.text,
                                 response.headers.get("Content-Type", ""), response.content)
