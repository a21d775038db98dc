"""The media fetch as it runs against real Twilio (``telephony.mode: twilio``): HTTP basic auth
with the account SID and token, the body streamed in chunks, and a refusal or an unreachable
host reported as a status (never an exception), against a small loopback server."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.telephony.recordings import open_media

SID, TOKEN = "AC" + "e" * 32, "t" * 32
BODY = b"RIFF" + b"\x80" * 200_000


class _Media(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        good = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != good or not self.path.endswith("/RE1.wav"):
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def media_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_media_is_fetched_with_basic_auth_and_streamed(make_app, media_server):
    app = make_app({"telephony": {"mode": "twilio", "account_sid": SID, "auth_token": TOKEN}})
    media = open_media(app, f"{media_server}/2010-04-01/Accounts/{SID}/Recordings/RE1")
    chunks = list(media.chunks)
    assert media.status == 200 and media.content_type == "audio/x-wav"
    assert b"".join(chunks) == BODY and len(chunks) > 1  # streamed, not one blob
    assert open_media(app, f"{media_server}/2010-04-01/Accounts/{SID}/Recordings/RE2").status == 401
    app.config["TWILIO_AUTH_TOKEN"] = "wrong"
    assert open_media(app, f"{media_server}/2010-04-01/Accounts/{SID}/Recordings/RE1").status == 401
    assert open_media(app, "http://127.0.0.1:9/Recordings/RE1").status == 0  # nobody listening
