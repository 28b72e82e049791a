"""Worksheets on paper and on screen: a blank handout with form fields, and a client's answers.

The blank handout prints every box, tick box and ring on the page itself (so it reads well
on paper) and lays a fillable AcroForm field over each (so it can be typed into in any PDF
reader). Field names, all under the form field `cb`:

    short_text, long_text, date   cb.<field_id>                  text (long_text multi-line)
    scale                         cb.<field_id>                  radio group, values 0 .. 10
    yes_no                        cb.<field_id>                  radio group, values Yes / No
    choice                        cb.<field_id>                  radio group, value = the
                                                                 option's position (0, 1, ..)
    checklist                     cb.<field_id>.<n>              one check box per option n
    rows (five blank rows)        cb.<field_id>.<row>.<column>   the column's kind, except
                                                                 scale and choice columns are
                                                                 drop-down lists (/Ch)

Radio values are positions rather than option text because a PDF name cannot carry every
character an option may hold. The dotted names are real field hierarchies (a field `cb`
with kids), as the PDF standard asks. The worksheet's key, version and assignment number
are in the document information (`/CasebookWorksheet`, `/CasebookWorksheetVersion`,
`/CasebookAssignment`, and the keywords) and in small print in every page's footer;
handouts.readback reads them back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.acroform import RadioGroup, ZDSyms, fieldFlagValues
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString
from reportlab.platypus import Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from handouts.document import (
    INK,
    NONE_RECORDED,
    RULE,
    Letterhead,
    Part,
    Styles,
    Together,
    data_table,
    day,
    handout_part,
    letterhead_block,
    notice,
    para,
    render_part,
    section_heading,
)
from worksheets.answers import LONG_MAX, SHORT_MAX, visible_to_partner
from worksheets.templates import SCALE_MAX, SCALE_MIN, Field, Template, paragraphs

ROOT = "cb"
BLANK_ROWS = 5
DATE_HINT = "DD/MM/YYYY"
FORM_FONT = "Helvetica"  # form fields may only use the standard PDF fonts
TICK = 4.2 * mm
LINE = 7.5 * mm  # between ruled lines: room for handwriting
INFO_KEY, INFO_VERSION, INFO_ASSIGNMENT = (
    "/CasebookWorksheet",
    "/CasebookWorksheetVersion",
    "/CasebookAssignment",
)
HOW_TO = (
    "Type into the boxes in a PDF reader and save the file, or print it and write by hand. "
    "There are no right answers: write what is true for you."
)
PRIVATE_LEFT_OUT = "Private answers are not included."
BOX_FILL = colors.HexColor("#fbfcfd")
WRITING_LINE = colors.HexColor("#d3d9df")


def field_name(*parts: object) -> str:
    """The form field name for a worksheet field, option or cell: cb.<field_id>[.<n>...]."""
    return ".".join([ROOT, *(str(p) for p in parts)])


def small_print(template: Template, assignment_id: int) -> str:
    """The footer line that names the worksheet and the assignment."""
    return f"Worksheet {template.key} v{template.version} \u00b7 assignment {assignment_id}"


# --- form fields inside the flow of the page ------------------------------------------------
#
# Widgets are written here rather than through reportlab's acroForm.textfield, .checkbox and
# .radio: those make a font object and an appearance stream for every text box, and six
# appearance streams for every button. A worksheet has dozens of fields, so that was most of
# the time a handout took. Here every field of a document shares one font, and every button
# one look each for "ticked", "chosen" and "not ticked".


def _shared(c: Any, key: str, make: Callable[[], Any]) -> Any:
    """What `make` returns, made once per document (the canvas) and shared after that."""
    if key not in c.shared:
        c.shared[key] = make()
    return c.shared[key]


def _button_look(c: Any, style: str) -> Any:
    """The appearance of a ticked check box ("check"), a chosen radio button ("circle") or
    either left blank ("off"): drawn by reportlab, once per document."""
    return _shared(
        c,
        f"look {style}",
        lambda: c._doc.Reference(
            c.acroForm.checkboxAP(
                "N",
                "Off" if style == "off" else "Yes",
                buttonStyle="check" if style == "off" else style,
                shape="square",  # reportlab centres the dot wrongly for small round shapes
                fillColor=None,
                borderColor=None,
                textColor=INK,
                borderWidth=None,
                size=TICK,
            )
        ),
    )


def _blank_look(c: Any) -> Any:
    """The appearance of an empty text or drop-down box: nothing (the box is on the page).
    Each box needs its own, unlike a button's: some readers write what is typed into the
    box's appearance stream in place, and a shared one would show it in every box."""
    form = {"Type": PDFName("XObject"), "Subtype": PDFName("Form"), "BBox": PDFArray([0, 0, 1, 1])}
    # Too short to be worth compressing: filters=[] writes it as it is.
    return c._doc.Reference(PDFStream(PDFDictionary(form), "/Tx BMC EMC", filters=[]))


def _widget(c: Any, width: float, height: float, look: Any, **entries: Any) -> Any:
    """A widget annotation at the canvas's origin, put on the page; returns its reference."""
    x, y = c.absolutePosition(0, 0)
    widget = {
        "Type": PDFName("Annot"),
        "Subtype": PDFName("Widget"),
        "P": c._doc.thisPageRef(),
        "Rect": PDFArray([x, y, x + width, y + height]),
        "F": 4,  # print
        "AP": PDFDictionary({"N": look}),
        **entries,
    }
    ref = c._doc.Reference(PDFDictionary(widget))
    c._annotationrefs.append(ref)
    return ref


def _text_entries(c: Any, font_size: float) -> dict[str, Any]:
    """What a text or drop-down field says about its typed text: font, size and colour."""
    # makeFont puts the font in the form's resources, where readers look for it.
    font = _shared(c, "form font", lambda: c.acroForm.makeFont(FORM_FONT)[1])
    colour = c.acroForm.streamFillColor(INK)
    return {"DA": PDFString(f"/{font} {font_size:g} Tf {colour}")}


class _FieldBox(Flowable):
    """A box of a fixed size to write in on paper, with a form field drawn over it."""

    def __init__(self, name: str, tooltip: str, width: float, height: float) -> None:
        super().__init__()
        self.name, self.tooltip = name, tooltip
        self.width, self.height = width, height

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def _box(self) -> None:
        """The printed box; leaves the canvas state saved for the caller to restore."""
        c = self.canv
        c.saveState()
        c.setFillColor(BOX_FILL)
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(0, 0, self.width, self.height, stroke=1, fill=1)

    def _field(self, kind: str, font_size: float, **entries: Any) -> None:
        """The form field over the box: a text field ("Tx") or a drop-down list ("Ch")."""
        c = self.canv
        ref = _widget(
            c,
            self.width,
            self.height,
            _blank_look(c),
            FT=PDFName(kind),
            T=PDFString(c.field_name(self.name)),
            TU=PDFString(self.tooltip),
            **_text_entries(c, font_size),
            **entries,
        )
        c.acroForm.fields.append(ref)


class _TextBox(_FieldBox):
    """A box to write in, with a text field over it (multi-line boxes get ruled lines)."""

    def __init__(
        self, name: str, tooltip: str, width: float, height: float, *, multiline: bool = False
    ) -> None:
        super().__init__(name, tooltip, width, height)
        self.multiline = multiline

    def draw(self) -> None:
        self._box()
        c = self.canv
        if self.multiline:
            c.setStrokeColor(WRITING_LINE)
            c.setLineWidth(0.5)
            y = self.height - LINE
            while y > 2 * mm:
                c.line(2 * mm, y, self.width - 2 * mm, y)
                y -= LINE
        c.restoreState()
        empty = PDFString("")
        self._field(
            "Tx",
            10,
            Ff=fieldFlagValues["multiline"] if self.multiline else 0,
            MaxLen=LONG_MAX if self.multiline else SHORT_MAX,
            V=empty,
            DV=empty,
        )


class _DropDown(_FieldBox):
    """A box to write in on paper that is a drop-down list on screen."""

    def __init__(
        self, name: str, tooltip: str, options: tuple[str, ...], width: float, height: float
    ) -> None:
        super().__init__(name, tooltip, width, height)
        self.options = options

    def draw(self) -> None:
        self._box()
        self.canv.restoreState()
        # A lone space first is "nothing chosen" (read back as empty).
        nothing = PDFString(" ")
        self._field(
            "Ch",
            9,
            Ff=fieldFlagValues["combo"],
            Opt=PDFArray([nothing, *(PDFString(o) for o in self.options)]),
            V=nothing,
            DV=nothing,
            I=PDFArray([0]),
        )


class _Tick(Flowable):
    """A square (check box) or a ring (one button of a radio group) to tick."""

    def __init__(self, name: str, tooltip: str, *, radio_value: str | None = None) -> None:
        super().__init__()
        self.name, self.tooltip, self.radio_value = name, tooltip, radio_value
        self.width = self.height = TICK

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(colors.white)
        c.setStrokeColor(INK)
        c.setLineWidth(0.8)
        if self.radio_value is None:
            c.rect(0, 0, TICK, TICK, stroke=1, fill=1)
        else:
            c.circle(TICK / 2, TICK / 2, TICK / 2, stroke=1, fill=1)
        c.restoreState()
        # The ring or square is on the page; the field adds the mark.
        style = "check" if self.radio_value is None else "circle"
        on = self.radio_value or "Yes"
        looks = {on: _button_look(c, style), "Off": _button_look(c, "off")}
        button = {
            "AS": PDFName("Off"),
            "MK": PDFDictionary({"CA": PDFString(ZDSyms[style])}),  # how readers redraw it
        }
        name = c.field_name(self.name)
        form = c.acroForm
        if self.radio_value is None:
            ref = _widget(
                c,
                TICK,
                TICK,
                PDFDictionary(looks),
                FT=PDFName("Btn"),
                T=PDFString(name),
                TU=PDFString(self.tooltip),
                V=PDFName("Off"),
                Ff=0,
                **button,
            )
            form.fields.append(ref)
            return
        group = form._radios.get(name)
        if group is None:
            # No noToggleToOff: a second click clears the answer again.
            group = form._radios[name] = RadioGroup(name, tooltip=self.tooltip, fieldFlags="radio")
            form.fields.append(c._doc.Reference(group))
        ref = _widget(c, TICK, TICK, PDFDictionary(looks), Parent=c._doc.Reference(group), **button)
        group.kids.append(ref)


class _Label(Flowable):
    """A word or number of ours on one line (Yes, No, 0 to 10): drawn as it is, with none of
    a Paragraph's markup parsing or line breaking."""

    def __init__(self, text: str, style: ParagraphStyle, *, centred: bool = False) -> None:
        super().__init__()
        self.text, self.style, self.centred = text, style, centred

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return self.width, self.style.leading

    def draw(self) -> None:
        c, st = self.canv, self.style
        c.setFont(st.fontName, st.fontSize)
        c.setFillColor(st.textColor)
        baseline = st.leading - st.fontSize
        if self.centred:
            c.drawCentredString(self.width / 2, baseline, self.text)
        else:
            c.drawString(0, baseline, self.text)


class _Lines(Flowable):
    """Rows of flowables in columns of fixed widths, each vertically centred in its row: a
    table without rules, shading or styles, which lays out many times faster than a reportlab
    Table. Splits between rows."""

    def __init__(
        self,
        rows: list[list[Flowable]],
        widths: list[float],
        *,
        pad: float = 2,
        centred: bool = False,
    ) -> None:
        super().__init__()
        self.rows, self.widths, self.pad, self.centred = rows, widths, pad, centred
        self._sizes: list[list[tuple[float, float]]] = []
        self._heights: list[float] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self._sizes = [
            [cell.wrap(w, avail_height) for cell, w in zip(row, self.widths, strict=True)]
            for row in self.rows
        ]
        self._heights = [max(h for _w, h in sizes) + 2 * self.pad for sizes in self._sizes]
        self.width, self.height = sum(self.widths), sum(self._heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        used, fit = 0.0, 0
        for h in self._heights:
            if used + h > avail_height:
                break
            used, fit = used + h, fit + 1
        if not fit or fit == len(self.rows):
            return []
        lines = partial(_Lines, widths=self.widths, pad=self.pad, centred=self.centred)
        return [lines(self.rows[:fit]), lines(self.rows[fit:])]

    def draw(self) -> None:
        top = self.height
        for row, sizes, h in zip(self.rows, self._sizes, self._heights, strict=True):
            top -= h
            x = 0.0
            for cell, (w, ch), column in zip(row, sizes, self.widths, strict=True):
                dx = (column - w) / 2 if self.centred else 0
                cell.drawOn(self.canv, x + dx, top + (h - ch) / 2)
                x += column


YES_NO_WIDTH = 2 * (TICK + 2 * mm + 8 * mm)  # side by side; stacked, half of it


def _yes_no(name: str, tooltip: str, st: Styles, width: float = YES_NO_WIDTH) -> Flowable:
    """Yes and No to tick, side by side, or one above the other where that is too wide (a
    table of many columns), so that no ring sits over the next column."""
    yes = [_Tick(name, tooltip, radio_value="Yes"), _Label("Yes", st.body)]
    no = [_Tick(name, tooltip, radio_value="No"), _Label("No", st.body)]
    if width >= YES_NO_WIDTH:
        return _Lines([[*yes, *no]], [TICK + 2 * mm, 8 * mm] * 2)
    return _Lines([yes, no], [TICK + 2 * mm, 8 * mm], pad=1)


def _options(
    name: str, tooltip: str, options: tuple[str, ...], st: Styles, width: float, *, radio: bool
) -> Flowable:
    rows = [
        [
            _Tick(name, tooltip, radio_value=str(n))
            if radio
            else _Tick(f"{name}.{n}", f"{tooltip} {option}"),
            para(option, st.body),
        ]
        for n, option in enumerate(options)
    ]
    return _Lines(rows, [TICK + 3 * mm, width - TICK - 3 * mm - 6])


def _scale(name: str, tooltip: str, st: Styles) -> Flowable:
    numbers = range(SCALE_MIN, SCALE_MAX + 1)
    return _Lines(
        [
            [_Label(str(n), st.label, centred=True) for n in numbers],
            [_Tick(name, tooltip, radio_value=str(n)) for n in numbers],
        ],
        [9 * mm] * len(numbers),
        pad=1,
        centred=True,
    )


def _column_widths(columns: tuple[Field, ...], width: float) -> list[float]:
    fixed = {"date": 34 * mm, "yes_no": 34 * mm, "scale": 20 * mm}
    weights = {"short_text": 3.0, "long_text": 4.0, "choice": 2.5, "checklist": 3.0}
    flexible = sum(weights.get(c.kind, 0.0) for c in columns)
    left = width - sum(fixed.get(c.kind, 0.0) for c in columns)
    if not flexible or left < 30 * mm:
        return [width / len(columns)] * len(columns)
    return [
        fixed[c.kind] if c.kind in fixed else left * weights[c.kind] / flexible for c in columns
    ]


def _column_heading(column: Field) -> str:
    if column.kind == "date":
        return f"{column.prompt} ({DATE_HINT})"
    if column.kind == "scale":
        return f"{column.prompt} ({SCALE_MIN}\u2013{SCALE_MAX})"
    if column.kind == "choice":
        return f"{column.prompt} ({' / '.join(column.options)})"
    return column.prompt


def _cell(column: Field, name: str, st: Styles, width: float) -> Flowable:
    height = 9 * mm
    if column.kind in ("short_text", "date"):
        return _TextBox(name, column.prompt, width, height)
    if column.kind == "long_text":
        return _TextBox(name, column.prompt, width, 14 * mm, multiline=True)
    if column.kind == "yes_no":
        return _yes_no(name, column.prompt, st, width)
    if column.kind == "scale":
        options = tuple(str(n) for n in range(SCALE_MIN, SCALE_MAX + 1))
        return _DropDown(name, column.prompt, options, min(width, 16 * mm), height)
    if column.kind == "choice":
        return _DropDown(name, column.prompt, column.options, width, height)
    return _options(name, column.prompt, column.options, st, width, radio=False)


def _rows(field: Field, st: Styles, width: float) -> Table:
    widths = _column_widths(field.columns, width)
    pad = 3
    head = [para(_column_heading(c), st.cell_head) for c in field.columns]
    body = [
        [
            _cell(c, field_name(field.id, row, c.id), st, w - 2 * pad)
            for c, w in zip(field.columns, widths, strict=True)
        ]
        for row in range(BLANK_ROWS)
    ]
    return data_table(
        [head, *body],
        widths,
        pad=pad,
        valign="MIDDLE",
        row_rules=False,
        extra=(("VALIGN", (0, 0), (-1, 0), "BOTTOM"),),
    )


def _entry(field: Field, st: Styles, width: float) -> Flowable:
    name, tip = field_name(field.id), field.prompt
    if field.kind == "short_text":
        return _TextBox(name, tip, width, 10 * mm)
    if field.kind == "long_text":
        return _TextBox(name, tip, width, 4 * LINE + 2 * mm, multiline=True)
    if field.kind == "date":
        return _Lines(
            [[_TextBox(name, tip, 42 * mm, 9 * mm), _Label(DATE_HINT, st.label)]],
            [46 * mm, width - 46 * mm],
        )
    if field.kind == "scale":
        return _scale(name, tip, st)
    if field.kind == "yes_no":
        return _yes_no(name, tip, st)
    if field.kind == "choice":
        return _options(name, tip, field.options, st, width, radio=True)
    if field.kind == "checklist":
        return _options(name, tip, field.options, st, width, radio=False)
    return _rows(field, st, width)


def _question_heading(number: int, field: Field, st: Styles) -> list[Flowable]:
    parts: list[Flowable] = [
        Paragraph(f"{number}.&nbsp;&nbsp;{escape(field.prompt)}", st.heading),
    ]
    hints = {
        "checklist": "Tick all that apply.",
        "choice": "Tick one.",
        "scale": f"Tick one number from {SCALE_MIN} to {SCALE_MAX}.",
    }
    hint = " ".join(h for h in (field.help, hints.get(field.kind, "")) if h)
    if hint:
        parts.append(para(hint, st.meta))
        parts.append(Spacer(1, 4))
    return parts


def _handout_story(
    template: Template,
    letterhead: Letterhead,
    stage_intro: str,
    due_on: date | None,
    instructions: str,
    st: Styles,
    width: float,
) -> list[Flowable]:
    story = letterhead_block(letterhead, template.title, st)
    if due_on is not None:
        story.append(para(f"Please complete by {day(due_on)}", st.meta))
    story += [Spacer(1, 8), notice(HOW_TO, st, width)]
    for heading, text in (
        ("About this stage", stage_intro),
        ("About this worksheet", template.intro),
    ):
        # The data file's line breaks are only wrapping; a blank line parts paragraphs.
        if blocks := paragraphs(text):
            story += [Paragraph(heading, st.heading), para("\n\n".join(blocks), st.body)]
    if instructions.strip():
        story += [
            para(f"A note from {letterhead.counsellor}", st.heading),
            para(instructions, st.body),
        ]
    for number, field in enumerate(template.fields, start=1):
        # A question taller than a page (a long list) still breaks across pages.
        story.append(Together([*_question_heading(number, field, st), _entry(field, st, width)]))
    return story


def worksheet_part(
    template: Template,
    letterhead: Letterhead,
    *,
    assignment_id: int,
    stage_intro: str,
    due_on: date | None,
    instructions: str = "",
) -> Part:
    """A blank worksheet to fill in by hand or on screen (AcroForm fields named cb.<id>...),
    as a part of a document: `render_part` makes it a PDF of its own."""
    tag = small_print(template, assignment_id)
    return handout_part(
        lambda st, width: _handout_story(
            template, letterhead, stage_intro, due_on, instructions, st, width
        ),
        letterhead,
        title=f"Worksheet: {template.title}",
        small_print=tag,
        keywords=f"Casebook worksheet {template.key} v{template.version} "
        f"assignment {assignment_id}",
        info={
            INFO_KEY: template.key,
            INFO_VERSION: str(template.version),
            INFO_ASSIGNMENT: str(assignment_id),
        },
    )


# --- a client's answers ---------------------------------------------------------------------


def _date_text(value: Any) -> str:
    if isinstance(value, date):
        return day(value)
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def answer_text(field: Field, value: Any) -> str:
    """One stored answer as words: dates as 12 Mar 2025, yes/no, "7 out of 10", options."""
    if value is None or value == "" or value == []:
        return NONE_RECORDED
    if field.kind == "yes_no":
        return "Yes" if value else "No"
    if field.kind == "scale":
        return f"{value} out of {SCALE_MAX}"
    if field.kind == "date":
        return _date_text(value)
    if field.kind == "checklist":
        ticked = list(value) if isinstance(value, list | tuple) else [value]
        return "\n".join(f"\u2611 {o}" for o in ticked)
    if field.kind == "rows":  # a line a row: "Column: answer · Column: answer"
        rows = _row_dicts(value)
        return (
            "\n".join(
                " \u00b7 ".join(
                    f"{c.prompt}: {answer_text(c, row.get(c.id))}" for c in field.columns
                )
                for row in rows
            )
            or NONE_RECORDED
        )
    return str(value)


def _row_dicts(value: Any) -> list[dict[str, Any]]:
    """The rows of a rows field's stored answer (anything else in it left out)."""
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list | tuple) else []


def _answer_rows(field: Field, value: Any, st: Styles, width: float) -> Flowable:
    rows = _row_dicts(value)
    if not rows:
        return para(NONE_RECORDED, st.body)
    widths = _column_widths(field.columns, width)
    head = [para(c.prompt, st.cell_head) for c in field.columns]
    body = [[para(answer_text(c, row.get(c.id)), st.cell) for c in field.columns] for row in rows]
    return data_table([head, *body], widths)


def _answer(field: Field, value: Any, st: Styles, width: float) -> Flowable:
    if field.kind == "rows":
        return _answer_rows(field, value, st, width)
    return para(answer_text(field, value), st.body)


def _answers_story(
    template: Template,
    letterhead: Letterhead,
    answers: dict[str, Any],
    for_partner: bool,
    answered_by: str,
    st: Styles,
    width: float,
) -> list[Flowable]:
    title = f"{template.title}: {'shared answers' if for_partner else 'your answers'}"
    story = letterhead_block(letterhead, title, st)
    story.append(Spacer(1, 8))
    if for_partner:  # whose answers: the partner reading them must not take them for their own
        by = f"{answered_by}'s answers, as they chose to share them." if answered_by else ""
        story.append(notice(f"{by} {PRIVATE_LEFT_OUT}".strip(), st, width))
    shown = 0
    for field in template.fields:
        value = answers.get(field.id)
        if for_partner and value in (None, "", []):
            continue  # say nothing about what was left private or unanswered, not even a gap
        shown += 1
        heading = f"{shown}.&nbsp;&nbsp;{escape(field.prompt)}"
        answer = _answer(field, value, st, width)
        if field.kind == "rows":  # a table may be longer than a page
            story += [*section_heading(heading, st), answer]
        else:
            story.append(Together([Paragraph(heading, st.heading), answer]))
    if not shown:
        story += [Spacer(1, 10), para("No answers have been shared yet.", st.body)]
    return story


def completed_worksheet(
    template: Template,
    letterhead: Letterhead,
    *,
    answers: dict[str, tuple[Any, bool]],
    assignment_id: int,
    for_partner: bool,
    answered_by: str = "",
) -> bytes:
    """A client's answers (value, shared) as a PDF; for a partner, only the shared ones,
    saying whose (`answered_by`) they are."""
    for field_id, pair in answers.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"The answer to '{field_id}' must be a (value, shared) pair.")
    if for_partner:
        values = visible_to_partner(answers)
    else:
        values = {field_id: value for field_id, (value, _shared) in answers.items()}
    return render_part(
        handout_part(
            lambda st, width: _answers_story(
                template, letterhead, values, for_partner, answered_by, st, width
            ),
            letterhead,
            title=f"Worksheet answers: {template.title}",
            small_print=f"{small_print(template, assignment_id)} \u00b7 answers",
        )
    )
