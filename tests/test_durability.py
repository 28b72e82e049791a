"""Many writers at once, and a writer killed mid-stride: nothing committed is ever lost."""

import os
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from casebook import audit, cases, stage_history
from casebook.cases import ClientInput

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)

WRITER = Path(__file__).with_name("writer_process.py")
THREADS = 8
WRITES_PER_THREAD = 200


def count(db, sql):
    with db.read() as s:
        return s.execute(text(sql)).scalar()


def ids(db, table, where="1 = 1"):
    with db.read() as s:
        return set(s.execute(text(f"SELECT id FROM {table} WHERE {where}")).scalars())


def test_eight_threads_writing_at_once_lose_nothing_and_keep_the_audit_chain(db, people):
    counsellors = [people["morgan"], people["riley"]]
    audit_before = audit.verify(db)
    assert audit_before.ok
    start = threading.Barrier(THREADS)
    made_cases: list[list[int]] = [[] for _ in range(THREADS)]
    made_moves: list[list[int]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        actor = counsellors[t % 2]
        try:
            start.wait(30)
            client_id = 0
            for i in range(WRITES_PER_THREAD):
                if i % 2 == 0:
                    case = cases.create_case(db, actor, [ClientInput(f"Thread {t} client {i}")])
                    made_cases[t].append(case.id)
                    client_id = case.clients[0].id
                else:
                    move = stage_history.move_client(
                        db, actor, client_id, 2 + i % 7, reason=f"Thread {t} write {i}"
                    )
                    made_moves[t].append(move.id)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    all_cases = {i for made in made_cases for i in made}
    all_moves = {i for made in made_moves for i in made}
    assert len(all_cases) == len(all_moves) == THREADS * WRITES_PER_THREAD // 2
    assert ids(db, "cases") == all_cases
    assert ids(db, "stage_events", "reason IS NOT NULL") >= all_moves
    assert count(db, "SELECT count(*) FROM stage_events") == len(all_cases) + len(all_moves)
    for t in range(THREADS):
        visible = {c.id for c in cases.list_cases(db, counsellors[t % 2])}
        assert set(made_cases[t]) <= visible
    verified = audit.verify(db)
    assert verified.ok, verified
    assert verified.entries == audit_before.entries + THREADS * WRITES_PER_THREAD


class Writer:
    """tests/writer_process.py as a child process, its stdout read line by line."""

    def __init__(self, settings, username: str, stderr_path: Path) -> None:
        self._stderr = stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(settings.home), settings.database_url, username],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next_line(self, timeout: float = 120) -> str | None:
        return self.lines.get(timeout=timeout)

    def kill(self) -> list[str]:
        """SIGKILL; then every line it printed before it died."""
        self.proc.kill()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=60)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        self._stderr.close()
        return rest


def test_a_writer_killed_at_random_moments_never_loses_a_committed_row(
    db, people, settings, tmp_path
):
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    printed: dict[str, set[int]] = {"case": set(), "move": set()}
    rounds = 25
    for n in range(rounds):
        where = f"(seed {seed}, round {n})"
        stderr = tmp_path / f"writer-{n}.err"
        writer = Writer(settings, "morgan", stderr)
        wanted = rng.randint(1, 6)
        try:
            seen = []
            while len(seen) < wanted:
                line = writer.next_line()
                assert line is not None, f"the writer stopped {where}: {stderr.read_text()}"
                seen.append(line)
            # Let the writer run on for a random fraction of a transaction, so the kill lands
            # anywhere in it: before, during or after its commit.
            time.sleep(rng.random() * 0.02)
        finally:
            seen += writer.kill()
        assert writer.proc.returncode == -9, where
        for line in seen:
            assert line.endswith("\n"), f"half a line {line!r} {where}"
            kind, _, number = line.strip().partition(" ")
            printed[kind].add(int(number))

        with sqlite3.connect(settings.sqlite_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], where
        in_db_cases = ids(db, "cases")
        assert printed["case"] <= in_db_cases, where
        assert printed["move"] <= ids(db, "stage_events", "stage = 2"), where
        # Each case and each move committed together with its audit entry, or not at all.
        created = ids(db, "audit_events", "action = 'case_create'")
        assert len(created) == len(in_db_cases), where
        assert count(db, "SELECT count(*) FROM audit_events WHERE action = 'stage_move'") == (
            count(db, "SELECT count(*) FROM stage_events WHERE stage = 2")
        ), where
        verified = audit.verify(db)
        assert verified.ok, f"{verified} {where}"

    assert len(printed["case"]) >= rounds
    morgan_cases = {c.id for c in cases.list_cases(db, people["morgan"])}
    assert printed["case"] <= morgan_cases
