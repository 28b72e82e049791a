import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError

from casebook import accounts, cases, measures, notes, practice
from casebook.access import Actor
from casebook.cases import ClientInput
from casebook.crypto import Cipher
from casebook.db import MIGRATIONS, Database, make_engine
from casebook.models import Client
from casebook.settings import Settings
from tests.conftest import POSTGRES_URL
from worksheets.measure_files import shipped_measures


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


def test_opening_the_records_twice_in_one_process_keeps_the_first_ones_locks(tmp_path):
    """SQLite's file locks belong to the process: any other handle on the file that is closed
    drops them all. Another process closing the database then takes itself for the last one,
    checkpoints and deletes the -wal file that this process still writes to; a practice's
    database was damaged that way while the app and a command shared it."""
    import sqlite3
    import subprocess
    import sys

    from casebook import audit
    from casebook.settings import Settings

    path = tmp_path / "c.db"
    settings = Settings(tmp_path, f"sqlite:///{path}")
    first = Database.open(settings)
    try:
        audit.log(first, None, "backup", detail="before")
        second = Database.open(settings)  # e.g. a page's Database beside a command's own
        second.dispose()
        reader = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT 1 FROM sqlite_master'); c.close()"
        )
        subprocess.run([sys.executable, "-c", reader, str(path)], check=True, timeout=60)
        assert path.with_name("c.db-wal").exists(), "another process took itself for the last"
        audit.log(first, None, "backup", detail="after")
    finally:
        first.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == (2,)


def test_opening_the_records_loads_no_data_frames(tmp_path):
    """Every start opens the records: each command, and the app for its login page. pandas
    takes about half a second to load and is for the pages that chart."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; import pages.common; "
        "from casebook.db import Database; from casebook.settings import Settings; "
        "home = Path(sys.argv[1]); "
        "Database.open(Settings(home, f'sqlite:///{home / \"c.db\"}')).dispose(); "
        "print(sorted({'pandas', 'numpy'} & set(sys.modules)))"
    )
    opened = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert opened.stdout.strip() == "[]"


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(Client(case_id=424242, position=1, name="Orphan", pronouns="", email="", phone=""))
    with db.read() as s:
        assert s.query(Client).count() == 0


def test_upgrade_is_idempotent_and_creates_every_table(db):
    db.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "cases", "clients", "stage_events", "alembic_version"} <= tables


def test_the_migrations_build_what_the_models_describe(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from casebook.models import Base

    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


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


OPEN = """
import sys
from pathlib import Path
from casebook.db import Database
from casebook.settings import Settings
Database.open(Settings(Path(sys.argv[1]), sys.argv[2], key=sys.argv[3].encode())).dispose()
"""


@pytest.mark.skipif(not POSTGRES_URL, reason="CASEBOOK_TEST_POSTGRES_URL is not set")
def test_app_servers_started_together_on_an_empty_database_all_start(tmp_path):
    """A group practice's app servers, started at once on a new PostgreSQL database."""
    name = f"casebook_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    key = Cipher.new_key().decode()
    try:
        servers = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, str(tmp_path / str(n)), url, key],
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(3)
        ]
        failures = [p.communicate(timeout=120)[1] for p in servers if p.wait(timeout=120)]
        assert failures == []
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _downgraded(settings: Settings, revision: str) -> Iterator[Connection]:
    """A connection (in a transaction) to the database taken back to `revision`, as a
    practice upgrading from that revision has it."""
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn, conn.begin():
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
            yield conn
    finally:
        engine.dispose()


def test_an_upgrade_keeps_each_measure_setting_for_every_version_it_covered(tmp_path):
    # Settings were per measure, for all its versions; they are now per version. The upgrade
    # gives each the versions it covered, so that no score is compared differently after it.
    [(_csi4, source)] = shipped_measures()
    settings = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}")
    Database.open(settings).dispose()
    with _downgraded(settings, "0009") as conn:
        conn.execute(  # a second version, as a practice's own measure would have
            text(
                "INSERT INTO measures (key, version, name, source, custom, created_at) "
                "VALUES ('csi4', 2, 'CSI-4', :source, 0, '2026-01-02')"
            ),
            {"source": source.replace("version = 1", "version = 2")},
        )
        legacy = {"csi4": {"sd": 7.5, "reliability": 0.8}, "gone": {"sd": 1, "reliability": 0.5}}
        conn.execute(
            text("INSERT INTO practice_settings (key, value) VALUES ('measure_params', :v)"),
            {"v": json.dumps(legacy)},
        )

    db = Database.open(settings)
    try:
        both = {"sd": 7.5, "reliability": 0.8}
        assert practice.load(db).measure_params == {"csi4": {"1": both, "2": both}}
        assert {d.version: d.measure.sd for d in measures.definitions(db).values()} == {
            1: 7.5,
            2: 7.5,
        }
    finally:
        db.dispose()


def test_an_upgrade_books_each_case_on_the_latest_session_its_notes_booked(tmp_path):
    settings = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}")
    db = Database.open(settings)
    account = accounts.create_user(db, None, "morgan", "counsellor", "a long passphrase")
    morgan = Actor(account.id, "morgan", "Morgan", "counsellor")
    opened = date.today() - timedelta(days=30)
    booked, unbooked = (
        cases.create_case(db, morgan, [ClientInput(name)], opened_on=opened) for name in "AB"
    )
    soon = date.today() + timedelta(days=5)
    for days_ago, on in ((20, soon + timedelta(days=2)), (10, soon)):
        note = notes.create_draft(
            db,
            morgan,
            booked.id,
            session_at=datetime.now() - timedelta(days=days_ago),
            attendance="one",
            attendees=[booked.clients[0].id],
            note_format="SOAP",
        )
        notes.save_draft(
            db, morgan, note.id, note.version, sections={"plan": "x"}, next_session_on=on
        )
    db.dispose()
    with _downgraded(settings, "0010"):
        pass

    db = Database.open(settings)
    try:
        assert cases.get_case(db, morgan, booked.id).next_session_on == soon + timedelta(days=2)
        assert cases.get_case(db, morgan, unbooked.id).next_session_on is None
    finally:
        db.dispose()
