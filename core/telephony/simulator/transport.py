"""How the simulator's webhook requests reach the app.

``WsgiTransport`` delivers in-process with werkzeug's test client; the URL's scheme and
host go into the WSGI environ (``base_url``), so the app sees exactly the URL that was
signed (e.g. ``https://hotline.example.com/ivr/voice``), path and query string included.
``DirectWsgiTransport`` delivers in-process too, calling the WSGI app directly with a
minimal environ (built once per scheme and host, copied per request): the same request the app
sees through the test client, at a fraction of the cost (the what-if replay makes tens of
thousands). ``HttpTransport`` uses ``requests`` against a real server.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urlencode, urlsplit

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


def wsgi_base(scheme: str, netloc: str) -> dict[str, Any]:
    """The part of a WSGI environ that is the same for every request to ``scheme://netloc``."""
    host, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
    return {"SCRIPT_NAME": "", "SERVER_NAME": host, "HTTP_HOST": netloc,
            "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0), "wsgi.url_scheme": scheme, "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False}


def call_wsgi(wsgi_app: Any, base: dict[str, Any], method: str, path: str, query: str, body: bytes,
              content_type: str | None, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request straight into ``wsgi_app`` (a copy of ``base`` as its environ): the
    status, headers and body of the answer."""
    environ = dict(base)
    raw_uri = path + ("?" + query if query else "")
    environ.update({"REQUEST_METHOD": method, "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
                    "QUERY_STRING": query, "REQUEST_URI": raw_uri, "RAW_URI": raw_uri,
                    "wsgi.input": BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for key, value in headers.items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, response_headers]
        return chunks.append

    result = wsgi_app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, response_headers = started
    return int(status.split(" ", 1)[0]), response_headers, b"".join(chunks)


class DirectWsgiTransport:
    """Like ``WsgiTransport``, without werkzeug's test client (no cookies, no redirects: Twilio
    follows neither for a webhook). Each request gets its own copy of the environ."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self._bases: dict[tuple[str, str], dict[str, Any]] = {}

    def request(self, method: str, url: str, params: dict[str, str],
                headers: dict[str, str]) -> TransportResponse:
        method = method.upper()
        target = with_query(url, params) if method == "GET" else url
        parts = urlsplit(target)
        base = self._bases.get((parts.scheme, parts.netloc))
        if base is None:
            base = self._bases[(parts.scheme, parts.netloc)] = wsgi_base(parts.scheme, parts.netloc)
        if method == "GET":
            body, content_type = b"", None
        else:
            body, content_type = urlencode(params).encode("ascii"), "application/x-www-form-urlencoded"
        status, response_headers, content = call_wsgi(self.wsgi_app, base, method, parts.path or "/",
                                                      parts.query, body, content_type, headers)
        mimetype = next((v for k, v in response_headers if k.lower() == "content-type"), "")
        return TransportResponse(status, content.decode("utf-8", "replace"), mimetype, content)


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
