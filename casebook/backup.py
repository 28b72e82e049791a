"""Backups of the SQLite database: online copies, checked restores, and a daily rotation.

A backup holds clinical text encrypted with the practice's key, which is not in the file:
restoring needs the same key (the key file or CASEBOOK_KEY) that was in use when it was made.
PostgreSQL practices back up with pg_dump (see the README).
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from datetime import date, datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from casebook import audit, crypto, keys
from casebook.crypto import Cipher, KeyProblem
from casebook.db import KEY_CHECK, MIGRATIONS, SQLITE_BUSY_MS, Database
from casebook.errors import CasebookError, ValidationError
from casebook.models import encrypted_columns
from casebook.settings import Settings

BACKUP_FOLDER = "backups"
DAILY_NAME = re.compile(r"casebook-\d{4}-\d{2}-\d{2}\.db")
SQLITE_MAGIC = b"SQLite format 3\x00"
# Enough of Casebook's schema to tell its database from any other SQLite file.
CASEBOOK_TABLES = {"alembic_version", "users", "cases", "clients", "stage_events"}


class BackupRefused(ValidationError):
    """A backup cannot be made where or how it was asked; nothing was written."""


class RestoreRefused(ValidationError):
    """The file cannot be restored; the live database was not touched."""


class RestoreFailed(CasebookError):
    """Restoring stopped part way; SQLite rolled the live database back to how it was."""


def backup_to(db: Database, settings: Settings, target: Path) -> Path:
    """Copy the live SQLite database to a new file `target`, checked, while the app runs.

    Raises BackupRefused for PostgreSQL, an existing file or a missing folder.
    """
    if not settings.is_sqlite or db.engine.dialect.name != "sqlite":
        raise BackupRefused(
            "This practice's database is on PostgreSQL: back it up with pg_dump "
            "(see the README), not with casebook backup."
        )
    target = Path(target).expanduser().absolute()
    if target.exists():
        raise BackupRefused(f"{target} already exists: choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise BackupRefused(f"The folder {target.parent} does not exist: create it first.")
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        _create_private(tmp)
        raw = db.engine.raw_connection()
        try:
            with closing(sqlite3.connect(tmp, isolation_level=None)) as copy:
                # One step (pages=-1) copies one consistent snapshot; WAL lets writers go on.
                raw.driver_connection.backup(copy)  # type: ignore[union-attr]
                # A backup is one self-contained file: no -wal beside it.
                copy.execute("PRAGMA journal_mode=DELETE")
                problem = _integrity_problem(copy)
        finally:
            raw.close()
        if problem:
            raise BackupRefused(
                f"The copy failed its integrity check ({problem}); the live database may be "
                "damaged: run 'casebook audit verify' and restore from an earlier backup."
            )
        _fsync(tmp)
        _publish(tmp, target)
    except sqlite3.Error as exc:
        raise BackupRefused(f"The backup could not be written: {_reason(exc)}.") from exc
    except OSError as exc:
        raise BackupRefused(
            f"The backup could not be written to {target.parent}: {exc.strerror}."
        ) from exc
    finally:
        _remove(tmp)
    audit.log(db, None, "backup", detail=target.name)
    return target


def restore_from(settings: Settings, source: Path) -> Path | None:
    """Replace every record with the backup `source`, after checking it; all or nothing.

    The records as they were are first copied to the backups folder (a wrong backup restored
    can be undone by restoring that copy); returns the copy, or None when there were none.
    Raises RestoreRefused (nothing changed) when the file is missing, not a SQLite database,
    damaged, not Casebook's, from a newer Casebook, or made with another encryption key.
    """
    source = first_look(settings, source)
    live = settings.sqlite_path
    assert live is not None
    cipher = _current_cipher(settings)
    retired = _retired_ciphers(settings)
    live.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_restores(live)
    staging = live.with_name(f".{live.name}.restore-{secrets.token_hex(4)}")
    try:
        _stage(source, staging, cipher, retired)
        kept = copy_aside(settings, "before-restore")
        _restore_into(staging, live)
    finally:
        for path in _with_companions(staging):
            _remove(path)
    db = Database.open(settings)
    try:
        audit.log(db, None, "restore", detail=source.name)
    finally:
        db.dispose()
    return kept


def first_look(settings: Settings, source: Path) -> Path:
    """The backup file's full path, after the quick checks a restore starts with (before it
    asks to go on); raises RestoreRefused for PostgreSQL, a missing or non-SQLite file, or
    the live database itself."""
    if not settings.is_sqlite:
        raise RestoreRefused(
            "This practice's database is on PostgreSQL: restore it with pg_restore or psql "
            "(see the README), not with casebook restore."
        )
    live = settings.sqlite_path
    assert live is not None
    source = Path(source).expanduser().absolute()
    if not source.exists():
        raise RestoreRefused(f"There is no file {source}.")
    if not source.is_file():
        raise RestoreRefused(f"{source} is a folder, not a backup file.")
    if live.exists() and source.resolve() == live.resolve():
        raise RestoreRefused(f"{source} is the live database itself: choose a backup file.")
    if not _has_sqlite_header(source):
        raise RestoreRefused(f"{source.name} is not a Casebook backup: it is not a SQLite file.")
    return source


def copy_aside(settings: Settings, why: str) -> Path | None:
    """Copy the live SQLite records to `backups/casebook-<why>-<now>.db` before they are all
    replaced (a restore, a demo reset), so that the step can be undone; never rotated away.

    Returns the copy, or None for PostgreSQL or a database not created yet. Raises
    RestoreFailed, having changed nothing, when the copy cannot be written.
    """
    live = settings.sqlite_path
    if not settings.is_sqlite or live is None or not live.exists() or not live.stat().st_size:
        return None
    folder = settings.home / BACKUP_FOLDER
    stamp = f"casebook-{why}-{datetime.now():%Y-%m-%d-%H%M%S}"
    target = next(
        path
        for n in itertools.count(1)
        if not (path := folder / (f"{stamp}.db" if n == 1 else f"{stamp}-{n}.db")).exists()
    )
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        _backups_folder(settings)
        _create_private(tmp)
        try:
            with (
                closing(sqlite3.connect(live, timeout=SQLITE_BUSY_MS / 1000)) as src,
                closing(sqlite3.connect(tmp, isolation_level=None)) as copy,
            ):
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            raise  # busy or unreadable: no copy, and so no restore
        except sqlite3.DatabaseError:
            # A damaged database (often the reason to restore) is kept as it lies on disk.
            shutil.copyfile(live, tmp)
        _fsync(tmp)
        _publish(tmp, target)
    except (OSError, sqlite3.Error, BackupRefused) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else _reason(exc)
        raise RestoreFailed(
            f"Nothing was changed: the records as they are could not be copied to {folder} "
            f"first ({reason})."
        ) from exc
    finally:
        _remove(tmp)
    return target


def newest_entry(path: Path) -> datetime | None:
    """When the newest audit entry of a Casebook database file was made (UTC): roughly how
    recent its records are. None when the file cannot tell."""
    try:
        with closing(sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)) as c:
            at = c.execute("SELECT max(at) FROM audit_events").fetchone()[0]
        return datetime.fromisoformat(at) if at else None
    except (sqlite3.Error, OSError, ValueError, TypeError):
        return None


def _backups_folder(settings: Settings) -> Path:
    folder = settings.home / BACKUP_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def daily_backup(db: Database, settings: Settings, keep: int) -> Path | None:
    """Make today's automatic backup if there is none, then keep only the newest `keep`.

    Returns the new backup, or None when today's exists already or the database is PostgreSQL.
    """
    if keep < 1:
        raise ValidationError("At least one automatic backup must be kept.")
    if not settings.is_sqlite or db.engine.dialect.name != "sqlite":
        return None
    assert settings.sqlite_path is not None
    _sweep_stale_restores(settings.sqlite_path)
    target = _backups_folder(settings) / f"casebook-{date.today():%Y-%m-%d}.db"
    made: Path | None = None
    if not target.exists():
        try:
            made = backup_to(db, settings, target)
        except BackupRefused:
            if not target.exists():  # another process making today's backup is no error
                raise
    for old in automatic_backups(settings)[:-keep]:
        old.unlink(missing_ok=True)
    return made


DAILY_ENV = "CASEBOOK_DAILY_BACKUPS"  # set by `casebook run` for the server it starts


class DailyBackups:
    """The day's automatic backup for a server left running: `casebook run` makes one as it
    starts, but a practice's server runs for weeks. `ensure` makes it on the first call of
    each day, in a thread of its own so that no page waits for the copy. A backup that
    fails is logged and kept in `problem` to tell the admins; the app goes on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: date | None = None
        self.problem: str | None = None

    def ensure(
        self,
        db: Database,
        settings: Settings,
        keep: Callable[[], int],
        *,
        today: date | None = None,
    ) -> threading.Thread | None:
        """Start the day's backup unless it was started today; returns the thread started."""
        today = today or date.today()
        with self._lock:
            if self._day == today:
                return None
            self._day = today
        thread = threading.Thread(
            target=self._make, args=(db, settings, keep), name="casebook-daily-backup", daemon=True
        )
        thread.start()
        return thread

    def _make(self, db: Database, settings: Settings, keep: Callable[[], int]) -> None:
        try:
            daily_backup(db, settings, keep())
        except Exception as exc:  # a thread's failure would otherwise go unseen
            logging.getLogger("casebook").exception("The day's automatic backup failed")
            self.problem = daily_problem(exc)
        else:
            self.problem = None


def daily_problem(exc: Exception) -> str:
    """What to tell the admins when the day's backup could not be made."""
    return (
        f"Today's automatic backup could not be made ({exc}). The records are as they were; "
        "free space on the disk or check the backups folder, and make one with "
        "'casebook backup FILE' meanwhile."
    )


def automatic_backups(settings: Settings) -> list[Path]:
    """The daily backups in the data folder, oldest first."""
    folder = settings.home / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if DAILY_NAME.fullmatch(p.name) and p.is_file())


def _stage(source: Path, staging: Path, cipher: Cipher, retired: list[Cipher]) -> None:
    """Check `source`, copy it to `staging` and bring the copy up to this Casebook's schema,
    encrypted with `cipher` (the current key) even when one of the `retired` keys made it."""
    name = source.name
    try:
        with closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src:
            problem = _integrity_problem(src)
            if problem:
                raise RestoreRefused(f"{name} is damaged ({problem}): restore from another backup.")
            _check_is_casebook(src, name)
            made_with = _opening_cipher(src, name, [cipher, *retired])
            _create_private(staging)
            with closing(sqlite3.connect(staging, isolation_level=None)) as copy:
                src.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise RestoreRefused(
            f"{name} is damaged ({_reason(exc)}): restore from another backup."
        ) from exc
    except OSError as exc:
        raise RestoreFailed(
            f"Nothing was restored: the data folder {staging.parent} cannot be written "
            f"({exc.strerror})."
        ) from exc
    # The migrations run on the copy, so the live database changes once, to the final state.
    try:
        staged = Database.open(Settings(staging.parent, f"sqlite:///{staging}", key=made_with.key))
    except CasebookError as exc:
        raise RestoreRefused(f"{name} cannot be restored: {exc}") from exc
    except Exception as exc:
        raise RestoreRefused(
            f"{name} cannot be brought up to date for this version of Casebook: {_reason(exc)}."
        ) from exc
    try:
        if made_with is not cipher:  # made before a key rotation: it takes the current key
            with staged.write() as s:
                keys.reencrypt(s, made_with, cipher)
    except KeyProblem as exc:
        raise RestoreRefused(
            f"{name} holds text that its own key does not open: restore from another backup."
        ) from exc
    finally:
        staged.dispose()
    with closing(sqlite3.connect(staging)) as copy:
        problem = _integrity_problem(copy)
    if problem:
        raise RestoreRefused(f"{name} is damaged ({problem}): restore from another backup.")


def _restore_into(staging: Path, live: Path) -> None:
    """Copy the checked staging file over the live database in one write transaction."""
    try:
        if not live.exists():
            _create_private(live)
        with (
            closing(sqlite3.connect(staging)) as src,
            closing(sqlite3.connect(live, timeout=SQLITE_BUSY_MS / 1000)) as dst,
        ):
            dst.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            # One step holds the live database's write lock throughout and commits once:
            # a reader sees the old records or the restored ones, never a mixture.
            src.backup(dst)
    except sqlite3.OperationalError as exc:
        raise RestoreFailed(
            f"Restoring stopped and the records were left as they were: {_reason(exc)}."
        ) from exc
    except sqlite3.DatabaseError:
        # The live file is too damaged for SQLite to write into (cut short, overwritten):
        # it was copied aside, so the checked copy takes its place whole.
        _replace_damaged(staging, live)
    except OSError as exc:
        raise RestoreFailed(
            f"Restoring stopped and the records were left as they were: {exc.strerror}."
        ) from exc


def _replace_damaged(staging: Path, live: Path) -> None:
    tmp = live.with_name(f".{live.name}.{secrets.token_hex(4)}.tmp")
    try:
        _create_private(tmp)
        shutil.copyfile(staging, tmp)
        _fsync(tmp)
        # A -wal left beside the damaged file would be replayed into the restored one.
        for companion in list(_with_companions(live))[1:]:
            companion.unlink(missing_ok=True)
        os.replace(tmp, live)
        _fsync_folder(live.parent)
    except OSError as exc:
        raise RestoreFailed(
            f"Restoring stopped and the damaged records were left as they were: {exc.strerror}."
        ) from exc
    finally:
        _remove(tmp)


def _check_is_casebook(src: sqlite3.Connection, name: str) -> None:
    tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not CASEBOOK_TABLES.issubset(tables):
        raise RestoreRefused(f"{name} is not a Casebook backup: it lacks Casebook's tables.")
    try:
        revisions = [row[0] for row in src.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError:
        revisions = []
    if len(revisions) != 1:
        raise RestoreRefused(f"{name} is not a Casebook backup: its schema version is unclear.")
    if revisions[0] not in _known_revisions():
        raise RestoreRefused(
            f"{name} was made by a newer version of Casebook (schema {revisions[0]}): "
            "update Casebook, then restore it."
        )


def _opening_cipher(src: sqlite3.Connection, name: str, ciphers: list[Cipher]) -> Cipher:
    """The first of `ciphers` (the current key, then the retired ones) that made `src`."""
    tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "practice_settings" not in tables:
        return ciphers[0]  # from before encryption: upgrading the copy encrypts it
    row = src.execute("SELECT value FROM practice_settings WHERE key = 'key_check'").fetchone()
    if row is not None:
        tokens = [row[0]]
        expected: str | None = KEY_CHECK
    else:
        tokens = _sample_encrypted(src, tables)
        expected = None
    for cipher in ciphers:
        if all(_opens(cipher, token, expected) for token in tokens):
            return cipher
    raise RestoreRefused(
        f"{name} was made with a different encryption key, which neither {crypto.KEY_FILE} "
        f"nor a retired key beside it opens: copy that key's file into the data folder as "
        f"{crypto.KEY_FILE}.retired-<any name> (leave {crypto.KEY_FILE} as it is), then restore."
    )


def _opens(cipher: Cipher, token: object, expected: str | None) -> bool:
    try:
        text = cipher.decrypt(token)  # type: ignore[arg-type]
    except (KeyProblem, AttributeError):
        return False
    return expected is None or text == expected


def _retired_ciphers(settings: Settings) -> list[Cipher]:
    """The keys that rotations replaced (casebook.key.retired-*), newest first."""
    found = []
    for path in sorted(crypto.key_path(settings.home).parent.glob(f"{crypto.KEY_FILE}.retired-*")):
        with suppress(KeyProblem, OSError):
            found.append(Cipher(crypto.read_key_file(path)))
    return found[::-1]


def _sample_encrypted(src: sqlite3.Connection, tables: set[str]) -> list[str]:
    """One stored value of each encrypted column, to try the key on."""
    found = []
    for table, column in encrypted_columns():
        if table not in tables:
            continue
        columns = {row[1] for row in src.execute(f'PRAGMA table_info("{table}")')}
        if column in columns:
            row = src.execute(
                f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL LIMIT 1'
            ).fetchone()
            if row is not None:
                found.append(row[0])
    return found


def _current_cipher(settings: Settings) -> Cipher:
    """The key this Casebook opens its database with: CASEBOOK_KEY, else the key file."""
    if settings.key:
        return Cipher(settings.key)
    path = crypto.key_path(settings.home)
    if not path.exists():
        raise RestoreRefused(
            f"There is no encryption key at {path}: put back the key file that belongs with "
            f"the backup, or set {crypto.KEY_ENV}, then restore."
        )
    return Cipher(crypto.read_key_file(path))


def _known_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _integrity_problem(conn: sqlite3.Connection) -> str:
    """'' when SQLite's integrity check passes, else its first complaint."""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    first = str(rows[0][0]) if rows else "no answer"
    return "" if first == "ok" else first


def _has_sqlite_header(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError as exc:
        raise RestoreRefused(f"{path} cannot be read: {exc.strerror}.") from exc


def _create_private(path: Path) -> None:
    """Create an empty file only its owner can read; refuse one that exists."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _publish(tmp: Path, target: Path) -> None:
    """Give the finished copy its name without ever replacing a file that appeared there."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise BackupRefused(
            f"{target} already exists: choose a new file name for the backup."
        ) from None
    except OSError:
        # A file system without hard links: a plain rename, after one more look.
        if target.exists():
            raise BackupRefused(
                f"{target} already exists: choose a new file name for the backup."
            ) from None
        os.rename(tmp, target)
    _fsync_folder(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not every platform opens folders; the file itself is already on disk
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


STALE_RESTORE = 3600  # seconds: no restore takes this long, so its copy was left by a kill


def _sweep_stale_restores(live: Path) -> None:
    """Remove the staging copies (whole copies of the records) that a restore stopped by a
    kill or a power cut left beside the live database; a restore under way keeps its own."""
    for path in live.parent.glob(f".{live.name}.restore-*"):
        with suppress(OSError):
            if time.time() - path.stat().st_mtime > STALE_RESTORE:
                path.unlink()


def _with_companions(path: Path) -> Iterator[Path]:
    yield path
    for suffix in ("-wal", "-shm", "-journal"):
        yield path.with_name(path.name + suffix)


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0].rstrip(".")
