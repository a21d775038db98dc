"""Settings from YAML + environment; a bad setting stops start-up with one line."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[2]


def test_handbook_numbers_are_settings_with_their_defaults():
    settings = load_settings(environ={})
    assert settings.answer.threshold_s == 9  # H2: three rings of about 3 s
    assert settings.queue.reassure_every_s == 30  # H3
    assert settings.hours.open == "09:30-17:50"  # H4
    assert (settings.calls.target_s, settings.calls.max_s) == (180, 300)  # H7
    assert settings.cases.reply_within_h == 24  # H14
    assert settings.cases.repair_escalate_after_h == 48  # H15
    assert settings.followup.repair_callback_rate_target == 0.95  # H16
    assert settings.followup.survey_return_target == 0.70  # H18
    assert settings.hours.timezone == "Asia/Shanghai"


def test_yaml_file_and_environment_overrides(tmp_path):
    config = tmp_path / "hotline.yaml"
    config.write_text("queue:\n  reassure_every_s: 20\nhours:\n  open: '08:00-20:00'\n", encoding="utf-8")
    settings = load_settings(environ={"HOTLINE_CONFIG": str(config), "HOTLINE_OPEN_HOURS": "00:00-24:00",
                                      "HOTLINE_TIMEZONE": "Europe/London"})
    assert settings.queue.reassure_every_s == 20
    assert settings.hours.open == "00:00-24:00"  # the environment wins over the file
    assert settings.hours.window == (settings.hours.window[0], None)
    assert settings.hours.timezone == "Europe/London"


def test_example_config_is_valid_and_matches_defaults():
    settings = load_settings(environ={"HOTLINE_CONFIG": str(REPO / "config.example.yaml")})
    assert settings == load_settings(environ={})


def test_telephony_mode_defaults_to_simulator_without_credentials():
    assert load_settings(environ={}).telephony_mode == "simulator"
    both = {"TWILIO_ACCOUNT_SID": "AC" + "a" * 32, "TWILIO_AUTH_TOKEN": "t" * 32}
    assert load_settings(environ=both).telephony_mode == "twilio"
    assert load_settings(environ={**both, "HOTLINE_TELEPHONY": "simulator"}).telephony_mode == "simulator"


@pytest.mark.parametrize("environ, named", [
    ({"HOTLINE_PORT": "http"}, "server.port (HOTLINE_PORT)"),
    ({"HOTLINE_OPEN_HOURS": "9-5"}, "hours.open (HOTLINE_OPEN_HOURS)"),
    ({"HOTLINE_TIMEZONE": "Asia/Atlantis"}, "hours.timezone (HOTLINE_TIMEZONE)"),
    ({"HOTLINE_TELEPHONY": "pots"}, "telephony.mode (HOTLINE_TELEPHONY)"),
    ({"HOTLINE_DATABASE_URL": "mysql://x"}, "database.url (HOTLINE_DATABASE_URL)"),
    ({"HOTLINE_PUBLIC_URL": "hotline.example.com"}, "server.public_url (HOTLINE_PUBLIC_URL)"),
    ({"TWILIO_ACCOUNT_SID": "123"}, "telephony.account_sid (TWILIO_ACCOUNT_SID)"),
])
def test_bad_setting_is_named(environ, named):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=environ)
    assert named in str(caught.value)


def test_unknown_and_mistyped_yaml_settings_are_named(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("queue:\n  reasure_every_s: 30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"queue\.reasure_every_s: unknown setting"):
        load_settings(environ={"HOTLINE_CONFIG": str(config)})
    config.write_text("queue:\n  hold_audio_url: https://x.example/hold.wav\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"queue\.hold_audio_url: removed: use queue\.hold_audio_file"):
        load_settings(environ={"HOTLINE_CONFIG": str(config)})
    config.write_text("queue: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(environ={"HOTLINE_CONFIG": str(config)})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(environ={"HOTLINE_CONFIG": str(tmp_path / "missing.yaml")})


def _run_app(env_extra, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env_extra}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60)


def test_python_app_with_bad_setting_prints_one_line_and_exits_nonzero(tmp_path):
    result = _run_app({"HOTLINE_OPEN_HOURS": "late", "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
                      tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "hours.open (HOTLINE_OPEN_HOURS)" in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = _run_app({"HOTLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "database.url (HOTLINE_DATABASE_URL)" in result.stderr
