"""The hostile-input corpus through every form and command that exists."""

from __future__ import annotations

import io
import sys

import pytest
from streamlit.testing.v1 import AppTest

from casebook import accounts, cases, practice, stage_history, validation
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.errors import CasebookError, ValidationError
from pages.common import USER_KEY, md
from tests.hostile import ABSURD_DATES, HOSTILE_TEXT
from tests.test_pages import APP, actor, demo  # noqa: F401 - the demo fixture

VALUES = pytest.mark.parametrize("value", HOSTILE_TEXT.values(), ids=HOSTILE_TEXT.keys())


AS_TYPED = object()


def stored_or_refused(save, read, value, *, expected=AS_TYPED):
    """Either the save is refused plainly and nothing changes, or it reads back as typed."""
    before = read()
    try:
        save(value)
    except CasebookError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert read() == before
        return False
    assert read() == (value.strip() if expected is AS_TYPED else expected)
    return True


@VALUES
def test_client_name(db, people, value):
    morgan = people["morgan"]

    def save(v):
        cases.create_case(db, morgan, [ClientInput(v)])

    def read():
        found = cases.list_cases(db, morgan)
        return found[0].clients[0].name if found else None

    stored_or_refused(save, read, value)


@VALUES
@pytest.mark.parametrize("field", ["pronouns", "email", "phone"])
def test_client_details(db, people, value, field):
    morgan = people["morgan"]

    def save(v):
        cases.create_case(db, morgan, [ClientInput("Ana", **{field: v})])

    def read():
        found = cases.list_cases(db, morgan)
        return getattr(found[0].clients[0], field) if found else None

    stored_or_refused(save, read, value)


@VALUES
def test_presenting_concern_close_note_and_move_reason(db, people, value):
    morgan = people["morgan"]
    case = cases.create_case(db, morgan, [ClientInput("Ana")])
    client_id = case.clients[0].id

    def concern():
        return cases.get_case(db, morgan, case.id).presenting_concern

    def save_concern(v):
        current = cases.get_case(db, morgan, case.id)
        cases.update_case(
            db, morgan, case.id, current.version, clients=[ClientInput("Ana")], presenting_concern=v
        )

    stored_or_refused(save_concern, concern, value)

    def reason():
        return stage_history.history(db, morgan, client_id)[-1].reason

    stored_or_refused(
        lambda v: stage_history.move_client(db, morgan, client_id, 2, reason=v), reason, value
    )

    def note():
        return cases.get_case(db, morgan, case.id).closing_note

    def close(v):
        current = cases.get_case(db, morgan, case.id)
        cases.close_case(
            db,
            morgan,
            case.id,
            current.version,
            outcome="other",
            closed_on=current.opened_on,
            note=v,
        )

    stored_or_refused(close, note, value)


@VALUES
def test_search_never_fails(db, people, value):
    cases.create_case(db, people["morgan"], [ClientInput("Ana")])
    try:
        found = cases.list_cases(db, people["morgan"], search=value)
    except CasebookError as exc:
        assert "Search" in str(exc) and "\n" not in str(exc)
    else:
        assert all(value.strip().lower() in c.label.lower() for c in found)


@VALUES
def test_account_display_name_and_practice_name(db, people, value):
    admin = people["admin"]

    def save_account(v):
        accounts.create_user(
            db, admin, "newcomer", "counsellor", "a long passphrase", display_name=v
        )

    def read_account():
        found = [a for a in accounts.list_accounts(db, admin) if a.username == "newcomer"]
        return found[0].display_name if found else None

    stored_or_refused(save_account, read_account, value, expected=value.strip() or "newcomer")
    stored_or_refused(
        lambda v: practice.update(db, admin, practice_name=v),
        lambda: practice.load(db).practice_name,
        value,
        expected=value,
    )


@VALUES
def test_username_and_password(db, people, value):
    admin = people["admin"]
    names = lambda: sorted(a.username for a in accounts.list_accounts(db, admin))  # noqa: E731
    stored_or_refused(
        lambda v: accounts.create_user(db, admin, v, "counsellor", "a long passphrase"),
        names,
        value,
        expected=sorted([*names(), value.strip().lower()]),
    )
    # Any password of 12 characters or more is accepted and verifies exactly.
    if len(value) >= 12:
        accounts.create_user(db, admin, "pwuser", "counsellor", value)
        assert accounts.authenticate(db, "pwuser", value).username == "pwuser"


@pytest.mark.parametrize("day", ABSURD_DATES.values(), ids=ABSURD_DATES.keys())
def test_absurd_dates_are_refused(db, people, day):
    morgan = people["morgan"]
    with pytest.raises(CasebookError):
        cases.create_case(db, morgan, [ClientInput("Ana")], opened_on=day)
    case = cases.create_case(db, morgan, [ClientInput("Ana")])
    with pytest.raises(CasebookError):
        stage_history.move_client(db, morgan, case.clients[0].id, 2, reason="r", moved_on=day)
    with pytest.raises(CasebookError):
        cases.close_case(db, morgan, case.id, case.version, outcome="other", closed_on=day)
    assert cases.get_case(db, morgan, case.id).status == "open"


@VALUES
def test_cli_user_add_display_name(settings, monkeypatch, capsys, value):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long passphrase\n"))
    code = main(
        [
            "user",
            "add",
            "hostile",
            "--role",
            "counsellor",
            "--display-name",
            value,
            "--password-stdin",
        ],
        settings=settings,
    )
    out = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in out.err
    if code == 2:
        assert len(out.err.strip().splitlines()) == 1


# --- the forms, through AppTest: shown as typed or refused, the typed text kept -------------

FORM_VALUES = {k: v for k, v in HOSTILE_TEXT.items() if k != "one megabyte"}
FORM_VALUES["long"] = "y" * 20_000


@pytest.mark.parametrize("value", FORM_VALUES.values(), ids=FORM_VALUES.keys())
def test_new_case_form(demo, value):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = actor(demo, "morgan")
    at.run()
    at.switch_page("pages/new_case.py").run()
    at.text_input(key="new_client1_name").input(value)
    at.text_area(key="new_case_concern").input(value)
    at.button[0].click().run()
    assert not at.exception
    morgan = actor(demo, "morgan")
    created = [c for c in cases.list_cases(demo, morgan) if c.presenting_concern == value.strip()]
    if at.error:
        assert at.text_input(key="new_client1_name").value == value  # kept on screen
        assert len(at.error) == 1 and "\n" not in at.error[0].value
        assert created == []
    else:
        assert len(created) == 1 and created[0].clients[0].name == value.strip()
        at.switch_page("pages/case.py")
        at.query_params["case"] = str(created[0].id)
        at.run()
        assert not at.exception
        titles = [t.value for t in at.title]
        assert titles == [f"Case #{created[0].id} · {md(value.strip())}"]


# --- documents and files: exports and the client import -------------------------------------

PRINTABLE = [
    "script tag",
    "html",
    "markdown",
    "quotes",
    "sql",
    "greek and cyrillic",
    "formula equals",
    "formula plus",
    "backslashes",
    "percent and underscore",
]


@VALUES
def test_client_export_keeps_the_text_exactly(db, people, value, tmp_path):
    import json

    from pypdf import PdfReader

    from casebook import exports

    morgan = people["morgan"]
    try:
        case = cases.create_case(db, morgan, [ClientInput(value)], presenting_concern=value)
    except CasebookError:
        return  # refused plainly at entry (checked above); nothing to export
    written = exports.export_client(db, morgan, case.clients[0].id, tmp_path)
    record = json.loads(next(p for p in written if p.suffix == ".json").read_text("utf-8"))

    def strings(node):
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) else []

    assert strings(record).count(value.strip()) >= 2  # the name and the presenting concern
    pdf = next(p for p in written if p.suffix == ".pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    key = next(k for k, v in HOSTILE_TEXT.items() if v == value)
    if key in PRINTABLE:
        assert value.strip() in text


@VALUES
def test_practice_csv_neutralises_and_keeps_the_text(db, people, value, tmp_path):
    import csv

    from casebook import exports

    morgan = people["morgan"]
    try:
        cases.create_case(db, morgan, [ClientInput(value)])
    except CasebookError:
        return
    path = exports.export_practice_csv(db, morgan, tmp_path / "cases.csv")
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
    cell = rows[0]["client_name"]
    expected = value.strip()
    assert cell == ("'" + expected if expected.startswith(("=", "+", "-", "@")) else expected)


@VALUES
def test_client_import_stores_as_typed_or_refuses_everything(db, people, value, tmp_path):
    import csv

    from casebook import imports

    morgan = people["morgan"]
    path = tmp_path / "clients.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["name", "presenting_concern"])
        writer.writerow(["Good Row", "fine"])
        writer.writerow([value, value])
    try:
        imports.import_clients(db, morgan, path)
    except CasebookError as exc:
        assert "\n" not in str(exc)
        assert cases.list_cases(db, morgan) == []  # all or nothing
        return
    names = sorted(c.clients[0].name for c in cases.list_cases(db, morgan))
    # A row whose cells are all blank is skipped, as the import documents.
    assert names == sorted(["Good Row", *([value.strip()] if value.strip() else [])])


# --- worksheets: answers, instructions, custom templates ------------------------------------


@VALUES
def test_worksheet_answers_and_instructions(db, people, value):
    from casebook import homework, library

    morgan = people["morgan"]
    case = cases.create_case(db, morgan, [ClientInput("Ana")])
    trust = next(t.id for t in library.list_templates(db, morgan) if t.key == "trust_plan")
    from datetime import date, timedelta

    try:
        [a] = homework.assign(
            db, morgan, [case.clients[0].id], trust, due_on=date.today(), instructions=value
        )
    except CasebookError as exc:
        assert "\n" not in str(exc)
        assert homework.for_case(db, morgan, case.id) == []
    else:
        assert homework.get(db, morgan, a.id).instructions == value.strip()
    tomorrow = date.today() + timedelta(days=1)  # not the same day's: that would be a twin
    [a] = homework.assign(db, morgan, [case.clients[0].id], trust, due_on=tomorrow)

    def answer():
        return homework.get(db, morgan, a.id).answers.get("hiding", (None,))[0]

    stored_or_refused(
        lambda v: homework.save_answers(
            db, morgan, a.id, homework.get(db, morgan, a.id).assignment.version, {"hiding": v}, {}
        ),
        answer,
        value,
        expected=value.strip() or None,
    )


@VALUES
def test_custom_worksheet_source(db, people, value):
    from casebook import library

    before = library.list_templates(db, people["morgan"])
    try:
        library.save_custom(db, people["morgan"], value)
    except CasebookError as exc:
        assert str(exc) and "Traceback" not in str(exc)
    assert library.list_templates(db, people["morgan"]) == before


# --- session notes ---------------------------------------------------------------------------


@VALUES
def test_note_sections_risk_notes_addenda_and_private_notes(db, people, value):
    from datetime import datetime, timedelta

    from casebook import notes

    morgan = people["morgan"]
    # Opened yesterday: an hour ago is yesterday just after midnight.
    opened = datetime.now().date() - timedelta(days=1)
    case = cases.create_case(db, morgan, [ClientInput("Ana")], opened_on=opened)
    note = notes.create_draft(
        db,
        morgan,
        case.id,
        session_at=datetime.now() - timedelta(hours=1),
        attendance="one",
        attendees=[case.clients[0].id],
        note_format="SOAP",
    )

    def current():
        return notes.get_note(db, morgan, note.id)

    stored_or_refused(
        lambda v: notes.save_draft(
            db, morgan, note.id, current().version, sections={"plan": v}, risk_notes=v
        ),
        lambda: (current().sections.get("plan"), current().risk_notes),
        value,
        expected=(value.strip(), value.strip()),
    )
    stored_or_refused(
        lambda v: notes.save_psychotherapy_note(db, morgan, note.id, v),
        lambda: current().psychotherapy_note,
        value,
    )
    notes.save_draft(db, morgan, note.id, current().version, sections={"plan": "signed text"})
    notes.sign(db, morgan, note.id, current().version)
    stored_or_refused(
        lambda v: notes.add_addendum(db, morgan, note.id, v),
        lambda: [a.text for a in current().addenda],
        value,
        expected=[value.strip()],
    )


# --- measures -------------------------------------------------------------------------------


@VALUES
def test_measure_answers_and_definitions(db, people, value):
    from datetime import date

    from casebook import measures

    morgan = people["morgan"]
    case = cases.create_case(db, morgan, [ClientInput("Ana")])
    client = case.clients[0]
    csi4 = next(i for i, d in measures.current_measures(db).items() if d.key == "csi4")
    answers = {"happiness": value, "warm": 1, "rewarding": 1, "satisfied": 1}
    with pytest.raises(CasebookError) as err:
        measures.record_score(db, morgan, client.id, csi4, answers, scored_on=date.today())
    assert "happiness" in str(err.value) and "\n" not in str(err.value)
    assert measures.scores_for_case(db, morgan, case.id) == []
    before = measures.definitions(db)
    with pytest.raises(CasebookError):
        measures.save_custom(db, people["admin"], value)
    assert measures.definitions(db).keys() == before.keys()


# --- handouts --------------------------------------------------------------------------------


@VALUES
def test_handouts_print_user_text_as_typed(db, people, value):
    from datetime import date
    from io import BytesIO

    from pypdf import PdfReader

    from casebook import documents, homework, library

    morgan = people["morgan"]
    try:
        case = cases.create_case(db, morgan, [ClientInput(value)])
    except CasebookError:
        return  # refused at entry
    trust = next(t.id for t in library.list_templates(db, morgan) if t.key == "trust_plan")
    [a] = homework.assign(
        db,
        morgan,
        [case.clients[0].id],
        trust,
        due_on=date.today(),
        instructions=value if len(value) < 5000 else "",
    )
    for doc in (
        documents.worksheet(db, morgan, a.id),
        documents.guide(db, morgan, case.clients[0].id),
    ):
        text = " ".join(p.extract_text() for p in PdfReader(BytesIO(doc.pdf)).pages)
        key = next(k for k, v in HOSTILE_TEXT.items() if v == value)
        if key in PRINTABLE:
            assert value.strip() in text


def test_free_text_keeps_the_direction_marks_a_chat_app_pastes_but_a_name_refuses_them():
    pasted = "Read out a message from \u2068Omar\u2069 about the weekend."
    assert validation.text(pasted, "Subjective", max_len=5000, multiline=True) == pasted
    with pytest.raises(ValidationError, match="control character"):
        validation.text("Ann\u202eevE", "Name", max_len=200)
