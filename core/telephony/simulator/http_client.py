"""A ``twilio`` HTTP client that dispatches REST calls in-process, without a socket.

``Client(sid, token, http_client=SimulatorHttpClient(target))`` with
``client.api.base_url = "http://x/simulator"``: every request the ``twilio`` library makes
goes through werkzeug's test client into ``target`` — a WSGI app that mounts the
simulator's REST blueprint at ``/simulator`` (the Hotline app does), or a ``Simulator``,
for which a tiny Flask app holding only the REST blueprint is built. Parameters are
encoded as ``TwilioHttpClient`` (``requests``) encodes them: lists as repeated keys.
``direct=True``: the WSGI app is called straight (``transport.call_wsgi``, no test client, no
redirects followed: the REST API answers none), for the many REST calls of a what-if replay.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from twilio.http import HttpClient
from twilio.http.response import Response
from werkzeug.test import Client as WerkzeugClient

from .engine import Simulator
from .rest import make_rest_blueprint
from .transport import call_wsgi, wsgi_base

_log = logging.getLogger("twilio.http_client")


def _pairs(values: dict[str, object] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in (values or {}).items():
        if value is None:
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((key, str(item)))
    return pairs


class SimulatorHttpClient(HttpClient):
    def __init__(self, target: Any, url_prefix: str = "/simulator", timeout: float | None = None, *,
                 direct: bool = False) -> None:
        super().__init__(_log, False, timeout)
        if isinstance(target, Simulator):
            app = Flask("hotline-simulator")
            app.register_blueprint(make_rest_blueprint(target), url_prefix=url_prefix)
            target = app
        self.wsgi_app = target
        self.direct = direct
        self._bases: dict[tuple[str, str], dict[str, Any]] = {}

    def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        parts = urlsplit(uri)
        query = "&".join(filter(None, [parts.query, urlencode(_pairs(params))]))
        path = (parts.path or "/") + ("?" + query if query else "")
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        kwargs: dict[str, Any] = {"method": method.upper(), "headers": sent,
                                  "base_url": f"{parts.scheme}://{parts.netloc}"}
        content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
        if self.direct:
            result = self._direct(method.upper(), parts.scheme, parts.netloc, parts.path or "/", query,
                                  data, content_type, sent)
            self._test_only_last_response = result
            return result
        if data and method.upper() not in ("GET", "DELETE"):
            if content_type.startswith("application/") and content_type.endswith("json"):
                kwargs["json"] = data  # as TwilioHttpClient sends JSON bodies
            else:
                kwargs["data"] = urlencode(_pairs(data))
                kwargs["content_type"] = "application/x-www-form-urlencoded"
        response = WerkzeugClient(self.wsgi_app).open(path, follow_redirects=allow_redirects, **kwargs)
        try:
            text = response.get_data(as_text=True)
            result = Response(response.status_code, text, dict(response.headers))
        finally:
            response.close()
        self._test_only_last_response = result
        return result

    def _direct(self, method: str, scheme: str, netloc: str, path: str, query: str,
                data: dict[str, object] | None, content_type: str, headers: dict[str, str]) -> Response:
        body, sent_type = b"", None
        if data and method not in ("GET", "DELETE"):
            if content_type.startswith("application/") and content_type.endswith("json"):
                body, sent_type = json.dumps(data).encode("utf-8"), "application/json"
            else:
                body, sent_type = urlencode(_pairs(data)).encode("ascii"), "application/x-www-form-urlencoded"
        base = self._bases.get((scheme, netloc))
        if base is None:
            base = self._bases[(scheme, netloc)] = wsgi_base(scheme, netloc)
        status, response_headers, content = call_wsgi(self.wsgi_app, base, method, path, query, body,
                                                      sent_type, headers)
        return Response(status, content.decode("utf-8"), dict(response_headers))
