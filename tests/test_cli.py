import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from casebook import accounts, cases
from casebook.cli import main
from casebook.db import Database
from casebook.settings import Settings
from sample_data.demo import DEMO_CASES, DEMO_PASSWORD, DEMO_USERS
from tests.conftest import PASSWORD


def run(settings, *argv, stdin="", monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(argv), settings=settings)


def test_demo_loads_every_demo_account_and_case(settings, capsys):
    assert run(settings, "demo") == 0
    assert "rekindle-demo" in capsys.readouterr().out
    db = Database.open(settings)
    for username, _, role in DEMO_USERS:
        assert accounts.authenticate(db, username, DEMO_PASSWORD).role == role
    casey = accounts.authenticate(db, "casey", DEMO_PASSWORD)
    every = cases.list_cases(db, casey, status=None)
    assert len(every) == len(DEMO_CASES) >= 12
    assert {c.kind for c in every} == {"individual", "couple"}
    assert {cl.stage for c in every for cl in c.clients if c.status == "open"} == set(range(1, 9))
    assert {c.status for c in every} == {"open", "closed", "archived"}
    from casebook import homework, safety

    work = [a for c in every for a in homework.for_case(db, casey, c.id)]
    assert {a.status for a in work} == {
        "assigned",
        "in_progress",
        "completed",
        "reviewed",
        "cancelled",
    }
    assert len(homework.caseload_homework(db, casey).overdue) >= 1
    assert [f.client_name for f in safety.caseload_safety(db, casey).flagged] == ["Jess Mensah"]
    db.dispose()


def test_demo_twice_refuses_and_keeps_the_data(settings, capsys):
    run(settings, "demo")
    assert run(settings, "demo") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--reset" in err[0]


def test_demo_reset_needs_confirmation_and_then_replaces_everything(settings, monkeypatch, capsys):
    run(settings, "demo")
    assert (
        run(
            settings,
            "user",
            "add",
            "extra",
            "--role",
            "admin",
            "--password-stdin",
            stdin="a long passphrase\n",
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert run(settings, "demo", "--reset", monkeypatch=monkeypatch) == 2
    assert "--yes" in capsys.readouterr().err
    assert run(settings, "demo", "--reset", "--yes") == 0
    db = Database.open(settings)
    names = [
        a.username
        for a in accounts.list_accounts(db, accounts.authenticate(db, "admin", DEMO_PASSWORD))
    ]
    assert sorted(names) == sorted(u for u, _, _ in DEMO_USERS)
    db.dispose()


def test_demo_reset_keeps_a_copy_of_the_records_it_deletes(tmp_path, monkeypatch, capsys):
    settings = Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}")
    run(settings, "demo")
    add = ["user", "add", "extra", "--role", "admin", "--password-stdin"]
    run(settings, *add, stdin="a long passphrase\n", monkeypatch=monkeypatch)
    capsys.readouterr()

    assert run(settings, "demo", "--reset", "--yes") == 0

    [kept] = (tmp_path / "backups").iterdir()
    assert kept.name.startswith("casebook-before-reset-")
    assert f"The records as they were before are kept in {kept}." in capsys.readouterr().out
    old = Database.open(Settings(tmp_path, f"sqlite:///{kept}"))
    try:
        assert accounts.authenticate(old, "extra", "a long passphrase").role == "admin"
    finally:
        old.dispose()


def test_user_add_reads_the_password_from_stdin(settings, monkeypatch, capsys):
    code = run(
        settings,
        "user",
        "add",
        "jo",
        "--role",
        "counsellor",
        "--display-name",
        "Jo Ng",
        "--password-stdin",
        stdin="a long passphrase\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0
    assert "Created counsellor 'jo'" in capsys.readouterr().out
    db = Database.open(settings)
    assert accounts.authenticate(db, "jo", "a long passphrase").display_name == "Jo Ng"
    db.dispose()


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (
            ["user", "add", "jo", "--role", "owner", "--password-stdin"],
            "a long passphrase\n",
            "invalid choice",
        ),
        (["user", "add", "jo", "--role", "admin", "--password-stdin"], "short\n", "12 characters"),
        (
            ["user", "add", "Bad Name", "--role", "admin", "--password-stdin"],
            "a long passphrase\n",
            "user name",
        ),
        (["user", "add", "jo", "--role", "admin"], "", "--password-stdin"),
        (["user"], "", "required"),
        (["frobnicate"], "", "invalid choice"),
        (["run", "--port", "eighty"], "", "not a port"),
        (["run", "--port", "99999"], "", "not a port"),
        # Numbers no database column holds, and days no calendar sum reaches past.
        *(
            ([*command, "--user", "morgan", "--password-stdin"], "", "not a record number")
            for command in (
                ["export", "--client", "99999999999999999999", "--out", "x"],
                ["handout", "--assignment", "99999999999999999999"],
                ["handout", "--progress", "3000000000"],
                ["handout", "--after-session", "-4"],
                ["handout", "--stage", "2", "--client", "\u0663"],
            )
        ),
        (
            ["handout", "--week-ending", "9999-12-30", "--user", "morgan", "--password-stdin"],
            "",
            "too far from today",
        ),
    ],
)
def test_bad_input_is_one_plain_line_and_non_zero(
    settings, monkeypatch, capsys, argv, stdin, message
):
    assert run(settings, *argv, stdin=stdin, monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("casebook: ") and message in err[0]


def test_a_port_in_use_is_refused_before_anything_starts(settings, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert run(settings, "run", "--port", str(port)) == 2
    assert f"Port {port} is in use" in capsys.readouterr().err


def test_end_of_input_at_a_question_changes_nothing(settings, tmp_path, monkeypatch, capsys):
    assert run(settings, "demo") == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["demo", "--reset"], settings=settings) == 2  # Ctrl-D at "Type 'reset'"
    assert capsys.readouterr().err.strip().splitlines()[-1] == "casebook: Nothing was changed."
    db = Database.open(settings)
    assert accounts.authenticate(db, "morgan", DEMO_PASSWORD).role == "counsellor"
    db.dispose()


def test_a_key_in_the_environment_that_is_no_key_is_a_plain_line(tmp_path, capsys):
    from casebook.settings import settings_from_env

    env = {"CASEBOOK_HOME": str(tmp_path), "CASEBOOK_KEY": "clé"}
    assert main(["db", "upgrade"], settings=settings_from_env(env)) == 2
    assert capsys.readouterr().err.strip() == "casebook: The encryption key is not a valid key."


def test_db_upgrade(settings, capsys):
    assert run(settings, "db", "upgrade") == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [[str(Path(sys.executable).with_name("casebook"))], [sys.executable, "-m", "casebook"]],
    ids=["script", "python -m"],
)
def test_the_console_script_is_installed(tmp_path, command):
    result = subprocess.run(
        [*command, "db", "upgrade"],
        capture_output=True,
        text=True,
        env={"CASEBOOK_HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "casebook.db").exists()


def test_output_cut_short_by_its_reader_is_no_traceback(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # as `casebook worksheets list | head -1` once head has its line
    try:
        result = subprocess.run(
            [sys.executable, "-m", "casebook", "worksheets", "list"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
            env={**os.environ, "CASEBOOK_HOME": str(tmp_path)},
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == ""


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_weeks_handouts_are_of_the_week_ending_on_the_day_given(
    settings, db, people, tmp_path, monkeypatch, capsys
):
    # As on the Handouts page: the command's week began on the day, and printed a week ahead.
    from datetime import date, datetime, time, timedelta

    from casebook import notes
    from tests.test_handouts import text_of

    morgan = people["morgan"]
    today = date.today()
    case = cases.create_case(
        db, morgan, [cases.ClientInput("Ana Lima")], opened_on=today - timedelta(days=30)
    )
    for days_ago in (6, 7):
        notes.create_draft(
            db,
            morgan,
            case.id,
            session_at=datetime.combine(today - timedelta(days=days_ago), time(10)),
            attendance="one",
            attendees=[case.clients[0].id],
            note_format="SOAP",
        )
    out = tmp_path / "week.pdf"
    argv = ["handout", "--week-ending", today.isoformat(), "--out", str(out)]
    argv += ["--user", "morgan", "--password-stdin"]
    assert run(settings, *argv, stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch) == 0
    text = text_of(out.read_bytes())
    assert f"After our session of {today - timedelta(days=6):%d %b %Y}" in text
    assert f"{today - timedelta(days=7):%d %b %Y}" not in text
    # The old option is refused, not taken as an abbreviation of the new one.
    old = ["handout", "--week", today.isoformat(), "--user", "morgan", "--password-stdin"]
    capsys.readouterr()
    assert run(settings, *old, stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--week-ending is required" in line


@pytest.mark.parametrize(
    "argv",
    [
        ["backup", "{path}.db"],
        ["restore", "{path}.db", "--yes"],
        ["export", "--cases", "--out", "{path}.csv", "--user", "morgan", "--password-stdin"],
        ["handout", "--progress", "1", "--out", "{path}.pdf", "--user", "morgan",
         "--password-stdin"],
        ["import-clients", "{path}.csv", "--user", "morgan", "--password-stdin"],
    ],
    ids=lambda argv: argv[0],
)  # fmt: skip
@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_path_the_system_cannot_look_at_is_a_plain_line(
    settings, db, people, tmp_path, monkeypatch, capsys, argv
):
    # As a folder this account may not open (PermissionError) would be; as root, a name too
    # long for the file system.
    cases.create_case(db, people["morgan"], [cases.ClientInput("Ana Lima")])
    path = str(tmp_path / ("x" * 300))
    argv = [arg.format(path=path) for arg in argv]

    assert run(settings, *argv, stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch) == 2

    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"casebook: Cannot use {path}.") and "File name too long" in line


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
def test_a_database_that_stops_answering_part_way_is_a_plain_line(
    settings, db, people, tmp_path, monkeypatch, capsys
):
    from sqlalchemy.exc import OperationalError

    from casebook import exports

    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO audit_events", {}, Exception("database is locked"))

    monkeypatch.setattr(exports, "export_practice_csv", locked)
    argv = ["export", "--cases", "--out", str(tmp_path / "c.csv"), "--user", "morgan"]

    assert (
        run(settings, *argv, "--password-stdin", stdin=f"{PASSWORD}\n", monkeypatch=monkeypatch)
        == 2
    )

    assert capsys.readouterr().err.strip().splitlines() == [
        "casebook: The database did not answer (database is locked), so this step may not "
        "have been done. Try again in a moment."
    ]


def test_an_unreachable_database_is_a_plain_line(tmp_path, capsys):
    from casebook.settings import Settings

    bad = Settings(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"], settings=bad) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("casebook: Cannot open the database")


def test_worksheets_list_prints_one_line_per_template(settings, capsys):
    assert main(["worksheets", "list"], settings=settings) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 8
    assert "trust_plan\tv1\tstage 6\tTrust plan" in lines


def test_worksheets_check(settings, tmp_path, capsys):
    good = Path(__file__).resolve().parents[1] / "worksheets" / "templates" / "solutions.toml"
    assert main(["worksheets", "check", str(good)], settings=settings) == 0
    assert "fine" in capsys.readouterr().out
    bad = tmp_path / "mine.toml"
    bad.write_text('key = "mine"\nversion = 1\nstage = 12\n', encoding="utf-8")
    assert main(["worksheets", "check", str(bad)], settings=settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("casebook: mine.toml: ")
    marked = tmp_path / "marked.toml"  # saved by an editor that writes a byte-order mark
    marked.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    assert main(["worksheets", "check", str(marked)], settings=settings) == 0
