"""The audit trail: what is recorded, the hash chain, and writers at once."""

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from casebook import audit, cases, stage_history
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.errors import AccessDenied


def test_changes_and_views_are_recorded_with_who_and_which_case(db, people):
    morgan = people["morgan"]
    case = cases.create_case(db, morgan, [ClientInput("Ana"), ClientInput("Ben")])
    cases.get_case(db, morgan, case.id)
    stage_history.move_client(db, morgan, case.clients[1].id, 3, reason="private reason")
    cases.close_case(db, morgan, case.id, case.version, outcome="paused", closed_on=case.opened_on)
    rows = audit.entries(db, people["admin"])
    assert [(r.action, r.username, r.case_id) for r in rows[:4]] == [
        ("case_close", "morgan", case.id),
        ("stage_move", "morgan", case.id),
        ("case_view", "morgan", case.id),
        ("case_create", "morgan", case.id),
    ]
    assert rows[1].client_id == case.clients[1].id
    assert all("private reason" not in r.detail for r in rows)  # no clinical text in the trail


def test_filters(db, people):
    morgan, riley = people["morgan"], people["riley"]
    a = cases.create_case(db, morgan, [ClientInput("Ana")])
    cases.create_case(db, riley, [ClientInput("Cy")])
    stage_history.move_client(db, morgan, a.clients[0].id, 2, reason="r")
    admin = people["admin"]
    assert {r.username for r in audit.entries(db, admin, username="riley")} == {"riley"}
    assert [r.action for r in audit.entries(db, admin, client_id=a.clients[0].id)] == ["stage_move"]
    assert {r.action for r in audit.entries(db, admin, action="case_create")} == {"case_create"}
    with pytest.raises(AccessDenied):
        audit.entries(db, morgan)


def test_a_name_with_a_nul_finds_no_entry_rather_than_failing(db, people):
    audit.log(db, people["morgan"], "test")
    assert audit.entries(db, people["admin"], username="mor\x00gan") == []


def test_chain_verifies_and_names_an_altered_entry(db, people):
    for i in range(5):
        audit.log(db, people["admin"], "test", detail=str(i))
    assert audit.verify(db).ok and audit.verify(db).entries == 4 + 5  # 4 accounts created
    target = audit.entries(db, people["admin"])[2].id
    with db.write() as s:
        s.execute(text("UPDATE audit_events SET detail = 'edited' WHERE id = :i"), {"i": target})
    result = audit.verify(db)
    assert (result.ok, result.first_broken, result.problem) == (
        False,
        target,
        "was altered after it was written",
    )


def test_a_deleted_entry_breaks_the_link_of_the_next(db, people):
    for i in range(4):
        audit.log(db, None, "test", detail=str(i))
    ids = sorted(r.id for r in audit.entries(db, people["admin"], action="test"))
    with db.write() as s:
        s.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": ids[1]})
    result = audit.verify(db)
    assert result.first_broken == ids[2]
    assert result.problem == "does not link to the entry before it"


def test_cli_audit_verify(settings, db, people, capsys):
    audit.log(db, None, "test")
    assert main(["audit", "verify"], settings=settings) == 0
    assert "intact" in capsys.readouterr().out
    with db.write() as s:
        s.execute(text("UPDATE audit_events SET username = 'mallory'"))
    assert main(["audit", "verify"], settings=settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "broken at entry #1" in err[0]


def test_many_threads_keep_one_chain(db, people):
    def write(n):
        for i in range(25):
            audit.log(db, people["morgan"], "test", detail=f"{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(db)
    assert result.ok
    assert len(audit.entries(db, people["admin"], action="test")) == 200


WRITER = """
import sys
from pathlib import Path
from casebook import audit
from casebook.db import Database
from casebook.settings import Settings
db = Database.open(Settings(Path(sys.argv[1]), sys.argv[2], key=sys.argv[3].encode()))
for i in range(40):
    audit.log(db, None, "test", detail=f"{sys.argv[4]}-{i}")
"""


def test_several_processes_keep_one_chain(settings, db, people):
    """Several app processes sharing one database (PostgreSQL, or one SQLite file)."""
    key = db.cipher.key.decode()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(settings.home), settings.database_url, key, str(n)],
            env={**os.environ},
        )
        for n in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    result = audit.verify(db)
    assert result.ok
    assert len(audit.entries(db, people["admin"], action="test")) == 160
