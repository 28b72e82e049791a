"""No counsellor reads another counsellor's client, and an admin reads none, by any path:
page, search, URL or query parameter, export, command."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from casebook import cases, documents, exports, homework, notes, safety, stage_history
from casebook.cli import main
from casebook.errors import AccessDenied, CasebookError
from pages.common import USER_KEY
from sample_data.demo import DEMO_PASSWORD
from tests.test_pages import APP, actor, shown


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo practice for the whole walk: it only reads (views add audit entries)."""
    from casebook.db import Database
    from casebook.settings import Settings
    from sample_data.demo import load_demo

    home = tmp_path_factory.mktemp("walk")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CASEBOOK_HOME", str(home))
        mp.delenv("CASEBOOK_DATABASE_URL", raising=False)
        db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
        load_demo(db)
        yield db
        db.dispose()


PAGES = [
    "pages/homework.py",
    "pages/worksheets.py",
    "pages/assignment.py",
    "pages/note.py",
    "pages/progress.py",
    "pages/session_prep.py",
    "pages/practice.py",
    "pages/handouts.py",
    "pages/dashboard.py",
    "pages/cases.py",
    "pages/case.py",
    "pages/new_case.py",
    "pages/my_account.py",
    "pages/accounts.py",
    "pages/audit_trail.py",
    "pages/practice_settings.py",
]


def names_of(db, username: str) -> set[str]:
    """Every client name and presenting concern in a counsellor's caseload."""
    own = cases.list_cases(db, actor(db, username), status=None)
    return {c.name for case in own for c in case.clients} | {
        case.presenting_concern for case in own
    }


def open_page(db, viewer: str, page: str, **query) -> AppTest:
    """Through the router where it offers the page to this role; else the page on its own."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = actor(db, viewer)
    at.run()
    try:
        at.switch_page(page)
    except ValueError:  # not registered for this role: its own role gate must hold
        at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=30)
        at.session_state[USER_KEY] = actor(db, viewer)
    at.query_params.update({k: str(v) for k, v in query.items()})
    return at.run()


def everything_shown(at: AppTest) -> str:
    text = shown(at)
    text += "".join(str(t.value) for t in at.table) + "".join(str(d.value) for d in at.dataframe)
    return text + "".join(str(m.value) for m in at.metric)


def secrets_in(text: str, secrets: set[str]) -> set[str]:
    plain = text.replace("\\", "")  # pages escape Markdown characters
    return {s for s in secrets if s and s in plain}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("viewer", "owner"),
    [("morgan", "riley"), ("riley", "morgan"), ("admin", "morgan"), ("admin", "riley")],
)
def test_no_page_shows_anothers_clients_whatever_the_query(demo, page, viewer, owner):  # noqa: F811
    secrets = names_of(demo, owner)
    their_cases = cases.list_cases(demo, actor(demo, owner), status=None)
    for case in their_cases[:3]:
        work = homework.for_case(demo, actor(demo, owner), case.id)
        written = notes.notes_for_case(demo, actor(demo, owner), case.id)
        at = open_page(
            demo,
            viewer,
            page,
            case=case.id,
            client=case.clients[0].id,
            assignment=work[0].id if work else 1,
            note=written[0].id if written else 1,
        )
        assert not at.exception
        assert secrets_in(everything_shown(at), secrets) == set(), (page, case.id)


@pytest.mark.parametrize("viewer", ["morgan", "admin"])
def test_searching_for_anothers_clients_finds_nothing(demo, viewer):  # noqa: F811
    secrets = names_of(demo, "riley")
    at = open_page(demo, viewer, "pages/cases.py")
    for name in sorted(n for n in secrets if len(n) < 40)[:4]:
        if viewer == "admin":
            assert at.error  # the page is not theirs at all
            break
        at.text_input(key="cases_search").input(name.split()[0]).run()
        at.selectbox(key="cases_status").set_value("").run()  # "Any status"
        assert secrets_in(everything_shown(at), secrets) == set()


def test_repositories_refuse_every_read_of_anothers_client(demo):  # noqa: F811
    morgan, riley = actor(demo, "morgan"), actor(demo, "riley")
    theirs = cases.list_cases(demo, riley, status=None)
    secrets = names_of(demo, "riley")
    for case in theirs:
        with pytest.raises(AccessDenied):
            cases.get_case(demo, morgan, case.id)
        for client in case.clients:
            with pytest.raises(AccessDenied):
                stage_history.history(demo, morgan, client.id)
            with pytest.raises(AccessDenied):
                exports.client_record(demo, morgan, client.id)
    visible = [p.client_name for p in stage_history.current_positions(demo, morgan)]
    visible += [m.client_name for m in stage_history.recent_moves(demo, morgan, days=3650)]
    visible += [c.label for c in cases.list_cases(demo, morgan, status=None)]
    assert secrets_in(" ".join(visible), secrets) == set()
    assert secrets_in(exports.practice_frame(demo, morgan).to_csv(), secrets) == set()


def _cli(settings, monkeypatch, capsys, username, *argv):
    monkeypatch.setattr(sys, "stdin", io.StringIO(DEMO_PASSWORD + "\n"))
    code = main([*argv, "--user", username, "--password-stdin"], settings=settings)
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(("viewer", "owner"), [("morgan", "riley"), ("admin", "morgan")])
def test_no_command_exports_anothers_client(demo, tmp_path, monkeypatch, capsys, viewer, owner):  # noqa: F811
    from casebook.settings import settings_from_env

    settings = settings_from_env()  # the demo fixture points CASEBOOK_HOME at its database
    secrets = names_of(demo, owner)
    for case in cases.list_cases(demo, actor(demo, owner), status=None):
        out_dir = tmp_path / f"export-{case.id}"
        code, said = _cli(
            settings,
            monkeypatch,
            capsys,
            viewer,
            "export",
            "--client",
            str(case.clients[0].id),
            "--out",
            str(out_dir),
        )
        assert code == 2
        assert secrets_in(said, secrets) == set()
        assert not out_dir.exists() or not any(out_dir.iterdir())
        for argv in (
            ["handout", "--progress", str(case.id)],
            ["handout", "--stage", "1", "--client", str(case.clients[0].id)],
            *(
                ["handout", "--assignment", str(a.id)]
                for a in homework.for_case(demo, actor(demo, owner), case.id)[:1]
            ),
            *(
                ["handout", "--after-session", str(n.id)]
                for n in notes.notes_for_case(demo, actor(demo, owner), case.id)[:1]
            ),
        ):
            out = tmp_path / f"handout-{case.id}-{argv[1]}.pdf"
            code, said = _cli(settings, monkeypatch, capsys, viewer, *argv, "--out", str(out))
            assert code == 2 and not out.exists(), argv
            assert secrets_in(said, secrets) == set()
    csv_path = tmp_path / "cases.csv"
    code, said = _cli(
        settings, monkeypatch, capsys, viewer, "export", "--cases", "--out", str(csv_path)
    )
    written = csv_path.read_text(encoding="utf-8-sig") if csv_path.exists() else ""
    assert secrets_in(said + written, secrets) == set()
    assert code == (2 if viewer == "admin" else 0)


def _refusal(at: AppTest) -> str:
    [error] = [e.value for e in at.error]
    return error.replace("\\", "")


@pytest.mark.parametrize(
    ("page", "param"),
    [
        ("pages/case.py", "case"),
        ("pages/progress.py", "case"),
        ("pages/session_prep.py", "case"),
        ("pages/note.py", "note"),
        ("pages/assignment.py", "assignment"),
    ],
)
def test_anothers_record_and_a_missing_one_are_refused_alike(demo, page, param):  # noqa: F811
    """A number tried in the address does not tell another counsellor's record from none."""
    riley = actor(demo, "riley")
    case = next(
        c
        for c in cases.list_cases(demo, riley, status=None)
        if notes.notes_for_case(demo, riley, c.id) and homework.for_case(demo, riley, c.id)
    )
    theirs = {
        "case": case.id,
        "note": notes.notes_for_case(demo, riley, case.id)[0].id,
        "assignment": homework.for_case(demo, riley, case.id)[0].id,
    }[param]
    missing = 987654
    said = _refusal(open_page(demo, "morgan", page, **{param: theirs}))
    said_missing = _refusal(open_page(demo, "morgan", page, **{param: missing}))
    assert said.replace(f"#{theirs}", "#N") == said_missing.replace(f"#{missing}", "#N")
    assert f"#{theirs}" in said  # names what was asked for, never the case it belongs to
    assert not any(ch.isdigit() for ch in said.replace(f"#{theirs}", ""))


@pytest.mark.parametrize(
    "read",
    [
        stage_history.history,
        safety.screens,
        exports.client_record,
        lambda db, user, client_id: documents.guide(db, user, client_id, 1),
    ],
    ids=["stage history", "safety screens", "client record", "stage guide"],
)
def test_a_client_number_of_anothers_case_is_refused_as_a_missing_one(demo, read):  # noqa: F811
    morgan, riley = actor(demo, "morgan"), actor(demo, "riley")
    case = cases.list_cases(demo, riley, status=None)[0]
    client_id, missing = case.clients[0].id, 987654
    with pytest.raises(CasebookError) as theirs:
        read(demo, morgan, client_id)
    with pytest.raises(CasebookError) as none:
        read(demo, morgan, missing)
    assert str(theirs.value).replace(str(client_id), "N") == str(none.value).replace(
        str(missing), "N"
    )
    assert not any(ch.isdigit() for ch in str(theirs.value).replace(f"#{client_id}", ""))


def test_an_unexpected_error_shows_none_of_its_text(monkeypatch):
    """An error no page foresaw may quote a record (a name in a database error): the browser
    gets a generic message, the server's log the details."""
    from streamlit import config

    monkeypatch.chdir(Path(APP).parent)  # where `casebook run` starts Streamlit
    config.get_config_options(force_reparse=True)

    def page():
        raise ValueError("Mei Lin disclosed the affair")

    at = AppTest.from_function(page).run()
    [error] = at.exception
    assert "Mei Lin" not in error.message + "".join(error.stack_trace)
