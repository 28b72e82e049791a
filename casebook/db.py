"""The database: one engine per process, sessions per unit of work, migrations on open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from casebook.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_MS = 30_000


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
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


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys, busy timeout) or PostgreSQL."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


class Database:
    """The practice's database. `read()` and `write()` give a session for one unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(
            engine.execution_options(casebook_write=True), expire_on_commit=False
        )

    @classmethod
    def open(cls, settings: Settings, *, upgrade: bool = True) -> Database:
        """Open (creating the data folder) and bring the schema up to date."""
        if settings.is_sqlite:
            path = settings.sqlite_path
            assert path is not None
            path.parent.mkdir(parents=True, exist_ok=True)
        db = cls(make_engine(settings.database_url))
        if upgrade:
            db.upgrade()
        return db

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it changes is committed."""
        with self._reads() as session:
            yield session
            session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together at the end, or not at all."""
        with self._writes() as session, session.begin():
            yield session

    def upgrade(self) -> None:
        """Apply every pending migration."""
        with self.engine.begin() as conn:
            cfg = Config()
            cfg.set_main_option("script_location", str(MIGRATIONS))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def is_empty(self) -> bool:
        """True when no user account exists yet (a first run)."""
        from casebook.models import User

        if not inspect(self.engine).has_table(User.__tablename__):
            return True
        with self.read() as s:
            return s.query(User.id).first() is None

    def dispose(self) -> None:
        self.engine.dispose()
