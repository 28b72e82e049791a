"""The database: one engine per process, sessions per unit of work, migrations on open."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from casebook import crypto
from casebook.crypto import Cipher, KeyProblem
from casebook.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_MS = 30_000
POOL_WAIT_S = 30.0  # how long a rerun waits for one of the process's connections
# Any fixed numbers: PostgreSQL's writers queue on the first advisory lock, one at a time,
# and processes opening the database (migrating it, filling the library) on the second.
POSTGRES_WRITE_LOCK = 0x0CA5EB00C
POSTGRES_OPEN_LOCK = 0x0CA5EB00D


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_MS / 1000}, pool_timeout=POOL_WAIT_S
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA secure_delete=ON")  # freed pages keep no old text
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # A write transaction takes the write lock at its start, so two sessions never both
        # read and then fail to upgrade to a write ("database is locked").
        if conn.get_execution_options().get("casebook_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


KEY_CHECK = "casebook key check"


def _opens(cipher: Cipher, token: str) -> bool:
    try:
        return cipher.decrypt(token) == KEY_CHECK
    except KeyProblem:
        return False


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_timeout=POOL_WAIT_S)


class Database:
    """The practice's database. `read()` and `write()` give a session for one unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(casebook_write=True), expire_on_commit=False
        )
        self._committed = 0  # writes this process has committed

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """Open (creating the data folder), load the key, and bring the schema up to date.

        Raises KeyProblem when the key is missing or is not this database's.
        """
        if settings.is_sqlite:
            path = settings.sqlite_path
            assert path is not None
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Client names and contact details are plain columns: owner-only file (SQLite
            # gives its -wal and -shm files the same permissions). Only ever a new file:
            # closing a handle on a database this process has open already would drop the
            # process's SQLite locks on it, and another process closing the database would
            # then take itself for the last one and delete the -wal file still in use here.
            with suppress(FileExistsError):
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        db = cls(make_engine(settings.database_url))
        try:
            with db._one_opening_at_a_time():
                db.cipher = db._load_cipher(settings)
                db.upgrade()
                db._check_key()
                db.sync_library()
            db._refresh_statistics()
        except BaseException:
            db.dispose()
            raise
        return db

    @contextmanager
    def _one_opening_at_a_time(self) -> Iterator[None]:
        """On PostgreSQL, app processes started together take turns to migrate the database
        and add the shipped library: at once, both created the same tables (or templates)
        and one failed to start. A failed opening disposes of the engine, and of the lock
        with its connection."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": POSTGRES_OPEN_LOCK})
            conn.commit()
            yield
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": POSTGRES_OPEN_LOCK})
            conn.commit()

    @property
    def cipher(self) -> Cipher:
        return self.engine.dialect.casebook_cipher  # type: ignore[attr-defined]

    @cipher.setter
    def cipher(self, cipher: Cipher) -> None:
        # The dialect is per engine: EncryptedText finds the key here, no global state.
        self.engine.dialect.casebook_cipher = cipher  # type: ignore[attr-defined]

    def _stored_key_check(self) -> str | None:
        if not inspect(self.engine).has_table("practice_settings"):
            return None
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT value FROM practice_settings WHERE key = 'key_check'")
            ).scalar()

    def _load_cipher(self, settings: Settings) -> Cipher:
        if settings.key:
            return Cipher(settings.key)
        path = crypto.key_path(settings.home)
        stored = self._stored_key_check()
        pending = path.with_name(path.name + ".new")
        if stored is not None and pending.exists():
            # A key rotation stopped between its commit and putting the new key in place.
            candidate = Cipher(crypto.read_key_file(pending))
            if _opens(candidate, stored):
                pending.replace(path)
        if not path.exists() and stored is None:
            crypto.write_key_file(path, Cipher.new_key())
        return Cipher(crypto.read_key_file(path))

    def _check_key(self) -> None:
        from casebook.models import PracticeSetting

        with self._writes() as s, s.begin():
            row = s.get(PracticeSetting, "key_check")
            if row is None:
                s.add(PracticeSetting(key="key_check", value=self.cipher.encrypt(KEY_CHECK)))
            elif not _opens(self.cipher, row.value):
                raise KeyProblem(
                    "The encryption key does not match this database. Casebook will not start "
                    "with the wrong key: restore the right key file or CASEBOOK_KEY."
                )

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it changes is committed.

        Text that will not decrypt after another process rotated the key says so, and to
        restart: not that the stored text may have been altered."""
        with self._reads() as session:
            try:
                yield session
            except KeyProblem:
                if self._key_rotated():
                    raise KeyProblem(
                        "The encryption key was changed (casebook key rotate) after Casebook "
                        "started here, so this cannot be read. Restart Casebook with the new key."
                    ) from None
                raise
            session.rollback()

    def _key_rotated(self) -> bool:
        with self.engine.connect() as conn:
            token = conn.execute(
                text("SELECT value FROM practice_settings WHERE key = 'key_check'")
            ).scalar()
        return token is not None and not _opens(self.cipher, token)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together at the end, or not at all.

        Refused (KeyProblem) once another process has rotated the key: what this process
        wrote under the old key could never be read again. The key check is read under a
        share lock, which `keys.rotate` waits on, so no write slips in under the old key."""
        with self._writes() as session, session.begin():
            postgres = self.engine.dialect.name == "postgresql"
            if postgres:
                # One writer at a time from its first read, as BEGIN IMMEDIATE gives SQLite:
                # otherwise two saves of one note both pass its version check, and the later
                # silently overwrites the earlier (READ COMMITTED re-reads nothing).
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": POSTGRES_WRITE_LOCK}
                )
            lock = " FOR SHARE" if postgres else ""
            token = session.execute(
                text(f"SELECT value FROM practice_settings WHERE key = 'key_check'{lock}")
            ).scalar()
            if token is not None and not _opens(self.cipher, token):
                raise KeyProblem(
                    "The encryption key was changed (casebook key rotate) after Casebook "
                    "started here, so nothing was saved. Restart Casebook with the new key."
                )
            yield session
        self._committed += 1

    def generation(self) -> tuple[int, str]:
        """A token that changes whenever anyone's write commits: this process's count of its
        own writes, and the newest audit entry's hash (every change records an entry in its
        transaction, whichever process makes it). The hash, not the entry's number: a restore
        may bring the trail back to as many entries as before, but its own entry is new. A
        result kept with the token is current while it holds."""
        with self.engine.connect() as conn:
            newest = conn.execute(
                text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")
            ).scalar()
        return self._committed, newest or ""

    def upgrade(self) -> None:
        """Apply every pending migration, all in one transaction."""
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            if sqlite:
                # Rebuilding a table in a migration must not trip foreign keys midway; the
                # pragma only takes effect outside a transaction, so set it on the raw link.
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg = Config()
                    cfg.set_main_option("script_location", str(MIGRATIONS))
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                    if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise RuntimeError("a migration left rows with broken foreign keys")
            finally:
                if sqlite:
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")

    def _refresh_statistics(self) -> None:
        """Give SQLite's planner the table sizes, so that it starts from a counsellor's cases
        rather than from every assignment with a status. A sampled ANALYZE takes a tenth of a
        second on a group practice; PostgreSQL's autovacuum keeps its own statistics."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")

    def reset(self) -> None:
        """Delete every record and table, then build an empty, current database."""
        from casebook.models import Base

        with self.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        self.upgrade()
        self._check_key()
        self.sync_library()

    def sync_library(self) -> None:
        """Add the shipped worksheet templates and measures the database does not hold yet."""
        from casebook import library, measures  # they need the schema first

        library.sync_shipped(self)
        measures.sync_shipped(self)

    def is_empty(self) -> bool:
        """True when no user account exists yet (a first run)."""
        from casebook.models import User

        if not inspect(self.engine).has_table(User.__tablename__):
            return True
        with self.read() as s:
            return s.query(User.id).first() is None

    def dispose(self) -> None:
        self.engine.dispose()
