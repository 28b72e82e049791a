"""The audit trail: append-only, each entry chained to the one before by its hash.

The hash is keyed (HMAC-SHA256, with a key derived from the practice's encryption key), so
that someone who can write to the database but has no key cannot rewrite an entry and then
recompute the chain after it. Entries written before the chain was keyed carry a plain
SHA-256; they are accepted only before the first keyed entry, which seals them: its keyed
hash covers the plain hash of the last of them.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from casebook.access import Actor, require_role
from casebook.crypto import Cipher, KeyProblem
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
    # The entries at the start of the trail written before its hashes were keyed, and the
    # time of the last of them: a span reaching past the upgrade that keyed them is a sign
    # that the whole trail was rewritten.
    unkeyed: int = 0
    unkeyed_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def _payload(prev_hash: str, e: AuditEvent) -> bytes:
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
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")


@lru_cache(maxsize=8)
def _chain_key(key: bytes) -> bytes:
    """The key of the chain's HMAC, derived from the encryption key (never the key itself)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"casebook audit chain")
    return hkdf.derive(base64.urlsafe_b64decode(key))


def _digest(cipher: Cipher, prev_hash: str, e: AuditEvent) -> str:
    return hmac.new(_chain_key(cipher.key), _payload(prev_hash, e), hashlib.sha256).hexdigest()


def _unkeyed_digest(prev_hash: str, e: AuditEvent) -> str:
    """The hash of an entry written before the chain was keyed."""
    return hashlib.sha256(_payload(prev_hash, e)).hexdigest()


def _cipher_of(s: Session) -> Cipher:
    cipher = getattr(s.get_bind().dialect, "casebook_cipher", None)
    if cipher is None:
        raise KeyProblem("No encryption key is loaded for this database.")
    return cipher


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
    cipher: Cipher | None = None,
) -> None:
    """Append an entry inside the caller's write transaction, so it commits with the change.

    `detail` names what changed (fields, counts), never clinical text. The hash is keyed
    with `cipher`, by default the database's.
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
    event.hash = _digest(cipher or _cipher_of(s), prev, event)
    s.add(event)
    s.flush()


def log(db: Database, actor: Actor | None, action: str, **where: object) -> None:
    """Record an entry in a transaction of its own (for events that change nothing else)."""
    with db.write() as s:
        record(s, actor, action, **where)  # type: ignore[arg-type]


def _walk(s: Session, batch: int):  # type: ignore[no-untyped-def]
    last_id = 0
    while True:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def _check(cipher: Cipher, prev: str, e: AuditEvent, keyed_seen: bool) -> str | None:
    """Whether the entry holds: None if it does with a keyed hash, "unkeyed" if it does with
    a plain one (only before any keyed entry), else what is wrong."""
    if e.prev_hash != prev:
        return "does not link to the entry before it"
    if hmac.compare_digest(_digest(cipher, prev, e), e.hash):
        return None
    if not keyed_seen and hmac.compare_digest(_unkeyed_digest(prev, e), e.hash):
        return "unkeyed"
    return "was altered after it was written"


def verify(db: Database, *, batch: int = 5000) -> Verification:
    """Walk the whole chain; name the first entry whose hash or link does not hold."""
    prev, count, keyed_seen = GENESIS, 0, False
    unkeyed, unkeyed_until = 0, None
    with db.read() as s:
        for e in _walk(s, batch):
            problem = _check(db.cipher, prev, e, keyed_seen)
            if problem == "unkeyed":
                unkeyed, unkeyed_until = unkeyed + 1, e.at
            elif problem is not None:
                return Verification(count, e.id, problem, unkeyed, unkeyed_until)
            keyed_seen = keyed_seen or problem is None
            prev, count = e.hash, count + 1
    return Verification(count, None, "", unkeyed, unkeyed_until)


def rekey(s: Session, old: Cipher, new: Cipher, *, batch: int = 5000) -> int:
    """Recompute the keyed hashes under a new key, inside the caller's transaction (a key
    rotation); returns how many. Only the intact part of the chain is rehashed: from the
    first entry that does not hold, nothing changes, so the break stays where it was."""
    prev, new_prev, keyed_seen, count = GENESIS, GENESIS, False, 0
    for e in _walk(s, batch):
        problem = _check(old, prev, e, keyed_seen)
        if problem not in (None, "unkeyed"):
            break
        prev = e.hash
        if problem is None:
            keyed_seen = True
            e.prev_hash = new_prev
            e.hash = _digest(new, new_prev, e)
            count += 1
        new_prev = e.hash
    s.flush()
    return count


def _matching(
    username: str | None,
    case_id: int | None,
    client_id: int | None,
    action: str | None,
    since: date | None,
    until: date | None,
) -> list[ColumnElement[bool]] | None:
    """The conditions of a filter of the trail, or None when no entry can match it."""
    if username and not username.isprintable():
        return None  # no entry's name holds a control character (nor can PostgreSQL compare a NUL)
    where = []
    if username:
        where.append(AuditEvent.username == username)
    if case_id is not None:
        where.append(AuditEvent.case_id == case_id)
    if client_id is not None:
        where.append(AuditEvent.client_id == client_id)
    if action:
        where.append(AuditEvent.action == action)
    if since:
        where.append(AuditEvent.at >= datetime.combine(since, time.min))
    if until:
        where.append(AuditEvent.at <= datetime.combine(until, time.max))
    return where


def entries(
    db: Database,
    actor: Actor,
    *,
    username: str | None = None,
    case_id: int | None = None,
    client_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 1000,
) -> list[Entry]:
    """Audit entries, newest first, filtered; for an admin."""
    require_role(actor, "admin")
    where = _matching(username, case_id, client_id, action, since, until)
    if where is None:
        return []
    with db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(*where).order_by(AuditEvent.id.desc()).limit(limit)
        ).all()
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


def count_entries(
    db: Database,
    actor: Actor,
    *,
    username: str | None = None,
    case_id: int | None = None,
    client_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> int:
    """How many entries a filter matches, beyond those `entries` lists; for an admin."""
    require_role(actor, "admin")
    where = _matching(username, case_id, client_id, action, since, until)
    if where is None:
        return 0
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0


def actions(db: Database, actor: Actor) -> list[str]:
    """The actions that occur in the trail, for a filter."""
    require_role(actor, "admin")
    with db.read() as s:
        return list(s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
