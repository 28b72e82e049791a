"""Private safety screens, per client, and the flag that gates contact-oriented homework."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from casebook import audit, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    client_row,
    open_cases,
    unseen,
)
from casebook.cases import current_stage_rows
from casebook.db import Database
from casebook.errors import NotFound, ValidationError
from casebook.models import (
    Case,
    Client,
    SafetyScreen,
    StruckSafetyScreen,
    User,
    strike_out,
    utcnow,
)
from worksheets.safety import screen


@dataclass(frozen=True)
class ScreenView:
    id: int
    client_id: int
    screened_on: date
    screened_by: str
    answers: dict[str, str]
    flagged: bool


@dataclass(frozen=True)
class SafetyStatus:
    client_id: int
    screened: bool
    flagged: bool
    last_screened: date | None


def record_screen(
    db: Database, actor: Actor, client_id: int, answers: dict[str, str], *, screened_on: date
) -> ScreenView:
    """Record one client's private screen; any concern (or unsure) flags the client."""
    try:
        checked = screen().check(answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    screened_on = validation.past_date(screened_on, "Screening date", today=date.today())
    flagged = screen().flags(checked)
    with db.write() as s:
        client = client_row(s, client_id)
        case = case_for_writing(s, actor, client.case_id, asked=("client", client.id))
        validation.not_before_opening(screened_on, "Screening date", opened_on=case.opened_on)
        row = SafetyScreen(
            client_id=client_id,
            screened_on=screened_on,
            screened_by=actor.id,
            answers=json.dumps(checked),
            flagged=flagged,
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            actor,
            "safety_screen",
            case_id=client.case_id,
            client_id=client_id,
        )
        return ScreenView(row.id, client_id, screened_on, actor.display_name, checked, flagged)


def screens(db: Database, actor: Actor, client_id: int) -> list[ScreenView]:
    """One client's screens, newest first; the view is audited."""
    with db.write() as s:
        client = client_row(s, client_id)
        case_for_reading(s, actor, client.case_id, asked=("client", client.id))
        audit.record(s, actor, "safety_view", case_id=client.case_id, client_id=client_id)
        rows = s.execute(
            select(SafetyScreen, User.display_name)
            .join(User, User.id == SafetyScreen.screened_by)
            .where(SafetyScreen.client_id == client_id)
            .order_by(SafetyScreen.screened_on.desc(), SafetyScreen.id.desc())
        ).all()
        return [
            ScreenView(r.id, r.client_id, r.screened_on, name, json.loads(r.answers), r.flagged)
            for r, name in rows
        ]


@dataclass(frozen=True)
class StruckScreen:
    """A screen struck out as recorded in error: its date, who held it and whether it flagged,
    with who struck it out, when and why. Its answers are kept, and not shown: they may be
    the other partner's."""

    client_id: int
    screened_on: date
    screened_by: str
    flagged: bool
    struck_at: datetime
    struck_by: str
    why: str


def strike_screen(db: Database, actor: Actor, screen_id: int, *, why: str) -> StruckScreen:
    """The case's counsellor strikes out a screen recorded in error (for the wrong partner, a
    slip): it no longer sets the client's flag nor shows as theirs, and is kept apart with the
    reason. Raises ValidationError (no reason), NotFound or AccessDenied."""
    why = validation.text(why, "Why it is struck out", max_len=500, required=True)
    with db.write() as s:
        row = s.get(SafetyScreen, screen_id)
        if row is None:
            raise NotFound(unseen("safety screen", screen_id))
        client = client_row(s, row.client_id)
        case = case_for_writing(s, actor, client.case_id, asked=("safety screen", screen_id))
        struck = strike_out(
            s, row, StruckSafetyScreen, struck_at=utcnow(), struck_by=actor.id, why=why
        )
        audit.record(
            s, actor, "safety_strike", case_id=case.id, client_id=client.id, detail=f"#{screen_id}"
        )
        by = s.get(User, struck.screened_by).display_name
        return StruckScreen(
            client.id,
            struck.screened_on,
            by,
            struck.flagged,
            struck.struck_at,
            actor.display_name,
            why,
        )


def struck_screens(db: Database, actor: Actor, client_id: int) -> list[StruckScreen]:
    """One client's screens struck out as recorded in error, oldest first (no answers)."""
    holder, striker = aliased(User), aliased(User)
    with db.read() as s:
        client = client_row(s, client_id)
        case_for_reading(s, actor, client.case_id, asked=("client", client.id))
        rows = s.execute(
            select(StruckSafetyScreen, holder.display_name, striker.display_name)
            .join(holder, holder.id == StruckSafetyScreen.screened_by)
            .join(striker, striker.id == StruckSafetyScreen.struck_by)
            .where(StruckSafetyScreen.client_id == client_id)
            .order_by(StruckSafetyScreen.struck_at, StruckSafetyScreen.id)
        ).all()
        return [
            StruckScreen(
                r.client_id, r.screened_on, held_by, r.flagged, r.struck_at, struck_by, r.why
            )
            for r, held_by, struck_by in rows
        ]


def _latest_screen(client_id: Any) -> Any:
    """A scalar subquery: the id of the client's latest screen, by the date it was held (a
    screen entered later from paper, dated earlier, does not replace a newer one)."""
    screen = aliased(SafetyScreen)
    return (
        select(screen.id)
        .where(screen.client_id == client_id)
        .order_by(screen.screened_on.desc(), screen.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def statuses(s: Session, client_ids: list[int]) -> dict[int, SafetyStatus]:
    """Each client's flag from their latest screen (no access check: callers have done it)."""
    latest = {
        client_id: (flagged, on)
        for client_id, flagged, on in s.execute(
            select(Client.id, SafetyScreen.flagged, SafetyScreen.screened_on)
            .join(SafetyScreen, SafetyScreen.id == _latest_screen(Client.id))
            .where(Client.id.in_(client_ids))
        )
    }
    return {
        i: SafetyStatus(
            i, i in latest, latest.get(i, (False, None))[0], latest.get(i, (0, None))[1]
        )
        for i in client_ids
    }


def case_status(db: Database, actor: Actor, case_id: int) -> dict[int, SafetyStatus]:
    """The safety status of each client of a case (the flag only, never the answers)."""
    with db.read() as s:
        case = case_for_reading(s, actor, case_id)
        return statuses(s, [c.id for c in case.clients])


def contact_concern(s: Session, case: Case) -> str:
    """Why contact-oriented work with this case's clients needs an override: who is flagged,
    or not yet screened ("" when every client is screened and none flagged)."""
    status = statuses(s, [c.id for c in case.clients])

    def who(names: list[str]) -> str:
        return f"{' and '.join(names)} {'has' if len(names) == 1 else 'have'}"

    if flagged := [c.name for c in case.clients if status[c.id].flagged]:
        return f"{who(flagged)} a safety flag:"
    if unscreened := [c.name for c in case.clients if not status[c.id].screened]:
        return f"{who(unscreened)} not been screened for safety:"
    return ""


@dataclass(frozen=True)
class Flag:
    case_id: int
    client_id: int
    client_name: str
    last_screened: date


@dataclass(frozen=True)
class Unscreened:
    case_id: int
    client_id: int
    client_name: str
    stage: int


@dataclass(frozen=True)
class CaseloadSafety:
    flagged: list[Flag]  # the latest screen raised a concern
    unscreened: list[Unscreened]  # at `from_stage` or later and never screened: a reminder


def caseload_safety(db: Database, actor: Actor, *, from_stage: int = 3) -> CaseloadSafety:
    """The clients of the actor's open cases who are flagged, and those never screened.

    One query, filtered in SQL: each client's latest screen is one step into the screens'
    client index; only the clients listed are read, and no answers.
    """
    current = current_stage_rows()
    with db.read() as s:
        rows = s.execute(
            select(Case.id, Client.id, Client.name, current.c.stage, SafetyScreen.screened_on)
            .join(Client, Client.case_id == Case.id)
            .join(current, current.c.client_id == Client.id)
            .outerjoin(SafetyScreen, SafetyScreen.id == _latest_screen(Client.id))
            .where(open_cases(actor))
            .where(
                SafetyScreen.flagged.is_(True)
                | (SafetyScreen.id.is_(None) & (current.c.stage >= from_stage))
            )
            .order_by(Case.id, Client.position)
        ).all()
    return CaseloadSafety(
        flagged=[
            Flag(case_id, client_id, name, screened_on)
            for case_id, client_id, name, _, screened_on in rows
            if screened_on is not None
        ],
        unscreened=[
            Unscreened(case_id, client_id, name, stage)
            for case_id, client_id, name, stage, screened_on in rows
            if screened_on is None
        ],
    )
