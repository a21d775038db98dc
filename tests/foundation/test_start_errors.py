"""Start-up and command-line errors: one line, exit 2, under `flask …` as under `python app.py`;
the banner only once the port is bound; plain log text."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, load_settings
from core.ops.logs import JsonFormatter, TextFormatter

REPO = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/hotline.db", "PYTHONUNBUFFERED": "1"}
    for key in ("HOTLINE_CONFIG", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HOTLINE_TELEPHONY",
                "HOTLINE_PUBLIC_URL", "HOTLINE_OPEN_HOURS", "HOTLINE_PORT", "FLASK_APP"):
        env.pop(key, None)
    env.update(extra)
    return env


def test_bad_setting_message_names_the_value_once():
    with pytest.raises(ConfigError) as caught:
        load_settings({"HOTLINE_OPEN_HOURS": "late"})
    message = str(caught.value)
    assert message.count("'late'") == 1, message
    assert message.startswith("invalid setting hours.open (HOTLINE_OPEN_HOURS):")


@pytest.mark.parametrize("command", [["users", "list"], ["simulate", "call", "--from", "+8613812345678"]])
def test_bad_setting_under_flask_is_one_line_and_exit_2(tmp_path, command):
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=REPO, text=True,
                          capture_output=True, timeout=120, env=clean_env(tmp_path, HOTLINE_OPEN_HOURS="late"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "hours.open (HOTLINE_OPEN_HOURS)" in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_busy_port_is_one_line_exit_2_and_no_banner(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "app.py"], cwd=REPO, text=True, capture_output=True, timeout=120,
                              env=clean_env(tmp_path, HOTLINE_PORT=str(port)))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Hotline is running" not in done.stdout
    errors = [line for line in done.stderr.strip().splitlines() if not line.startswith("{")]  # JSON logs aside
    assert len(errors) == 1 and str(port) in errors[0] and "HOTLINE_PORT" in errors[0], done.stderr


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, (), None)


def test_log_lines_carry_no_terminal_colour_codes():
    coloured = '127.0.0.1 - - "\x1b[32mGET /healthz HTTP/1.1\x1b[0m" \x1b[1m200\x1b[0m -'
    as_json = JsonFormatter().format(record(coloured))
    assert "\x1b" not in as_json and "\\u001b" not in as_json
    assert json.loads(as_json)["msg"] == '127.0.0.1 - - "GET /healthz HTTP/1.1" 200 -'
    assert "\x1b" not in TextFormatter("%(message)s").format(record(coloured))
