"""A writer for the durability tests: commits records until it is killed.

Usage: python tests/writer_process.py HOME DATABASE_URL USERNAME

Opens the database as the app does, then loops: open a case (prints `case ID`), move its
client to stage 2 (prints `move ID`). Each line is written and flushed only after the
repository call has returned, that is after its transaction committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from casebook import cases, stage_history
from casebook.access import Actor
from casebook.db import Database
from casebook.models import User
from casebook.settings import Settings


def _say(line: str) -> None:
    # One write of a whole line: a kill never leaves half a line in the pipe.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(home: str, url: str, username: str) -> None:
    db = Database.open(Settings(Path(home), url))
    with db.read() as s:
        user = s.scalars(select(User).where(User.username == username)).one()
        actor = Actor(user.id, user.username, user.display_name, user.role)
    n = 0
    while True:
        n += 1
        case = cases.create_case(
            db,
            actor,
            [cases.ClientInput(f"Writer client {n}")],
            presenting_concern=f"Concern {n}",
        )
        _say(f"case {case.id}")
        move = stage_history.move_client(
            db, actor, case.clients[0].id, 2, reason=f"Moved by the writer ({n})"
        )
        _say(f"move {move.id}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
