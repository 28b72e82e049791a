"""The audit trail: what is recorded, the hash chain, and writers at once."""

import hashlib
import json
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import select, text

from casebook import audit, cases, crypto, keys, stage_history
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.crypto import Cipher
from casebook.db import Database
from casebook.errors import AccessDenied
from casebook.models import AuditEvent
from casebook.settings import Settings


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
    assert {r.case_id for r in audit.entries(db, admin, case_id=a.id)} == {a.id}
    assert audit.count_entries(db, admin, case_id=a.id) == 2  # opened, then a stage move
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


def rechain(db, digest, *, start=1, upto=None):
    """Recompute the chain's hashes as someone who can write to the database could: with
    `digest(prev_hash, entry)`, from entry `start` up to entry `upto` (else to the end)."""
    with db.write() as s:
        prev = audit.GENESIS
        for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all():
            if upto is not None and e.id > upto:
                break
            if e.id >= start:
                e.prev_hash, e.hash = prev, digest(prev, e)
            prev = e.hash


def plain_sha256(prev, e):
    """The chain's hash before it was keyed, which anyone can compute."""
    at = e.at.isoformat(timespec="microseconds")
    fields = [prev, at, e.user_id, e.username, e.action, e.case_id, e.client_id, e.detail]
    body = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def test_an_entry_altered_and_the_chain_recomputed_without_the_key_is_found(db, people):
    for i in range(4):
        audit.log(db, None, "test", detail=str(i))
    target = sorted(r.id for r in audit.entries(db, people["admin"], action="test"))[1]
    with db.write() as s:
        s.execute(text("UPDATE audit_events SET detail = 'edited' WHERE id = :i"), {"i": target})
    rechain(db, plain_sha256, start=target)  # what the unkeyed chain let anyone do
    result = audit.verify(db)
    assert (result.first_broken, result.problem) == (target, "was altered after it was written")
    another_key = Cipher(Cipher.new_key())
    rechain(db, lambda prev, e: audit._digest(another_key, prev, e))  # the whole of it
    assert (audit.verify(db).ok, audit.verify(db).first_broken) == (False, 1)


def test_entries_written_before_the_chain_was_keyed_hold_and_are_sealed_by_the_next(db, people):
    for i in range(3):
        audit.log(db, None, "test", detail=str(i))
    rechain(db, plain_sha256)  # a trail written by an earlier version of Casebook
    old = audit.verify(db)
    assert (old.ok, old.entries, old.unkeyed) == (True, 4 + 3, 4 + 3)  # 4 accounts created
    audit.log(db, None, "test", detail="after the upgrade")
    upgraded = audit.verify(db)
    assert (upgraded.ok, upgraded.entries, upgraded.unkeyed) == (True, 8, 7)
    assert upgraded.unkeyed_until == old.unkeyed_until
    # Rewriting an old entry and every old hash after it breaks the link of the first keyed one.
    first_keyed = max(r.id for r in audit.entries(db, people["admin"]))
    with db.write() as s:
        s.execute(text("UPDATE audit_events SET detail = 'edited' WHERE id = 2"))
    rechain(db, plain_sha256, upto=first_keyed - 1)
    result = audit.verify(db)
    assert (result.first_broken, result.problem) == (
        first_keyed,
        "does not link to the entry before it",
    )


def test_an_unkeyed_entry_after_a_keyed_one_is_refused(db, people):
    audit.log(db, None, "test")
    newest = max(r.id for r in audit.entries(db, people["admin"]))
    with db.write() as s:
        e = s.get(AuditEvent, newest)
        e.detail = "edited"
        e.hash = plain_sha256(e.prev_hash, e)
    result = audit.verify(db)
    assert (result.first_broken, result.problem) == (newest, "was altered after it was written")


def test_the_chain_key_is_derived_from_the_encryption_key_not_the_key_itself(db):
    chain_key = audit._chain_key(db.cipher.key)
    assert len(chain_key) == 32 and chain_key not in base64_forms(db.cipher.key)
    assert audit._chain_key(Cipher.new_key()) != chain_key


def base64_forms(key):
    import base64

    raw = base64.urlsafe_b64decode(key)
    return {raw, raw[:16], raw[16:], key}


def test_cli_audit_verify_says_how_far_the_unkeyed_entries_reach(settings, db, people, capsys):
    rechain(db, plain_sha256)
    audit.log(db, None, "test")
    assert main(["audit", "verify"], settings=settings) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == "The audit trail is intact: 5 entries."
    assert out[1].startswith("Its first 4 entries, to ")


def _with_key_file(settings):
    """The same database, its key read from a file in the data folder (as a rotation needs)."""
    if settings.key:
        crypto.write_key_file(crypto.key_path(settings.home), settings.key)
    return Settings(settings.home, settings.database_url)


def test_a_key_rotation_rekeys_the_chain(settings, db, people):
    rechain(db, plain_sha256)  # entries from before the chain was keyed stay as they are
    for i in range(3):
        audit.log(db, None, "test", detail=str(i))
    rotating = Database.open(_with_key_file(settings))
    keys.rotate(rotating, _with_key_file(settings))
    result = audit.verify(rotating)
    assert (result.ok, result.entries, result.unkeyed) == (True, 4 + 3 + 1, 4)
    audit.log(rotating, None, "test", detail="after the rotation")
    assert audit.verify(rotating).ok
    rotating.dispose()


def test_a_key_rotation_keeps_a_break_where_it_was(settings, db, people):
    for i in range(4):
        audit.log(db, None, "test", detail=str(i))
    target = sorted(r.id for r in audit.entries(db, people["admin"], action="test"))[1]
    with db.write() as s:
        s.execute(text("UPDATE audit_events SET detail = 'edited' WHERE id = :i"), {"i": target})
    rotating = Database.open(_with_key_file(settings))
    keys.rotate(rotating, _with_key_file(settings))
    result = audit.verify(rotating)
    assert (result.ok, result.first_broken) == (False, target)
    rotating.dispose()
