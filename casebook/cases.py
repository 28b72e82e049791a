"""Cases and their clients: create, list, edit, close, archive. Nothing is hard-deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from casebook import audit, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    open_cases,
    require_role,
    visible_cases,
)
from casebook.db import Database
from casebook.errors import AccessDenied, Conflict, ValidationError
from casebook.models import (
    OUTCOMES,
    Assignment,
    Case,
    CaseClosure,
    Client,
    MeasureScore,
    SafetyScreen,
    SessionNote,
    StageEvent,
    User,
    utcnow,
)
from worksheets.stages import stages

STATUSES = ("open", "closed", "archived")
KINDS = ("individual", "couple")


@dataclass(frozen=True)
class ClientInput:
    name: str
    pronouns: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Move:
    """One stage move of a client, as shown in their history."""

    id: int
    client_id: int
    stage: int
    moved_on: date
    moved_by: str
    reason: str


@dataclass(frozen=True)
class Closing:
    """An earlier closing of a case that was reopened."""

    closed_on: date
    outcome: str
    note: str
    reopened_on: date


@dataclass(frozen=True)
class ClientView:
    id: int
    position: int
    name: str
    pronouns: str
    email: str
    phone: str
    stage: int
    stage_since: date
    history: tuple[Move, ...] = ()  # filled by get_case only


@dataclass(frozen=True)
class CaseView:
    id: int
    counsellor_id: int
    counsellor_name: str
    clients: tuple[ClientView, ...]
    presenting_concern: str
    opened_on: date
    closed_on: date | None
    outcome: str | None
    closing_note: str | None
    archived: bool
    version: int
    earlier_closings: tuple[Closing, ...] = ()  # filled by get_case only, oldest first
    next_session_on: date | None = None

    @property
    def label(self) -> str:
        return " & ".join(c.name for c in self.clients)

    @property
    def kind(self) -> str:
        return "couple" if len(self.clients) == 2 else "individual"

    @property
    def status(self) -> str:
        if self.archived:
            return "archived"
        return "closed" if self.closed_on else "open"


def current_stage_rows():  # type: ignore[no-untyped-def]
    """A subquery: each client's latest stage event (client_id, stage, moved_on).

    Correlated on the client, so that joined to a caseload it reads that caseload's events
    by index rather than grouping every event of the practice.
    """
    later = aliased(StageEvent)
    newest = select(func.max(later.id)).where(later.client_id == StageEvent.client_id)
    return (
        select(StageEvent.client_id, StageEvent.stage, StageEvent.moved_on)
        .where(StageEvent.id == newest.scalar_subquery())
        .subquery()
    )


def _histories(session: Session, client_ids: list[int]) -> dict[int, tuple[Move, ...]]:
    rows = session.execute(
        select(StageEvent, User.display_name)
        .join(User, User.id == StageEvent.moved_by)
        .where(StageEvent.client_id.in_(client_ids))
        .order_by(StageEvent.id)
    )
    moves: dict[int, list[Move]] = {i: [] for i in client_ids}
    for e, name in rows:
        moves[e.client_id].append(Move(e.id, e.client_id, e.stage, e.moved_on, name, e.reason))
    return {i: tuple(m) for i, m in moves.items()}


def _views(session: Session, cases: Sequence[Case], *, history: bool = False) -> list[CaseView]:
    if not cases:
        return []
    current = current_stage_rows()
    client_ids = [c.id for case in cases for c in case.clients]
    stage_of = {
        row.client_id: (row.stage, row.moved_on)
        for row in session.execute(select(current).where(current.c.client_id.in_(client_ids)))
    }
    histories = _histories(session, client_ids) if history else {}
    closings: dict[int, list[Closing]] = {}
    if history:
        for row in session.scalars(
            select(CaseClosure)
            .where(CaseClosure.case_id.in_([c.id for c in cases]))
            .order_by(CaseClosure.closed_on, CaseClosure.id)
        ):
            closings.setdefault(row.case_id, []).append(
                Closing(row.closed_on, row.outcome, row.closing_note or "", row.reopened_on)
            )
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_({c.counsellor_id for c in cases}))
        ).all()
    )
    return [
        CaseView(
            id=case.id,
            counsellor_id=case.counsellor_id,
            counsellor_name=names.get(case.counsellor_id, ""),
            clients=tuple(
                ClientView(
                    c.id,
                    c.position,
                    c.name,
                    c.pronouns,
                    c.email,
                    c.phone,
                    *stage_of[c.id],
                    history=histories.get(c.id, ()),
                )
                for c in case.clients
            ),
            presenting_concern=case.presenting_concern,
            opened_on=case.opened_on,
            closed_on=case.closed_on,
            outcome=case.outcome,
            closing_note=case.closing_note,
            archived=case.archived_at is not None,
            version=case.version,
            earlier_closings=tuple(closings.get(case.id, ())),
            next_session_on=case.next_session_on,
        )
        for case in cases
    ]


def clean_clients(clients: Sequence[ClientInput]) -> list[ClientInput]:
    if not 1 <= len(clients) <= 2:
        raise ValidationError("A case has one client, or two for a couple.")
    cleaned = []
    for i, c in enumerate(clients, start=1):
        who = "Client" if len(clients) == 1 else f"Partner {i}"
        cleaned.append(
            ClientInput(
                name=validation.text(c.name, f"{who}'s name", max_len=200, required=True),
                pronouns=validation.text(c.pronouns, f"{who}'s pronouns", max_len=40),
                email=validation.email(c.email),
                phone=validation.phone(c.phone),
            )
        )
    return cleaned


def stage_number(stage: int) -> int:
    numbers = [s.number for s in stages()]
    if stage not in numbers:
        raise ValidationError(f"Stage must be one of {numbers[0]}-{numbers[-1]}.")
    return stage


def insert_case(
    s: Session,
    actor: Actor,
    clients: Sequence[ClientInput],
    *,
    opened_on: date | None = None,
    presenting_concern: str = "",
    start_stage: int = 1,
) -> Case:
    """Validate and add a case inside the caller's transaction (see create_case).

    Raises ValidationError before adding anything, or AccessDenied for a non-counsellor.
    """
    if actor.role != "counsellor":
        raise AccessDenied("Only counsellors open cases.")
    today = date.today()
    opened_on = validation.past_date(opened_on or today, "Opening date", today=today)
    cleaned = clean_clients(clients)
    concern = validation.text(
        presenting_concern, "Presenting concern", max_len=5000, multiline=True
    )
    stage_number(start_stage)
    case = Case(counsellor_id=actor.id, opened_on=opened_on, presenting_concern=concern, version=1)
    s.add(case)
    for position, c in enumerate(cleaned, start=1):
        case.clients.append(Client(position=position, **c.__dict__))
    s.flush()
    for client in case.clients:
        s.add(
            StageEvent(
                client_id=client.id,
                stage=start_stage,
                moved_on=opened_on,
                moved_by=actor.id,
                reason="Case opened",
            )
        )
    s.flush()
    audit.record(s, actor, "case_create", case_id=case.id, detail=f"{len(cleaned)} client(s)")
    return case


def create_case(
    db: Database,
    actor: Actor,
    clients: Sequence[ClientInput],
    *,
    opened_on: date | None = None,
    presenting_concern: str = "",
    start_stage: int = 1,
) -> CaseView:
    """Open a case for one client or a couple, each starting at `start_stage`.

    Raises ValidationError, or AccessDenied for anyone but a counsellor.
    """
    with db.write() as s:
        case = insert_case(
            s,
            actor,
            clients,
            opened_on=opened_on,
            presenting_concern=presenting_concern,
            start_stage=start_stage,
        )
        return _views(s, [case])[0]


def get_case(db: Database, actor: Actor, case_id: int) -> CaseView:
    """One case with its clients and their stage histories; the view is audited.

    Raises NotFound or AccessDenied.
    """
    with db.write() as s:
        case = case_for_reading(s, actor, case_id)
        audit.record(s, actor, "case_view", case_id=case.id)
        return _views(s, [case], history=True)[0]


def _matching(
    s: Session,
    actor: Actor,
    search: str,
    stage: int | None,
    status: str | None,
    kind: str | None,
) -> Select:
    """The ids of the cases the actor may see that match the filters."""
    query = select(Case.id).where(visible_cases(actor))
    term = validation.folded(validation.text(search, "Search", max_len=200))
    if term:
        names = s.execute(
            select(Client.case_id, Client.name).join(Case).where(visible_cases(actor))
        )
        found = {case for case, name in names if term in validation.folded(name)}
        # A case number, as the pages show it (#12): one no column can hold finds nothing.
        if (number := validation.record_number(term.removeprefix("#"))) is not None:
            found.add(number)
        query = query.where(Case.id.in_(found))
    if stage is not None:
        current = current_stage_rows()
        query = query.where(
            Case.id.in_(
                select(Client.case_id)
                .join(current, current.c.client_id == Client.id)
                .where(current.c.stage == stage)
            )
        )
    if status is not None:
        if status not in STATUSES:
            raise ValidationError(f"Status must be one of: {', '.join(STATUSES)}.")
        query = query.where(
            {
                "open": Case.archived_at.is_(None) & Case.closed_on.is_(None),
                "closed": Case.archived_at.is_(None) & Case.closed_on.is_not(None),
                "archived": Case.archived_at.is_not(None),
            }[status]
        )
    if kind is not None:
        if kind not in KINDS:
            raise ValidationError(f"Kind must be one of: {', '.join(KINDS)}.")
        counts = (
            select(Client.case_id)
            .group_by(Client.case_id)
            .having(func.count() == (2 if kind == "couple" else 1))
        )
        query = query.where(Case.id.in_(counts))
    return query


def list_cases(
    db: Database,
    actor: Actor,
    *,
    search: str = "",
    stage: int | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[CaseView]:
    """The cases the actor may see, newest first, filtered by client name (or case number),
    stage, status, kind."""
    return find_cases(db, actor, search=search, stage=stage, status=status, kind=kind).cases


@dataclass(frozen=True)
class CasePage:
    total: int  # every matching case
    cases: list[CaseView]  # those on the page, newest first


def find_cases(
    db: Database,
    actor: Actor,
    *,
    search: str = "",
    stage: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> CasePage:
    """As list_cases, one page of them: only the page's cases are read (and their encrypted
    text decrypted); the rest are counted."""
    with db.read() as s:
        matching = _matching(s, actor, search, stage, status, kind)
        page = (
            select(Case)
            .where(Case.id.in_(matching))
            .order_by(Case.opened_on.desc(), Case.id.desc())
            .offset(offset)
            .limit(limit)
        )
        cases = s.scalars(page).all()
        if offset == 0 and (limit is None or len(cases) < limit):
            total = len(cases)  # all of them are here: no need to count
        else:
            total = s.scalar(select(func.count()).select_from(matching.subquery()))
        return CasePage(total, _views(s, cases))


@dataclass(frozen=True)
class CounsellorLoad:
    counsellor: str
    open_cases: int
    clients: int


@dataclass(frozen=True)
class PracticeSummary:
    """The practice in counts, for the supervisor's view: no names of clients, no text."""

    per_counsellor: list[CounsellorLoad]  # counsellors with open cases, by name
    open_cases: int
    closed_cases: int  # closed and not archived
    archived_cases: int
    outcomes: dict[str, int]  # every case closed with an outcome, archived or not


def practice_summary(db: Database, actor: Actor) -> PracticeSummary:
    """Counted in SQL, so the cost does not grow with the number of cases."""
    clients = select(Client.case_id, func.count().label("n")).group_by(Client.case_id).subquery()
    with db.read() as s:
        loads = s.execute(
            select(User.display_name, func.count(), func.sum(clients.c.n))
            .select_from(Case)
            .join(User, User.id == Case.counsellor_id)
            .join(clients, clients.c.case_id == Case.id)
            .where(open_cases(actor))
            .group_by(User.id, User.display_name)
            .order_by(User.display_name, User.id)
        ).all()
        closed, archived = s.execute(
            select(
                func.count().filter(Case.archived_at.is_(None), Case.closed_on.is_not(None)),
                func.count().filter(Case.archived_at.is_not(None)),
            ).where(visible_cases(actor))
        ).one()
        outcomes = dict(
            s.execute(
                select(Case.outcome, func.count())
                .where(visible_cases(actor), Case.outcome.is_not(None))
                .group_by(Case.outcome)
            ).all()
        )
    per_counsellor = [CounsellorLoad(name, n, int(c)) for name, n, c in loads]
    return PracticeSummary(
        per_counsellor,
        sum(c.open_cases for c in per_counsellor),
        closed,
        archived,
        {o: outcomes.get(o, 0) for o in OUTCOMES},
    )


def counsellor_names(db: Database, actor: Actor, case_ids: Sequence[int]) -> dict[int, str]:
    """The counsellor of each of these cases the actor may read, by case number: a supervisor's
    lists span every caseload, and say whose each item is."""
    with db.read() as s:
        return dict(
            s.execute(
                select(Case.id, User.display_name)
                .join(User, User.id == Case.counsellor_id)
                .where(visible_cases(actor), Case.id.in_(set(case_ids)))
            ).all()
        )


def _check_version(case: Case, expected_version: int) -> None:
    if case.version != expected_version:
        raise Conflict(
            "Someone else changed this case since you opened it. "
            "Your text is still here: reload the case, then apply your change again."
        )


def _editable(s: Session, actor: Actor, case_id: int, expected_version: int) -> Case:
    case = case_for_writing(s, actor, case_id)
    _check_version(case, expected_version)
    case.version += 1
    return case


def _opening_moves(s: Session, case: Case) -> list[StageEvent]:
    """Each client's first stage move when it is dated the day the case opened: the move
    recorded by opening the case, whose date is the case's opening date."""
    firsts = select(func.min(StageEvent.id)).where(
        StageEvent.client_id.in_([c.id for c in case.clients])
    )
    firsts = firsts.group_by(StageEvent.client_id)
    return [
        e
        for e in s.scalars(select(StageEvent).where(StageEvent.id.in_(firsts)))
        if e.moved_on == case.opened_on
    ]


def _work_day(
    s: Session,
    case_id: int,
    *,
    latest: bool = False,
    leaving_out: Sequence[int] = (),
    own_closing: bool = True,
) -> date | None:
    """The day of the earliest (or `latest`) session, screen, score, worksheet, closing or
    stage move in a case (leaving out the stage moves numbered, and the case's present
    closing unless `own_closing`)."""
    bound, pick = (func.max, max) if latest else (func.min, min)
    clients = select(Client.id).where(Client.case_id == case_id)
    found = [
        s.scalar(select(bound(SessionNote.session_at)).where(SessionNote.case_id == case_id)),
        s.scalar(
            select(bound(SafetyScreen.screened_on)).where(SafetyScreen.client_id.in_(clients))
        ),
        s.scalar(select(bound(MeasureScore.scored_on)).where(MeasureScore.client_id.in_(clients))),
        s.scalar(
            select(bound(StageEvent.moved_on)).where(
                StageEvent.client_id.in_(clients), StageEvent.id.not_in(leaving_out)
            )
        ),
        s.scalar(select(bound(Assignment.assigned_on)).where(Assignment.client_id.in_(clients))),
        s.scalar(select(bound(CaseClosure.closed_on)).where(CaseClosure.case_id == case_id)),
        s.scalar(select(Case.closed_on).where(Case.id == case_id)) if own_closing else None,
    ]
    days = [d.date() if isinstance(d, datetime) else d for d in found if d is not None]
    return pick(days, default=None)


def update_case(
    db: Database,
    actor: Actor,
    case_id: int,
    expected_version: int,
    *,
    clients: Sequence[ClientInput],
    presenting_concern: str,
    opened_on: date | None = None,
    partner_stage: int = 1,
    partner_joined_on: date | None = None,
) -> CaseView:
    """Edit the clients' details and the presenting concern; a second client may be added,
    at `partner_stage` from `partner_joined_on` (today unless given; not before the case
    opened).
    The opening date may move earlier (to record work from before the case was opened here),
    or later (a mistyped date), but not past the first work recorded; the clients' moves
    recorded by opening the case move with it.

    Raises ValidationError, Conflict (stale version), NotFound or AccessDenied.
    """
    cleaned = clean_clients(clients)
    concern = validation.text(
        presenting_concern, "Presenting concern", max_len=5000, multiline=True
    )
    if opened_on is not None:
        opened_on = validation.past_date(opened_on, "Opening date", today=date.today())
    stage_number(partner_stage)
    joined_on = validation.past_date(
        partner_joined_on or date.today(), "The day the partner joined", today=date.today()
    )
    with db.write() as s:
        case = _editable(s, actor, case_id, expected_version)
        if len(cleaned) < len(case.clients):
            raise ValidationError("A client cannot be removed from a case; close the case instead.")
        if len(cleaned) > len(case.clients) and case.closed_on is not None:
            raise ValidationError("This case is closed: reopen it to add a partner.")
        moved = opened_on is not None and opened_on != case.opened_on
        if moved:
            openings = _opening_moves(s, case)
            first = _work_day(s, case.id, leaving_out=[e.id for e in openings])
            if first is not None and opened_on > first:
                raise ValidationError(
                    f"The case cannot have opened after the first work recorded in it, "
                    f"on {first:%d %b %Y}."
                )
            case.opened_on = opened_on
            for event in openings:  # "Case opened" is dated the day it opened
                event.moved_on = opened_on
        case.presenting_concern = concern
        for position, c in enumerate(cleaned, start=1):
            if position <= len(case.clients):
                client = case.clients[position - 1]
                client.name, client.pronouns = c.name, c.pronouns
                client.email, client.phone = c.email, c.phone
            else:
                validation.not_before_opening(
                    joined_on, "The day the partner joined", opened_on=case.opened_on
                )
                partner = Client(position=position, **c.__dict__)
                case.clients.append(partner)
                s.flush()
                s.add(
                    StageEvent(
                        client_id=partner.id,
                        stage=partner_stage,
                        moved_on=joined_on,
                        moved_by=actor.id,
                        reason="Joined the case",
                    )
                )
        s.flush()
        detail = f"{len(cleaned)} client(s)" + (", opening date" if moved else "")
        audit.record(s, actor, "case_update", case_id=case.id, detail=detail)
        return _views(s, [case])[0]


def close_case(
    db: Database,
    actor: Actor,
    case_id: int,
    expected_version: int,
    *,
    outcome: str | None,
    closed_on: date,
    note: str = "",
    correct: bool = False,
) -> CaseView:
    """Close a case with an outcome, a date and a note; or (`correct`) correct a closed case's
    outcome, date or note, chosen or typed in error, with the same checks: reopening it to
    close again would keep the wrong closing as an earlier one."""
    if not outcome:
        raise ValidationError("Choose the outcome the case closes with.")
    if outcome not in OUTCOMES:
        raise ValidationError(f"Outcome must be one of: {', '.join(OUTCOMES)}.")
    note = validation.text(note, "Closing note", max_len=5000, multiline=True)
    with db.write() as s:
        case = _editable(s, actor, case_id, expected_version)
        if correct and case.closed_on is None:
            raise ValidationError("This case is not closed.")
        if not correct and case.closed_on is not None:
            raise ValidationError("This case is already closed.")
        closed_on = validation.past_date(closed_on, "Closing date", today=date.today())
        if closed_on < case.opened_on:
            raise ValidationError("A case cannot close before the day it opened.")
        last = _work_day(s, case.id, latest=True, own_closing=False)
        if last is not None and closed_on < last:
            raise ValidationError(
                f"The case cannot close before the last work recorded in it, on {last:%d %b %Y}."
            )
        changed = [
            what
            for what, before, after in (
                ("outcome", case.outcome, outcome),
                ("date", case.closed_on, closed_on),
                ("note", case.closing_note, note),
            )
            if before != after
        ]
        if correct and not changed:
            raise ValidationError("Nothing to correct: the closing is as it was.")
        # What changed, and the outcome: never the note's words.
        detail = f"{', '.join(changed)}; outcome {case.outcome} → {outcome}" if correct else outcome
        case.closed_on, case.outcome, case.closing_note = closed_on, outcome, note
        action = "case_closing_correct" if correct else "case_close"
        audit.record(s, actor, action, case_id=case.id, detail=detail)
        s.flush()
        return _views(s, [case])[0]


def reopen_case(db: Database, actor: Actor, case_id: int, expected_version: int) -> CaseView:
    """Reopen a closed case; its closing (date, outcome, note) is kept as an earlier one."""
    with db.write() as s:
        case = _editable(s, actor, case_id, expected_version)
        if case.closed_on is None or case.outcome is None:
            raise ValidationError("This case is not closed.")
        s.add(
            CaseClosure(
                case_id=case.id,
                closed_on=case.closed_on,
                outcome=case.outcome,
                closing_note=case.closing_note,
                reopened_on=date.today(),
                reopened_by=actor.id,
            )
        )
        case.closed_on = case.outcome = case.closing_note = None
        audit.record(s, actor, "case_reopen", case_id=case.id)
        s.flush()
        return _views(s, [case])[0]


def set_archived(
    db: Database, actor: Actor, case_id: int, expected_version: int, archived: bool
) -> CaseView:
    """Archive a case (hidden from the working list) or restore it."""
    with db.write() as s:
        case = case_for_writing(s, actor, case_id, archived_ok=True)
        _check_version(case, expected_version)
        if (case.archived_at is not None) == archived:
            raise ValidationError(
                "This case is already archived." if archived else "This case is not archived."
            )
        case.archived_at = utcnow() if archived else None
        case.version += 1
        audit.record(s, actor, "case_archive" if archived else "case_restore", case_id=case.id)
        s.flush()
        return _views(s, [case])[0]


@dataclass(frozen=True)
class HeldCase:
    """A case as an admin may see it to hand it over: its number, dates and status, no names
    and no text."""

    id: int
    counsellor_id: int
    opened_on: date
    status: str  # open, closed or archived


def held_cases(db: Database, actor: Actor) -> list[HeldCase]:
    """Every case in the practice by counsellor, then number, for an admin handing cases over."""
    require_role(actor, "admin")
    with db.read() as s:
        rows = s.execute(
            select(
                Case.id, Case.counsellor_id, Case.opened_on, Case.closed_on, Case.archived_at
            ).order_by(Case.counsellor_id, Case.id)
        ).all()
    return [
        HeldCase(i, who, opened, "archived" if archived else "closed" if closed else "open")
        for i, who, opened, closed, archived in rows
    ]


def hand_over(
    db: Database,
    actor: Actor,
    from_id: int,
    to_id: int,
    case_ids: Sequence[int] | None = None,
) -> int:
    """An admin hands a counsellor's cases (every one, or those numbered) to another
    counsellor, who from then on sees and keeps them, their history included: for a
    counsellor who leaves the practice or goes on leave. Returns how many were handed over.

    Refused: handing to the same counsellor, to or from an account that is not a counsellor's,
    to an inactive account, or a case that is not the first counsellor's.
    """
    require_role(actor, "admin")
    with db.write() as s:
        giver, taker = s.get(User, from_id), s.get(User, to_id)
        if giver is None or taker is None:
            raise ValidationError("Choose two counsellors' accounts.")
        if giver.id == taker.id:
            raise ValidationError("Choose another counsellor to hand the cases to.")
        for user in (giver, taker):
            if user.role != "counsellor":
                raise ValidationError(f"{user.display_name} is not a counsellor.")
        if not taker.active:
            raise ValidationError(
                f"{taker.display_name}'s account is deactivated: they could not open the cases."
            )
        held = select(Case).where(Case.counsellor_id == giver.id).order_by(Case.id)
        if case_ids is not None:
            wanted = set(case_ids)
            if not wanted:
                raise ValidationError("Choose at least one case to hand over.")
            held = held.where(Case.id.in_(wanted))
        moving = s.scalars(held).all()
        if case_ids is not None and (others := sorted(wanted - {c.id for c in moving})):
            numbers = ", ".join(f"#{n}" for n in others)
            raise ValidationError(f"Not {giver.display_name}'s: case {numbers}. Nothing changed.")
        if not moving:
            raise ValidationError(f"{giver.display_name} has no cases to hand over.")
        for case in moving:
            case.counsellor_id = taker.id
            audit.record(
                s,
                actor,
                "case_handover",
                case_id=case.id,
                detail=f"{giver.username} -> {taker.username}",
            )
        return len(moving)
