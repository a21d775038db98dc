"""Call recordings at Twilio, through the gateway's ``twilio`` client: start ("start call
recording" on a call in progress), pause / resume, delete, and the media.

The media (``RecordingUrl`` + ``.wav``) is fetched server-side with the account's HTTP basic
auth (Twilio's media protection) and streamed on; its URL and the credentials never reach a
browser. In simulator mode the simulator's REST blueprint is mounted on this app, so the
media is read in-process from it (same URL, same basic auth).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask import Flask
from werkzeug.test import Client as WerkzeugClient

from core.telephony.gateway import GatewayError, TelephonyGateway

STATUS_EVENTS = ("in-progress", "completed", "absent")
CHUNK = 64 * 1024


def start_call_recording(gateway: TelephonyGateway, call_sid: str, *, channels: str, callback_url: str) -> str:
    """Record ``call_sid`` from now (both parties; ``channels`` dual or mono); returns the RecordingSid."""
    recordings = gateway.client.calls(call_sid).recordings
    rec = gateway._call(lambda: recordings.create(
        recording_channels=channels, recording_status_callback=callback_url,
        recording_status_callback_event=list(STATUS_EVENTS), recording_status_callback_method="POST"),
        retry_5xx=False)
    return str(rec.sid)


def set_recording_status(gateway: TelephonyGateway, call_sid: str, recording_sid: str, status: str,
                         pause_behavior: str | None = None) -> str:
    """``status`` = paused | in-progress | stopped; returns the status Twilio reports."""
    kwargs = {"status": status}
    if pause_behavior and status == "paused":
        kwargs["pause_behavior"] = pause_behavior
    context = gateway.client.calls(call_sid).recordings(recording_sid)
    return str(gateway._call(lambda: context.update(**kwargs)).status)


def delete_recording(gateway: TelephonyGateway, recording_sid: str) -> bool:
    """Delete the recording at Twilio; True when it is gone (also when it was gone already)."""
    try:
        gateway._call(lambda: gateway.client.recordings(recording_sid).delete())
    except GatewayError as exc:
        if exc.status == 404:
            return True
        raise
    return True


@dataclass
class Media:
    status: int
    content_type: str
    chunks: Iterator[bytes]


def open_media(app: Flask, media_url: str) -> Media:
    """GET ``media_url`` + ``.wav`` with the account credentials; the body as chunks (status 0:
    Twilio could not be reached)."""
    url = media_url + ".wav"
    auth = (app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"])
    if "simulator" in app.extensions:
        return _simulator_media(app, url, auth)
    try:
        response = requests.get(url, auth=auth, stream=True, timeout=app.config["HOTLINE"].ops.rest_timeout_s)
    except requests.RequestException:
        return Media(0, "", iter(()))
    if response.status_code != 200:
        response.close()
        return Media(response.status_code, "", iter(()))

    def body() -> Iterator[bytes]:
        with response:
            yield from response.iter_content(CHUNK)

    return Media(200, response.headers.get("Content-Type", "audio/wav"), body())


def _simulator_media(app: Flask, url: str, auth: tuple[str, str]) -> Media:
    parts = urlsplit(url)
    response = WerkzeugClient(app).get(parts.path, auth=auth, base_url=f"{parts.scheme}://{parts.netloc}")
    data = response.get_data()
    response.close()
    if response.status_code != 200:
        return Media(response.status_code, "", iter(()))
    return Media(200, response.mimetype or "audio/wav", iter([data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]))
