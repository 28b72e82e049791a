"""The audit trail: append-only, each entry chained to the one before by its hash."""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.models import AuditEvent, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    case_id: int | None
    client_id: int | None
    detail: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    entries: int
    first_broken: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def _digest(prev_hash: str, e: AuditEvent) -> str:
    payload = [
        prev_hash,
        e.at.isoformat(timespec="microseconds"),
        e.user_id,
        e.username,
        e.action,
        e.case_id,
        e.client_id,
        e.detail,
    ]
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def _system() -> str:
    """Who did what no Casebook user logs in for (a backup, a restore, a key rotation): the
    operating system's account that ran the command."""
    try:
        return f"system ({getpass.getuser()})"
    except (OSError, KeyError):  # no name for this process's user id
        return "system"


def record(
    s: Session,
    actor: Actor | None,
    action: str,
    *,
    case_id: int | None = None,
    client_id: int | None = None,
    detail: str = "",
    username: str | None = None,
) -> None:
    """Append an entry inside the caller's write transaction, so it commits with the change.

    `detail` names what changed (fields, counts), never clinical text.
    """
    # One writer of the trail at a time, however many processes share the database: the
    # caller's Database.write holds the writers' lock (SQLite's, or PostgreSQL's advisory one).
    prev = s.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS
    event = AuditEvent(
        at=utcnow(),
        user_id=actor.id if actor else None,
        username=(username if username is not None else actor.username if actor else _system())[
            :64
        ],
        action=action,
        case_id=case_id,
        client_id=client_id,
        detail=detail,
        prev_hash=prev,
    )
    event.hash = _digest(prev, event)
    s.add(event)
    s.flush()


def log(db: Database, actor: Actor | None, action: str, **where: object) -> None:
    """Record an entry in a transaction of its own (for events that change nothing else)."""
    with db.write() as s:
        record(s, actor, action, **where)  # type: ignore[arg-type]


def verify(db: Database, *, batch: int = 5000) -> Verification:
    """Walk the whole chain; name the first entry whose hash or link does not hold."""
    prev, count, last_id = GENESIS, 0, 0
    with db.read() as s:
        while True:
            rows = s.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            ).all()
            if not rows:
                return Verification(count)
            for e in rows:
                if e.prev_hash != prev:
                    return Verification(count, e.id, "does not link to the entry before it")
                if _digest(prev, e) != e.hash:
                    return Verification(count, e.id, "was altered after it was written")
                prev, count, last_id = e.hash, count + 1, e.id


def entries(
    db: Database,
    actor: Actor,
    *,
    username: str | None = None,
    client_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 1000,
) -> list[Entry]:
    """Audit entries, newest first, filtered; for an admin."""
    require_role(actor, "admin")
    query = select(AuditEvent)
    if username and not username.isprintable():
        return []  # no entry's name holds a control character (nor can PostgreSQL compare a NUL)
    if username:
        query = query.where(AuditEvent.username == username)
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if since:
        query = query.where(AuditEvent.at >= datetime.combine(since, time.min))
    if until:
        query = query.where(AuditEvent.at <= datetime.combine(until, time.max))
    with db.read() as s:
        rows = s.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
        return [
            Entry(
                e.id,
                e.at,
                e.user_id,
                e.username,
                e.action,
                e.case_id,
                e.client_id,
                e.detail,
                e.prev_hash,
                e.hash,
            )
            for e in rows
        ]


def actions(db: Database, actor: Actor) -> list[str]:
    """The actions that occur in the trail, for a filter."""
    require_role(actor, "admin")
    with db.read() as s:
        return list(s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
