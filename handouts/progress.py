"""A progress report on paper: the counsellor's summary, stages over time, a measure's trend,
and homework. Charts are drawn with reportlab's own graphics: no browser, nothing fetched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from reportlab.graphics.shapes import Drawing, Group, Line, Path, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from handouts.document import (
    INK,
    MUTED,
    RULE,
    SHADE,
    Letterhead,
    Styles,
    Together,
    column_width,
    data_table,
    day,
    fit,
    handout_part,
    letterhead_block,
    para,
    render_part,
)
from handouts.fonts import handout_fonts


@dataclass(frozen=True)
class ClientProgress:
    """One client's stage history (moved on, stage number): where they started, then each
    move."""

    name: str
    stage_steps: tuple[tuple[date, int], ...] = ()


Scores = tuple[tuple[date, float], ...]  # (scored on, total), one client's


@dataclass(frozen=True)
class Measure:
    """The clients' totals on one measure: `scores` holds each client's, in the order of the
    report's clients."""

    name: str
    total_range: tuple[float, float]
    scores: tuple[Scores, ...]
    cutoff: float | None = None
    higher_is_better: bool | None = None

    def scored(self, names: list[str]) -> list[tuple[int, str, Scores]]:
        """(position, name, scores in date order) of each client with scores."""
        return [
            (n, name, tuple(sorted(s, key=lambda score: score[0])))
            for n, (name, s) in enumerate(zip(names, self.scores, strict=True))
            if s
        ]


@dataclass(frozen=True)
class HomeworkRow:
    """How one client's homework went: counts of assignments by outcome."""

    client: str
    assigned: int
    on_time: int
    late: int
    overdue: int
    open: int


@dataclass(frozen=True)
class ProgressReport:
    """What a progress report shows; `stage_names` lists the guide's stages from stage 1."""

    clients: tuple[ClientProgress, ...]
    stage_names: tuple[str, ...]
    measures: tuple[Measure, ...] = ()  # one section each, in this order
    homework: tuple[HomeworkRow, ...] = ()
    summary: str = ""
    until: date | None = None  # where the stages end: a closed case's closing day, else printed


# One look per client that still tells them apart printed in black and white.
SERIES = (
    (colors.HexColor("#1f5f8b"), None, "circle"),
    (colors.HexColor("#b5531b"), (4, 2), "square"),
    (colors.HexColor("#2f7d4a"), (1, 2), "circle"),
    (colors.HexColor("#6b3fa0"), (6, 2, 1, 2), "square"),
)
LABEL_SIZE = 7.5
AXIS_SIZE = 8
BAND = 16  # points per stage on the stage chart


# --- axes -------------------------------------------------------------------------------------


def _add_months(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def date_ticks(start: date, end: date, most: int = 6) -> list[tuple[date, str]]:
    """Round dates between start and end for an axis (at most `most`), each with its label."""
    span = (end - start).days
    for step in (1, 2, 7, 14):
        if span // step + 1 <= most:
            fmt = "%d %b" if start.year == end.year else "%d %b %y"
            return [
                (start + timedelta(days=d), f"{start + timedelta(days=d):{fmt}}")
                for d in range(0, span + 1, step)
            ]
    for months in (1, 2, 3, 6, 12, 24, 60, 120, 600):
        first = date(start.year, start.month, 1)
        if first < start:
            first = _add_months(first, 1)
        while (first.year * 12 + first.month - 1) % months:
            first = _add_months(first, 1)
        ticks = []
        tick = first
        while tick <= end:
            ticks.append(tick)
            tick = _add_months(tick, months)
        if len(ticks) <= most:
            fmt = "%Y" if months >= 12 else "%b %Y"
            return [(t, f"{t:{fmt}}") for t in ticks]
    return [(start, f"{start:%Y}"), (end, f"{end:%Y}")]


def number_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round numbers from low to high for an axis."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / max(most - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    count = int(math.floor((high - first) / step + 1e-9)) + 1
    return [round(first + i * step, 10) for i in range(count)]


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


class _Frame:
    """A plot area inside a drawing, mapping dates and values to points."""

    def __init__(
        self, left: float, bottom: float, width: float, height: float, days: tuple[date, date]
    ) -> None:
        self.left, self.bottom, self.width, self.height = left, bottom, width, height
        start, end = days
        if start == end:
            start, end = start - timedelta(days=3), end + timedelta(days=3)
        self.start, self.end = start, end

    def x(self, on: date) -> float:
        share = (on - self.start).days / max((self.end - self.start).days, 1)
        return self.left + share * self.width

    def date_axis(self, drawing: Drawing, font: str, title: str) -> None:
        drawing.add(Line(self.left, self.bottom, self.left + self.width, self.bottom))
        drawing.contents[-1].strokeColor = RULE
        for tick, label in date_ticks(self.start, self.end):
            x = self.x(tick)
            drawing.add(Line(x, self.bottom, x, self.bottom - 3, strokeColor=RULE, strokeWidth=0.5))
            drawing.add(
                String(
                    x,
                    self.bottom - 11,
                    label,
                    fontName=font,
                    fontSize=LABEL_SIZE,
                    fillColor=MUTED,
                    textAnchor="middle",
                )
            )
        drawing.add(
            String(
                self.left + self.width / 2,
                self.bottom - 23,
                title,
                fontName=font,
                fontSize=AXIS_SIZE,
                fillColor=INK,
                textAnchor="middle",
            )
        )


KAPPA = 0.5523  # four Bézier curves this far out draw a circle, as reportlab's own do


def _markers(
    kind: str, centres: list[tuple[float, float]], size: float, colour: colors.Color
) -> Path:
    """A series' markers (circles or squares) as one shape: reportlab spends far longer on
    each shape's drawing state than on its lines, and works out each Circle by trigonometry."""
    marks = Path(fillColor=colour, strokeColor=colour)
    k = KAPPA * size
    for x, y in centres:
        if kind == "square":
            marks.moveTo(x - size, y - size)
            marks.lineTo(x + size, y - size)
            marks.lineTo(x + size, y + size)
            marks.lineTo(x - size, y + size)
        else:
            marks.moveTo(x + size, y)
            marks.curveTo(x + size, y + k, x + k, y + size, x, y + size)
            marks.curveTo(x - k, y + size, x - size, y + k, x - size, y)
            marks.curveTo(x - size, y - k, x - k, y - size, x, y - size)
            marks.curveTo(x + k, y - size, x + size, y - k, x + size, y)
        marks.closePath()
    return marks


def _series_line(points: list[float], index: int, width: float) -> PolyLine:
    colour, dash, _ = SERIES[index % len(SERIES)]
    return PolyLine(
        points,
        strokeColor=colour,
        strokeWidth=width,
        strokeDashArray=dash,
        strokeLineJoin=1,
    )


def _legend(names: list[str], width: float, font: str) -> Drawing:
    """Each client's line and marker with their name; wraps onto more rows if needed."""
    placed, x, row = [], 0.0, 0
    for index, name in enumerate(names):
        label = fit(name, font, AXIS_SIZE, width / 2)
        need = 26 + stringWidth(label, font, AXIS_SIZE) + 14
        if x and x + need > width:
            x, row = 0.0, row + 1
        placed.append((index, label, x, row))
        x += need
    height = 12 * (row + 1)
    drawing = Drawing(width, height)
    for index, label, x, line in placed:
        y = height - 12 * line - 7
        colour, _, kind = SERIES[index % len(SERIES)]
        drawing.add(_series_line([x, y, x + 20, y], index, 1.4))
        drawing.add(_markers(kind, [(x + 10, y)], 2.2, colour))
        drawing.add(String(x + 26, y - 3, label, fontName=font, fontSize=AXIS_SIZE, fillColor=INK))
    return drawing


# --- the stage chart ------------------------------------------------------------------------


def _stage_label(number: int, names: tuple[str, ...]) -> str:
    return f"{number}. {names[number - 1]}" if 0 < number <= len(names) else f"{number}."


def _stage_name(number: int, names: tuple[str, ...]) -> str:
    return f"{number}, {names[number - 1]}" if 0 < number <= len(names) else str(number)


def stage_chart(report: ProgressReport, width: float, until: date) -> Drawing:
    """Each client's stage over time as steps, stages named up the side."""
    font = handout_fonts().regular
    moved = [c for c in report.clients if c.stage_steps]
    top = max([len(report.stage_names)] + [s for c in moved for _, s in c.stage_steps])
    labels = [_stage_label(n, report.stage_names) for n in range(1, top + 1)]
    label_width = min(
        max(stringWidth(label, font, LABEL_SIZE) for label in labels) + 8, width * 0.42
    )
    days = [d for c in moved for d, _ in c.stage_steps]
    end = max([*days, until]) if until >= min(days) else max(days)
    height = BAND * top + 36
    drawing = Drawing(width, height)
    frame = _Frame(label_width, 30, width - label_width - 6, BAND * top, (min(days), end))
    for number, label in enumerate(labels, start=1):
        y = frame.bottom + BAND * (number - 1)
        if number % 2:
            drawing.add(Rect(frame.left, y, frame.width, BAND, fillColor=SHADE, strokeColor=None))
        drawing.add(
            String(
                frame.left - 6,
                y + BAND / 2 - 2.6,
                fit(label, font, LABEL_SIZE, label_width - 8),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=INK,
                textAnchor="end",
            )
        )
    frame.date_axis(drawing, font, "Date")
    many = sum(len(c.stage_steps) for c in moved) > 40
    for index, client in enumerate(report.clients):
        if not client.stage_steps:
            continue
        # Partners often share a stage: shift each line a little so both stay visible.
        offset = (index - (len(report.clients) - 1) / 2) * 2.5
        steps = sorted(client.stage_steps, key=lambda step: step[0])
        points: list[float] = []
        for position, (on, number) in enumerate(steps):
            y = frame.bottom + BAND * (number - 0.5) + offset
            leave = steps[position + 1][0] if position + 1 < len(steps) else end
            points += [frame.x(on), y, frame.x(max(leave, on)), y]
        drawing.add(_series_line(points, index, 1.4))
        colour, _, kind = SERIES[index % len(SERIES)]
        centres = [
            (frame.x(on), frame.bottom + BAND * (number - 0.5) + offset) for on, number in steps
        ]
        drawing.add(_markers(kind, centres, 1.4 if many else 2.2, colour))
    return drawing


# --- the measure chart ----------------------------------------------------------------------


def measure_chart(measure: Measure, names: list[str], width: float) -> Drawing:
    """Each client's totals over time, with the cut-off as a dashed line."""
    font = handout_fonts().regular
    scored = measure.scored(names)
    values = [t for _, _, scores in scored for _, t in scores]
    low, high = sorted(measure.total_range)
    marks = [*values, *([measure.cutoff] if measure.cutoff is not None else [])]
    low, high = min([low, *marks]), max([high, *marks])
    if low == high:
        low, high = low - 1, high + 1
    ticks = number_ticks(low, high)
    tick_width = max(stringWidth(_number(t), font, LABEL_SIZE) for t in ticks)
    left = tick_width + 22
    cut_label = f"cut-off {_number(measure.cutoff)}" if measure.cutoff is not None else ""
    right = stringWidth(cut_label, font, LABEL_SIZE) + 10 if cut_label else 6
    height = 62 * mm
    drawing = Drawing(width, height)
    days = [d for _, _, scores in scored for d, _ in scores]
    frame = _Frame(left, 30, width - left - right, height - 40, (min(days), max(days)))

    def y(value: float) -> float:
        return frame.bottom + (value - low) / (high - low) * frame.height

    for tick in ticks:
        drawing.add(Line(frame.left, y(tick), frame.left + frame.width, y(tick), strokeColor=SHADE))
        drawing.add(
            String(
                frame.left - 4,
                y(tick) - 2.6,
                _number(tick),
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
    # The section's heading names the measure: a name too long for the axis is not cut short
    # there ("Couples Satisfaction Index (CSI…"), the axis says "Total".
    axis = f"{measure.name} total"
    if stringWidth(axis, font, AXIS_SIZE) > frame.height:
        axis = "Total"
    title = Group(
        String(
            0,
            0,
            fit(axis, font, AXIS_SIZE, frame.height),
            fontName=font,
            fontSize=AXIS_SIZE,
            fillColor=INK,
            textAnchor="middle",
        )
    )
    title.transform = (0, 1, -1, 0, 8, frame.bottom + frame.height / 2)  # turned to read upward
    drawing.add(title)
    drawing.add(Line(frame.left, frame.bottom, frame.left, frame.bottom + frame.height))
    drawing.contents[-1].strokeColor = RULE
    frame.date_axis(drawing, font, "Date of questionnaire")
    if measure.cutoff is not None:
        at = y(measure.cutoff)
        drawing.add(
            Line(
                frame.left,
                at,
                frame.left + frame.width,
                at,
                strokeColor=INK,
                strokeWidth=0.8,
                strokeDashArray=(3, 2),
            )
        )
        drawing.add(
            String(
                frame.left + frame.width + 4,
                at - 2.6,
                cut_label,
                fontName=font,
                fontSize=LABEL_SIZE,
                fillColor=INK,
            )
        )
    many = len(values) > 40
    for index, _, scores in scored:
        points = [v for on, total in scores for v in (frame.x(on), y(total))]
        if len(scores) > 1:
            drawing.add(_series_line(points, index, 1.2))
        colour, _, kind = SERIES[index % len(SERIES)]
        centres = [(frame.x(on), y(total)) for on, total in scores]
        drawing.add(_markers(kind, centres, 1.3 if many else 2.2, colour))
    return drawing


# --- the report -----------------------------------------------------------------------------


def _table(rows: list[list[Flowable]], widths: list[float]) -> Table:
    return data_table(rows, widths, pad=3)


def _stage_lines(report: ProgressReport, st: Styles) -> list[Flowable]:
    lines = []
    for client in report.clients:
        if not client.stage_steps:
            lines.append(para(f"{client.name}: no stage moves yet.", st.body))
            continue
        on, number = max(client.stage_steps, key=lambda step: step[0])
        moves = len(client.stage_steps) - 1  # the first is where they started, not a move
        count = "no stage moves yet" if not moves else f"{moves} stage move" + "s" * (moves > 1)
        lines.append(
            para(
                f"{client.name}: now at stage {_stage_name(number, report.stage_names)}, "
                f"since {day(on)} ({count}).",
                st.body,
            )
        )
    return lines


def _score_table(measure: Measure, names: list[str], st: Styles, width: float) -> Table:
    head = ["Client", "Scores", "First", "Latest", "Change"]
    rows = []
    for name, unsorted in zip(names, measure.scores, strict=True):
        scores = sorted(unsorted, key=lambda s: s[0])
        if not scores:
            rows.append([name, "0", "No scores yet", "", ""])
            continue
        (first_on, first), (last_on, last) = scores[0], scores[-1]
        change = last - first
        rows.append(
            [
                name,
                str(len(scores)),
                f"{_number(first)} on {day(first_on)}",
                f"{_number(last)} on {day(last_on)}",
                f"{'+' if change > 0 else ''}{_number(change)}",
            ]
        )
    # Each column of figures as wide as its widest line, the names in the rest: a long name
    # broke in the middle of a word beside dates in columns twice as wide as they needed.
    # ("No scores yet" spans into the next columns, which are empty in its row.)
    pad = 3
    fitted = [
        max(
            column_width([head[i]], st.cell_head, pad),
            column_width([r[i] for r in rows if r[3]] or [""], st.cell, pad),
        )
        for i in range(1, 5)
    ]
    empty = [("SPAN", (2, n), (4, n)) for n, r in enumerate(rows, start=1) if not r[3]]
    cells = [[Paragraph(h, st.cell_head) for h in head]]
    cells += [[para(text, st.cell) for text in row] for row in rows]
    return data_table(cells, [width - sum(fitted), *fitted], pad=pad, extra=tuple(empty))


def _direction(measure: Measure) -> str:
    parts = [f"Totals run from {_number(min(measure.total_range))} to "]
    parts.append(f"{_number(max(measure.total_range))}")
    if measure.higher_is_better is not None:
        parts.append("; higher is better" if measure.higher_is_better else "; lower is better")
    if measure.cutoff is not None:
        parts.append(
            f". The dashed line is the cut-off ({_number(measure.cutoff)}) between the range "
            "typical of people seeking help and the range typical of people who are not"
        )
    return "".join(parts) + "."


def _homework(report: ProgressReport, st: Styles, width: float) -> Flowable:
    if not report.homework:
        return para("No homework set yet.", st.body)
    titles = ("Client", "Assigned", "On time", "Late", "Overdue", "Open")
    head = [Paragraph(h, st.cell_head) for h in titles]
    rows = [
        [para(r.client, st.cell)]
        + [Paragraph(str(n), st.cell) for n in (r.assigned, r.on_time, r.late, r.overdue, r.open)]
        for r in report.homework
    ]
    number = 22 * mm
    return _table([head, *rows], [width - 5 * number] + [number] * 5)


def _story(
    report: ProgressReport, letterhead: Letterhead, st: Styles, width: float
) -> list[Flowable]:
    font = handout_fonts().regular
    story = letterhead_block(letterhead, "Progress report", st)
    names = [c.name for c in report.clients]
    # None written, no section: a client read "No summary written." as something lost.
    if report.summary.strip():
        story += [Paragraph("Summary", st.heading), para(report.summary, st.body)]
    stages_heading = Paragraph("Stages of the guide", st.heading)
    if any(c.stage_steps for c in report.clients):
        chart = stage_chart(report, width, report.until or letterhead.on)
        story += [
            # A heading is kept with its chart, never left alone at the foot of a page.
            Together([stages_heading, _legend(names, width, font), chart]),
            *_stage_lines(report, st),
        ]
    else:
        story += [stages_heading, para("No stage moves yet.", st.body)]
    for measure in report.measures:
        heading = para(measure.name, st.heading)
        if not any(measure.scores):
            story += [heading, para("No scores yet.", st.body)]
            continue
        chart = measure_chart(measure, names, width)
        story += [
            Together([heading, _legend(names, width, font), chart]),
            para(_direction(measure), st.meta),
            Spacer(1, 6),
            _score_table(measure, names, st, width),
        ]
    story.append(Together([Paragraph("Homework", st.heading), _homework(report, st, width)]))
    return story


def progress_report(report: ProgressReport, letterhead: Letterhead) -> bytes:
    """The report as a PDF: summary, stage timeline, measure trend and cut-off, homework."""
    return render_part(
        handout_part(
            lambda st, width: _story(report, letterhead, st, width),
            letterhead,
            title="Progress report",
        )
    )
