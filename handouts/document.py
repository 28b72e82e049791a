"""What every Casebook PDF shares: the font, styles, escaped user text, and a running
header and footer with "Page N of M". Plain data in, bytes out; nothing fetched from a URL.

Every piece of text that a user typed goes through `para` (escaped), so `<`, `>`, `&` and
quotes print as typed and nothing typed is read as paragraph markup.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.acroform import RadioGroup
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFInfo, PDFObject, PDFString
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError
from reportlab.platypus.flowables import Flowable

from handouts.fonts import HandoutFonts, handout_fonts

NONE_RECORDED = "\u2014"  # an em dash for an empty field
RECORD_CONFIDENTIAL = "Confidential clinical record"
HANDOUT_CONFIDENTIAL = "Private and confidential"

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef1f4")
MARGIN = 20 * mm
SECTION_START = 45 * mm  # room for a heading and the first rows of what it heads


def day(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value else NONE_RECORDED


def markup(text: str | None) -> str:
    """User text as paragraph markup that prints exactly as typed, line breaks kept."""
    if text is None or not str(text).strip():
        return NONE_RECORDED
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "<br/>".join(escape(line.replace("\t", "    ")) for line in lines)


class Styles:
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


def para(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text), style)


def section_heading(heading_markup: str, st: Styles) -> list[Flowable]:
    """A heading over what may run across pages (a long table, a list of notes): rather than
    sit alone at the foot of a page, it starts the next one when there is no room below it
    for a first few rows."""
    return [CondPageBreak(SECTION_START), Paragraph(heading_markup, st.heading)]


class Together(Flowable):
    """Flowables kept on one page: a heading and what it heads, a question and its boxes.

    Laid out once and drawn as one block, where reportlab's KeepTogether copies the frame,
    lays its content out and then hands it back to the frame to be laid out again. If the
    block does not fit below, it starts the next page; if it is taller than a page, it
    falls apart into its flowables, which break across pages as they can.
    """

    def __init__(self, flowables: list[Flowable]) -> None:
        super().__init__()
        self.flowables = flowables
        self._laid_out_at: float | None = None
        self._gaps: list[float] = []
        self._sizes: list[tuple[float, float]] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # A flowable's size depends on the width alone; the height only says what fits.
        if self._laid_out_at != avail_width:
            self._sizes = [f.wrapOn(self.canv, avail_width, 0xFFFFFFF) for f in self.flowables]
            # Between two flowables, the larger of the space after one and before the next,
            # as a frame spaces them.
            self._gaps = [0.0] + [
                max(a.getSpaceAfter(), b.getSpaceBefore())
                for a, b in zip(self.flowables, self.flowables[1:], strict=False)
            ]
            self.width = avail_width
            self.height = sum(h for _w, h in self._sizes) + sum(self._gaps)
            self._laid_out_at = avail_width
        return self.width, self.height

    def getSpaceBefore(self) -> float:  # noqa: N802 (reportlab's name)
        return self.flowables[0].getSpaceBefore() if self.flowables else 0.0

    def getSpaceAfter(self) -> float:  # noqa: N802 (reportlab's name)
        return self.flowables[-1].getSpaceAfter() if self.flowables else 0.0

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        frame = getattr(self, "_frame", None)
        if frame is not None and not frame._atTop:
            return []  # the frame moves it to the top of the next page
        return list(self.flowables)

    def draw(self) -> None:
        top = self.height
        for f, (w, h), gap in zip(self.flowables, self._sizes, self._gaps, strict=True):
            top -= gap + h
            f.drawOn(self.canv, 0, top, _sW=self.width - w)


def details(rows: list[tuple[str, str | None]], st: Styles, width: float) -> Table:
    """Label / value pairs, values wrapped; labels are ours, values are the user's."""
    table = Table(
        [[Paragraph(escape(label), st.label), para(value, st.body)] for label, value in rows],
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


def notice(text: str, st: Styles, width: float) -> Table:
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


CRISIS_SIZES = (9, 8.5, 8, 7.5, 7)  # points: the first at which the line fits in two lines
CRISIS_WIDTH = A4[0] - 2 * MARGIN


@lru_cache(maxsize=32)  # drawn on every page of every handout: worked out once a line
def crisis_lines(text: str, font: str | None = None) -> tuple[float, tuple[str, ...]]:
    """The crisis line as printed at the foot of every page: (size, lines), at most two
    lines at the largest size that holds it all. More than two lines, or a line wider than
    the page (a long web address breaks nowhere), means it does not fit."""
    font = font or handout_fonts().bold
    for size in CRISIS_SIZES:
        lines = tuple(simpleSplit(" ".join(text.split()), font, size, CRISIS_WIDTH))
        if crisis_fits(lines, font, size):
            break
    return size, lines


def crisis_fits(lines: tuple[str, ...], font: str, size: float) -> bool:
    return len(lines) <= 2 and all(stringWidth(x, font, size) <= CRISIS_WIDTH for x in lines)


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text, shortened with an ellipsis if it would be wider than `width`."""
    text = " ".join(text.split())
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _with_entries(formatted: bytes, entries: dict[str, Any], document: Any) -> bytes:
    """`formatted`, a dictionary as reportlab writes it ("<< ... >>"), with more entries."""
    return formatted[:-2] + PDFDictionary(entries).format(document)[3:]


class _Info(PDFInfo):
    """reportlab's document information, plus entries of our own (e.g. /CasebookWorksheet)."""

    def __init__(self, extra: dict[str, str]) -> None:
        super().__init__()
        self.extra = {name.removeprefix("/"): PDFString(value) for name, value in extra.items()}

    def format(self, document: Any) -> bytes:
        return _with_entries(super().format(document), self.extra, document)


class _NestedRadioGroup(PDFObject):
    """A radio group put inside a parent field: reportlab writes it with no /Parent entry."""

    def __init__(self, group: RadioGroup, parent: PDFObject) -> None:
        self.group, self.parent = group, parent

    def format(self, document: Any) -> bytes:
        return _with_entries(self.group.format(document), {"Parent": self.parent}, document)


@dataclass(frozen=True)
class Part:
    """One document: its story (built from the styles and the text width) and what the
    running header and footer of its pages say. `render` makes a PDF of one part, `render_all`
    of several, each with its own pages ("Page N of M")."""

    story: Callable[[Styles, float], list[Flowable]]
    practice_name: str
    footer: str
    title: str
    confidential: str = RECORD_CONFIDENTIAL
    crisis_line: str = ""
    small_print: str = ""
    keywords: str = ""
    info: dict[str, str] | None = None  # more document information: {"/Name": text}


class _PartStart(Flowable):
    """Where a part begins (at the top of a page): its pages take its header and footer."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.start_part(self.index)  # type: ignore[attr-defined]


class _PagedCanvas(Canvas):
    """Draws each page's running header and footer once the page counts are known.

    Form fields with dotted names (cb.q1.2) are written as a field hierarchy. With several
    parts, each part's fields go under their own name (d1, d2, ...; flowables name their
    fields through `field_name`), because a PDF reader treats fields of one name as one
    field: typing into one copy of a worksheet would fill in the other.
    """

    def __init__(
        self,
        *args: Any,
        fonts: HandoutFonts,
        parts: Sequence[Part],
        info: dict[str, str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._fonts, self._parts, self._progress = fonts, parts, progress
        self._part = 0  # the part being drawn
        self._pages: list[dict[str, Any]] = []
        self.shared: dict[str, Any] = {}  # what flowables make once per document and share
        if info:
            self._doc.info = _Info(info)

    def start_part(self, index: int) -> None:
        self._part = index
        if index and self._progress is not None:
            self._progress(index, len(self._parts))

    def field_name(self, name: str) -> str:
        """The full name of a form field drawn now: under d1, d2, ... in a batch."""
        return f"d{self._part + 1}.{name}" if len(self._parts) > 1 else name

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        totals = Counter(state["_part"] for state in self._pages)
        numbers: Counter[int] = Counter()
        for state in self._pages:
            self.__dict__.update(state)
            numbers[self._part] += 1
            self._furniture(self._parts[self._part], numbers[self._part], totals[self._part])
            super().showPage()
        self._nest_fields()
        super().save()

    def _nest_fields(self) -> None:
        """Dotted field names made into a field hierarchy (cb > field > row > column).

        The PDF standard forbids a period inside one field's own name; `cb.a.b` must be a field
        `b` inside `a` inside `cb`. Readers then show and fill them by their full dotted name.
        """
        form = getattr(self, "AcroForm", None)  # the acroForm property would make one
        if form is None:
            return
        objects = self._doc.idToObject
        top: list[PDFObject] = []
        parents: dict[str, tuple[PDFObject, list[PDFObject]]] = {}
        for ref in form.fields:
            field = objects[ref.name]
            radio = isinstance(field, RadioGroup)
            *path, own = (field.T if radio else field["T"].s).split(".")
            parent, kids = None, top
            for depth in range(1, len(path) + 1):
                key = ".".join(path[:depth])
                if key not in parents:
                    node = PDFDictionary({"T": PDFString(path[depth - 1]), "Kids": PDFArray([])})
                    if parent is not None:
                        node["Parent"] = parent
                    kids.append(self._doc.Reference(node))
                    parents[key] = (kids[-1], node["Kids"].sequence)
                parent, kids = parents[key]
            if radio:
                field.T = own
                if parent is not None:
                    objects[ref.name] = _NestedRadioGroup(field, parent)
            else:
                field["T"] = PDFString(own)
                if parent is not None:
                    field["Parent"] = parent
            kids.append(ref)
        form.fields = top

    def _furniture(self, part: Part, number: int, total: int) -> None:
        width, height = self._pagesize
        right = width - MARGIN
        self.saveState()
        self.setFillColor(MUTED)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        top = height - 12 * mm
        # drawString takes text as it is (no markup), so user text needs no escaping here.
        self.setFont(self._fonts.bold, 8.5)
        self.drawRightString(right, top, part.confidential)
        self.setFont(self._fonts.regular, 8.5)
        self.drawString(MARGIN, top, fit(part.practice_name, self._fonts.regular, 8.5, 100 * mm))
        self.line(MARGIN, top - 3 * mm, right, top - 3 * mm)
        bottom = 12 * mm
        self.line(MARGIN, bottom + 4 * mm, right, bottom + 4 * mm)
        self.drawString(MARGIN, bottom, fit(part.footer, self._fonts.regular, 8.5, 120 * mm))
        self.drawRightString(right, bottom, f"Page {number} of {total}")
        if part.crisis_line:
            # On every page, above the footer rule, where a client in trouble will look; in
            # full, on two lines if need be (a number cut off is no use).
            size, lines = crisis_lines(part.crisis_line, self._fonts.bold)
            self.setFillColor(INK)
            self.setFont(self._fonts.bold, size)
            font = self._fonts.bold
            for n, line in enumerate(lines[:2]):  # top line first, as it is read
                above = min(len(lines), 2) - 1 - n
                y = bottom + 6.5 * mm + above * size * 1.2
                self.drawString(MARGIN, y, fit(line, font, size, CRISIS_WIDTH))
        if part.small_print:
            self.setFillColor(MUTED)
            self.setFont(self._fonts.regular, 6.5)
            self.drawString(
                MARGIN,
                bottom - 4 * mm,
                fit(part.small_print, self._fonts.regular, 6.5, right - MARGIN),
            )
        self.restoreState()


def render_all(
    parts: Sequence[Part],
    *,
    title: str,
    keywords: str = "",
    info: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """One PDF of the parts in order, each starting on a new page with its own header,
    footer and page numbers; progress(done, total) after each part. One document shares its
    fonts and is written once: a batch costs less than its parts made one by one."""
    if not parts:
        raise ValueError("Nothing to render.")
    fonts = handout_fonts()
    st = Styles(fonts)
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=24 * mm,
        bottomMargin=27 * mm,  # the footer, and a crisis line of two lines above it
        title=title,
        author=parts[0].practice_name,
        subject=title,
        creator="Casebook",
        keywords=keywords,
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
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    flowables: list[Flowable] = []
    for index, part in enumerate(parts):
        if index:
            flowables.append(PageBreak())
        flowables += [_PartStart(index), *part.story(st, doc.width)]
    try:
        doc.build(
            flowables,
            canvasmaker=partial(
                _PagedCanvas, fonts=fonts, parts=parts, info=info, progress=progress
            ),
        )
    except LayoutError as exc:  # one piece taller than a page, which nothing can split
        raise TooLarge(
            "Part of this handout is too large to fit on a page (a very long option or "
            "question, or a table with too many columns): shorten it, then print again."
        ) from exc
    if progress is not None:
        progress(len(parts), len(parts))
    return out.getvalue()


class TooLarge(ValueError):
    """A handout that cannot be laid out on its pages; the message says so plainly."""


def data_table(
    rows: list[list[Any]],
    widths: list[float],
    *,
    pad: float = 4,
    valign: str = "TOP",
    row_rules: bool = True,
    extra: tuple[tuple[Any, ...], ...] = (),
) -> Table:
    """A table with a shaded head row repeated on every page, in the documents' one style."""
    # splitInRow: a row taller than a page (a long answer in a table) goes on over the page.
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), valign),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad),
        ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]
    if row_rules:
        style.append(("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE))
    table.setStyle(TableStyle([*style, *extra]))
    return table


@dataclass(frozen=True)
class Letterhead:
    """What every client handout names: practice, counsellor, client, date, a crisis line."""

    practice_name: str
    counsellor: str
    client_name: str
    on: date
    crisis_line: str = ""  # e.g. "If you are in danger, call 999"; printed on every page

    @property
    def footer(self) -> str:
        """The running footer: who the handout is for, from whom, and when."""
        return f"{self.client_name} \u00b7 with {self.counsellor} \u00b7 {day(self.on)}"


def column_width(texts: Sequence[str], style: ParagraphStyle, pad: float) -> float:
    """The width of a table column whose lines, in `style` (a heading's bold face aside, the
    same size), are these texts: the widest, its cell's padding and a gap beside it."""
    return max(stringWidth(t, style.fontName, style.fontSize) for t in texts) + 2 * pad + 4


def letterhead_block(letterhead: Letterhead, title: str, st: Styles) -> list[Flowable]:
    """The top of a handout's first page: title, client, practice, counsellor and date."""
    return [
        Paragraph(escape(title), st.title),
        para(letterhead.client_name, st.client),
        para(
            f"{letterhead.practice_name} \u00b7 with {letterhead.counsellor} "
            f"\u00b7 {day(letterhead.on)}",
            st.meta,
        ),
    ]


def handout_part(
    story: Callable[[Styles, float], list[Flowable]],
    letterhead: Letterhead,
    *,
    title: str,
    small_print: str = "",
    keywords: str = "",
    info: dict[str, str] | None = None,
) -> Part:
    """A client handout: the letterhead in the running header and footer."""
    return Part(
        story,
        practice_name=letterhead.practice_name,
        footer=letterhead.footer,
        title=title,
        confidential=HANDOUT_CONFIDENTIAL,
        crisis_line=letterhead.crisis_line,
        small_print=small_print,
        keywords=keywords,
        info=info,
    )


def render_part(part: Part) -> bytes:
    """A PDF of one part, with its title, keywords and information."""
    return render_all([part], title=part.title, keywords=part.keywords, info=part.info)
