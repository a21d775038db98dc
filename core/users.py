"""Users (agents, team leads, admins), their passwords and API tokens.

``flask --app app users create NAME --role agent|lead|admin`` prints a JSON object with
``name``, ``role``, ``token`` and, when generated, ``password``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from core.cli_errors import BadInput
from core.db import session_scope
from core.models import Role, User

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class UserError(ValueError):
    """Bad user input; the message names the field."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    return "hl_" + secrets.token_urlsafe(32)


def create_user(s: Session, name: str, role: str, password: str | None = None, *,
                display_name: str | None = None, agent_code: str | None = None,
                endpoint: str | None = None, skills: list[str] | None = None,
                districts: list[str] | None = None) -> tuple[User, str, str | None]:
    """Create a user; returns (user, api_token, generated_password or None)."""
    if not NAME_PATTERN.match(name or ""):
        raise UserError("name: use 1-64 letters, digits, '.', '_' or '-'")
    if role not in {r.value for r in Role}:
        raise UserError(f"role: must be one of agent, lead, admin (got {role!r})")
    if s.scalar(select(User).where(User.name == name)):
        raise UserError(f"name: a user called {name!r} already exists")
    if agent_code and s.scalar(select(User).where(User.agent_code == agent_code)):
        raise UserError(f"agent_code: {agent_code!r} is already taken")
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    elif len(password) < 8:
        raise UserError("password: at least 8 characters")
    token = new_api_token()
    next_code = str(1000 + (s.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0) + 1)
    user = User(name=name, role=role, display_name=display_name or name,
                password_hash=generate_password_hash(password), token_hash=hash_token(token),
                agent_code=agent_code or next_code, endpoint=endpoint or f"client:{name}",
                skills=skills or [], districts=districts or [])
    s.add(user)
    s.flush()
    return user, token, generated


def user_for_token(s: Session, token: str) -> User | None:
    if not token:
        return None
    return s.scalar(select(User).where(User.token_hash == hash_token(token), User.active.is_(True)))


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash or "", password)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


users_cli = AppGroup("users", help="Manage agents, team leads and admins.")


@users_cli.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["agent", "lead", "admin"]), default="agent", show_default=True)
@click.option("--password", help="Sign-in password (at least 8 characters); generated when omitted.")
@click.option("--display-name", help="Name shown in the console.")
@click.option("--agent-code", help="Agent ID (工号) said to callers; generated when omitted.")
@click.option("--endpoint", help="Where the agent answers: +E.164 number or client:IDENTITY.")
@click.option("--skills", help="Comma-separated menu options served (repair,complaint,...); empty = all.")
@click.option("--districts", help="Comma-separated districts served (H6); empty = all.")
def create_command(name: str, role: str, password: str | None, display_name: str | None,
                   agent_code: str | None, endpoint: str | None, skills: str | None,
                   districts: str | None) -> None:
    """Create a user and print its API token (and generated password) as JSON."""
    try:
        with session_scope(current_app) as s:
            user, token, generated = create_user(
                s, name, role, password, display_name=display_name, agent_code=agent_code,
                endpoint=endpoint, skills=_split(skills), districts=_split(districts))
            out = {"name": user.name, "role": user.role, "token": token, "agent_code": user.agent_code,
                   "endpoint": user.endpoint}
            if generated:
                out["password"] = generated
    except UserError as exc:
        raise BadInput(str(exc)) from None
    click.echo(json.dumps(out, ensure_ascii=False))


@users_cli.command("list")
def list_command() -> None:
    """List users as JSON lines (no secrets)."""
    with session_scope(current_app) as s:
        for user in s.scalars(select(User).order_by(User.id)):
            click.echo(json.dumps({"name": user.name, "role": user.role, "agent_code": user.agent_code,
                                   "endpoint": user.endpoint, "presence": user.presence,
                                   "active": user.active}, ensure_ascii=False))


@users_cli.command("token")
@click.argument("name")
def token_command(name: str) -> None:
    """Issue a new API token for NAME (the old one stops working)."""
    with session_scope(current_app) as s:
        user = s.scalar(select(User).where(User.name == name))
        if user is None:
            raise BadInput(f"name: no user called {name!r}")
        token = new_api_token()
        user.token_hash = hash_token(token)
    click.echo(json.dumps({"name": name, "token": token}))


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
