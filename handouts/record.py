"""A client's record as a PDF to read on paper: plain data in, bytes out.

Every piece of text that a user typed goes through `_para` (escaped), so `<`, `>`, `&` and
quotes print as typed and nothing typed is read as paragraph markup. Nothing is fetched
from a URL: no images, no links.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from handouts.fonts import HandoutFonts, handout_fonts

CONFIDENTIAL = (
    "Confidential clinical record. It holds personal health information about the client "
    "named above: keep it secure, and share it only with the client's consent or where the "
    "law requires."
)
NOT_INCLUDED = (
    "Psychotherapy notes are kept apart from the clinical record and are not part of this copy."
)
NONE_RECORDED = "\u2014"  # an em dash for an empty field

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef1f4")
MARGIN = 20 * mm


@dataclass(frozen=True)
class StageEntry:
    """One move of the client into a stage."""

    stage: int
    stage_name: str
    moved_on: date
    moved_by: str
    reason: str


@dataclass(frozen=True)
class ClientRecord:
    """What a client's record holds: their details, their case, their stage history.

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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ClientRecord:
        """A record from a dict with the same keys (history entries may be dicts too)."""
        values = {f.name: data[f.name] for f in fields(cls)}
        values["history"] = tuple(
            h if isinstance(h, StageEntry) else StageEntry(**h) for h in values["history"]
        )
        return cls(**values)


def _day(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value else NONE_RECORDED


def _markup(text: str | None) -> str:
    """User text as paragraph markup that prints exactly as typed, line breaks kept."""
    if text is None or not str(text).strip():
        return NONE_RECORDED
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(escape(line.replace("\t", "    ")) for line in lines)


class _Styles:
    def __init__(self, fonts: HandoutFonts) -> None:
        base = ParagraphStyle(
            "body",
            fontName=fonts.regular,
            fontSize=10,
            leading=14,
            textColor=INK,
            alignment=TA_LEFT,
        )
        self.body = base
        self.title = ParagraphStyle(
            "title", parent=base, fontName=fonts.bold, fontSize=20, leading=24
        )
        self.client = ParagraphStyle("client", parent=base, fontSize=15, leading=20, spaceBefore=2)
        self.meta = ParagraphStyle("meta", parent=base, fontSize=9, leading=12, textColor=MUTED)
        self.heading = ParagraphStyle(
            "heading",
            parent=base,
            fontName=fonts.bold,
            fontSize=12,
            leading=16,
            spaceBefore=14,
            spaceAfter=6,
        )
        self.label = ParagraphStyle("label", parent=base, fontSize=9, textColor=MUTED)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=12)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=fonts.bold)
        self.notice = ParagraphStyle("notice", parent=base, fontSize=9, leading=12)


def _para(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_markup(text), style)


def _details(rows: list[tuple[str, str | None]], st: _Styles, width: float) -> Table:
    """Label / value pairs, values wrapped; labels are ours, values are the user's."""
    table = Table(
        [[Paragraph(escape(label), st.label), _para(value, st.body)] for label, value in rows],
        colWidths=[42 * mm, width - 42 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, SHADE),
            ]
        )
    )
    return table


def _history(record: ClientRecord, st: _Styles, width: float) -> Flowable:
    if not record.history:
        return _para("No stage moves are recorded.", st.body)
    head = [Paragraph(h, st.cell_head) for h in ("Date", "Stage", "Moved by", "Reason")]
    rows = [
        [
            Paragraph(escape(_day(h.moved_on)), st.cell),
            _para(f"{h.stage}. {h.stage_name}", st.cell),
            _para(h.moved_by, st.cell),
            _para(h.reason, st.cell),
        ]
        for h in record.history
    ]
    widths = [24 * mm, 48 * mm, 30 * mm]
    table = Table([head, *rows], colWidths=[*widths, width - sum(widths)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _notice(text: str, st: _Styles, width: float) -> Table:
    box = Table([[Paragraph(escape(text), st.notice)]], colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.75, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def _story(record: ClientRecord, practice_name: str, st: _Styles, width: float) -> list[Flowable]:
    stage_now = f"{record.stage}. {record.stage_name}, since {_day(record.stage_since)}"
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
        ("Opened", _day(record.opened_on)),
    ]
    if record.closed_on is not None or record.outcome:
        case_rows += [
            ("Closed", _day(record.closed_on)),
            ("Outcome", (record.outcome or "").capitalize()),
            ("Closing note", record.closing_note),
        ]
    case_rows.append(("Presenting concern", record.presenting_concern))
    return [
        Paragraph("Client record", st.title),
        _para(record.name, st.client),
        _para(
            f"{practice_name} \u00b7 exported {_day(record.exported_on)} by {record.exported_by}",
            st.meta,
        ),
        Spacer(1, 8),
        _notice(CONFIDENTIAL, st, width),
        KeepTogether([Paragraph("Client", st.heading), _details(client_rows, st, width)]),
        KeepTogether([Paragraph("Case", st.heading), _details(case_rows, st, width)]),
        Paragraph("Stage history", st.heading),
        _history(record, st, width),
        Spacer(1, 14),
        _para(NOT_INCLUDED, st.meta),
    ]


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis if it would be wider than `width`."""
    text = " ".join(text.split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


class _RecordCanvas(Canvas):
    """Draws the running header and footer once the page count is known ("Page N of M")."""

    def __init__(
        self, *args: Any, fonts: HandoutFonts, practice_name: str, footer: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._fonts, self._practice, self._footer = fonts, practice_name, footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(number, total)
            super().showPage()
        super().save()

    def _furniture(self, number: int, total: int) -> None:
        width, height = self._pagesize
        right = width - MARGIN
        self.saveState()
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        top = height - 12 * mm
        # drawString takes text as it is (no markup), so user text needs no escaping here.
        self.setFont(self._fonts.bold, 8.5)
        self.drawRightString(right, top, "Confidential clinical record")
        self.setFont(self._fonts.regular, 8.5)
        self.drawString(MARGIN, top, _fit(self._practice, self._fonts.regular, 8.5, 100 * mm))
        self.line(MARGIN, top - 3 * mm, right, top - 3 * mm)
        bottom = 12 * mm
        self.line(MARGIN, bottom + 4 * mm, right, bottom + 4 * mm)
        self.drawString(MARGIN, bottom, _fit(self._footer, self._fonts.regular, 8.5, 120 * mm))
        self.drawRightString(right, bottom, f"Page {number} of {total}")
        self.restoreState()


def client_record_pdf(
    record: ClientRecord | Mapping[str, Any],
    practice_name: str,
    *,
    pagesize: tuple[float, float] = A4,
) -> bytes:
    """The client's record as a PDF: details, case, stage history, page N of M on each page."""
    if not isinstance(record, ClientRecord):
        record = ClientRecord.from_mapping(record)
    fonts = handout_fonts()
    st = _Styles(fonts)
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=24 * mm,
        bottomMargin=24 * mm,
        title="Confidential client record",
        author=practice_name,
        subject="Client record",
        creator="Casebook",
    )
    # No frame padding: text and tables line up with the running header and footer.
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="record", frames=[frame])])
    footer = f"{record.name} \u00b7 client {record.client_id} \u00b7 case {record.case_id}"
    doc.build(
        _story(record, practice_name, st, doc.width),
        canvasmaker=partial(_RecordCanvas, fonts=fonts, practice_name=practice_name, footer=footer),
    )
    return out.getvalue()
