import threading

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from casebook.db import Database
from casebook.models import Client


@pytest.fixture
def sqlite_db(tmp_path):
    from casebook.settings import Settings

    database = Database.open(Settings(tmp_path, f"sqlite:///{tmp_path / 'c.db'}"))
    yield database
    database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(sqlite_db):
    with sqlite_db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Client(case_id=424242, position=1, name="Orphan", pronouns="", email="", phone=""))
    with db.read() as s:
        assert s.query(Client).count() == 0


def test_upgrade_is_idempotent_and_creates_every_table(db):
    db.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "cases", "clients", "stage_events", "alembic_version"} <= tables


def test_a_failed_write_commits_nothing(db):
    with pytest.raises(RuntimeError), db.write() as s:
        s.execute(
            text(
                "INSERT INTO users (username, display_name, role, password_hash, active, "
                "created_at) VALUES ('x', 'X', 'admin', 'h', true, CURRENT_TIMESTAMP)"
            )
        )
        raise RuntimeError("boom")
    assert db.is_empty()


def test_concurrent_writers_never_see_database_is_locked(sqlite_db):
    from casebook import accounts

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                accounts.create_user(sqlite_db, None, f"user{n}-{i}", "counsellor", "p" * 12)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite_db.read() as s:
        assert s.execute(text("SELECT count(*) FROM users")).scalar() == 60


def test_the_generation_changes_with_each_write_in_any_process(settings, people):
    from casebook import cases
    from casebook.cases import ClientInput

    db = Database.open(settings)
    other = Database.open(settings)  # another app server or a command, on the same records
    try:
        before = db.generation()
        cases.list_cases(db, people["morgan"])
        assert db.generation() == before  # reading changes nothing
        cases.create_case(db, people["morgan"], [ClientInput("Ana")])
        after_own = db.generation()
        assert after_own != before
        cases.create_case(other, people["morgan"], [ClientInput("Ben")])
        assert db.generation() != after_own
    finally:
        other.dispose()
        db.dispose()
