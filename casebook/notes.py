"""Session notes: drafts saved as the counsellor writes, signing that locks, dated addenda,
and psychotherapy notes kept apart, visible only to their author."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from casebook import audit, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    open_cases,
    unseen,
    visible_cases,
)
from casebook.cases import CaseView
from casebook.db import Database
from casebook.errors import Conflict, NotFound, ValidationError
from casebook.models import (
    RISK_LEVELS,
    Case,
    Client,
    MeasureScore,
    NoteAddendum,
    PsychotherapyNote,
    SessionNote,
    StruckScore,
    User,
    utcnow,
)
from handouts.note import NotePrint
from worksheets.note_formats import formats
from worksheets.stages import stage, stages

ATTENDANCE = ("together", "separately", "one")
SECTION_MAX = 20_000


@dataclass(frozen=True)
class Addendum:
    written_at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class NoteView:
    id: int
    case_id: int
    author_id: int
    author: str
    session_at: datetime
    duration_minutes: int
    attendance: str
    attendees: tuple[int, ...]
    note_format: str
    sections: dict[str, str]
    focus: dict[int, int]
    risk_level: str
    risk_notes: str
    rescreen: bool
    next_session_on: date | None
    status: str
    signed_at: datetime | None
    signer: str | None
    version: int
    addenda: tuple[Addendum, ...] = field(default=())
    psychotherapy_note: str | None = None  # only for the author

    @property
    def signed(self) -> bool:
        return self.status == "signed"


def _names(s: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(s.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _view(
    s: Session,
    n: SessionNote,
    actor: Actor,
    *,
    full: bool = False,
    names: dict[int, str] | None = None,
) -> NoteView:
    """The note as a view; `names` (user id: name) when the caller has read them for many."""
    if names is None:
        names = _names(s, {n.author_id, n.signed_by})
    addenda: tuple[Addendum, ...] = ()
    private = None
    if full:
        rows = s.execute(
            select(NoteAddendum, User.display_name)
            .join(User, User.id == NoteAddendum.author_id)
            .where(NoteAddendum.note_id == n.id)
            .order_by(NoteAddendum.id)
        ).all()
        addenda = tuple(Addendum(a.written_at, name, a.text) for a, name in rows)
        if actor.id == n.author_id:
            private = s.scalar(
                select(PsychotherapyNote.text).where(
                    PsychotherapyNote.note_id == n.id, PsychotherapyNote.author_id == actor.id
                )
            )
    return NoteView(
        id=n.id,
        case_id=n.case_id,
        author_id=n.author_id,
        author=names.get(n.author_id, ""),
        session_at=n.session_at,
        duration_minutes=n.duration_minutes,
        attendance=n.attendance,
        attendees=tuple(json.loads(n.attendees)),
        note_format=n.note_format,
        sections=json.loads(n.sections),
        focus={int(k): v for k, v in json.loads(n.focus).items()},
        risk_level=n.risk_level,
        risk_notes=n.risk_notes,
        rescreen=n.rescreen,
        next_session_on=n.next_session_on,
        status=n.status,
        signed_at=n.signed_at,
        signer=names.get(n.signed_by) if n.signed_by else None,
        version=n.version,
        addenda=addenda,
        psychotherapy_note=private,
    )


def _views(
    s: Session, rows: Sequence[SessionNote], actor: Actor, *, full: bool = False
) -> list[NoteView]:
    """Many notes as views, their authors' and signers' names read in one query."""
    names = _names(s, {i for n in rows for i in (n.author_id, n.signed_by)})
    return [_view(s, n, actor, full=full, names=names) for n in rows]


def _check_session(
    case: Case, session_at: datetime, duration_minutes: int, attendance: str, attendees: list[int]
) -> list[int]:
    now = utcnow()
    if not datetime(1900, 1, 1) <= session_at <= now + timedelta(days=1):
        raise ValidationError("The session date cannot be in the future or before 1900.")
    validation.not_before_opening(session_at.date(), "The session date", opened_on=case.opened_on)
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not (5 <= duration_minutes <= 600)
    ):
        raise ValidationError("Duration is 5 to 600 minutes.")
    if attendance not in ATTENDANCE:
        raise ValidationError(f"Attendance must be one of: {', '.join(ATTENDANCE)}.")
    ids = {c.id for c in case.clients}
    chosen = [i for i in dict.fromkeys(attendees) if i in ids]
    if not chosen or len(chosen) != len(set(attendees)):
        raise ValidationError("Choose who attended from this case's clients.")
    if attendance == "one" and len(chosen) != 1:
        raise ValidationError("One client attended: choose exactly one.")
    if attendance in ("together", "separately") and len(chosen) != 2:
        raise ValidationError("Both partners attended: choose both.")
    return chosen


def create_draft(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    session_at: datetime,
    duration_minutes: int = 50,
    attendance: str,
    attendees: list[int],
    note_format: str,
) -> NoteView:
    """Start a draft note for a session of this case; each attendee's focus is their stage."""
    if note_format not in formats():
        raise ValidationError(f"Format must be one of: {', '.join(formats())}.")
    from casebook.cases import current_stage_rows

    with db.write() as s:
        case = case_for_writing(s, actor, case_id)
        chosen = _check_session(case, session_at, duration_minutes, attendance, attendees)
        current = current_stage_rows()
        stage_of = dict(
            s.execute(
                select(current.c.client_id, current.c.stage).where(current.c.client_id.in_(chosen))
            ).all()
        )
        note = SessionNote(
            case_id=case.id,
            author_id=actor.id,
            session_at=session_at,
            duration_minutes=duration_minutes,
            attendance=attendance,
            attendees=json.dumps(chosen),
            note_format=note_format,
            sections="{}",
            focus=json.dumps({str(i): stage_of[i] for i in chosen}),
            risk_level="none",
            risk_notes="",
            rescreen=False,
            status="draft",
            version=1,
        )
        s.add(note)
        s.flush()
        audit.record(s, actor, "note_create", case_id=case.id, detail=f"#{note.id}")
        return _view(s, note, actor, full=True)


def _note(s: Session, note_id: int) -> SessionNote:
    note = s.get(SessionNote, note_id)
    if note is None:
        raise NotFound(unseen("note", note_id))
    return note


def _draft_for_writing(
    s: Session, actor: Actor, note_id: int, expected_version: int
) -> SessionNote:
    note = _note(s, note_id)
    case_for_writing(s, actor, note.case_id, asked=("note", note.id))
    if note.status == "signed":
        raise ValidationError(
            "This note is signed and locked: add a dated addendum to correct or add to it."
        )
    if note.version != expected_version:
        raise Conflict(
            "This note was saved from another tab or by someone else since you opened it. "
            "Your text is still on screen: copy it, reload the note, and add it again."
        )
    note.version += 1
    return note


def save_draft(
    db: Database,
    actor: Actor,
    note_id: int,
    expected_version: int,
    *,
    sections: dict[str, str],
    focus: dict[int, int] | None = None,
    risk_level: str = "none",
    risk_notes: str = "",
    rescreen: bool = False,
    next_session_on: date | None = None,
    session_at: datetime | None = None,
    duration_minutes: int | None = None,
) -> NoteView:
    """Save the draft as it stands; raises Conflict (stale version) or ValidationError."""
    numbers = {st.number for st in stages()}
    if risk_level not in RISK_LEVELS:
        raise ValidationError(f"Risk must be one of: {', '.join(RISK_LEVELS)}.")
    risk_notes = validation.text(risk_notes, "Risk notes", max_len=SECTION_MAX, multiline=True)
    today = date.today()
    with db.write() as s:
        note = _draft_for_writing(s, actor, note_id, expected_version)
        # A booking kept as it was may have passed since: only a new one must lie ahead.
        if next_session_on not in (None, note.next_session_on) and not (
            today - timedelta(days=1) <= next_session_on <= today + timedelta(days=366)
        ):
            raise ValidationError("The next session is from today to a year ahead.")
        known = {sec.id: sec.title for sec in formats()[note.note_format].sections}
        unknown = set(sections) - set(known)
        if unknown:
            raise ValidationError(
                f"A {note.note_format} note has no section '{sorted(unknown)[0]}'."
            )
        cleaned = {
            key: validation.text(value, known[key], max_len=SECTION_MAX, multiline=True)
            for key, value in sections.items()
        }
        if focus is not None:
            attendees = set(json.loads(note.attendees))
            if set(focus) - attendees or set(focus.values()) - numbers:
                raise ValidationError("The stage in focus is a stage of the guide, per attendee.")
            note.focus = json.dumps({str(k): v for k, v in focus.items()})
        if session_at is not None or duration_minutes is not None:
            case = s.get(Case, note.case_id)
            _check_session(
                case,
                session_at or note.session_at,
                duration_minutes or note.duration_minutes,
                note.attendance,
                json.loads(note.attendees),
            )
            note.session_at = session_at or note.session_at
            note.duration_minutes = duration_minutes or note.duration_minutes
        note.sections = json.dumps(cleaned, ensure_ascii=False)
        note.risk_level, note.risk_notes, note.rescreen = risk_level, risk_notes, rescreen
        if next_session_on != note.next_session_on:  # booked (or cleared) here: the case's too
            s.get(Case, note.case_id).next_session_on = next_session_on
        note.next_session_on = next_session_on
        audit.record(s, actor, "note_save", case_id=note.case_id, detail=f"#{note.id}")
        return _view(s, note, actor, full=True)


def sign(db: Database, actor: Actor, note_id: int, expected_version: int) -> NoteView:
    """Sign and lock a draft; records who and when. An empty note cannot be signed."""
    with db.write() as s:
        note = _draft_for_writing(s, actor, note_id, expected_version)
        if not any(v.strip() for v in json.loads(note.sections).values()):
            raise ValidationError("Write the note before signing it.")
        note.status, note.signed_at, note.signed_by = "signed", utcnow(), actor.id
        audit.record(s, actor, "note_sign", case_id=note.case_id, detail=f"#{note.id}")
        return _view(s, note, actor, full=True)


def discard_draft(db: Database, actor: Actor, note_id: int, expected_version: int) -> int:
    """Delete a draft started by mistake (the wrong case, format or attendance, or a second
    one by a double click), with its psychotherapy note; scores taken at the session stay,
    no longer tied to it. A signed note is a record and is never deleted. Returns the case's
    number; raises ValidationError (signed), Conflict (saved elsewhere since)."""
    with db.write() as s:
        note = _draft_for_writing(s, actor, note_id, expected_version)
        for table in (MeasureScore, StruckScore):
            for row in s.scalars(select(table).where(table.note_id == note.id)):
                row.note_id = None
        private = s.scalar(select(PsychotherapyNote).where(PsychotherapyNote.note_id == note.id))
        if private is not None:
            s.delete(private)
        s.flush()
        s.delete(note)
        audit.record(s, actor, "note_discard", case_id=note.case_id, detail=f"#{note.id}")
        return note.case_id


def add_addendum(db: Database, actor: Actor, note_id: int, text: str) -> NoteView:
    """A dated addendum to a signed note (its only way to change)."""
    text = validation.text(text, "Addendum", max_len=SECTION_MAX, required=True, multiline=True)
    with db.write() as s:
        note = _note(s, note_id)
        case_for_writing(s, actor, note.case_id, asked=("note", note.id))
        if note.status != "signed":
            raise ValidationError("Addenda are for signed notes; edit the draft instead.")
        s.add(NoteAddendum(note_id=note.id, author_id=actor.id, text=text))
        s.flush()
        audit.record(s, actor, "note_addendum", case_id=note.case_id, detail=f"#{note.id}")
        return _view(s, note, actor, full=True)


def save_psychotherapy_note(
    db: Database, actor: Actor, note_id: int, text: str, *, expected: str | None = None
) -> NoteView:
    """The author's private notes on the session, kept apart from the progress note.

    With `expected` (the text as the page last read or saved it), a save over a text
    changed since, in another tab, is refused (Conflict) rather than overwriting it."""
    text = validation.text(text, "Psychotherapy note", max_len=SECTION_MAX, multiline=True)
    with db.write() as s:
        note = _note(s, note_id)
        case_for_writing(s, actor, note.case_id, asked=("note", note.id))
        if note.author_id != actor.id:
            raise ValidationError("Only the note's author keeps its psychotherapy note.")
        row = s.scalar(select(PsychotherapyNote).where(PsychotherapyNote.note_id == note.id))
        if expected is not None and (row.text if row else "") != expected:
            raise Conflict(
                "Your psychotherapy note was changed in another tab since you opened it, so "
                "this was not saved: copy what you typed, then reload."
            )
        if row is None:
            s.add(PsychotherapyNote(note_id=note.id, author_id=actor.id, text=text))
        else:
            row.text = text
        s.flush()
        audit.record(
            s, actor, "psychotherapy_note_save", case_id=note.case_id, detail=f"#{note.id}"
        )
        return _view(s, note, actor, full=True)


def get_note(db: Database, actor: Actor, note_id: int) -> NoteView:
    """One note with its addenda (and, for its author only, the psychotherapy note)."""
    with db.write() as s:
        note = _note(s, note_id)
        case_for_reading(s, actor, note.case_id, asked=("note", note.id))
        audit.record(s, actor, "note_view", case_id=note.case_id, detail=f"#{note.id}")
        return _view(s, note, actor, full=True)


def notes_for_case(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    client_id: int | None = None,
    stage: int | None = None,
    text: str = "",
) -> list[NoteView]:
    """A case's notes, newest first, filtered by attending client, stage in focus and text
    (of the sections, the risk notes and the addenda)."""
    term = validation.folded(validation.text(text, "Search", max_len=200))
    with db.write() as s:
        case_for_reading(s, actor, case_id)
        audit.record(s, actor, "notes_list", case_id=case_id)
        rows = s.scalars(
            select(SessionNote)
            .where(SessionNote.case_id == case_id)
            .order_by(SessionNote.session_at.desc(), SessionNote.id.desc())
        ).all()
        views = _views(s, rows, actor)
        # A correction to a signed note is an addendum: a search finds the note by it too.
        added: dict[int, list[str]] = {}
        if term:
            for note_id, added_text in s.execute(
                select(NoteAddendum.note_id, NoteAddendum.text)
                .join(SessionNote, SessionNote.id == NoteAddendum.note_id)
                .where(SessionNote.case_id == case_id)
            ):
                added.setdefault(note_id, []).append(added_text)
    if client_id is not None:
        views = [v for v in views if client_id in v.attendees]
    if stage is not None:
        views = [v for v in views if stage in v.focus.values()]
    if term:
        views = [
            v
            for v in views
            if any(
                term in validation.folded(t)
                for t in (*v.sections.values(), v.risk_notes, *added.get(v.id, ()))
            )
        ]
    return views


def recent_sessions(
    db: Database, actor: Actor, case_id: int, *, limit: int = 10
) -> list[tuple[int, datetime]]:
    """The case's latest `limit` notes as (note id, session time), newest first: enough to
    name a session by its date, with no note's text read or decrypted."""
    with db.read() as s:
        case_for_reading(s, actor, case_id)
        return [
            (note_id, session_at)
            for note_id, session_at in s.execute(
                select(SessionNote.id, SessionNote.session_at)
                .where(SessionNote.case_id == case_id)
                .order_by(SessionNote.session_at.desc(), SessionNote.id.desc())
                .limit(limit)
            )
        ]


@dataclass(frozen=True)
class CaseDate:
    case_id: int
    label: str
    on: date


def _case_labels(s: Session, case_ids: set[int]) -> dict[int, str]:
    labels: dict[int, list[str]] = {}
    for case_id, name in s.execute(
        select(Client.case_id, Client.name)
        .where(Client.case_id.in_(case_ids))
        .order_by(Client.position)
    ):
        labels.setdefault(case_id, []).append(name)
    return {k: " & ".join(v) for k, v in labels.items()}


def _open_cases_with(actor: Actor, latest):  # type: ignore[no-untyped-def]
    """The actor's open cases, each with `latest` (a column of its notes) at its greatest.

    A correlated subquery per case reads one entry of a (case_id, column) index, where a
    grouped join would read every note of the practice.
    """
    last = select(func.max(latest)).where(SessionNote.case_id == Case.id).scalar_subquery()
    return select(Case.id, Case.opened_on, last.label("last")).where(open_cases(actor)).subquery()


def upcoming_sessions(db: Database, actor: Actor, *, days: int = 14) -> list[CaseDate]:
    """Next sessions booked, from today, for the actor's open cases."""
    today = date.today()
    with db.read() as s:
        rows = s.execute(
            select(Case.id, Case.next_session_on)
            .where(open_cases(actor))
            .where(Case.next_session_on.between(today, today + timedelta(days=days)))
            .order_by(Case.next_session_on, Case.id)
        ).all()
        labels = _case_labels(s, {r[0] for r in rows})
    return [CaseDate(case_id, labels.get(case_id, ""), on) for case_id, on in rows]


def book_next_session(db: Database, actor: Actor, case_id: int, on: date | None) -> int:
    """Move the case's next session (a client rescheduled), or clear it (None); the note
    that booked it keeps what was booked then. Returns the case's number; raises
    ValidationError, AccessDenied."""
    today = date.today()
    if on is not None and not today <= on <= today + timedelta(days=366):
        raise ValidationError("The next session is from today to a year ahead.")
    with db.write() as s:
        case = case_for_writing(s, actor, case_id)
        if case.closed_on is not None:
            raise ValidationError("This case is closed: reopen it to book a session.")
        case.next_session_on = on
        audit.record(s, actor, "booking_change", case_id=case.id)
        return case.id


@dataclass(frozen=True)
class QuietCase:
    case_id: int
    label: str
    last_session: date | None  # None: no session yet
    opened_on: date


def cases_without_session(
    db: Database, actor: Actor, *, days: int = 30, today: date | None = None
) -> list[QuietCase]:
    """Open cases whose last session (or opening, if none) is `days` or more days ago,
    counted in days as the attention list counts them."""
    cutoff = (today or date.today()) - timedelta(days=days)
    last = _open_cases_with(actor, SessionNote.session_at)
    with db.read() as s:
        rows = s.execute(
            select(last.c.id, last.c.opened_on, last.c.last).where(
                or_(
                    last.c.last < datetime.combine(cutoff + timedelta(days=1), datetime.min.time()),
                    and_(last.c.last.is_(None), last.c.opened_on <= cutoff),
                )
            )
        ).all()
        labels = _case_labels(s, {r[0] for r in rows})
    quiet = [
        QuietCase(case_id, labels.get(case_id, ""), at.date() if at else None, opened)
        for case_id, opened, at in rows
    ]
    return sorted(quiet, key=lambda q: q.last_session or q.opened_on)


@dataclass(frozen=True)
class Unsigned:
    note_id: int
    case_id: int
    session_at: datetime
    case_label: str


def unsigned_notes(
    db: Database, actor: Actor, *, older_than_days: int = 7, today: date | None = None
) -> list[Unsigned]:
    """The actor's drafts (a supervisor: everyone's) for sessions on a day N or more days
    ago, counted in days as the attention list counts them (not to the hour)."""
    cutoff = datetime.combine(
        (today or date.today()) - timedelta(days=older_than_days - 1), datetime.min.time()
    )
    with db.read() as s:
        query = (
            select(SessionNote.id, SessionNote.case_id, SessionNote.session_at)
            .join(Case, Case.id == SessionNote.case_id)
            .where(visible_cases(actor), SessionNote.status == "draft")
            .where(SessionNote.session_at < cutoff)
            .order_by(SessionNote.session_at)
        )
        rows = s.execute(query).all()
        labels = _case_labels(s, {r.case_id for r in rows})
    return [Unsigned(*row, labels.get(row.case_id, "")) for row in rows]


def drafts_in_case(db: Database, actor: Actor, case_id: int) -> int:
    """How many of the case's notes are unsigned drafts (none read or decrypted)."""
    with db.read() as s:
        case_for_reading(s, actor, case_id)
        return s.scalar(
            select(func.count())
            .select_from(SessionNote)
            .where(SessionNote.case_id == case_id, SessionNote.status == "draft")
        )


ATTENDANCE_WORDS = {"together": "Both partners, together", "separately": "Each partner, separately"}


def attendance_text(note: NoteView, names: dict[int, str]) -> str:
    """Who attended, in words."""
    if note.attendance == "one":
        return f"{names.get(note.attendees[0], 'One client')} alone"
    return ATTENDANCE_WORDS[note.attendance]


def to_print(note: NoteView, case: CaseView) -> NotePrint:
    """The note as plain data for a document; the psychotherapy note is never part of it."""
    names = {c.id: c.name for c in case.clients}
    return NotePrint(
        case_id=note.case_id,
        note_id=note.id,
        clients=case.label,
        author=note.author,
        session_at=note.session_at,
        duration_minutes=note.duration_minutes,
        attendance=attendance_text(note, names),
        note_format=note.note_format,
        sections=tuple(
            (sec.title, note.sections.get(sec.id, ""))
            for sec in formats()[note.note_format].sections
        ),
        focus=tuple((names.get(cid, ""), stage(st).label) for cid, st in note.focus.items()),
        risk_level=note.risk_level,
        risk_notes=note.risk_notes,
        next_session_on=note.next_session_on,
        status=note.status,
        signed=(
            f"Signed by {note.signer} on {note.signed_at:%d %b %Y, %H:%M} UTC"
            if note.signed and note.signed_at
            else "Draft, not signed"
        ),
        addenda=tuple((a.written_at, a.author, a.text) for a in note.addenda),
    )


def printable(db: Database, actor: Actor, note_id: int) -> NotePrint:
    """One note as plain data for its PDF; the printing is audited."""
    from casebook.cases import get_case

    note = get_note(db, actor, note_id)
    audit.log(db, actor, "note_print", case_id=note.case_id, detail=f"#{note.id}")
    return to_print(note, get_case(db, actor, note.case_id))


def signed_notes_of_client(
    db: Database, actor: Actor, case: CaseView, client_id: int
) -> list[NotePrint]:
    """The signed notes of sessions the client attended, oldest first, for their record.

    From a couple's case the other partner's private words stay out: notes of sessions where
    each partner was seen separately are left out, and joint sessions' risk notes (what one
    partner disclosed alone may be written there) and their addenda, which correct them. See
    handouts.record.not_included.
    """
    with db.read() as s:
        case_for_reading(s, actor, case.id)
        rows = s.scalars(
            select(SessionNote)
            .where(SessionNote.case_id == case.id, SessionNote.status == "signed")
            .order_by(SessionNote.session_at, SessionNote.id)
        ).all()
        views = _views(s, rows, actor, full=True)
    return [
        to_print(
            replace(
                v,
                psychotherapy_note=None,
                # An addendum is how a signed note's risk notes are corrected: it goes too.
                risk_notes="" if v.attendance == "together" else v.risk_notes,
                addenda=() if v.attendance == "together" else v.addenda,
            ),
            case,
        )
        for v in views
        if client_id in v.attendees and v.attendance != "separately"
    ]
