"""Encryption at rest of clinical free text, with a key kept outside the database."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from casebook.errors import CasebookError

KEY_ENV = "CASEBOOK_KEY"
KEY_FILE = "casebook.key"


class KeyProblem(CasebookError):
    """The encryption key is missing, unreadable or not this database's: refuse to start."""


@dataclass(frozen=True)
class Cipher:
    """Authenticated encryption (Fernet: AES-128-CBC with HMAC-SHA256) of text."""

    key: bytes

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "_fernet", Fernet(self.key))
        except (ValueError, TypeError) as exc:
            raise KeyProblem("The encryption key is not a valid key.") from exc

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")  # type: ignore[attr-defined]

    def decrypt(self, token: str) -> str:
        """The text; raises KeyProblem when the token was made with another key or altered."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")  # type: ignore[attr-defined]
        except (InvalidToken, ValueError, UnicodeEncodeError) as exc:
            raise KeyProblem(
                "Stored text cannot be decrypted with this key: wrong key, or the data was altered."
            ) from exc

    @staticmethod
    def new_key() -> bytes:
        return Fernet.generate_key()


def key_path(home: Path) -> Path:
    return home / KEY_FILE


def write_key_file(path: Path, key: bytes) -> None:
    """Write a key readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        raise KeyProblem(
            f"The encryption key file {path} is missing. Restore it from where you keep its "
            f"copy, or set {KEY_ENV}."
        ) from None
    except OSError as exc:
        raise KeyProblem(f"The encryption key file {path} cannot be read: {exc.strerror}.") from exc


class EncryptedText(TypeDecorator[str]):
    """Text stored encrypted with the cipher of the engine it is written through."""

    impl = Text
    cache_ok = True

    @staticmethod
    def _cipher(dialect: Dialect) -> Cipher:
        cipher = getattr(dialect, "casebook_cipher", None)
        if cipher is None:
            raise KeyProblem("No encryption key is loaded for this database.")
        return cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._cipher(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._cipher(dialect).decrypt(value)
