"""Client handouts: worksheets (blank, fillable, read back, answered), stage guides, progress
reports, after-session sheets, and batches. PDFs are read back with pypdf, never compared."""

import io
import subprocess
import sys
from datetime import date, timedelta
from itertools import pairwise

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from handouts.document import (
    HANDOUT_CONFIDENTIAL,
    Letterhead,
    TooLarge,
    handout_part,
    render_all,
    render_part,
)
from handouts.guide import stage_guide
from handouts.progress import (
    ClientProgress,
    HomeworkRow,
    Measure,
    ProgressReport,
    date_ticks,
    number_ticks,
    progress_report,
)
from handouts.readback import NotAWorksheet, answers_from_fields, read_filled
from handouts.session_sheet import after_session_part
from handouts.worksheet import completed_worksheet, worksheet_part
from worksheets.stages import stage, stages
from worksheets.templates import TEMPLATES_DIR, load_template, parse_template_text

ON = date(2025, 3, 12)
CRISIS = "If you are in danger, call 999"
HOSTILE = '<b>&amp; "quotes"</b> <script>'
TRUST = load_template(TEMPLATES_DIR / "trust_plan.toml")
STAGE_NAMES = tuple(s.name for s in stages())
MULTILINE = 1 << 12
RADIO = 1 << 15


def letterhead(crisis_line: str = CRISIS, **changes) -> Letterhead:
    values = {
        "practice_name": "Harbour Counselling",
        "counsellor": "Dr Maya Okafor",
        "client_name": "Ana Ruiz",
        "on": ON,
        "crisis_line": crisis_line,
    }
    return Letterhead(**{**values, **changes})


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """The text with line breaks as spaces: wrapping must not decide a test."""
    return " ".join(text.split())


def text_of(pdf: bytes) -> str:
    return flat("\n".join(pages_text(pdf)))


def shared_answers() -> dict:
    return {
        "promises": (
            [{"promise": "Text when I am late", "by_when": "2025-03-21", "kept": True}],
            True,
        ),
        "reliability": (7, True),
        "transparency": (["No secret accounts or messages"], False),
        "hiding": ("The messages from my old friend", False),
        "actions": ("Walk the dog together every evening", True),
        "check_in": ("2025-03-28", True),
        "feeling": ("Starting to grow", True),
    }


def csi4(*scores) -> Measure:
    """The CSI-4 with these clients' scores (one tuple of (date, total) per client)."""
    return Measure("CSI-4", (0, 21), scores, cutoff=13.5, higher_is_better=True)


def a_report(
    clients: tuple[ClientProgress, ...] = (), scores: tuple = (), **changes
) -> ProgressReport:
    clients = clients or (ClientProgress("Ana Ruiz"),)
    values = {
        "clients": clients,
        "stage_names": STAGE_NAMES,
        "measures": (csi4(*(scores or [()] * len(clients))),),
        "homework": (HomeworkRow("Ana Ruiz", 4, 2, 1, 0, 1),),
        "summary": "Steady work on check-ins.",
    }
    return ProgressReport(**{**values, **changes})


def worksheet_handout(*args, **kwargs) -> bytes:
    return render_part(worksheet_part(*args, **kwargs))


def after_session_sheet(*args, **kwargs) -> bytes:
    return render_part(after_session_part(*args, **kwargs))


DOCUMENTS = {
    "worksheet": lambda lh: worksheet_handout(
        TRUST, lh, assignment_id=12, stage_intro=stage(6).summary, due_on=ON + timedelta(days=7)
    ),
    "completed worksheet": lambda lh: completed_worksheet(
        TRUST, lh, answers=shared_answers(), assignment_id=12, for_partner=False
    ),
    "completed worksheet for the partner": lambda lh: completed_worksheet(
        TRUST, lh, answers=shared_answers(), assignment_id=12, for_partner=True
    ),
    "stage guide": lambda lh: stage_guide(stage(4), lh),
    "progress report": lambda lh: progress_report(a_report(), lh),
    "after-session sheet": lambda lh: after_session_sheet(
        lh, homework=[("Trust plan", ON + timedelta(days=7))], next_session=ON + timedelta(days=7)
    ),
}


# --- what every document carries -----------------------------------------------------------


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_every_document_names_practice_counsellor_client_date_and_page_numbers(kind):
    pages = pages_text(DOCUMENTS[kind](letterhead()))
    for page in pages:
        page = flat(page)
        for expected in ("Harbour Counselling", "Dr Maya Okafor", "Ana Ruiz", "12 Mar 2025"):
            assert expected in page
        assert HANDOUT_CONFIDENTIAL in page
    assert "Page 1 of" in flat(pages[0])


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_the_crisis_line_is_on_every_page_when_given(kind):
    pages = pages_text(DOCUMENTS[kind](letterhead()))
    assert all(CRISIS in flat(page) for page in pages)


LONG_CRISIS = (
    "In danger now? Call 999. Samaritans 116 123 (free, 24 hours). "
    "National Domestic Abuse Helpline 0808 2000 247. Text SHOUT to 85258."
)


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_a_long_crisis_line_prints_in_full_on_every_page(kind):
    pages = pages_text(DOCUMENTS[kind](letterhead(crisis_line=LONG_CRISIS)))
    assert all(LONG_CRISIS in flat(page) for page in pages)


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_no_crisis_line_is_printed_when_none_is_given(kind):
    assert "danger" not in text_of(DOCUMENTS[kind](letterhead(crisis_line="")))


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_names_in_greek_and_cyrillic_print_as_typed(kind):
    lh = letterhead(client_name="Σοφία Дмитрий", counsellor="Дмитрий Σοφία", practice_name="Σοφία")
    text = text_of(DOCUMENTS[kind](lh))
    assert "Σοφία Дмитрий" in text
    assert "Дмитрий Σοφία" in text


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_hostile_names_print_as_typed(kind):
    text = text_of(DOCUMENTS[kind](letterhead(client_name=HOSTILE, counsellor=HOSTILE)))
    assert HOSTILE in text


@pytest.mark.parametrize("kind", DOCUMENTS)
def test_documents_hold_no_links_or_scripts(kind):
    pdf = DOCUMENTS[kind](letterhead())
    for marker in (b"/URI", b"/JavaScript", b"/JS ", b"/Launch"):
        assert marker not in pdf


def test_user_text_prints_as_typed_in_every_place_it_appears():
    lh = letterhead()
    texts = [
        worksheet_handout(
            TRUST, lh, assignment_id=1, stage_intro="x", due_on=None, instructions=HOSTILE
        ),
        completed_worksheet(
            TRUST, lh, answers={"actions": (HOSTILE, True)}, assignment_id=1, for_partner=True
        ),
        progress_report(
            a_report(summary=HOSTILE, measures=(Measure(HOSTILE, (0, 21), ((),)),)), lh
        ),
        after_session_sheet(lh, homework=[(HOSTILE, ON)], next_session=None, note=HOSTILE),
    ]
    for pdf in texts:
        assert HOSTILE in text_of(pdf)


def test_handouts_take_plain_data_without_streamlit_or_the_database():
    code = (
        "import sys, handouts.worksheet, handouts.guide, handouts.progress, "
        "handouts.session_sheet, handouts.readback; "
        "print(sorted(m for m in ('streamlit', 'sqlalchemy', 'casebook') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the blank worksheet and its form ------------------------------------------------------


def blank(template=TRUST, assignment_id: int = 12) -> bytes:
    return worksheet_handout(
        template, letterhead(), assignment_id=assignment_id, stage_intro="Intro", due_on=None
    )


def form_fields(pdf: bytes) -> dict:
    """Terminal fields only (those with a type), by full dotted name."""
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    return {name: field for name, field in fields.items() if "/FT" in field}


def kind_of(field) -> str:
    flags = int(field.get("/Ff", 0))
    if field["/FT"] == "/Btn":
        return "radio" if flags & RADIO else "checkbox"
    if field["/FT"] == "/Tx":
        return "multiline" if flags & MULTILINE else "text"
    return "choice"


def expected_trust_fields() -> dict[str, str]:
    expected = {}
    for row in range(5):
        expected[f"cb.promises.{row}.promise"] = "text"
        expected[f"cb.promises.{row}.by_when"] = "text"
        expected[f"cb.promises.{row}.kept"] = "radio"
    expected["cb.reliability"] = "radio"
    for n in range(5):
        expected[f"cb.transparency.{n}"] = "checkbox"
    expected |= {
        "cb.hiding": "multiline",
        "cb.actions": "multiline",
        "cb.check_in": "text",
        "cb.feeling": "radio",
    }
    return expected


def test_worksheet_has_one_form_field_per_prompt_option_and_cell():
    fields = form_fields(blank())
    assert {name: kind_of(field) for name, field in fields.items()} == expected_trust_fields()


@pytest.mark.parametrize(
    ("name", "states"),
    [
        ("cb.reliability", {str(n) for n in range(11)}),
        ("cb.promises.0.kept", {"Yes", "No"}),
        ("cb.feeling", {"0", "1", "2", "3"}),
        ("cb.transparency.0", {"Yes"}),
    ],
)
def test_buttons_offer_their_values(name, states):
    field = form_fields(blank())[name]
    assert {s.removeprefix("/") for s in field["/_States_"]} - {"Off"} == states


WEEK = """
key = "promise_week"
version = 1
stage = 6
title = "A week of promises"
intro = "Each day."

[[field]]
id = "week"
kind = "rows"
prompt = "Did you keep it, day by day?"

  [[field.columns]]
  id = "promise"
  kind = "short_text"
  prompt = "Promise"
""" + "".join(
    f'\n  [[field.columns]]\n  id = "{d}"\n  kind = "yes_no"\n  prompt = "{d.capitalize()}"\n'
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def test_a_table_of_many_yes_no_columns_leaves_room_for_each_label_inside_the_margins():
    from reportlab.lib.units import mm

    pdf = blank(parse_template_text(WEEK, "week.toml"))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    rings = sorted(
        [float(v) for v in a.get_object()["/Rect"]]
        for a in page["/Annots"]
        if a.get_object().get("/AS") is not None  # the radio buttons
    )
    assert max(right for _, _, right, _ in rings) <= float(page.mediabox.width) - 20 * mm
    lines: dict[float, list[float]] = {}
    for left, bottom, _, _ in rings:
        lines.setdefault(round(bottom), []).append(left)
    for lefts in lines.values():  # a "Yes" or "No" (8 mm) fits after every ring on a line
        gaps = [b - a for a, b in pairwise(sorted(lefts))]
        assert min(gaps) >= 4.2 * mm + 8 * mm


def test_worksheet_fields_are_nested_under_cb_as_the_pdf_standard_asks():
    reader = PdfReader(io.BytesIO(blank()))
    top = reader.trailer["/Root"]["/AcroForm"]["/Fields"]
    assert [f.get_object()["/T"] for f in top] == ["cb"]
    assert all("." not in str(f["/T"]) for f in reader.get_fields().values() if "/T" in f)
    # Readers name a field by following /Parent up, so every field below cb must have one.
    fields = [f.get_object() for f in top]
    while fields:
        field = fields.pop()
        for kid in (k.get_object() for k in field.get("/Kids", [])):
            if "/T" in kid:  # a field, not one of a radio group's buttons
                assert kid["/Parent"].get_object() is field
                fields.append(kid)


SCALE_COLUMNS = """
key = "weekly"
version = 3
stage = 2
title = "Weekly check"
intro = "A short check."
contact = false

[[field]]
id = "days"
kind = "rows"
prompt = "How was each day?"

  [[field.columns]]
  id = "score"
  kind = "scale"
  prompt = "Score"

  [[field.columns]]
  id = "mood"
  kind = "choice"
  prompt = "Mood"
  options = ["Low", "Calm", "Bright"]

  [[field.columns]]
  id = "note"
  kind = "long_text"
  prompt = "Note"

  [[field.columns]]
  id = "did"
  kind = "checklist"
  prompt = "Did"
  options = ["Walk", "Talk"]
"""


def test_scale_and_choice_cells_in_rows_are_drop_down_lists():
    template = parse_template_text(SCALE_COLUMNS, "weekly.toml")
    fields = form_fields(blank(template))
    assert kind_of(fields["cb.days.0.score"]) == "choice"
    assert [str(o) for o in fields["cb.days.0.score"]["/Opt"]][1:] == [str(n) for n in range(11)]
    assert [str(o) for o in fields["cb.days.4.mood"]["/Opt"]][1:] == ["Low", "Calm", "Bright"]
    assert kind_of(fields["cb.days.2.note"]) == "multiline"
    assert kind_of(fields["cb.days.3.did.1"]) == "checkbox"
    assert "cb.days.5.score" not in fields


def test_worksheet_says_which_worksheet_and_assignment_in_its_metadata_and_footer():
    pdf = blank(assignment_id=12)
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info["/CasebookWorksheet"] == "trust_plan"
    assert info["/CasebookWorksheetVersion"] == "1"
    assert info["/CasebookAssignment"] == "12"
    assert "trust_plan" in info["/Keywords"]
    assert all("Worksheet trust_plan v1 · assignment 12" in flat(p) for p in pages_text(pdf))


def test_worksheet_prints_stage_intro_worksheet_intro_prompts_and_due_date():
    pdf = worksheet_handout(
        TRUST,
        letterhead(),
        assignment_id=12,
        stage_intro=stage(6).summary,
        due_on=date(2025, 3, 19),
        instructions="Try the first two rows.",
    )
    text = text_of(pdf)
    assert stage(6).summary in text
    assert flat(TRUST.intro) in text
    assert "Try the first two rows." in text
    assert "Please complete by 19 Mar 2025" in text
    for field in TRUST.fields:
        assert flat(field.prompt) in text


def test_the_intros_line_breaks_in_its_file_are_wrapping_and_a_blank_line_parts_paragraphs():
    intro = "Begin with\nyour own part.\nThen the rest.\n\nA second paragraph."
    source = SCALE_COLUMNS.replace('intro = "A short check."', f'intro = """\n{intro}\n"""')
    lines = pages_text(blank(parse_template_text(source, "weekly.toml")))[0].splitlines()
    assert "Begin with your own part. Then the rest." in lines
    assert "A second paragraph." in lines


def test_a_list_longer_than_a_page_goes_on_over_the_page_with_every_box():
    long = "so long that it takes two lines on the page " * 3
    options = ", ".join(f'"Option number {n}, {long}"' for n in range(30))
    source = SCALE_COLUMNS.split("[[field]]")[0] + (
        f'[[field]]\nid = "many"\nkind = "checklist"\nprompt = "Tick"\noptions = [{options}]\n'
    )
    pdf = blank(parse_template_text(source, "many.toml"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert set(form_fields(pdf)) == {f"cb.many.{n}" for n in range(30)}
    assert "Option number 0," in text_of(pdf) and "Option number 29," in text_of(pdf)
    # Each box is on the page that prints its option, beside it, not over the footer.
    for page in reader.pages:
        for annot in page.get("/Annots", []):
            assert float(annot.get_object()["/Rect"][1]) > 24 * 72 / 25.4


def test_a_question_is_never_parted_from_its_box():
    source = SCALE_COLUMNS.split("[[field]]")[0] + (
        '[[field]]\nid = "first"\nkind = "short_text"\nprompt = "First"\n\n'
        '[[field]]\nid = "second"\nkind = "long_text"\nprompt = "The second question"\n'
        'help = "Take your time."\n'
    )
    template = parse_template_text(source, "two.toml")
    pages_seen = set()
    for lines in range(0, 60, 3):  # moves the question down the page, a few lines at a time
        pdf = worksheet_handout(
            template,
            letterhead(),
            assignment_id=1,
            stage_intro="Intro",
            due_on=None,
            instructions="A line of the counsellor's note.\n" * lines,
        )
        reader = PdfReader(io.BytesIO(pdf))
        question = next(
            n
            for n, page in enumerate(reader.pages)
            if "The second question" in flat(page.extract_text())
        )
        pages_seen.add(question)
        boxes = [a.get_object().get("/T") for a in reader.pages[question].get("/Annots", [])]
        assert "second" in boxes, f"after {lines} lines"
        assert "Take your time." in flat(reader.pages[question].extract_text())
    assert len(pages_seen) > 1  # the question did reach the foot of a page


# --- filled in, read back ------------------------------------------------------------------


def fill(pdf: bytes, values: dict[str, str]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.update_page_form_field_values(None, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


FILLED = {
    "cb.promises.0.promise": "  Text when I am late ",
    "cb.promises.0.by_when": "21/03/2025",
    "cb.promises.0.kept": "/Yes",
    "cb.promises.3.promise": "Cook on Fridays",
    "cb.promises.3.kept": "/No",
    "cb.reliability": "/7",
    "cb.transparency.0": "/Yes",
    "cb.transparency.3": "/Yes",
    "cb.hiding": "Σοφία <b>&amp;</b>\nsecond line",
    "cb.actions": "Walk the dog",
    "cb.check_in": "2025-03-28",
    "cb.feeling": "/2",
}
EXPECTED = {
    "promises": [
        {"promise": "Text when I am late", "by_when": "2025-03-21", "kept": True},
        {"promise": "Cook on Fridays", "by_when": None, "kept": False},
    ],
    "reliability": 7,
    "transparency": [
        "Say where I am when plans change",
        "Tell my partner about contact with people who worry them",
    ],
    "hiding": "Σοφία <b>&amp;</b>\nsecond line",
    "actions": "Walk the dog",
    "check_in": "2025-03-28",
    "feeling": "Mostly steady",
}


def test_a_filled_worksheet_reads_back_as_the_answers_the_app_stores():
    filled = read_filled(fill(blank(assignment_id=12), FILLED))
    assert (filled.key, filled.version, filled.assignment_id) == ("trust_plan", 1, 12)
    assert answers_from_fields(TRUST, filled.values) == EXPECTED
    assert filled.answers(TRUST) == EXPECTED


def box_looks(pdf: bytes) -> list[bytes]:
    """The drawn appearance of every text and drop-down box, page by page."""
    widgets = [a.get_object() for page in PdfReader(io.BytesIO(pdf)).pages for a in page["/Annots"]]
    return [
        w["/AP"]["/N"].get_object().get_data() for w in widgets if w.get("/FT") in ("/Tx", "/Ch")
    ]


def test_filling_one_box_shows_the_text_in_that_box_alone():
    # pypdf, like some readers, writes what is typed into the box's appearance in place.
    looks = box_looks(fill(blank(), {"cb.promises.0.promise": "Cook on Fridays"}))
    assert len(looks) == len(expected_trust_fields()) - 5 - 5 - 2  # less the buttons
    assert [b"Cook on Fridays" in look for look in looks].count(True) == 1


def test_a_blank_worksheet_reads_back_with_no_answers():
    filled = read_filled(blank())
    assert set(filled.values) == set(expected_trust_fields())
    assert answers_from_fields(TRUST, filled.values) == {}


def test_answers_are_refused_for_another_worksheet():
    filled = read_filled(blank())
    other = parse_template_text(SCALE_COLUMNS, "weekly.toml")
    with pytest.raises(ValueError, match="trust_plan"):
        filled.answers(other)


def test_rows_cells_read_back_by_column_kind():
    template = parse_template_text(SCALE_COLUMNS, "weekly.toml")
    pdf = fill(
        blank(template),
        {"cb.days.1.score": "4", "cb.days.1.mood": "Calm", "cb.days.1.did.1": "/Yes"},
    )
    assert read_filled(pdf).answers(template) == {
        "days": [{"score": 4, "mood": "Calm", "note": None, "did": ["Talk"]}]
    }


NUMBERED = """
key = "closeness"
version = 1
stage = 6
title = "Closeness"
intro = "A short check."

[[field]]
id = "close"
kind = "choice"
prompt = "How close do you feel, from 1 to 5?"
options = ["1", "2", "3", "4", "5"]

[[field]]
id = "week"
kind = "rows"
prompt = "Each day"

  [[field.columns]]
  id = "close"
  kind = "choice"
  prompt = "How close?"
  options = ["1", "2", "3", "4", "5"]
"""


def test_a_choice_of_numbers_reads_back_the_option_ticked_not_the_one_before():
    # Its rings carry their positions (/0 is "1"); a table's drop-down carries the text.
    template = parse_template_text(NUMBERED, "closeness.toml")
    pdf = fill(blank(template), {"cb.close": "/1", "cb.week.0.close": "4"})
    assert read_filled(pdf).answers(template) == {"close": "2", "week": [{"close": "4"}]}


def test_a_check_box_in_a_state_other_than_its_own_on_state_is_not_ticked():
    # As some readers write an unticked box: a name of their own, not /Off.
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank())))
    for page in writer.pages:
        for annot in page["/Annots"]:
            box = annot.get_object()
            if box.get("/Parent", {}).get("/T") == "transparency":
                box[NameObject("/V")] = NameObject("/Yes" if box["/T"] == "1" else "/No")
    out = io.BytesIO()
    writer.write(out)
    assert read_filled(out.getvalue()).answers(TRUST) == {
        "transparency": ["Share how I really feel, even when it is hard"]
    }


def test_a_worksheet_locked_only_against_editing_is_read_back():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fill(blank(), {"cb.actions": "Walk"}))))
    writer.encrypt(user_password="", owner_password="only the practice edits this")
    out = io.BytesIO()
    writer.write(out)
    assert read_filled(out.getvalue()).answers(TRUST) == {"actions": "Walk"}


def test_a_flattened_worksheet_is_refused_not_read_as_empty():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fill(blank(), {"cb.actions": "Walk"}))))
    writer.flatten = True
    writer.remove_annotations(None)
    del writer.root_object["/AcroForm"]
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(NotAWorksheet, match="flattened"):
        read_filled(out.getvalue())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"cb.actions": "  Walk  "}, {"actions": "Walk"}),
        ({"cb.actions": "   "}, {}),
        ({"cb.reliability": "0"}, {"reliability": 0}),
        ({"cb.reliability": "/10"}, {"reliability": 10}),
        ({"cb.reliability": None}, {}),
        ({"cb.check_in": "28/03/2025"}, {"check_in": "2025-03-28"}),
        ({"cb.check_in": "1/3/2025"}, {"check_in": "2025-03-01"}),
        ({"cb.check_in": " 2025-03-28 "}, {"check_in": "2025-03-28"}),
        ({"cb.feeling": "Strong"}, {"feeling": "Strong"}),
        ({"cb.feeling": "0"}, {"feeling": "Still very fragile"}),
        (
            {"cb.transparency.1": True, "cb.transparency.2": False},
            {"transparency": ["Share how I really feel, even when it is hard"]},
        ),
        ({"cb.transparency.0": False}, {}),
        (
            {"cb.promises.0.kept": "No"},
            {"promises": [{"promise": None, "by_when": None, "kept": False}]},
        ),
        (
            {"cb.promises.4.promise": "x", "cb.promises.1.promise": ""},
            {"promises": [{"promise": "x", "by_when": None, "kept": None}]},
        ),
        ({"cb.unknown": "ignored"}, {}),
    ],
)
def test_raw_field_values_become_stored_answers(raw, expected):
    assert answers_from_fields(TRUST, raw) == expected


@pytest.mark.parametrize(
    ("raw", "question"),
    [
        ({"cb.check_in": "next Tuesday"}, "check in together"),
        ({"cb.check_in": "31/02/2025"}, "check in together"),
        ({"cb.promises.2.by_when": "soon"}, "By when?"),
        ({"cb.reliability": "11"}, "How dependable"),
        ({"cb.reliability": "seven"}, "How dependable"),
        ({"cb.feeling": "Ecstatic"}, "How do you feel"),
        ({"cb.feeling": "\u00b2"}, "How do you feel"),  # a digit to isdigit(), not to int()
        ({"cb.feeling": "-1"}, "How do you feel"),
        ({"cb.reliability": "\u0663"}, "How dependable"),  # an Arabic-Indic 3
        ({"cb.promises.0.kept": "Maybe"}, "Did you keep it?"),
    ],
)
def test_values_that_do_not_fit_are_refused_naming_the_question(raw, question):
    with pytest.raises(ValueError, match=question):
        answers_from_fields(TRUST, raw)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Just some text, not a PDF at all.",
        "not bytes",
        b"PK\x03\x04 a zip file",
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
    ],
    ids=["empty", "text", "str", "zip", "damaged"],
)
def test_what_is_not_a_readable_pdf_is_refused(data):
    with pytest.raises(NotAWorksheet, match=r"^[A-Z][^\n]*\.$"):
        read_filled(data)


@pytest.mark.parametrize("kind", ["stage guide", "completed worksheet", "after-session sheet"])
def test_a_pdf_without_worksheet_metadata_is_refused(kind):
    with pytest.raises(NotAWorksheet, match="not a Casebook worksheet"):
        read_filled(DOCUMENTS[kind](letterhead()))


def with_metadata(pdf: bytes, metadata: dict[str, str]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.metadata = metadata
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


KEYWORDS_31 = "Casebook worksheet trust_plan v1 assignment 31"


@pytest.mark.parametrize(
    "metadata",
    [
        {"/Keywords": KEYWORDS_31},
        {  # one damaged byte in the worksheet's key
            "/CasebookWorksheet": "trust_\x10lan",
            "/CasebookWorksheetVersion": "1",
            "/CasebookAssignment": "31",
            "/Keywords": KEYWORDS_31,
        },
    ],
    ids=["entries dropped", "entry damaged"],
)
def test_a_worksheet_is_read_back_by_its_keywords_when_its_own_entries_fail(metadata):
    filled = read_filled(with_metadata(blank(assignment_id=31), metadata))
    assert (filled.key, filled.version, filled.assignment_id) == ("trust_plan", 1, 31)


def test_a_damaged_worksheet_name_with_no_keywords_is_refused():
    damaged = {"/CasebookWorksheet": "trust_\x10lan", "/CasebookWorksheetVersion": "1"}
    with pytest.raises(NotAWorksheet, match="not a Casebook worksheet"):
        read_filled(with_metadata(blank(), damaged | {"/CasebookAssignment": "31"}))


# --- the client's answers ------------------------------------------------------------------


def test_completed_worksheet_shows_every_answer_for_the_clients_own_records():
    text = text_of(
        completed_worksheet(
            TRUST, letterhead(), answers=shared_answers(), assignment_id=12, for_partner=False
        )
    )
    for expected in (
        "Text when I am late",
        "21 Mar 2025",
        "7 out of 10",
        "No secret accounts or messages",
        "The messages from my old friend",
        "Walk the dog together every evening",
        "28 Mar 2025",
        "Starting to grow",
    ):
        assert expected in text
    assert "Private answers are not included." not in text


def test_a_table_of_answers_starts_on_the_page_of_its_question():
    notes_first = SCALE_COLUMNS.replace(
        '[[field]]\nid = "days"',
        '[[field]]\nid = "notes"\nkind = "long_text"\nprompt = "Notes"\n\n[[field]]\nid = "days"',
        1,
    )
    template = parse_template_text(notes_first, "weekly.toml")
    day = {"score": 4, "mood": "Calm", "note": "The first day's note", "did": ["Walk"]}
    for lines in range(0, 50, 2):  # moves the question down the page, line by line
        answers = {"notes": ("A line of notes\n" * lines, True), "days": ([day] * 3, True)}
        pdf = completed_worksheet(
            template, letterhead(), answers=answers, assignment_id=1, for_partner=False
        )
        pages = [flat(page) for page in pages_text(pdf)]
        question = next(n for n, text in enumerate(pages) if "How was each day?" in text)
        assert "The first day's note" in pages[question], f"after {lines} lines"


def test_completed_worksheet_for_the_partner_leaves_out_private_answers():
    text = text_of(
        completed_worksheet(
            TRUST, letterhead(), answers=shared_answers(), assignment_id=12, for_partner=True
        )
    )
    assert "Private answers are not included." in text
    assert "The messages from my old friend" not in text
    assert "No secret accounts or messages" not in text
    assert "Which openness agreements" not in text  # not even the question
    assert "Walk the dog together every evening" in text


def test_completed_worksheet_takes_only_value_and_shared_pairs():
    with pytest.raises(ValueError, match="actions"):
        completed_worksheet(
            TRUST, letterhead(), answers={"actions": "bare"}, assignment_id=1, for_partner=True
        )


def test_completed_worksheet_for_the_partner_with_nothing_shared_says_so():
    answers = {"hiding": ("secret", False)}
    text = text_of(
        completed_worksheet(TRUST, letterhead(), answers=answers, assignment_id=1, for_partner=True)
    )
    assert "No answers have been shared yet." in text
    assert "secret" not in text


# --- stage guide, session sheet ------------------------------------------------------------


@pytest.mark.parametrize("number", [s.number for s in stages()])
def test_stage_guide_shows_the_stage_and_every_ask(number):
    chosen = stage(number)
    pdf = stage_guide(chosen, letterhead())
    text = text_of(pdf)
    assert f"Stage {number}: {chosen.name}" in text
    assert chosen.summary in text
    for ask in chosen.asks:
        assert ask.title in text
        assert ask.text in text
    assert "Using this with your counsellor" in text
    assert len(pages_text(pdf)) <= 2


def test_after_session_sheet_lists_homework_by_due_date_and_the_next_session():
    text = text_of(
        after_session_sheet(
            letterhead(),
            homework=[("Trust plan", date(2025, 3, 19)), ("Read the guide", date(2025, 3, 14))],
            next_session=date(2025, 3, 19),
            note="Keep the check-ins short.",
        )
    )
    assert text.index("Read the guide") < text.index("Trust plan")
    assert "14 Mar 2025" in text
    assert "Wednesday 19 Mar 2025" in text
    assert "Keep the check-ins short." in text


def test_after_session_sheet_says_homework_past_its_date_is_to_catch_up_with():
    # "By 5 Mar 2025", printed on 12 Mar, read as a deadline missed for good.
    pdf = after_session_sheet(
        letterhead(),
        homework=[("Trust plan", ON - timedelta(days=7)), ("Reflection", ON)],
        next_session=None,
    )
    text = text_of(pdf)
    assert "Soon: it was due 05 Mar 2025" in text
    # On one line, in a column as wide as it: it broke over three.
    assert any(
        line.endswith("Soon: it was due 05 Mar 2025") for line in pages_text(pdf)[0].splitlines()
    )
    assert "it was due 12 Mar 2025" not in text and "12 Mar 2025" in text  # today: still due


def test_after_session_sheet_without_homework_or_a_booking_says_so():
    text = text_of(after_session_sheet(letterhead(), homework=[], next_session=None))
    assert "No homework this time." in text
    assert "Not booked yet" in text


# --- progress report -----------------------------------------------------------------------


def long_history(count: int) -> tuple[ClientProgress, tuple]:
    """A client with `count` stage moves, and their `count` scores."""
    start = date(2023, 1, 2)
    steps = tuple((start + timedelta(days=3 * i), 1 + (i * 3) % 8) for i in range(count))
    scores = tuple((start + timedelta(days=7 * i), (i * 7) % 22) for i in range(count))
    return ClientProgress("Ana Ruiz", steps), scores


def test_progress_report_with_a_hundred_scores_and_stage_moves_keeps_its_layout():
    partner = ClientProgress("Ben Ruiz", ((date(2023, 2, 1), 2), (date(2024, 5, 1), 5)))
    ana, scores = long_history(100)
    report = a_report((ana, partner), (scores, ((date(2023, 3, 1), 9.5),)))
    pdf = progress_report(report, letterhead())
    pages = pages_text(pdf)
    text = flat(" ".join(pages))
    assert len(pages) <= 2
    assert "99 stage moves" in text  # where she started, then 99 moves
    assert "Ben Ruiz: now at stage 5, Address past issues, since 01 May 2024 (1 stage move)" in text
    assert "Ben Ruiz: now at stage 5, Address past issues" in text
    assert "cut-off 13.5" in text
    for name in STAGE_NAMES:
        assert name in text  # the stage axis is labelled with every stage


def test_progress_report_does_not_count_where_a_client_started_as_a_move():
    report = a_report((ClientProgress("Ana Ruiz", ((date(2025, 1, 6), 1),)),), ((),))
    text = flat(text_of(progress_report(report, letterhead())))
    assert "Ana Ruiz: now at stage 1, Reflect on the relationship, since 06 Jan 2025" in text
    assert "(no stage moves yet)" in text and "1 stage move" not in text


def test_progress_report_charts_fit_the_page_at_any_size():
    for count in (1, 2, 10, 100, 400):
        ana, scores = long_history(count)
        pdf = progress_report(a_report((ana,), (scores,)), letterhead())
        assert len(pages_text(pdf)) <= 2


@pytest.mark.parametrize(
    ("name", "axis"),
    [
        ("CSI-4", "CSI-4 total"),
        (
            "Couples Satisfaction Index (CSI-4)",
            "Total",
        ),  # it printed "Couples Satisfaction Index (CSI…"
    ],
)
def test_progress_report_measure_axis_is_never_cut_short(name, axis):
    scores = ((ON - timedelta(days=60), 9.0), (ON, 15.0))
    measure = Measure(name, (0, 21), (scores,), cutoff=13.5, higher_is_better=True)
    [page] = pages_text(progress_report(a_report(measures=(measure,)), letterhead()))
    assert "\u2026" not in page
    assert axis in page.splitlines()


def test_progress_report_without_scores_or_moves_says_so():
    text = text_of(progress_report(a_report(homework=(), summary=""), letterhead()))
    assert "No scores yet." in text
    assert "No stage moves yet." in text
    assert "No homework set yet." in text
    # No summary: no section for it (a client read "No summary written." as something lost).
    assert "Summary" not in text and "No summary" not in text


def test_progress_report_score_table_keeps_a_long_name_whole():
    # Beside dates in columns twice as wide as they needed, the name broke mid-word.
    long = "Konstantinopoulou-Wetherington"
    clients = (ClientProgress(f"Maximiliana {long}"), ClientProgress("Bo Li"))
    scores = (((date(2026, 9, 1), 9), (date(2026, 11, 1), 12.5)), ())
    text = text_of(progress_report(a_report(clients, scores), letterhead()))
    assert text.count(long) == 2  # the chart's legend, and the table
    assert "12.5 on 01 Nov 2026" in text and "Bo Li 0 No scores yet" in text


def test_progress_report_shows_summary_and_homework_counts():
    report = a_report(homework=(HomeworkRow("Ana Ruiz", 9, 5, 2, 1, 1),), summary="Doing well.")
    text = text_of(progress_report(report, letterhead()))
    assert "Doing well." in text
    assert "Ana Ruiz 9 5 2 1 1" in text


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2025, 1, 1), date(2025, 1, 1)),
        (date(2025, 1, 1), date(2025, 1, 4)),
        (date(2025, 1, 1), date(2025, 2, 20)),
        (date(2024, 11, 1), date(2025, 3, 1)),
        (date(2015, 1, 1), date(2025, 1, 1)),
        (date(1950, 1, 1), date(2100, 1, 1)),
    ],
)
def test_date_ticks_are_few_and_inside_the_range(start, end):
    ticks = date_ticks(start, end)
    assert 1 <= len(ticks) <= 6
    assert all(start <= tick <= end for tick, _ in ticks)


@pytest.mark.parametrize(("low", "high"), [(0, 21), (0, 161), (-5, 5), (13.5, 14.0)])
def test_number_ticks_are_round_and_inside_the_range(low, high):
    ticks = number_ticks(low, high)
    assert 2 <= len(ticks) <= 7
    assert all(low <= t <= high for t in ticks)


# --- batches -------------------------------------------------------------------------------


def worksheet_part_for(client: str, assignment_id: int = 12):
    return worksheet_part(
        TRUST,
        letterhead(client_name=client),
        assignment_id=assignment_id,
        stage_intro="Intro",
        due_on=None,
    )


def test_a_batch_is_one_pdf_of_its_parts_each_with_its_own_pages():
    lh = letterhead()
    parts = [
        worksheet_part_for("Ana Ruiz"),
        after_session_part(lh, homework=[("Trust plan", ON)], next_session=None),
        worksheet_part_for("Ben Ruiz", 13),
    ]
    calls = []
    batch = render_all(parts, title="Casebook handouts", progress=lambda *c: calls.append(c))
    alone = [render_part(p) for p in parts]
    counts = [len(PdfReader(io.BytesIO(pdf)).pages) for pdf in alone]
    pages = [flat(p) for p in pages_text(batch)]
    assert len(pages) == sum(counts)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    # each part numbers its own pages and carries its own client in the footer
    first_of_ben = counts[0] + counts[1]
    assert f"Page 1 of {counts[0]}" in pages[0] and "Ana Ruiz" in pages[0]
    assert f"Page {counts[0]} of {counts[0]}" in pages[counts[0] - 1]
    assert "Page 1 of 1" in pages[counts[0]] and "After our session" in pages[counts[0]]
    assert f"Page 1 of {counts[2]}" in pages[first_of_ben] and "Ben Ruiz" in pages[first_of_ben]
    assert "Ana Ruiz" not in pages[first_of_ben]


def test_two_copies_of_a_worksheet_in_a_batch_keep_their_fields_apart():
    batch = render_all(
        [worksheet_part_for("Ana Ruiz"), worksheet_part_for("Ben Ruiz", 13)], title="Handouts"
    )
    names = set(form_fields(batch))
    alone = set(form_fields(blank()))
    assert {n.removeprefix("d1.") for n in names if n.startswith("d1.")} == alone
    assert {n.removeprefix("d2.") for n in names if n.startswith("d2.")} == alone
    assert "d1.cb.reliability" in names and "d2.cb.reliability" in names
    assert len(names) == 2 * len(alone)


def test_a_piece_taller_than_a_page_is_refused_plainly_not_a_layout_traceback():
    from reportlab.platypus import Flowable

    class Tall(Flowable):  # nothing splits it, as a box a page and a half high
        def wrap(self, width, height):
            return width, 1200

        def draw(self):
            pass

    part = handout_part(lambda st, width: [Tall()], letterhead(), title="Tall")
    with pytest.raises(TooLarge, match="too large to fit on a page"):
        render_part(part)


def test_a_batch_of_nothing_is_refused():
    with pytest.raises(ValueError, match="Nothing"):
        render_all([], title="Handouts")


def test_a_worksheet_with_bytes_flipped_is_read_or_refused_never_a_crash():
    original = fill(blank(), FILLED)
    for seed in range(25):
        damaged = bytearray(original)
        for n in range(1, 12):
            damaged[(seed * 7919 + n * 104729) % len(damaged)] = (seed + n) % 256
        try:
            outcome = read_filled(bytes(damaged)).key
        except NotAWorksheet as refusal:
            outcome = str(refusal)
        assert outcome == "trust_plan" or outcome.startswith("This ")
