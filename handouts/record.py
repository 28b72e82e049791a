"""A client's record as a PDF to read on paper: plain data in, bytes out.

Every piece of text that a user typed goes through `para` (escaped), so `<`, `>`, `&` and
quotes print as typed and nothing typed is read as paragraph markup. Nothing is fetched
from a URL: no images, no links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import (
    Paragraph,
    Spacer,
)
from reportlab.platypus.flowables import Flowable

from handouts.document import (
    Part,
    Styles,
    Together,
    data_table,
    day,
    details,
    notice,
    para,
    render_part,
    section_heading,
)
from handouts.note import NotePrint, note_flowables

CONFIDENTIAL = (
    "Confidential clinical record. It holds personal health information about the client "
    "named above: keep it secure, and share it only with the client's consent or where the "
    "law requires."
)
NOT_INCLUDED = (
    "Psychotherapy notes are kept apart from the clinical record and are not part of this copy. "
    "Nor are worksheet answers (each worksheet's answers print from its own page) or safety "
    "screens (their answers can put a client at risk if the copy is seen by someone else)."
)
PARTNER_LEFT_OUT = (
    "From a couple's case, notes of sessions where the partners were seen separately, and the "
    "risk notes and addenda of joint sessions, are left out: they may hold the other "
    "partner's private disclosures."
)


def not_included(record: ClientRecord) -> str:
    """What the record leaves out, in words, as its PDF and JSON say it."""
    return NOT_INCLUDED + (f" {PARTNER_LEFT_OUT}" if record.kind == "couple" else "")


@dataclass(frozen=True)
class Closing:
    """An earlier closing of the case, reopened since."""

    closed_on: date
    outcome: str
    note: str
    reopened_on: date


@dataclass(frozen=True)
class StageEntry:
    """One move of the client into a stage."""

    stage: int
    stage_name: str
    moved_on: date
    moved_by: str
    reason: str


@dataclass(frozen=True)
class ScoreEntry:
    """One of the client's scores on a measure, with its answers item by item."""

    measure: str
    scored_on: date
    total: int
    answers: tuple[tuple[str, int], ...]  # (item id, value) in the measure's order


@dataclass(frozen=True)
class ClientRecord:
    """What a client's record holds: their details, their case, their stage history, their
    measure scores.

    For a couple, `partner_name` is the other client's name; nothing else of theirs.
    """

    client_id: int
    name: str
    pronouns: str
    email: str
    phone: str
    stage: int
    stage_name: str
    stage_since: date
    case_id: int
    kind: str
    partner_name: str | None
    counsellor: str
    status: str
    outcome: str | None
    opened_on: date
    closed_on: date | None
    presenting_concern: str
    closing_note: str | None
    history: tuple[StageEntry, ...]
    exported_on: date
    exported_by: str
    notes: tuple[NotePrint, ...] = ()  # signed notes of sessions the client attended
    earlier_closings: tuple[Closing, ...] = ()  # of a case reopened since, oldest first
    scores: tuple[ScoreEntry, ...] = ()  # oldest first; not those struck out in error

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ClientRecord:
        """A record from a dict with the same keys (history entries may be dicts too)."""
        values = {
            f.name: data[f.name] for f in fields(cls) if f.name in data or f.default is MISSING
        }
        values["history"] = tuple(
            h if isinstance(h, StageEntry) else StageEntry(**h) for h in values["history"]
        )
        values["earlier_closings"] = tuple(
            c if isinstance(c, Closing) else Closing(**c)
            for c in values.get("earlier_closings", ())
        )
        values["scores"] = tuple(
            e if isinstance(e, ScoreEntry) else ScoreEntry(**e) for e in values.get("scores", ())
        )
        return cls(**values)


def _history(record: ClientRecord, st: Styles, width: float) -> Flowable:
    if not record.history:
        return para("No stage moves are recorded.", st.body)
    head = [Paragraph(h, st.cell_head) for h in ("Date", "Stage", "Moved by", "Reason")]
    rows = [
        [
            Paragraph(escape(day(h.moved_on)), st.cell),
            para(f"{h.stage}. {h.stage_name}", st.cell),
            para(h.moved_by, st.cell),
            para(h.reason, st.cell),
        ]
        for h in record.history
    ]
    widths = [24 * mm, 48 * mm, 30 * mm]
    return data_table([head, *rows], [*widths, width - sum(widths)])


def _scores(record: ClientRecord, st: Styles, width: float) -> list[Flowable]:
    if not record.scores:
        return []
    head = [Paragraph(h, st.cell_head) for h in ("Date", "Measure", "Total", "Answers")]
    rows = [
        [
            Paragraph(escape(day(e.scored_on)), st.cell),
            para(e.measure, st.cell),
            Paragraph(str(e.total), st.cell),
            para(", ".join(f"{item} {value}" for item, value in e.answers), st.cell),
        ]
        for e in record.scores
    ]
    widths = [24 * mm, 48 * mm, 14 * mm]
    return [
        *section_heading("Measure scores", st),
        data_table([head, *rows], [*widths, width - sum(widths)]),
    ]


def _notes(record: ClientRecord, st: Styles, width: float) -> list[Flowable]:
    if not record.notes:
        return []
    story: list[Flowable] = section_heading("Session notes", st)
    for note in record.notes:
        story.append(note_flowables(note, st, width))
    return story


def _story(record: ClientRecord, practice_name: str, st: Styles, width: float) -> list[Flowable]:
    stage_now = f"{record.stage}. {record.stage_name}, since {day(record.stage_since)}"
    client_rows: list[tuple[str, str | None]] = [
        ("Name", record.name),
        ("Pronouns", record.pronouns),
        ("Email", record.email),
        ("Phone", record.phone),
        ("Client number", str(record.client_id)),
        ("Current stage", stage_now),
    ]
    case_rows: list[tuple[str, str | None]] = [
        ("Case number", str(record.case_id)),
        ("Kind", "Couple" if record.kind == "couple" else "Individual"),
    ]
    if record.kind == "couple":
        case_rows.append(("Partner", record.partner_name))
    case_rows += [
        ("Counsellor", record.counsellor),
        ("Status", record.status.capitalize()),
        ("Opened", day(record.opened_on)),
    ]
    if record.closed_on is not None or record.outcome:
        case_rows += [
            ("Closed", day(record.closed_on)),
            ("Outcome", (record.outcome or "").capitalize()),
            ("Closing note", record.closing_note),
        ]
    for earlier in record.earlier_closings:
        case_rows += [
            (
                "Closed before",
                f"{day(earlier.closed_on)}: {earlier.outcome.capitalize()}; reopened "
                f"{day(earlier.reopened_on)}",
            ),
            ("That closing's note", earlier.note),
        ]
    case_rows.append(("Presenting concern", record.presenting_concern))
    return [
        Paragraph("Client record", st.title),
        para(record.name, st.client),
        para(
            f"{practice_name} \u00b7 exported {day(record.exported_on)} by {record.exported_by}",
            st.meta,
        ),
        Spacer(1, 8),
        notice(CONFIDENTIAL, st, width),
        Together([Paragraph("Client", st.heading), details(client_rows, st, width)]),
        Together([Paragraph("Case", st.heading), details(case_rows, st, width)]),
        *section_heading("Stage history", st),
        _history(record, st, width),
        *_scores(record, st, width),
        *_notes(record, st, width),
        Spacer(1, 14),
        para(not_included(record), st.meta),
    ]


def client_record_pdf(
    record: ClientRecord | Mapping[str, Any],
    practice_name: str,
) -> bytes:
    """The client's record as a PDF: details, case, stage history, page N of M on each page."""
    if not isinstance(record, ClientRecord):
        record = ClientRecord.from_mapping(record)
    return render_part(
        Part(
            lambda st, width: _story(record, practice_name, st, width),
            practice_name=practice_name,
            footer=f"{record.name} \u00b7 client {record.client_id} \u00b7 case {record.case_id}",
            title="Confidential client record",
        )
    )
