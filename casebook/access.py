"""Who may see and change what. Every repository function asks here first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Session

from casebook.errors import AccessDenied, NotFound, ValidationError
from casebook.models import Case, Client


@dataclass(frozen=True)
class Actor:
    """The logged-in user on whose behalf a repository acts."""

    id: int
    username: str
    display_name: str
    role: str
    must_change_password: bool = False
    # A digest of the password hash at login: a session ends when the password is changed
    # or reset (accounts.current_actor), as Django's session auth hash does.
    credential: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def require_role(actor: Actor, *roles: str) -> None:
    """Raise AccessDenied unless the actor has one of the roles."""
    if actor.role not in roles:
        raise AccessDenied("Your account cannot do this.")


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """A filter on Case for the cases this actor may read; admins read no clinical content."""
    require_role(actor, "counsellor", "supervisor")
    if actor.role == "supervisor":
        return true()
    return Case.counsellor_id == actor.id


def open_cases(actor: Actor) -> ColumnElement[bool]:
    """A filter on Case for the actor's open cases: visible to them, not closed, not archived."""
    return visible_cases(actor) & Case.closed_on.is_(None) & Case.archived_at.is_(None)


def unseen(what: str, number: int) -> str:
    """The one answer both for a record that does not exist and for one the actor may not
    see, so that a number tried in an address cannot tell another counsellor's case (note,
    client, worksheet) from none."""
    return f"There is no {what} #{number} that you can open."


def client_row(session: Session, client_id: int) -> Client:
    """The client by number; NotFound, in the words used for one the actor may not see."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(unseen("client", client_id))
    return client


def case_for_reading(
    session: Session, actor: Actor, case_id: int, *, asked: tuple[str, int] | None = None
) -> Case:
    """The case if the actor may read it; raises NotFound or AccessDenied, saying the same
    for both. `asked` is the record reached through this case (("note", 12)): a refusal
    names that record, never the number of its case."""
    require_role(actor, "counsellor", "supervisor")
    case = session.get(Case, case_id)
    refusal = unseen(*(asked or ("case", case_id)))
    if case is None:
        raise NotFound(refusal)
    if actor.role == "counsellor" and case.counsellor_id != actor.id:
        raise AccessDenied(refusal)
    return case


def case_for_writing(
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    archived_ok: bool = False,
    asked: tuple[str, int] | None = None,
) -> Case:
    """The case if the actor may change it: its own counsellor only, and not while it is
    archived (an archived case is read-only until restored, which `archived_ok` allows)."""
    if actor.role != "counsellor":
        raise AccessDenied("Only the case's counsellor can change it.")
    case = case_for_reading(session, actor, case_id, asked=asked)
    if case.archived_at is not None and not archived_ok:
        raise ValidationError("This case is archived: restore it before changing it.")
    return case
