"""User accounts: creation, login, and the admin's management of them."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from casebook import audit, practice, validation
from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.errors import Conflict, LoginFailed, NotFound, ValidationError
from casebook.models import ROLES, Case, User, utcnow

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
    locked_until: datetime | None = None  # UTC: after too many failed logins, while it lasts


def _credential(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def _actor(user: User) -> Actor:
    return Actor(
        user.id,
        user.username,
        user.display_name,
        user.role,
        user.must_change_password,
        _credential(user.password_hash),
    )


def current_actor(db: Database, actor: Actor) -> Actor | None:
    """The logged-in actor as the account now stands (name, role), or None when the session
    must end: the account is gone or deactivated, or its password was changed or reset
    since this session logged in."""
    with db.read() as s:
        user = s.get(User, actor.id)
        if user is None or not user.active:
            return None
        fresh = _actor(user)
    return fresh if fresh.credential == actor.credential else None


def _account(user: User) -> Account:
    locked = user.locked_until if user.locked_until and user.locked_until > utcnow() else None
    return Account(
        user.id, user.username, user.display_name, user.role, user.active, user.created_at, locked
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
        audit.record(s, actor, "account_create", detail=f"{username} ({role})")
        return _account(user)


UNKNOWN_NAME = "(unknown name)"  # the audit trail's user for a login as no account


def authenticate(db: Database, username: str, password: str) -> Actor:
    """The actor for a correct user name and password; raises LoginFailed otherwise.

    After too many failures in a row the account locks for a while (practice settings);
    a locked account is told so, whatever password is tried.
    """
    rules = practice.load(db)
    name = (username or "").strip().lower()
    # A name with a control character is no account's: not looked up (PostgreSQL refuses a
    # NUL even to compare it).
    plain = not any(unicodedata.category(c) == "Cc" for c in name)
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == name)) if plain else None
        now = utcnow()
        if user is None:
            # What was typed is not kept: a name that is no account's is often a password
            # typed into the wrong box, which the trail would show to the admin.
            audit.record(s, None, "login_failed", username=UNKNOWN_NAME, detail="no such account")
            failure = "Wrong user name or password."
        elif not user.active:
            audit.record(s, None, "login_failed", username=user.username, detail="inactive")
            failure = "Wrong user name or password."
        elif user.locked_until is not None and user.locked_until > now:
            audit.record(s, _actor(user), "login_failed", detail="account locked")
            failure = _locked_message(user.locked_until, now)
        elif _verifies(user.password_hash, password):
            user.failed_logins, user.locked_until = 0, None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            audit.record(s, _actor(user), "login")
            return _actor(user)
        else:
            user.failed_logins += 1
            audit.record(s, _actor(user), "login_failed", detail="wrong password")
            failure = "Wrong user name or password."
            if user.failed_logins >= rules.lockout_attempts:
                user.failed_logins = 0
                user.locked_until = now + timedelta(minutes=rules.lockout_minutes)
                audit.record(s, _actor(user), "account_locked")
                failure = _locked_message(user.locked_until, now)
    raise LoginFailed(failure)  # after the commit, so the failure and any lock are kept


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, -(-int((until - now).total_seconds()) // 60))
    return (
        f"This account is locked after too many failed logins. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}, or ask your administrator."
    )


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
        if active:
            user.failed_logins, user.locked_until = 0, None
        audit.record(
            s,
            actor,
            "account_change",
            detail=f"{user.username}: {'re' if active else 'de'}activated",
        )
        return _account(user)


def unlock(db: Database, actor: Actor, user_id: int) -> Account:
    """Lift the lock that failed logins put on an account, before it runs out."""
    require_role(actor, "admin")
    with db.write() as s:
        user = _user(s, user_id)
        user.failed_logins, user.locked_until = 0, None
        audit.record(s, actor, "account_change", detail=f"{user.username}: unlocked")
        return _account(user)


def update_account(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    display_name: str,
    role: str,
    expected: tuple[str, str] | None = None,
) -> Account:
    """An admin corrects an account's full name or changes its role.

    Refused: an admin's own role (one slip could leave no admin), and taking the counsellor
    role from anyone who has cases (their cases would have no counsellor able to change them).
    Where `expected` (the name and role the page showed) is given, a save over a change made
    since by another admin is refused (Conflict) rather than quietly undoing it.
    """
    require_role(actor, "admin")
    display_name = validation.text(display_name, "Full name", max_len=200, required=True)
    if role not in ROLES:
        raise ValidationError(f"Role must be one of: {', '.join(ROLES)}.")
    with db.write() as s:
        user = _user(s, user_id)
        if expected is not None and expected != (user.display_name, user.role):
            raise Conflict(
                f"Someone else changed {user.username}'s name or role since you opened it. "
                "Your text is still here: reload the account, then make your change again."
            )
        if user.id == actor.id and role != user.role:
            raise ValidationError("You cannot change your own role.")
        if user.role == "counsellor" and role != "counsellor":
            owned = s.scalar(select(func.count()).where(Case.counsellor_id == user.id))
            if owned:
                raise ValidationError(
                    f"{user.display_name} has {owned} case{'s' if owned != 1 else ''}: a "
                    "counsellor with cases keeps the counsellor role."
                )
        changed = ["name changed"] if display_name != user.display_name else []
        changed += [f"role {user.role} -> {role}"] if role != user.role else []
        if not changed:
            raise ValidationError("Nothing to change: the name and role are as they were.")
        user.display_name, user.role = display_name, role
        audit.record(s, actor, "account_change", detail=f"{user.username}: {', '.join(changed)}")
        return _account(user)


def reset_password(db: Database, actor: Actor, user_id: int, password: str) -> Account:
    """An admin sets a new password for another account (their own is changed with the current
    one, on My account); raises ValidationError for their own."""
    require_role(actor, "admin")
    if user_id == actor.id:
        # A reset of one's own account logged the admin out, with a password to change again.
        raise ValidationError("Change your own password on My account, with your current one.")
    check_password(password)
    with db.write() as s:
        user = _user(s, user_id)
        user.password_hash = _hasher.hash(password)
        user.must_change_password = True
        user.failed_logins, user.locked_until = 0, None
        audit.record(s, actor, "password_reset", detail=user.username)
        return _account(user)


def change_own_password(db: Database, actor: Actor, current: str, new: str) -> Actor:
    """A user changes their own password, proving the current one; returns the actor for
    this session to go on with (every other session of theirs ends)."""
    check_password(new)
    if new == current:
        raise ValidationError("The new password must differ from the current one.")
    with db.write() as s:
        user = _user(s, actor.id)
        if not _verifies(user.password_hash, current):
            raise ValidationError("Your current password is not right.")
        user.password_hash = _hasher.hash(new)
        user.must_change_password = False
        audit.record(s, actor, "password_change")
        return _actor(user)
