"""The sheet a client takes home after a session: homework, next session, a note."""

from __future__ import annotations

from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from handouts.document import (
    Letterhead,
    Part,
    Styles,
    column_width,
    data_table,
    day,
    handout_part,
    letterhead_block,
    para,
)

EMPTY_BOX = "\u2610"


def _by(due: date, on: date) -> str:
    """When a piece of homework is due, as the client reads it on the day printed: a date
    already past is no deadline to meet, but one to catch up with."""
    return day(due) if due >= on else f"Soon: it was due {day(due)}"


def _homework(homework: list[tuple[str, date]], on: date, st: Styles, width: float) -> Flowable:
    if not homework:
        return para("No homework this time.", st.body)
    head = [Paragraph(h, st.cell_head) for h in ("Done", "What to do", "By")]
    by = [_by(due, on) for _title, due in homework]
    rows = [
        [Paragraph(EMPTY_BOX, st.client), para(title, st.body), Paragraph(escape(when), st.body)]
        for (title, _due), when in zip(homework, by, strict=True)
    ]
    # As wide as its longest date: "Soon: it was due 23 Nov 2026" broke over three lines.
    by_width = max(column_width(["By"], st.cell_head, 5), column_width(by, st.body, 5))
    widths = [14 * mm, width - 14 * mm - by_width, by_width]
    return data_table([head, *rows], widths, pad=5, extra=(("VALIGN", (0, 1), (0, -1), "MIDDLE"),))


def _story(
    letterhead: Letterhead,
    homework: list[tuple[str, date]],
    next_session: date | None,
    note: str,
    title: str,
    st: Styles,
    width: float,
) -> list[Flowable]:
    story = letterhead_block(letterhead, title, st)
    story += [
        Spacer(1, 4),
        Paragraph("Until next time", st.heading),
        _homework(sorted(homework, key=lambda item: item[1]), letterhead.on, st, width),
        Paragraph("Next session", st.heading),
        para(
            f"{next_session:%A} {day(next_session)}"
            if next_session is not None
            else f"Not booked yet: {letterhead.counsellor} will be in touch to arrange it.",
            st.client if next_session is not None else st.body,
        ),
    ]
    if note.strip():
        story += [
            para(f"A note from {letterhead.counsellor}", st.heading),
            para(note, st.body),
        ]
    story += [
        Spacer(1, 14),
        para(
            "If something gets in the way of the homework, that is worth talking about too: "
            "bring it to the next session.",
            st.meta,
        ),
    ]
    return story


def after_session_part(
    letterhead: Letterhead,
    *,
    homework: list[tuple[str, date]],
    next_session: date | None,
    note: str = "",
    session_on: date | None = None,
) -> Part:
    """A take-home sheet: homework (title, due) with tick boxes, the next session, a note;
    titled with the session's day when given (a week's sheets are printed days after some
    of their sessions, and dated the day printed). `render_part` makes it a PDF of its own."""
    title = "After our session" + (f" of {day(session_on)}" if session_on else "")
    return handout_part(
        lambda st, width: _story(letterhead, homework, next_session, note, title, st, width),
        letterhead,
        title=title,
    )
