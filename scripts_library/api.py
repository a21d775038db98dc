"""Placeholder until the library's API module lands (helper is writing it)."""

from flask import Flask


def init_app(app: Flask) -> None:
    return None
