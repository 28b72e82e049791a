"""A session note as a plain PDF to print. Psychotherapy notes have no place in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from reportlab.platypus import Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from handouts.document import Part, Styles, Together, day, details, notice, para, render_part

CONFIDENTIAL = (
    "Confidential clinical record: a progress note. Keep it secure; the counsellor's "
    "psychotherapy notes are kept apart and are never part of a printed note."
)


@dataclass(frozen=True)
class NotePrint:
    case_id: int
    note_id: int
    clients: str
    author: str
    session_at: datetime
    duration_minutes: int
    attendance: str
    note_format: str
    sections: tuple[tuple[str, str], ...]  # (title, text)
    focus: tuple[tuple[str, str], ...]  # (client, stage label)
    risk_level: str
    risk_notes: str
    next_session_on: date | None
    status: str
    signed: str  # "Signed by X on ..." or "Draft, not signed"
    addenda: tuple[tuple[datetime, str, str], ...] = ()  # (when, author, text)


def _story(note: NotePrint, practice_name: str, st: Styles, width: float) -> list[Flowable]:
    rows: list[tuple[str, str | None]] = [
        ("Clients", note.clients),
        ("Session", f"{note.session_at:%d %b %Y, %H:%M} \u00b7 {note.duration_minutes} minutes"),
        ("Attendance", note.attendance),
        ("Counsellor", note.author),
        ("Format", note.note_format),
        *((f"Stage in focus: {client}", stage) for client, stage in note.focus),
        ("Risk this session", note.risk_level.capitalize()),
        ("Next session", day(note.next_session_on)),
        ("Status", note.signed),
    ]
    story: list[Flowable] = [
        Paragraph("Session note", st.title),
        para(note.clients, st.client),
        para(f"{practice_name} \u00b7 case {note.case_id} \u00b7 note {note.note_id}", st.meta),
        Spacer(1, 8),
        notice(CONFIDENTIAL, st, width),
        Together([Paragraph("Session", st.heading), details(rows, st, width)]),
    ]
    # Under a heading of their own, not in the table: a table's row cannot break across
    # pages, and risk notes as long as a page made a signed note unprintable.
    if note.risk_notes:
        story += [Paragraph("Risk notes", st.heading), para(note.risk_notes, st.body)]
    for title, text in note.sections:
        story += [Paragraph(title, st.heading), para(text, st.body)]
    if note.addenda:
        story.append(Paragraph("Addenda", st.heading))
        for when, author, text in note.addenda:
            story += [
                # In UTC, as it was stored and as the page and the signing line say.
                para(f"{when:%d %b %Y, %H:%M} UTC \u00b7 {author}", st.meta),
                para(text, st.body),
                Spacer(1, 6),
            ]
    return story


def note_flowables(note: NotePrint, st: Styles, width: float) -> Flowable:
    """One signed note, compact, for a client's record."""
    parts: list[Flowable] = [
        para(
            f"{note.session_at:%d %b %Y, %H:%M} \u00b7 {note.note_format} \u00b7 "
            f"{note.attendance} \u00b7 {note.signed}",
            st.label,
        ),
    ]
    for title, text in note.sections:
        if text:
            parts.append(para(f"{title}: {text}", st.body))
    for when, author, text in note.addenda:
        parts.append(para(f"Addendum, {when:%d %b %Y} ({author}): {text}", st.body))
    parts.append(Spacer(1, 8))
    return Together(parts)


def session_note_pdf(note: NotePrint, practice_name: str) -> bytes:
    """The note as a PDF, with page N of M on every page."""
    return render_part(
        Part(
            lambda st, width: _story(note, practice_name, st, width),
            practice_name=practice_name,
            footer=f"{note.clients} \u00b7 case {note.case_id} \u00b7 note {note.note_id}",
            title="Confidential session note",
        )
    )
