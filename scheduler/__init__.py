"""scheduler part of Hotline."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's blueprints and commands."""
