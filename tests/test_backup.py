import getpass
import io
import os
import sqlite3
import stat
import sys
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from casebook import audit, backup, cases, keys, stage_history
from casebook.access import Actor
from casebook.backup import BackupRefused, RestoreRefused
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.db import MIGRATIONS, Database, make_engine
from casebook.errors import ValidationError
from casebook.settings import Settings
from tests.conftest import POSTGRES_URL, make_actor

SQLITE = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
POSTGRES = pytest.mark.parametrize(
    "settings",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not POSTGRES_URL, reason="CASEBOOK_TEST_POSTGRES_URL unset"),
        )
    ],
    indirect=True,
)
TABLES = ["users", "cases", "clients", "stage_events", "practice_settings", "audit_events"]


def snapshot(db):
    """Every stored row of every Casebook table, as stored (encrypted text included)."""
    with db.read() as s:
        return {
            table: s.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in TABLES
        }


def open_cases(db, actor, n, prefix="Client"):
    return [cases.create_case(db, actor, [ClientInput(f"{prefix} {i}")]) for i in range(n)]


def files_in(folder):
    return sorted(p.name for p in folder.iterdir())


# --- backup_to ---------------------------------------------------------------------------


@SQLITE
def test_backup_while_another_thread_writes_holds_every_row_committed_before_it(
    settings, db, people, tmp_path
):
    morgan = people["morgan"]
    committed: list[int] = []
    enough = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            n = 0
            while not stop.is_set() and n < 2000:
                n += 1
                committed.append(cases.create_case(db, morgan, [ClientInput(f"W {n}")]).id)
                if n == 30:
                    enough.set()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            enough.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert enough.wait(60)
        before = list(committed)
        copy = backup.backup_to(db, settings, tmp_path / "copy.db")
        during = len(committed)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(committed) > during  # the writer went on after the backup
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    copy_db = Database.open(
        Settings(tmp_path / "copy-home", f"sqlite:///{copy}", key=db.cipher.key)
    )
    try:
        in_copy = {c.id for c in cases.list_cases(copy_db, morgan)}
        assert set(before) <= in_copy
        assert in_copy <= set(committed)
        # A snapshot: each case in the copy came with its audit entry, in one transaction.
        with copy_db.read() as s:
            created = s.execute(
                text("SELECT case_id FROM audit_events WHERE action = 'case_create'")
            ).scalars()
            assert set(created) == in_copy
        assert audit.verify(copy_db).ok
    finally:
        copy_db.dispose()


@SQLITE
def test_backup_is_an_owner_only_file_and_is_audited(settings, db, people, tmp_path):
    open_cases(db, people["morgan"], 2)
    path = backup.backup_to(db, settings, tmp_path / "b.db")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in files_in(tmp_path) if p.endswith(".tmp")]
    last = audit.entries(db, people["admin"], limit=1)[0]
    # Who: no Casebook user logs in for a backup, so the system account that ran it.
    who = f"system ({getpass.getuser()})"
    assert (last.action, last.detail, last.username) == ("backup", "b.db", who)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("SELECT count(*) FROM cases").fetchone() == (2,)


@SQLITE
def test_backup_refuses_an_existing_file_and_leaves_it_alone(settings, db, tmp_path):
    target = tmp_path / "taken.db"
    target.write_text("keep me")
    with pytest.raises(BackupRefused, match="taken.db already exists: choose a new file name"):
        backup.backup_to(db, settings, target)
    assert target.read_text() == "keep me"
    assert not [p for p in files_in(tmp_path) if p.endswith(".tmp")]


@SQLITE
def test_backup_refuses_a_missing_folder(settings, db, tmp_path):
    with pytest.raises(BackupRefused, match="The folder .*nowhere does not exist"):
        backup.backup_to(db, settings, tmp_path / "nowhere" / "b.db")
    assert not (tmp_path / "nowhere").exists()


@POSTGRES
def test_backup_of_postgresql_points_to_pg_dump(settings, db, tmp_path):
    with pytest.raises(BackupRefused, match="pg_dump"):
        backup.backup_to(db, settings, tmp_path / "b.db")
    assert not (tmp_path / "b.db").exists()
    with pytest.raises(RestoreRefused, match="pg_restore"):
        backup.restore_from(settings, tmp_path / "b.db")
    assert backup.daily_backup(db, settings, keep=3) is None
    assert not (tmp_path / "backups").exists()


# --- restore_from ------------------------------------------------------------------------


@SQLITE
def test_restore_returns_every_record_to_the_moment_of_the_backup(settings, db, people, tmp_path):
    morgan = people["morgan"]
    first = open_cases(db, morgan, 3)
    stage_history.move_client(db, morgan, first[0].clients[0].id, 3, reason="Ready")
    at_backup = snapshot(db)
    listed = cases.list_cases(db, morgan)
    path = backup.backup_to(db, settings, tmp_path / "b.db")

    open_cases(db, morgan, 2, prefix="Later")
    stage_history.move_client(db, morgan, first[1].clients[0].id, 4, reason="Later move")
    make_actor(db, "jordan", "counsellor")
    assert snapshot(db) != at_backup

    backup.restore_from(settings, path)

    after = snapshot(db)
    assert {t: after[t] for t in TABLES if t != "audit_events"} == {
        t: at_backup[t] for t in TABLES if t != "audit_events"
    }
    assert after["audit_events"][:-1] == at_backup["audit_events"]
    assert after["audit_events"][-1].action == "restore"
    assert after["audit_events"][-1].detail == "b.db"
    assert audit.verify(db).ok
    assert cases.list_cases(db, morgan) == listed
    assert files_in(tmp_path) == sorted(
        ["b.db", "backups", "casebook.db", "casebook.db-shm", "casebook.db-wal", "casebook.key"]
    )


@SQLITE
def test_restore_keeps_the_records_it_replaces_so_a_wrong_restore_can_be_undone(
    settings, db, people, tmp_path
):
    morgan = people["morgan"]
    open_cases(db, morgan, 2)
    path = backup.backup_to(db, settings, tmp_path / "old.db")
    open_cases(db, morgan, 3, prefix="Written since")
    since_backup = cases.list_cases(db, morgan)

    kept = backup.restore_from(settings, path)

    assert len(cases.list_cases(db, morgan)) == 2
    assert kept.parent == tmp_path / "backups"
    assert kept.name.startswith("casebook-before-restore-")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept not in backup.automatic_backups(settings)  # never rotated away
    backup.restore_from(settings, kept)
    assert cases.list_cases(db, morgan) == since_backup


@SQLITE
@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: b"not a database " * 500],
    ids=["cut-short", "overwritten"],
)
def test_restore_over_a_live_database_too_damaged_to_open_replaces_it(
    settings, db, people, tmp_path, damage
):
    path = _real_backup(settings, db, people, tmp_path)
    listed = cases.list_cases(db, people["morgan"])
    home = tmp_path / "damaged"
    home.mkdir()
    (home / "casebook.key").write_bytes((tmp_path / "casebook.key").read_bytes())
    damaged = damage(path.read_bytes())
    (home / "casebook.db").write_bytes(damaged)
    (home / "casebook.db-wal").write_bytes(b"a stale log of the damaged file")
    damaged_settings = Settings(home, f"sqlite:///{home / 'casebook.db'}")

    kept = backup.restore_from(damaged_settings, path)

    assert kept.read_bytes() == damaged
    assert not (home / "casebook.db-wal").exists()
    assert stat.S_IMODE((home / "casebook.db").stat().st_mode) == 0o600
    restored = Database.open(damaged_settings)
    try:
        assert cases.list_cases(restored, people["morgan"]) == listed
        assert audit.verify(restored).ok
    finally:
        restored.dispose()


@SQLITE
def test_restore_that_cannot_keep_the_records_it_replaces_changes_nothing(
    settings, db, people, tmp_path
):
    path = _real_backup(settings, db, people, tmp_path)
    open_cases(db, people["morgan"], 2, prefix="Live")
    before = snapshot(db)
    (tmp_path / "backups").write_text("a file where the backups folder goes")

    with pytest.raises(backup.RestoreFailed, match="^Nothing was changed: the records as they"):
        backup.restore_from(settings, path)

    assert snapshot(db) == before


@SQLITE
def test_a_restore_changes_the_generation_even_back_to_as_many_audit_entries(
    settings, db, people, tmp_path
):
    # What the app keeps (pages.common.kept) is current only while db.generation() holds.
    path = backup.backup_to(db, settings, tmp_path / "b.db")  # records a "backup" entry
    before, entries = db.generation(), len(snapshot(db)["audit_events"])
    backup.restore_from(settings, path)  # the backup's entries, and one for the restore
    assert len(snapshot(db)["audit_events"]) == entries
    assert db.generation() != before


@SQLITE
def test_a_reader_sees_the_records_before_or_after_a_restore_never_a_mixture(
    settings, db, people, tmp_path
):
    morgan = people["morgan"]
    open_cases(db, morgan, 20)
    path = backup.backup_to(db, settings, tmp_path / "b.db")
    open_cases(db, morgan, 40, prefix="Later")

    def state(s):
        return (
            s.execute(text("SELECT count(*) FROM cases")).scalar(),
            s.execute(text("SELECT count(*) FROM clients")).scalar(),
            s.execute(text("SELECT count(*) FROM audit_events")).scalar(),
        )

    with db.read() as s:
        before = state(s)
    seen: set[tuple[int, int, int]] = set()
    reading = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not done.is_set():
                with db.read() as s:
                    seen.add(state(s))
                reading.set()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        assert reading.wait(60)
        backup.restore_from(settings, path)
    finally:
        done.set()
        thread.join()
    with db.read() as s:
        after = state(s)
    assert errors == []
    restored = (20, 20, after[2] - 1)  # as backed up, before the "restore" entry
    assert after == (20, 20, restored[2] + 1)
    assert before in seen
    assert seen <= {before, restored, after}


def _real_backup(settings, db, people, tmp_path):
    open_cases(db, people["morgan"], 30)
    return backup.backup_to(db, settings, tmp_path / "good.db")


def _missing(settings, db, people, tmp_path):
    return tmp_path / "nothing-here.db"


def _folder(settings, db, people, tmp_path):
    (tmp_path / "a-folder").mkdir()
    return tmp_path / "a-folder"


def _text_file(settings, db, people, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Session notes, not a database.\n" * 100)
    return path


def _empty_file(settings, db, people, tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    return path


def _truncated(settings, db, people, tmp_path):
    data = _real_backup(settings, db, people, tmp_path).read_bytes()
    path = tmp_path / "truncated.db"
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupted(settings, db, people, tmp_path):
    data = bytearray(_real_backup(settings, db, people, tmp_path).read_bytes())
    assert len(data) > 6 * 4096
    data[4 * 4096 : 4 * 4096 + 3000] = b"\xa5" * 3000
    path = tmp_path / "corrupted.db"
    path.write_bytes(bytes(data))
    return path


def _foreign(settings, db, people, tmp_path):
    path = tmp_path / "recipes.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO recipes (name) VALUES ('bread')")
    return path


def _no_revision(settings, db, people, tmp_path):
    path = _real_backup(settings, db, people, tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM alembic_version")
    return path


def _newer_schema(settings, db, people, tmp_path):
    path = _real_backup(settings, db, people, tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    return path


def _other_key(settings, db, people, tmp_path):
    other = Settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other' / 'o.db'}")
    other_db = Database.open(other)
    try:
        assert other_db.cipher.key != db.cipher.key
        cases.create_case(
            other_db,
            make_actor(other_db, "sam", "counsellor"),
            [ClientInput("Elsewhere")],
            presenting_concern="Written under another key",
        )
        return backup.backup_to(other_db, other, tmp_path / "other-key.db")
    finally:
        other_db.dispose()


def _other_key_without_key_check(settings, db, people, tmp_path):
    path = _other_key(settings, db, people, tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM practice_settings WHERE key = 'key_check'")
    return path


def _the_live_database(settings, db, people, tmp_path):
    return settings.sqlite_path


@SQLITE
@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (_missing, r"There is no file .*nothing-here\.db\.$"),
        (_folder, r"a-folder is a folder, not a backup file\.$"),
        (_text_file, r"^notes\.txt is not a Casebook backup: it is not a SQLite file\.$"),
        (_empty_file, r"^empty\.db is not a Casebook backup: it is not a SQLite file\.$"),
        (_truncated, r"^truncated\.db is damaged \(.*\): restore from another backup\.$"),
        (_corrupted, r"^corrupted\.db is damaged \(.*\): restore from another backup\.$"),
        (_foreign, r"^recipes\.db is not a Casebook backup: it lacks Casebook's tables\.$"),
        (_no_revision, r"^good\.db is not a Casebook backup: its schema version is unclear\.$"),
        (
            _newer_schema,
            r"^good\.db was made by a newer version of Casebook \(schema zzzz\): "
            r"update Casebook, then restore it\.$",
        ),
        (_other_key, r"^other-key\.db was made with a different encryption key, which neither "),
        (_other_key_without_key_check, r"^other-key\.db was made with a different encryption key"),
        (_the_live_database, r"casebook\.db is the live database itself: choose a backup file\.$"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else "",
)
def test_restore_refuses_a_bad_file_plainly_and_changes_nothing(
    settings, db, people, tmp_path, make_file, message
):
    source = make_file(settings, db, people, tmp_path)
    open_cases(db, people["morgan"], 2, prefix="Live")
    before = snapshot(db)
    listing = files_in(tmp_path)
    source_bytes = source.read_bytes() if source.is_file() else None

    with pytest.raises(RestoreRefused, match=message) as refused:
        backup.restore_from(settings, source)

    assert "\n" not in str(refused.value)
    assert snapshot(db) == before
    assert audit.verify(db).ok
    assert files_in(tmp_path) == listing  # no staging copy left behind
    if source_bytes is not None:
        assert source.read_bytes() == source_bytes


@SQLITE
def test_restore_of_a_backup_from_before_a_key_rotation_takes_the_current_key(
    settings, db, people, tmp_path
):
    morgan = people["morgan"]
    cases.create_case(db, morgan, [ClientInput("Ana Lima")], presenting_concern="Old words")
    path = backup.backup_to(db, settings, tmp_path / "before-rotation.db")
    listed = cases.list_cases(db, morgan)
    keys.rotate(db, settings)
    keys.rotate(db, settings)  # two rotations: the backup's key is the older retired one
    current = (tmp_path / "casebook.key").read_bytes()

    backup.restore_from(settings, path)

    assert (tmp_path / "casebook.key").read_bytes() == current
    restored = Database.open(settings)  # opens with the current key: everything re-encrypted
    try:
        assert cases.list_cases(restored, morgan) == listed
        assert listed[0].presenting_concern == "Old words"
        assert audit.verify(restored).ok
    finally:
        restored.dispose()


@SQLITE
def test_restore_without_a_key_refuses_and_creates_nothing(settings, db, people, tmp_path):
    path = _real_backup(settings, db, people, tmp_path)
    db.dispose()
    fresh = tmp_path / "new-machine"
    new = Settings(fresh, f"sqlite:///{fresh / 'casebook.db'}")
    with pytest.raises(RestoreRefused, match="There is no encryption key at .*casebook.key"):
        backup.restore_from(new, path)
    assert not fresh.exists()


@SQLITE
def test_restore_onto_a_new_machine_with_the_key_file(settings, db, people, tmp_path):
    path = _real_backup(settings, db, people, tmp_path)
    listed = cases.list_cases(db, people["morgan"])
    fresh = tmp_path / "new-machine"
    fresh.mkdir()
    (fresh / "casebook.key").write_bytes((tmp_path / "casebook.key").read_bytes())
    new = Settings(fresh, f"sqlite:///{fresh / 'casebook.db'}")
    backup.restore_from(new, path)
    new_db = Database.open(new)
    try:
        assert cases.list_cases(new_db, people["morgan"]) == listed
        assert audit.verify(new_db).ok
        assert stat.S_IMODE((fresh / "casebook.db").stat().st_mode) == 0o600
    finally:
        new_db.dispose()


@SQLITE
def test_restore_of_an_older_schema_backup_brings_it_up_to_date(settings, db, people, tmp_path):
    old = tmp_path / "from-0001.db"
    engine = make_engine(f"sqlite:///{old}")
    with engine.connect() as conn, conn.begin():
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO users (id, username, display_name, role, password_hash, active, "
                "created_at) VALUES (7, 'dana', 'Dana', 'counsellor', 'x', 1, '2025-01-02')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO cases (id, counsellor_id, opened_on, presenting_concern, "
                "created_at, updated_at, version) "
                "VALUES (1, 7, '2025-01-02', 'Plain text from 0001', '2025-01-02', "
                "'2025-01-02', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO clients (id, case_id, position, name, pronouns, email, phone) "
                "VALUES (1, 1, 1, 'Eli', '', '', '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO stage_events (client_id, stage, moved_on, moved_by, reason, "
                "created_at) VALUES (1, 2, '2025-01-02', 7, 'Opened', '2025-01-02')"
            )
        )
    engine.dispose()

    backup.restore_from(settings, old)

    dana = Actor(7, "dana", "Dana", "counsellor")
    [case] = cases.list_cases(db, dana)
    assert case.presenting_concern == "Plain text from 0001"
    assert case.clients[0].stage == 2
    with db.read() as s:
        stored = s.execute(text("SELECT presenting_concern FROM cases")).scalar()
        assert stored != "Plain text from 0001"  # encrypted by the upgrade, with the live key
        head = ScriptDirectory.from_config(config).get_current_head()
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    assert audit.verify(db).ok


# --- daily_backup ------------------------------------------------------------------------


@SQLITE
def test_daily_backup_makes_one_a_day_and_keeps_the_newest(settings, db, people, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for days in range(1, 6):
        (folder / f"casebook-{date.today() - timedelta(days=days):%Y-%m-%d}.db").write_text("x")
    (folder / "before-the-upgrade.db").write_text("a backup made by hand")
    (folder / "casebook-notes.txt").write_text("not a daily backup")

    made = backup.daily_backup(db, settings, keep=3)

    today = folder / f"casebook-{date.today():%Y-%m-%d}.db"
    assert made == today
    assert [p.name for p in backup.automatic_backups(settings)] == [
        f"casebook-{date.today() - timedelta(days=d):%Y-%m-%d}.db" for d in (2, 1, 0)
    ]
    assert (folder / "before-the-upgrade.db").exists()
    assert (folder / "casebook-notes.txt").exists()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    with sqlite3.connect(today) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    content = today.read_bytes()
    assert backup.daily_backup(db, settings, keep=3) is None
    assert today.read_bytes() == content
    assert len(backup.automatic_backups(settings)) == 3
    assert backup.daily_backup(db, settings, keep=1) is None
    assert backup.automatic_backups(settings) == [today]


@SQLITE
def test_daily_backup_creates_an_owner_only_folder(settings, db, tmp_path):
    made = backup.daily_backup(db, settings, keep=14)
    assert made is not None and made.parent == tmp_path / "backups"
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


@SQLITE
def test_a_start_sweeps_away_what_a_killed_restore_left_and_nothing_else(settings, db):
    live = settings.sqlite_path
    stale = live.with_name(f".{live.name}.restore-dead1234")
    under_way = live.with_name(f".{live.name}.restore-busy5678")
    for path in (stale, stale.with_name(stale.name + "-wal"), under_way):
        path.write_bytes(b"a whole copy of the records")
    two_hours_ago = time.time() - 7200
    for path in (stale, stale.with_name(stale.name + "-wal")):
        os.utime(path, (two_hours_ago, two_hours_ago))
    backup.daily_backup(db, settings, keep=14)  # as each casebook run does
    assert not stale.exists() and not stale.with_name(stale.name + "-wal").exists()
    assert under_way.exists()  # a restore in another process may still be using it


@SQLITE
def test_a_server_left_running_makes_each_days_backup_once_and_says_when_it_fails(
    settings, db, tmp_path
):
    # `casebook run` made the day's backup as it started, and a server runs for weeks.
    daily = backup.DailyBackups()
    daily.ensure(db, settings, lambda: 14).join()
    assert [p.name for p in backup.automatic_backups(settings)] == [
        f"casebook-{date.today():%Y-%m-%d}.db"
    ]
    assert daily.ensure(db, settings, lambda: 14) is None  # once a day
    # Another day with the backups folder unusable: no error in a page, the admins are told.
    for made in backup.automatic_backups(settings):
        made.unlink()
    (tmp_path / "backups").rmdir()
    (tmp_path / "backups").write_text("a file where the folder was")
    daily.ensure(db, settings, lambda: 14, today=date.today() + timedelta(days=1)).join()
    assert daily.problem is not None and "could not be made" in daily.problem
    (tmp_path / "backups").unlink()
    daily.ensure(db, settings, lambda: 14, today=date.today() + timedelta(days=2)).join()
    assert daily.problem is None and len(backup.automatic_backups(settings)) == 1


@SQLITE
def test_the_app_starts_when_the_days_backup_fails_and_its_server_backs_up_daily(
    settings, tmp_path, monkeypatch, capsys
):
    started = []
    monkeypatch.chdir(tmp_path)  # `run` goes to the app's folder before Streamlit starts
    monkeypatch.setattr(os, "execve", lambda path, cmd, env: started.append(env))
    (tmp_path / "backups").write_text("a file where the folder was")
    assert main(["run"], settings=settings) is None
    assert "Today's automatic backup could not be made" in capsys.readouterr().err
    [env] = started
    assert env[backup.DAILY_ENV] == "1"


@SQLITE
def test_daily_backup_must_keep_at_least_one(settings, db, tmp_path):
    with pytest.raises(ValidationError, match="At least one"):
        backup.daily_backup(db, settings, keep=0)


# --- the command line --------------------------------------------------------------------


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("casebook: ")
    return err[0]


@SQLITE
def test_cli_backup_then_restore_with_yes(settings, db, people, tmp_path, capsys):
    open_cases(db, people["morgan"], 2)
    at_backup = cases.list_cases(db, people["morgan"])
    path = tmp_path / "cli.db"
    assert main(["backup", str(path)], settings=settings) == 0
    assert capsys.readouterr().out.strip() == f"Backed up to {path}."
    open_cases(db, people["morgan"], 2, prefix="Later")

    assert main(["restore", str(path), "--yes"], settings=settings) == 0
    [kept] = (tmp_path / "backups").iterdir()
    assert capsys.readouterr().out.strip().splitlines() == [
        f"Restored from {path}.",
        f"The records as they were before are kept in {kept}.",
    ]
    assert cases.list_cases(db, people["morgan"]) == at_backup


@SQLITE
def test_cli_restore_asks_saying_how_recent_the_backup_and_the_records_are(
    settings, db, people, tmp_path, capsys, monkeypatch
):
    path = _real_backup(settings, db, people, tmp_path)
    open_cases(db, people["morgan"], 1, prefix="After")
    with db.read() as s:
        newest_live = s.execute(text("SELECT max(at) FROM audit_events")).scalar()
    backup_newest = backup.newest_entry(path)
    assert backup_newest is not None and backup_newest < datetime.fromisoformat(str(newest_live))
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    before = snapshot(db)

    assert main(["restore", str(path)], settings=settings) == 2

    out = capsys.readouterr().out
    assert f"The backup: newest entry {backup_newest:%d %b %Y, %H:%M} UTC." in out
    assert "The records now: newest entry " in out
    assert "copied to the backups folder first" in out
    assert snapshot(db) == before


@SQLITE
def test_cli_restore_of_a_file_that_is_no_backup_says_so_before_asking(
    settings, db, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # Ctrl-D, were it asked
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    (tmp_path / "notes.txt").write_text("hello")

    assert main(["restore", str(tmp_path / "notes.txt")], settings=settings) == 2

    captured = capsys.readouterr()
    assert captured.out == ""  # no question
    assert captured.err.strip() == (
        "casebook: notes.txt is not a Casebook backup: it is not a SQLite file."
    )


@SQLITE
def test_cli_backup_to_an_existing_file_is_one_line_and_exit_2(settings, db, tmp_path, capsys):
    (tmp_path / "taken.db").write_text("keep me")
    assert main(["backup", str(tmp_path / "taken.db")], settings=settings) == 2
    assert "already exists: choose a new file name" in one_error_line(capsys)
    assert (tmp_path / "taken.db").read_text() == "keep me"


@SQLITE
def test_cli_restore_of_a_text_file_is_one_line_and_exit_2(settings, db, people, tmp_path, capsys):
    open_cases(db, people["morgan"], 1)
    before = snapshot(db)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert main(["restore", str(notes), "--yes"], settings=settings) == 2
    assert one_error_line(capsys) == (
        "casebook: notes.txt is not a Casebook backup: it is not a SQLite file."
    )
    assert snapshot(db) == before


@SQLITE
def test_cli_restore_needs_yes_without_a_terminal(
    settings, db, people, tmp_path, capsys, monkeypatch
):
    path = _real_backup(settings, db, people, tmp_path)
    open_cases(db, people["morgan"], 1, prefix="After")
    before = snapshot(db)
    monkeypatch.setattr(sys, "stdin", io.StringIO("restore\n"))
    assert main(["restore", str(path)], settings=settings) == 2
    assert "add --yes to confirm" in one_error_line(capsys)
    assert snapshot(db) == before


@POSTGRES
def test_cli_backup_on_postgresql_is_one_line_pointing_to_pg_dump(settings, db, tmp_path, capsys):
    assert main(["backup", str(tmp_path / "b.db")], settings=settings) == 2
    assert "pg_dump" in one_error_line(capsys)
    assert not os.path.exists(tmp_path / "b.db")
