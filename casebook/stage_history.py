"""Each client's position in the guide's stages: an append-only history of moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from casebook import audit, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    client_row,
    open_cases,
    unseen,
    visible_cases,
)
from casebook.cases import Move, _histories, current_stage_rows, stage_number
from casebook.db import Database
from casebook.errors import NotFound, ValidationError
from casebook.models import (
    Case,
    CaseClosure,
    Client,
    StageEvent,
    StruckStageEvent,
    User,
    strike_out,
    utcnow,
)


@dataclass(frozen=True)
class Position:
    """Where one client of a visible case stands now."""

    case_id: int
    client_id: int
    client_name: str
    stage: int
    since: date
    case_status: str
    couple: bool


@dataclass(frozen=True)
class RecentMove:
    case_id: int
    client_name: str
    from_stage: int | None
    to_stage: int
    moved_on: date


def move_client(
    db: Database,
    actor: Actor,
    client_id: int,
    stage: int,
    *,
    reason: str,
    moved_on: date | None = None,
) -> Move:
    """Record a client's move to a stage, forward or back, with date and reason.

    Raises ValidationError, NotFound or AccessDenied.
    """
    stage_number(stage)
    reason = validation.text(reason, "Reason", max_len=1000, required=True, multiline=True)
    today = date.today()
    moved_on = validation.past_date(moved_on or today, "Date of the move", today=today)
    with db.write() as s:
        client = client_row(s, client_id)
        case = case_for_writing(s, actor, client.case_id, asked=("client", client.id))
        if case.closed_on is not None:
            raise ValidationError("This case is closed: reopen it to move a client.")
        last = s.scalars(
            select(StageEvent)
            .where(StageEvent.client_id == client_id)
            .order_by(StageEvent.id.desc())
            .limit(1)
        ).first()
        if last is not None and moved_on < last.moved_on:
            raise ValidationError(
                f"The move cannot be dated before the client's last stage change "
                f"({last.moved_on:%d %b %Y})."
            )
        if last is not None and last.stage == stage:
            raise ValidationError(f"{client.name} is already at stage {stage}.")
        event = StageEvent(
            client_id=client_id, stage=stage, moved_on=moved_on, moved_by=actor.id, reason=reason
        )
        s.add(event)
        s.flush()
        audit.record(
            s,
            actor,
            "stage_move",
            case_id=case.id,
            client_id=client_id,
            detail=f"{last.stage if last else '-'} -> {stage}",
        )
        return Move(event.id, client_id, stage, moved_on, actor.display_name, reason)


@dataclass(frozen=True)
class StruckMove:
    """A stage move struck out as recorded in error, with who struck it out, when and why."""

    move: Move
    struck_at: datetime
    struck_by: str
    why: str


def strike_move(db: Database, actor: Actor, move_id: int, *, why: str) -> StruckMove:
    """The case's counsellor strikes out a client's latest move, recorded in error (the wrong
    partner, stage or day): the client is back where they were before it, and the move is
    kept apart with the reason. The move that opened the case cannot be struck out.

    Raises ValidationError (no reason, not the latest move, a closed case), NotFound or
    AccessDenied.
    """
    why = validation.text(why, "Why it is struck out", max_len=500, required=True)
    with db.write() as s:
        event = s.get(StageEvent, move_id)
        if event is None:
            raise NotFound(unseen("stage move", move_id))
        client = client_row(s, event.client_id)
        case = case_for_writing(s, actor, client.case_id, asked=("stage move", move_id))
        if case.closed_on is not None:
            raise ValidationError("This case is closed: reopen it to change a client's stages.")
        ids = s.scalars(
            select(StageEvent.id).where(StageEvent.client_id == client.id).order_by(StageEvent.id)
        ).all()
        if ids[0] == event.id:
            raise ValidationError(
                f"This is {client.name}'s first stage, from when they joined the case: "
                "record a move instead."
            )
        if ids[-1] != event.id:
            raise ValidationError(
                f"Only {client.name}'s latest move can be struck out: strike out the later "
                "ones first."
            )
        struck = strike_out(
            s, event, StruckStageEvent, struck_at=utcnow(), struck_by=actor.id, struck_reason=why
        )
        audit.record(
            s,
            actor,
            "stage_strike",
            case_id=case.id,
            client_id=client.id,
            detail=f"move #{move_id} to {struck.stage}",
        )
        by = s.get(User, struck.moved_by).display_name
        return StruckMove(
            Move(struck.id, client.id, struck.stage, struck.moved_on, by, struck.reason),
            struck.struck_at,
            actor.display_name,
            why,
        )


def struck_moves(db: Database, actor: Actor, case_id: int) -> list[StruckMove]:
    """The stage moves of a case's clients struck out as recorded in error, oldest first."""
    mover, striker = aliased(User), aliased(User)
    with db.read() as s:
        case = case_for_reading(s, actor, case_id)
        rows = s.execute(
            select(StruckStageEvent, mover.display_name, striker.display_name)
            .join(mover, mover.id == StruckStageEvent.moved_by)
            .join(striker, striker.id == StruckStageEvent.struck_by)
            .where(StruckStageEvent.client_id.in_([c.id for c in case.clients]))
            .order_by(StruckStageEvent.struck_at, StruckStageEvent.id)
        ).all()
        return [
            StruckMove(
                Move(e.id, e.client_id, e.stage, e.moved_on, moved_by, e.reason),
                e.struck_at,
                struck_by,
                e.struck_reason,
            )
            for e, moved_by, struck_by in rows
        ]


def history(db: Database, actor: Actor, client_id: int) -> list[Move]:
    """A client's stage moves, oldest first; the view is audited. Raises NotFound, AccessDenied."""
    with db.write() as s:
        client = client_row(s, client_id)
        case_for_reading(s, actor, client.case_id, asked=("client", client.id))
        audit.record(s, actor, "client_view", case_id=client.case_id, client_id=client_id)
        return list(_histories(s, [client_id])[client_id])


def current_positions(db: Database, actor: Actor, *, open_only: bool = False) -> list[Position]:
    """Every client of every case the actor may see (or only of open cases), with their
    current stage."""
    current = current_stage_rows()
    shown = open_cases(actor) if open_only else visible_cases(actor)
    with db.read() as s:
        rows = s.execute(
            select(
                Case.id,
                Case.closed_on,
                Case.archived_at,
                Client.id,
                Client.name,
                current.c.stage,
                current.c.moved_on,
            )
            .join(Client, Client.case_id == Case.id)
            .join(current, current.c.client_id == Client.id)
            .where(shown)
            .order_by(Case.id, Client.position)
        ).all()
    per_case: dict[int, int] = {}
    for row in rows:
        per_case[row[0]] = per_case.get(row[0], 0) + 1
    return [
        Position(
            case_id=case_id,
            client_id=client_id,
            client_name=name,
            stage=stage,
            since=since,
            case_status="archived" if archived else "closed" if closed else "open",
            couple=per_case[case_id] == 2,
        )
        for case_id, closed, archived, client_id, name, stage, since in rows
    ]


def open_clients_by_stage(db: Database, actor: Actor) -> dict[int, int]:
    """How many clients of the actor's open cases are at each stage, counted in SQL."""
    current = current_stage_rows()
    with db.read() as s:
        return dict(
            s.execute(
                select(current.c.stage, func.count())
                .select_from(Case)
                .join(Client, Client.case_id == Case.id)
                .join(current, current.c.client_id == Client.id)
                .where(open_cases(actor))
                .group_by(current.c.stage)
            ).all()
        )


def recent_moves(db: Database, actor: Actor, *, days: int = 30) -> list[RecentMove]:
    """Stage changes in the actor's open cases in the last `days` days, newest first.

    Reasons are not read: they are clinical text, shown (and the view audited) with the
    client's history on the case page, not in a caseload's list.
    """
    since = date.today() - timedelta(days=days)
    before = aliased(StageEvent)
    # Where each recent move came from: the client's move just before it, one step back
    # along the client_id index, rather than a window over every move of the caseload.
    from_stage = (
        select(before.stage)
        .where(before.client_id == StageEvent.client_id, before.id < StageEvent.id)
        .order_by(before.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    moves = (
        select(
            StageEvent.id,
            StageEvent.stage,
            StageEvent.moved_on,
            from_stage.label("from_stage"),
            Client.name,
            Client.case_id,
        )
        .join(Client, Client.id == StageEvent.client_id)
        .join(Case, Case.id == Client.case_id)
        .where(open_cases(actor), StageEvent.moved_on >= since)
        .subquery()
    )
    with db.read() as s:
        rows = s.execute(
            select(moves)
            .where(moves.c.from_stage.is_not(None))
            .order_by(moves.c.moved_on.desc(), moves.c.id.desc())
        ).all()
    return [RecentMove(r.case_id, r.name, r.from_stage, r.stage, r.moved_on) for r in rows]


def open_on(day: date) -> ColumnElement[bool]:
    """A filter on Case for cases that were open on `day`: opened by then, and neither closed
    (in a closing since reopened, too) nor archived by then."""
    next_day = datetime.combine(day + timedelta(days=1), time.min)
    closed_then = (
        select(CaseClosure.id)
        .where(
            CaseClosure.case_id == Case.id,
            CaseClosure.closed_on <= day,
            CaseClosure.reopened_on > day,
        )
        .exists()
    )
    return (
        (Case.opened_on <= day)
        & (Case.closed_on.is_(None) | (Case.closed_on > day))
        & (Case.archived_at.is_(None) | (Case.archived_at >= next_day))
        & ~closed_then
    )


def all_moves(
    db: Database, actor: Actor, *, open_then: date | None = None
) -> list[tuple[int, int, date]]:
    """(client, stage, date) of every move in the cases the actor may see, in order; with
    `open_then`, only of the cases that were open on that day.

    Reasons are not read: they stay encrypted.
    """
    query = (
        select(StageEvent.client_id, StageEvent.stage, StageEvent.moved_on)
        .join(Client, Client.id == StageEvent.client_id)
        .join(Case, Case.id == Client.case_id)
        .where(visible_cases(actor))
        .order_by(StageEvent.client_id, StageEvent.id)
    )
    if open_then is not None:
        query = query.where(open_on(open_then))
    with db.read() as s:
        return [tuple(row) for row in s.execute(query)]
