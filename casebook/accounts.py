"""User accounts: creation, login, and the admin's management of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from casebook import validation
from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.errors import Conflict, LoginFailed, NotFound, ValidationError
from casebook.models import ROLES, User

MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    created_at: datetime


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, user.role)


def _account(user: User) -> Account:
    return Account(
        user.id, user.username, user.display_name, user.role, user.active, user.created_at
    )


def check_password(password: str) -> str:
    """The password if it is long enough; raises ValidationError otherwise."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters; a passphrase is fine."
        )
    return password


def create_user(
    db: Database,
    actor: Actor | None,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
) -> Account:
    """Create an account. `actor` None is the machine's owner at the command line.

    Raises ValidationError, Conflict (name taken) or AccessDenied (actor not an admin).
    """
    if actor is not None:
        require_role(actor, "admin")
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationError(
            "A user name is 2-64 lower-case letters, digits, dots, dashes or underscores."
        )
    if role not in ROLES:
        raise ValidationError(f"Role must be one of: {', '.join(ROLES)}.")
    display_name = validation.text(display_name, "Display name", max_len=200) or username
    check_password(password)
    with db.write() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"There is already a user called '{username}'.")
        user = User(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=_hasher.hash(password),
            active=True,
        )
        s.add(user)
        s.flush()
        return _account(user)


def authenticate(db: Database, username: str, password: str) -> Actor:
    """The actor for a correct user name and password; raises LoginFailed otherwise."""
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == (username or "").strip().lower()))
        if user is None or not user.active:
            raise LoginFailed("Wrong user name or password.")
        try:
            _hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            raise LoginFailed("Wrong user name or password.") from None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return _actor(user)


def list_accounts(db: Database, actor: Actor) -> list[Account]:
    """Every account, for an admin."""
    require_role(actor, "admin")
    with db.read() as s:
        return [_account(u) for u in s.scalars(select(User).order_by(User.username))]


def counsellor_names(db: Database, actor: Actor) -> dict[int, str]:
    """Display names of counsellors by id, for showing whose case a case is."""
    require_role(actor, "counsellor", "supervisor")
    with db.read() as s:
        rows = s.execute(select(User.id, User.display_name).where(User.role == "counsellor"))
        return dict(rows.all())


def _user(s, user_id: int) -> User:  # type: ignore[no-untyped-def]
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user #{user_id}.")
    return user


def set_active(db: Database, actor: Actor, user_id: int, active: bool) -> Account:
    """Deactivate or reactivate an account (an admin cannot deactivate themself)."""
    require_role(actor, "admin")
    if user_id == actor.id and not active:
        raise ValidationError("You cannot deactivate your own account.")
    with db.write() as s:
        user = _user(s, user_id)
        user.active = active
        return _account(user)


def reset_password(db: Database, actor: Actor, user_id: int, password: str) -> Account:
    """An admin sets a new password for an account."""
    require_role(actor, "admin")
    check_password(password)
    with db.write() as s:
        user = _user(s, user_id)
        user.password_hash = _hasher.hash(password)
        return _account(user)


def change_own_password(db: Database, actor: Actor, current: str, new: str) -> Account:
    """A user changes their own password, proving the current one."""
    check_password(new)
    with db.write() as s:
        user = _user(s, actor.id)
        try:
            _hasher.verify(user.password_hash, current or "")
        except (VerificationError, InvalidHashError):
            raise ValidationError("Your current password is not right.") from None
        user.password_hash = _hasher.hash(new)
        return _account(user)
