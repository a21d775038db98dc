"""Secrets generated on first start and kept in the database (AppSecret)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import Flask
from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from core.models import AppSecret


def stored_secret(app: Flask, key: str, make: Callable[[], str]) -> str:
    """Return the stored secret ``key``, creating it with ``make()`` the first time.

    Safe when several processes start at once: the first insert wins, the others re-read.
    """
    with session_scope(app) as s:
        row = s.get(AppSecret, key)
        if row is not None:
            return row.value
    try:
        with session_scope(app) as s:
            s.add(AppSecret(key=key, value=make()))
    except IntegrityError:
        pass
    with session_scope(app) as s:
        row = s.get(AppSecret, key)
        assert row is not None
        return row.value


def new_account_sid() -> str:
    return "AC" + secrets.token_hex(16)


def new_token() -> str:
    return secrets.token_hex(16)
