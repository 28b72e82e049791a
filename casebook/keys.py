"""Rotating the encryption key: every encrypted value, one transaction, no half state."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from casebook import audit, crypto
from casebook.crypto import Cipher
from casebook.db import KEY_CHECK, Database
from casebook.errors import ValidationError
from casebook.models import encrypted_columns
from casebook.settings import Settings


def retired_key_path(settings: Settings, on: datetime) -> Path:
    """Where a rotation keeps the key it replaced: backups made before it need that key."""
    path = crypto.key_path(settings.home)
    return path.with_name(f"{path.name}.retired-{on:%Y%m%d-%H%M%S-%f}")


def rotate(db: Database, settings: Settings) -> int:
    """Re-encrypt everything under a new key file; returns how many values were re-encrypted.

    The new key is written beside the old one first, and the old one is kept (backups made
    before now open only with it); the database changes in one transaction; only then does
    the new key replace the old. A stop in between is finished on next open.
    """
    if settings.key:
        raise ValidationError(
            "The key comes from CASEBOOK_KEY: rotate it where it is kept, not from here."
        )
    path = crypto.key_path(settings.home)
    pending = path.with_name(path.name + ".new")
    old, new = db.cipher, Cipher(Cipher.new_key())
    crypto.write_key_file(pending, new.key)
    crypto.write_key_file(retired_key_path(settings, datetime.now()), old.key)
    with db.write() as s:
        count = reencrypt(s, old, new)
        audit.record(s, None, "key_rotate", detail=f"{count} values", cipher=new)
    pending.replace(path)
    db.cipher = new
    return count


def reencrypt(s: Session, old: Cipher, new: Cipher) -> int:
    """Re-encrypt the key check and every encrypted value from `old` to `new`, and rehash the
    audit trail's keyed chain, in the session's transaction; returns how many values were
    re-encrypted."""
    # The key check first: its row lock holds back every other process's write (they
    # check it) until this commits, and then they refuse, holding the old key.
    s.execute(
        text("UPDATE practice_settings SET value = :v WHERE key = 'key_check'"),
        {"v": new.encrypt(KEY_CHECK)},
    )
    count = 0
    for table, column in encrypted_columns():
        rows = s.execute(text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
        for row_id, token in rows:
            s.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                {"v": new.encrypt(old.decrypt(token)), "id": row_id},
            )
        count += len(rows)
    # The trail's keyed hashes follow the key, or no entry would hold under the new one.
    audit.rekey(s, old, new)
    return count
