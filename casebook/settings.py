"""Where the data lives: injected, never a module-level path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    key: bytes | None = None  # from CASEBOOK_KEY; else the key file in `home`

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.database_url.split("///", 1)[1])


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Settings from CASEBOOK_HOME and CASEBOOK_DATABASE_URL, with platform defaults."""
    env = os.environ if environ is None else environ
    home = Path(env.get("CASEBOOK_HOME") or platformdirs.user_data_dir("casebook", appauthor=False))
    url = env.get("CASEBOOK_DATABASE_URL") or f"sqlite:///{home / 'casebook.db'}"
    key = env.get("CASEBOOK_KEY")
    return Settings(home=home, database_url=url, key=key.encode("utf-8") if key else None)
