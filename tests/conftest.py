"""Fixtures: a fresh database per test, on SQLite and (when configured) on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casebook import accounts
from casebook.access import Actor
from casebook.crypto import Cipher
from casebook.db import Database
from casebook.settings import Settings
from sample_data.demo import load_demo

POSTGRES_URL = os.environ.get("CASEBOOK_TEST_POSTGRES_URL")
# One template per test run, so that runs side by side do not drop each other's.
TEMPLATE = f"casebook_test_template_{uuid.uuid4().hex[:8]}"
PASSWORD = "correct horse battery"
# PostgreSQL test databases are copies of one template, so they share its key.
POSTGRES_KEY = Cipher.new_key()

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is copied from."""
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
    url = make_url(POSTGRES_URL).set(database=TEMPLATE).render_as_string(hide_password=False)
    home = tmp_path_factory.mktemp("template")
    Database.open(Settings(home, url, key=POSTGRES_KEY)).dispose()
    yield TEMPLATE
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
    engine.dispose()


def _postgres_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    template = request.getfixturevalue("postgres_template")
    name = f"casebook_test_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield Settings(tmp_path, url, key=POSTGRES_KEY)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a fresh, empty database: a SQLite file, or a PostgreSQL database."""
    if request.param == "postgresql":
        yield from _postgres_settings(request, tmp_path)
    else:
        yield Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database.open(settings)
    yield database
    database.dispose()


def make_actor(db: Database, username: str, role: str) -> Actor:
    account = accounts.create_user(
        db, None, username, role, PASSWORD, display_name=username.capitalize()
    )
    return Actor(account.id, account.username, account.display_name, account.role)


@pytest.fixture
def people(db: Database) -> dict[str, Actor]:
    """Two counsellors, a supervisor and an admin."""
    return {
        name: make_actor(db, name, role)
        for name, role in [
            ("morgan", "counsellor"),
            ("riley", "counsellor"),
            ("casey", "supervisor"),
            ("admin", "admin"),
        ]
    }


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Still argon2id, with the smallest cost, so that tests creating accounts stay fast."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> Path:
    """The demo practice, loaded once: each test gets a copy of its files."""
    home = tmp_path_factory.mktemp("demo-practice")
    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    load_demo(db)
    db.dispose()  # the last connection to close folds the WAL into the file
    return home
