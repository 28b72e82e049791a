"""One stage of the guide on paper, for a client to read between sessions."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from handouts.document import (
    RULE,
    Letterhead,
    Styles,
    Together,
    handout_part,
    letterhead_block,
    markup,
    para,
    render_part,
)
from worksheets.stages import Stage

WRITING_LINE = colors.HexColor("#d3d9df")
NOTES_LINES = 8


class _NotesBox(Flowable):
    """A ruled box to write notes in by hand."""

    def __init__(self, width: float, lines: int) -> None:
        super().__init__()
        self.width, self.height, self.lines = width, lines * 8 * mm + 4 * mm, lines

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setStrokeColor(RULE)
        c.setLineWidth(0.6)
        c.rect(0, 0, self.width, self.height)
        c.setStrokeColor(WRITING_LINE)
        c.setLineWidth(0.5)
        for n in range(1, self.lines + 1):
            y = self.height - n * 8 * mm
            c.line(3 * mm, y, self.width - 3 * mm, y)
        c.restoreState()


def _gentle_lines(counsellor: str) -> list[str]:
    return [
        "Read this at your own pace. There is nothing to pass and no deadline.",
        "Mark anything that feels unclear, hard or important, and bring it to your next "
        f"session with {counsellor}.",
        "People often move back and forth between stages. Going back is part of the work, "
        "not a failure.",
        "Not every point will fit your situation. Talking it through together helps you "
        "decide what matters for you.",
        "If reading this stirs up strong feelings, stop for a while and look after yourself; "
        "you can pick it up again later.",
    ]


def _ask(number: int, title: str, text: str, st: Styles, width: float) -> Flowable:
    table = Table(
        [[para(f"{number}.", st.heading), [para(title, st.heading), para(text, st.body)]]],
        colWidths=[9 * mm, width - 9 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
            ]
        )
    )
    return Together([table])


def _story(stage: Stage, letterhead: Letterhead, st: Styles, width: float) -> list[Flowable]:
    story = letterhead_block(letterhead, f"Stage {stage.number}: {stage.name}", st)
    story += [
        Spacer(1, 10),
        para(stage.summary, st.client),
        Paragraph("What this stage asks of you", st.heading),
    ]
    for number, ask in enumerate(stage.asks, start=1):
        story.append(_ask(number, ask.title, ask.text, st, width))
    story.append(Paragraph("Using this with your counsellor", st.heading))
    bullet = ParagraphStyle("bullet", parent=st.body, leftIndent=12, bulletIndent=2, spaceAfter=3)
    story += [
        Paragraph(markup(line), bullet, bulletText="\u2022")
        for line in _gentle_lines(letterhead.counsellor)
    ]
    story.append(
        Together(
            [
                Paragraph("Notes for your next session", st.heading),
                para("What stood out for you, and what would you like to talk about?", st.meta),
                Spacer(1, 4),
                _NotesBox(width, NOTES_LINES),
            ]
        )
    )
    return story


def stage_guide(stage: Stage, letterhead: Letterhead) -> bytes:
    """A page or two on one stage: its name, summary, what it asks, and how to use it."""
    return render_part(
        handout_part(
            lambda st, width: _story(stage, letterhead, st, width),
            letterhead,
            title=f"Guide: stage {stage.number}, {stage.name}",
        )
    )
