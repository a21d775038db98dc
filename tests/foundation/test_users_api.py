"""Users from the command line, bearer tokens, JSON errors, OpenAPI."""

import json

from sqlalchemy import select

from core.models import User


def test_users_create_prints_token_and_generated_password(runner, db):
    result = runner.invoke(args=["users", "create", "alice", "--role", "agent"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["name"] == "alice" and out["role"] == "agent"
    assert out["token"].startswith("hl_") and len(out["password"]) >= 12
    user = db.scalar(select(User).where(User.name == "alice"))
    assert user.password_hash != out["password"] and user.token_hash != out["token"]


def test_users_create_with_password_does_not_echo_it(runner):
    out = json.loads(runner.invoke(args=["users", "create", "lead1", "--role", "lead",
                                         "--password", "s3cret-pass"]).output)
    assert "password" not in out and out["role"] == "lead"


def test_users_create_rejects_bad_input_by_field(runner, db):
    assert "name:" in runner.invoke(args=["users", "create", "bad name!"]).output
    runner.invoke(args=["users", "create", "bob"])
    duplicate = runner.invoke(args=["users", "create", "bob"])
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    short = runner.invoke(args=["users", "create", "carol", "--password", "short"])
    assert short.exit_code == 2 and "password:" in short.output
    assert db.scalar(select(User).where(User.name == "carol")) is None


def test_token_authenticates_and_bad_token_is_401(make_app):
    app = make_app()
    client, runner = app.test_client(), app.test_cli_runner()
    from flask import Blueprint

    from core.api import api_auth, current_user
    probe = Blueprint("probe", __name__)

    @probe.get("/api/whoami")
    @api_auth()
    def whoami():
        return {"name": current_user().name}

    client.application.register_blueprint(probe)
    token = json.loads(runner.invoke(args=["users", "create", "dave"]).output)["token"]
    assert client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"}).get_json() == {"name": "dave"}
    bad = client.get("/api/whoami", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and "error" in bad.get_json()


def test_openapi_document_describes_paths(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/openapi.json" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and "error" in response.get_json()
