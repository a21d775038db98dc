"""Structured logs: one JSON object per line on stderr, with the request's ``call_sid``.

``CallSidFilter`` adds ``call_sid`` (Twilio's ``CallSid`` form field on ``/ivr/`` webhooks, or a
``call_sid`` URL argument), ``path``, ``method`` and ``request_id`` to every record logged
while a request is served, so ``jq 'select(.call_sid=="CA…")'`` follows one call through all
workers. ``ops.log_format: text`` keeps classic one-line text (with the same fields).
Installed once per process on the root logger; gunicorn's own access/error logs are separate.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

_INSTALLED: dict[str, logging.Handler] = {}
# Terminal colour/style sequences (werkzeug colours its request lines): never in a log file.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def plain(text: str) -> str:
    return ANSI_ESCAPE.sub("", text)


def _request_fields() -> dict[str, Any]:
    if not has_request_context():
        return {}
    fields: dict[str, Any] = {"path": request.path, "method": request.method}
    if "ops_request_id" not in g:
        g.ops_request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:16]
    fields["request_id"] = g.ops_request_id
    call_sid = None
    # Read the form only where it is parsed anyway (webhooks) or already parsed: reading it
    # elsewhere would consume a body a view still wants to stream.
    if request.path.startswith("/ivr/") or "form" in request.__dict__:
        try:
            call_sid = request.form.get("CallSid")
        except Exception:  # noqa: BLE001 - a broken body must not break logging
            call_sid = None
    if not call_sid and request.view_args:
        call_sid = request.view_args.get("call_sid")
    if call_sid:
        fields["call_sid"] = str(call_sid)[:64]
    return fields


class CallSidFilter(logging.Filter):
    """Adds the request's fields (``call_sid``, ``path``, …) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _request_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": plain(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = plain(super().format(record))
        sid = getattr(record, "call_sid", None)
        return f"{line} call_sid={sid}" if sid else line


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def init_app(app: Flask) -> None:
    settings = app.config["HOTLINE"]
    fmt = settings.ops.log_format
    handler = _INSTALLED.get("root")
    if handler is None:
        handler = StderrHandler()
        handler.addFilter(CallSidFilter())
        handler.setLevel(logging.INFO)
        root = logging.getLogger()
        root.addHandler(handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        _INSTALLED["root"] = handler
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Flask's own default handler would print every app.logger line a second time.

    app.logger.removeHandler(default_handler)
