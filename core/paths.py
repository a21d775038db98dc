"""Where runtime files live, derived from the settings."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.db import REPO_ROOT


def data_dir(settings: Settings) -> Path:
    path = Path(settings.server.data_dir)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def database_url(settings: Settings) -> str:
    """The configured database URL, or a SQLite file in the data directory."""
    if settings.database.url:
        return settings.database.url
    return f"sqlite:///{data_dir(settings) / 'hotline.db'}"
