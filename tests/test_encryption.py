"""Clinical free text is stored encrypted; the key lives outside the database."""

import stat

import pytest
from sqlalchemy import text

from casebook import cases, crypto, keys, stage_history
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.crypto import Cipher, KeyProblem
from casebook.db import Database
from casebook.settings import Settings

SECRET = "Disclosed the affair with Jamie in session three"


def clinical_text_case(db, people):
    morgan = people["morgan"]
    case = cases.create_case(db, morgan, [ClientInput("Ana")], presenting_concern=SECRET)
    stage_history.move_client(db, morgan, case.clients[0].id, 2, reason=SECRET + " (reason)")
    case = cases.get_case(db, morgan, case.id)
    cases.close_case(
        db,
        morgan,
        case.id,
        case.version,
        outcome="other",
        closed_on=case.opened_on,
        note=SECRET + " (closing)",
    )
    return case


def test_stored_values_are_tokens_and_read_back_as_typed(db, people):
    case = clinical_text_case(db, people)
    with db.read() as s:
        raw = s.execute(text("SELECT presenting_concern, closing_note FROM cases")).one()
        reasons = s.execute(text("SELECT reason FROM stage_events")).scalars().all()
    assert all(value.startswith("gAAAA") and "affair" not in value for value in [*raw, *reasons])
    stored = cases.get_case(db, people["morgan"], case.id)
    assert stored.presenting_concern == SECRET
    assert stored.closing_note == SECRET + " (closing)"
    assert stored.clients[0].history[-1].reason == SECRET + " (reason)"


def sqlite_settings(tmp_path):
    return Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}")


def test_the_raw_sqlite_file_holds_none_of_the_text(tmp_path, people_sqlite):
    db, people = people_sqlite
    clinical_text_case(db, people)
    db.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("casebook.db*"))
    assert b"affair" not in raw
    assert "affair".encode("utf-16-le") not in raw


@pytest.fixture
def people_sqlite(tmp_path):
    from tests.conftest import make_actor

    db = Database.open(sqlite_settings(tmp_path))
    people = {"morgan": make_actor(db, "morgan", "counsellor")}
    yield db, people
    db.dispose()


def test_key_file_database_and_folder_are_owner_only(tmp_path):
    home = tmp_path / "data"
    Database.open(sqlite_settings(home)).dispose()
    for name in (crypto.KEY_FILE, "casebook.db"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_missing_key_refuses_to_start(tmp_path, people_sqlite):
    db, people = people_sqlite
    clinical_text_case(db, people)
    db.dispose()
    (tmp_path / crypto.KEY_FILE).unlink()
    with pytest.raises(KeyProblem, match="key file .* is missing"):
        Database.open(sqlite_settings(tmp_path))
    assert not (tmp_path / crypto.KEY_FILE).exists()  # no new key made over old data


def test_a_wrong_key_refuses_to_start(tmp_path):
    Database.open(sqlite_settings(tmp_path)).dispose()
    other = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}", key=Cipher.new_key())
    with pytest.raises(KeyProblem, match="does not match this database"):
        Database.open(other)


@pytest.mark.parametrize("key", [b"not a key", b""])
def test_a_malformed_key_is_a_plain_error(tmp_path, key):
    (tmp_path / crypto.KEY_FILE).write_bytes(key + b"\n")
    with pytest.raises(KeyProblem, match="not a valid key"):
        Database.open(sqlite_settings(tmp_path))


def test_cli_refuses_to_start_with_a_wrong_key(tmp_path, capsys):
    Database.open(sqlite_settings(tmp_path)).dispose()
    other = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}", key=Cipher.new_key())
    assert main(["db", "upgrade"], settings=other) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not match" in err[0]


def test_key_rotation_re_encrypts_everything(tmp_path, people_sqlite):
    db, people = people_sqlite
    case = clinical_text_case(db, people)
    old_key = (tmp_path / crypto.KEY_FILE).read_bytes().strip()
    with db.read() as s:
        before = s.execute(text("SELECT presenting_concern FROM cases")).scalar()
    assert keys.rotate(db, sqlite_settings(tmp_path)) == 4  # concern, note, 2 reasons
    with db.read() as s:
        after = s.execute(text("SELECT presenting_concern FROM cases")).scalar()
    assert after != before
    db.dispose()
    new_key = (tmp_path / crypto.KEY_FILE).read_bytes().strip()
    assert new_key != old_key
    reopened = Database.open(sqlite_settings(tmp_path))
    assert cases.get_case(reopened, people["morgan"], case.id).presenting_concern == SECRET
    reopened.dispose()
    stale = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}", key=old_key)
    with pytest.raises(KeyProblem):
        Database.open(stale)


def test_a_process_still_holding_the_old_key_refuses_to_save_and_loses_nothing(
    tmp_path, people_sqlite
):
    app, people = people_sqlite  # the app, started before the rotation
    morgan = people["morgan"]
    case = clinical_text_case(app, people)
    old_key = (tmp_path / crypto.KEY_FILE).read_bytes().strip()
    terminal = Database.open(sqlite_settings(tmp_path))
    keys.rotate(terminal, sqlite_settings(tmp_path))  # `casebook key rotate` meanwhile
    terminal.dispose()
    with pytest.raises(KeyProblem, match="Restart Casebook"):
        cases.create_case(app, morgan, [ClientInput("Ben")], presenting_concern="Under old key")
    app.dispose()
    restarted = Database.open(sqlite_settings(tmp_path))
    listed = cases.list_cases(restarted, morgan)
    assert [c.id for c in listed] == [case.id]
    assert cases.get_case(restarted, morgan, case.id).presenting_concern == SECRET
    restarted.dispose()
    # The key it replaced is kept, owner-only: backups made before the rotation need it.
    [retired] = tmp_path.glob(crypto.KEY_FILE + ".retired-*")
    assert retired.read_bytes().strip() == old_key
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600


def test_a_process_still_holding_the_old_key_says_to_restart_when_it_reads(tmp_path, people_sqlite):
    app, people = people_sqlite  # the app, started before the rotation
    clinical_text_case(app, people)
    terminal = Database.open(sqlite_settings(tmp_path))
    keys.rotate(terminal, sqlite_settings(tmp_path))  # `casebook key rotate` meanwhile
    terminal.dispose()
    with pytest.raises(KeyProblem, match="Restart Casebook") as refused:
        cases.list_cases(app, people["morgan"])  # reads each case's presenting concern
    assert "altered" not in str(refused.value)  # nobody tampered with the records
    app.dispose()


def test_a_rotation_stopped_before_the_key_swap_is_finished_on_open(
    tmp_path, people_sqlite, monkeypatch
):
    db, people = people_sqlite
    case = clinical_text_case(db, people)
    from pathlib import Path

    def stop(self, target):  # the process dies after the commit, before the swap
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", stop)
    with pytest.raises(KeyboardInterrupt):
        keys.rotate(db, sqlite_settings(tmp_path))
    monkeypatch.undo()
    db.dispose()
    assert (tmp_path / (crypto.KEY_FILE + ".new")).exists()
    reopened = Database.open(sqlite_settings(tmp_path))
    assert cases.get_case(reopened, people["morgan"], case.id).presenting_concern == SECRET
    assert not (tmp_path / (crypto.KEY_FILE + ".new")).exists()
    reopened.dispose()


def test_rotation_is_refused_when_the_key_comes_from_the_environment(tmp_path, capsys):
    settings = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}", key=Cipher.new_key())
    assert main(["key", "rotate"], settings=settings) == 2
    assert "CASEBOOK_KEY" in capsys.readouterr().err


def test_cli_key_rotate(tmp_path, capsys):
    settings = sqlite_settings(tmp_path)
    assert main(["key", "rotate"], settings=settings) == 0
    assert "Re-encrypted" in capsys.readouterr().out
    Database.open(settings).dispose()
