"""`python app.py` on a fresh checkout prints the URLs and answers POST /ivr/voice."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from tests.twiml import parse, texts

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_python_app_serves_the_voice_webhook(tmp_path):
    port = free_port()
    db_url = f"sqlite:///{tmp_path}/hotline.db"
    env = {**os.environ, "HOTLINE_PORT": str(port), "HOTLINE_DATABASE_URL": db_url,
           "HOTLINE_OPEN_HOURS": "00:00-24:00", "PYTHONUNBUFFERED": "1"}
    for key in ("HOTLINE_CONFIG", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HOTLINE_TELEPHONY",
                "HOTLINE_PUBLIC_URL"):
        env.pop(key, None)
    server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        banner = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            banner.append(line)
            if line.startswith("The hotline is"):
                break
        output = "".join(banner)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/console/" in output, output
        assert f"POST {base}/ivr/voice" in output, output
        assert "The hotline is open now" in output and "all day" in output, output  # H4, 00:00-24:00

        engine = create_engine(db_url)
        with engine.connect() as connection:
            token = connection.execute(text(
                "select value from app_secrets where key='simulator_auth_token'")).scalar_one()
            account = connection.execute(text(
                "select value from app_secrets where key='simulator_account_sid'")).scalar_one()
        engine.dispose()

        form = {"CallSid": "CA" + "9" * 32, "AccountSid": account, "From": "+8613812345678",
                "To": "+8675512345678", "CallStatus": "ringing", "Direction": "inbound"}
        signature = RequestValidator(token).compute_signature(f"{base}/ivr/voice", form)
        for _ in range(50):  # the server may need a moment after printing
            try:
                response = requests.post(f"{base}/ivr/voice", data=form, timeout=10,
                                         headers={"X-Twilio-Signature": signature})
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert response.status_code == 200
        said = " ".join(texts(parse(response.content)))
        assert "SCC顺创" in said  # H1: the company names itself
        unsigned = requests.post(f"{base}/ivr/voice", data=form, timeout=10)
        assert unsigned.status_code == 403
    finally:
        server.terminate()
        server.wait(timeout=20)
