"""Inputs with broken encodings give clear errors, never a 500 or a traceback —
contact CSV uploads, the YAML configuration, the script library, JSON API bodies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
BROKEN = b"\xff\xfe\xfa\x80 not text \xc3\x28 \xe2\x82"  # invalid in UTF-8 and GB18030


@pytest.fixture
def lead(make_user):
    _user, token = make_user("enc-lead", role="lead")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def campaign_id(app):
    from core.db import session_scope
    from scheduler import campaigns as svc

    with session_scope(app) as s:
        return svc.create_campaign(s, app.config["HOTLINE"], {"name": "encodings"}).id


@pytest.mark.parametrize("body", [
    BROKEN,
    "电话,姓名\n13912345678,王先生\n".encode("utf-16"),  # Excel's "Unicode text"
    b"phone\n\x00\x00\x00\x00",
    b"phone\n13912345678\n" + BROKEN,
])
def test_contact_csv_with_broken_encoding_is_a_clear_422(app, client, lead, campaign_id, body):
    response = client.post(f"/api/campaigns/{campaign_id}/contacts", data=body,
                           headers={**lead, "Content-Type": "text/csv"})
    assert response.status_code == 422, response.data[:300]
    error = response.get_json()["error"]
    assert error.startswith("file:"), error
    from sqlalchemy import func, select

    from scheduler.models import Contact

    with app.extensions["db_sessionmaker"]() as s:
        assert s.scalar(select(func.count()).select_from(Contact).where(Contact.campaign_id == campaign_id)) == 0


@pytest.mark.parametrize("path", ["/api/cases", "/api/check", "/api/suggest", "/api/agents/me/presence"])
def test_json_body_with_broken_bytes_is_a_400(client, lead, path):
    response = client.post(path, data=b'{"text": "' + BROKEN + b'"}', headers={**lead, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()


def test_config_file_with_broken_encoding_names_the_setting(tmp_path):
    config = tmp_path / "hotline.yaml"
    config.write_bytes(b"server:\n  host: " + BROKEN + b"\n")
    with pytest.raises(ConfigError) as error:
        load_settings({"HOTLINE_CONFIG": str(config)})
    assert str(error.value).startswith("HOTLINE_CONFIG: cannot read")


def test_config_file_in_gbk_names_the_setting(tmp_path):
    config = tmp_path / "hotline.yaml"
    config.write_bytes("company:\n  name: 顺创物业\n".encode("gbk"))
    with pytest.raises(ConfigError) as error:
        load_settings({"HOTLINE_CONFIG": str(config)})
    assert "HOTLINE_CONFIG" in str(error.value)


def test_python_app_with_broken_config_prints_one_line(tmp_path):
    config = tmp_path / "hotline.yaml"
    config.write_bytes(BROKEN)
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"HOTLINE_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOTLINE_PORT": "0"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("hotline: HOTLINE_CONFIG: cannot read")
    assert "Traceback" not in result.stderr


def test_library_file_with_broken_encoding_is_a_lint_error(tmp_path):
    library = tmp_path / "library"
    shutil.copytree(ROOT / "scripts_library" / "data", library)
    (library / "zh-CN" / "s1_busy_line.yaml").write_bytes(b"entries:\n  - id: x\n    text: " + BROKEN + b"\n")
    result = subprocess.run([sys.executable, "-m", "scripts_library", "lint", "--library", str(library)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "s1_busy_line.yaml" in out
    assert "Traceback" not in out
