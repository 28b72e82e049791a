"""Exports: one client's record as JSON and PDF, the practice's cases as CSV, and the CLI."""

import csv
import io
import json
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from casebook import accounts, audit, cases, exports, measures, stage_history
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.errors import AccessDenied, NotFound, ValidationError
from handouts.record import ClientRecord, StageEntry, client_record_pdf
from tests.conftest import PASSWORD

TODAY = date.today()
MARKUP = "<b>&amp; \"quotes\"</b> <i>'single'</i> <br/> &lt;"


def single(db, actor, name="Cleo Park", **kw):
    client = ClientInput(name, "she/her", "cleo@example.org", "+44 20 7946 0001")
    return cases.create_case(db, actor, [client], **kw)


def couple(db, actor):
    return cases.create_case(
        db,
        actor,
        [
            ClientInput("Ana Ruiz", "she/her", "ana@example.org", "555 0101"),
            ClientInput("Ben Ruiz", "he/him", "ben.private@example.org", "555 0199"),
        ],
        presenting_concern="Trust after an affair",
        opened_on=TODAY - timedelta(days=30),
    )


def export(db, actor, client_id, folder):
    paths = exports.export_client(db, actor, client_id, folder)
    by_suffix = {p.suffix: p for p in paths}
    data = json.loads(by_suffix[".json"].read_text(encoding="utf-8"))
    return data, pdf_text(by_suffix[".pdf"].read_bytes())


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """The text with line breaks as spaces: wrapping must not decide a test."""
    return " ".join(text.split())


# --- one client's record -------------------------------------------------------------------


def test_export_writes_a_json_and_a_pdf_named_for_the_client(db, people, tmp_path):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    paths = exports.export_client(db, people["morgan"], client_id, tmp_path / "out")
    assert [p.name for p in paths] == [f"client-{client_id}.json", f"client-{client_id}.pdf"]
    assert all(p.is_file() for p in paths)


def test_json_holds_the_clients_details_case_and_history(db, people, tmp_path):
    morgan = people["morgan"]
    case = single(db, morgan, presenting_concern="Drifted apart", start_stage=2)
    client_id = case.clients[0].id
    stage_history.move_client(db, morgan, client_id, 3, reason="Ready to work on themselves")
    data, _ = export(db, morgan, client_id, tmp_path)
    assert data["client"] == {
        "id": client_id,
        "name": "Cleo Park",
        "pronouns": "she/her",
        "email": "cleo@example.org",
        "phone": "+44 20 7946 0001",
        "stage": 3,
        "stage_name": "Improve yourself",
        "stage_since": TODAY.isoformat(),
    }
    assert data["case"] == {
        "id": case.id,
        "kind": "individual",
        "partner": None,
        "counsellor": "Morgan",
        "status": "open",
        "outcome": None,
        "opened_on": TODAY.isoformat(),
        "closed_on": None,
        "presenting_concern": "Drifted apart",
        "closing_note": None,
        "earlier_closings": [],
    }
    assert [(h["stage"], h["moved_by"], h["reason"]) for h in data["stage_history"]] == [
        (2, "Morgan", "Case opened"),
        (3, "Morgan", "Ready to work on themselves"),
    ]
    assert data["exported_by"] == "Morgan"
    assert data["exported_on"] == TODAY.isoformat()


def test_json_is_indented_utf8_with_non_ascii_kept(db, people, tmp_path):
    case = single(db, people["morgan"], name="Σοφία Παπαδοπούλου")
    paths = exports.export_client(db, people["morgan"], case.clients[0].id, tmp_path)
    raw = paths[0].read_bytes()
    assert "Σοφία Παπαδοπούλου".encode() in raw
    assert b"\\u03a3" not in raw
    assert raw.startswith(b'{\n  "')


def test_pdf_shows_title_practice_client_confidentiality_and_page_numbers(db, people, tmp_path):
    case = single(db, people["morgan"], presenting_concern="Drifted apart")
    _, text = export(db, people["morgan"], case.clients[0].id, tmp_path)
    for expected in [
        "Client record",
        "Casebook practice",
        "Cleo Park",
        "Confidential clinical record",
        "cleo@example.org",
        "Drifted apart",
        "Stage history",
        "Reflect on the relationship",
        "Case opened",
        f"{TODAY:%d %b %Y}",
        "Page 1 of 1",
        "Psychotherapy notes are kept apart",
    ]:
        assert expected in flat(text), expected


def test_pdf_shows_a_closed_cases_outcome_and_closing_note(db, people, tmp_path):
    morgan = people["morgan"]
    case = single(db, morgan)
    cases.close_case(
        db,
        morgan,
        case.id,
        case.version,
        outcome="separated well",
        closed_on=TODAY,
        note="Ended kindly",
    )
    data, text = export(db, morgan, case.clients[0].id, tmp_path)
    assert data["case"]["status"] == "closed"
    assert data["case"]["outcome"] == "separated well"
    assert data["case"]["closing_note"] == "Ended kindly"
    assert "Separated well" in text
    assert "Ended kindly" in text


def test_a_reopened_cases_earlier_closing_is_in_the_record(db, people, tmp_path):
    morgan = people["morgan"]
    case = single(db, morgan)
    closed = cases.close_case(
        db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY, note="Moving away"
    )
    cases.reopen_case(db, morgan, case.id, closed.version)
    data, text = export(db, morgan, case.clients[0].id, tmp_path)
    assert (data["case"]["status"], data["case"]["closing_note"]) == ("open", None)
    assert data["case"]["earlier_closings"] == [
        {
            "closed_on": TODAY.isoformat(),
            "outcome": "paused",
            "note": "Moving away",
            "reopened_on": TODAY.isoformat(),
        }
    ]
    assert "Closed before" in text and "Moving away" in text


def test_couple_export_names_the_partner_but_not_their_contact_details(db, people, tmp_path):
    case = couple(db, people["morgan"])
    ana = case.clients[0]
    data, text = export(db, people["morgan"], ana.id, tmp_path)
    raw = (tmp_path / f"client-{ana.id}.json").read_text(encoding="utf-8")
    assert data["case"]["kind"] == "couple"
    assert data["case"]["partner"] == {"name": "Ben Ruiz"}
    assert data["client"]["email"] == "ana@example.org"
    assert "Ben Ruiz" in text
    for private in ["ben.private@example.org", "555 0199", "he/him"]:
        assert private not in raw
        assert private not in text


def test_couple_export_holds_only_this_clients_stage_history(db, people, tmp_path):
    morgan = people["morgan"]
    case = couple(db, morgan)
    ana, ben = case.clients
    stage_history.move_client(db, morgan, ben.id, 2, reason="Ben asked for space")
    stage_history.move_client(db, morgan, ana.id, 3, reason="Ana started a course")
    data, text = export(db, morgan, ana.id, tmp_path)
    assert [h["reason"] for h in data["stage_history"]] == ["Case opened", "Ana started a course"]
    assert "Ben asked for space" not in text
    assert "Ana started a course" in text


def test_the_record_holds_the_clients_own_measure_scores_item_by_item(db, people, tmp_path):
    # A client's record left out every score: a record passed on held no CSI-4 at all.
    morgan = people["morgan"]
    case = couple(db, morgan)
    ana, ben = case.clients
    csi4 = next(i for i, d in measures.current_measures(db).items() if d.key == "csi4")
    first = {"happiness": 2, "warm": 1, "rewarding": 2, "satisfied": 1}
    later = {"happiness": 4, "warm": 4, "rewarding": 3, "satisfied": 4}
    on = TODAY - timedelta(days=20)
    measures.record_score(db, morgan, ana.id, csi4, first, scored_on=on)
    measures.record_score(db, morgan, ben.id, csi4, first, scored_on=on)
    slip = measures.record_score(db, morgan, ana.id, csi4, first, scored_on=TODAY)
    measures.strike_score(db, morgan, slip.id, "Ben's answers")
    measures.record_score(db, morgan, ana.id, csi4, later, scored_on=TODAY)
    data, text = export(db, morgan, ana.id, tmp_path)
    assert data["measure_scores"] == [
        {
            "measure": "Couples Satisfaction Index (CSI-4)",
            "scored_on": on.isoformat(),
            "total": 6,
            "answers": first,
        },
        {
            "measure": "Couples Satisfaction Index (CSI-4)",
            "scored_on": TODAY.isoformat(),
            "total": 15,
            "answers": later,
        },
    ]
    assert "Measure scores" in text
    assert "happiness 4, warm 4, rewarding 3, satisfied 4" in flat(text)
    data, _ = export(db, morgan, ben.id, tmp_path)
    assert [e["total"] for e in data["measure_scores"]] == [6]


@pytest.mark.parametrize(
    "name",
    ["Σοφία Παπαδοπούλου", "Дмитрий Иванов", "Zoë Ørsted-Łukasz", 'O\'Brien "Bob"'],
    ids=["greek", "cyrillic", "latin accents", "quotes"],
)
def test_names_in_any_script_print_as_typed(db, people, tmp_path, name):
    case = single(db, people["morgan"], name=name)
    data, text = export(db, people["morgan"], case.clients[0].id, tmp_path)
    assert data["client"]["name"] == name
    assert name in text


def test_emoji_does_not_break_the_export(db, people, tmp_path):
    case = single(db, people["morgan"], name="Ana 👩‍❤️‍👨 🙂", presenting_concern="🌱 growth")
    data, text = export(db, people["morgan"], case.clients[0].id, tmp_path)
    assert data["client"]["name"] == "Ana 👩‍❤️‍👨 🙂"
    assert "Ana" in text and "growth" in text


@pytest.mark.parametrize("field", ["name", "presenting_concern", "reason"])
def test_markup_like_text_prints_as_typed(db, people, tmp_path, field):
    morgan = people["morgan"]
    name = MARKUP if field == "name" else "Cleo Park"
    concern = MARKUP if field == "presenting_concern" else ""
    case = single(db, morgan, name=name, presenting_concern=concern)
    client_id = case.clients[0].id
    if field == "reason":
        stage_history.move_client(db, morgan, client_id, 2, reason=MARKUP)
    _, text = export(db, morgan, client_id, tmp_path)
    # a name shows in the heading, the details and the running footer
    assert flat(text).count(MARKUP) == (3 if field == "name" else 1)


def test_line_breaks_in_a_concern_are_kept(db, people, tmp_path):
    case = single(db, people["morgan"], presenting_concern="First line\nSecond line")
    _, text = export(db, people["morgan"], case.clients[0].id, tmp_path)
    assert "First line\nSecond line" in text


def test_a_long_history_runs_over_pages_numbered_n_of_m(db, people, tmp_path):
    morgan = people["morgan"]
    case = single(db, morgan)
    client_id = case.clients[0].id
    for i in range(60):
        stage_history.move_client(
            db, morgan, client_id, i % 7 + 2, reason=f"Move {i}: " + "worked on it " * 12
        )
    _, text = export(db, morgan, client_id, tmp_path)
    pages = PdfReader(tmp_path / f"client-{client_id}.pdf").pages
    assert len(pages) >= 3
    for n in range(1, len(pages) + 1):
        assert f"Page {n} of {len(pages)}" in pages[n - 1].extract_text()
    assert "Move 59:" in text
    # the table head repeats on every page of the history
    assert all("Moved by" in p.extract_text() for p in pages[1:])


def test_export_creates_a_missing_folder(db, people, tmp_path):
    case = single(db, people["morgan"])
    folder = tmp_path / "a" / "b"
    paths = exports.export_client(db, people["morgan"], case.clients[0].id, folder)
    assert all(p.parent == folder for p in paths)


@pytest.mark.parametrize("existing", ["json", "pdf"])
def test_export_refuses_to_overwrite_and_leaves_the_old_file(db, people, tmp_path, existing):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    folder = tmp_path / "out"
    folder.mkdir()
    old = folder / f"client-{client_id}.{existing}"
    old.write_text("keep me")
    with pytest.raises(ValidationError, match="already exists"):
        exports.export_client(db, people["morgan"], client_id, folder)
    assert old.read_text() == "keep me"
    assert [p.name for p in folder.iterdir()] == [old.name]


def test_export_into_a_file_instead_of_a_folder_is_refused(db, people, tmp_path):
    case = single(db, people["morgan"])
    target = tmp_path / "taken"
    target.write_text("")
    with pytest.raises(ValidationError, match="not a folder"):
        exports.export_client(db, people["morgan"], case.clients[0].id, target)


def test_another_counsellor_cannot_export_and_nothing_is_written(db, people, tmp_path):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    with pytest.raises(AccessDenied, match=f"no client #{client_id} that you can open"):
        exports.export_client(db, people["riley"], client_id, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_admin_cannot_export_a_client(db, people, tmp_path):
    case = single(db, people["morgan"])
    with pytest.raises(AccessDenied):
        exports.export_client(db, people["admin"], case.clients[0].id, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_supervisor_can_export_any_client(db, people, tmp_path):
    case = single(db, people["morgan"])
    data, _ = export(db, people["casey"], case.clients[0].id, tmp_path)
    assert data["client"]["name"] == "Cleo Park"
    assert data["exported_by"] == "Casey"


def test_export_of_an_unknown_client_is_not_found(db, people, tmp_path):
    with pytest.raises(NotFound, match="no client #999"):
        exports.export_client(db, people["morgan"], 999, tmp_path)


def test_export_is_audited_with_case_and_client(db, people, tmp_path):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    exports.export_client(db, people["morgan"], client_id, tmp_path)
    [entry] = audit.entries(db, people["admin"], action="export")
    assert (entry.username, entry.case_id, entry.client_id, entry.detail) == (
        "morgan",
        case.id,
        client_id,
        "json+pdf",
    )


def test_a_refused_export_is_not_audited(db, people, tmp_path):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    (tmp_path / f"client-{client_id}.pdf").write_text("")
    with pytest.raises(ValidationError):
        exports.export_client(db, people["morgan"], client_id, tmp_path)
    assert audit.entries(db, people["admin"], action="export") == []


# --- the PDF from plain data ----------------------------------------------------------------


def plain_record(**changes):
    values = dict(
        client_id=7,
        name="Cleo Park",
        pronouns="she/her",
        email="cleo@example.org",
        phone="",
        stage=2,
        stage_name="Give space and time",
        stage_since=date(2025, 3, 1),
        case_id=3,
        kind="individual",
        partner_name=None,
        counsellor="Morgan",
        status="open",
        outcome=None,
        opened_on=date(2025, 1, 6),
        closed_on=None,
        presenting_concern="",
        closing_note=None,
        history=(StageEntry(2, "Give space and time", date(2025, 3, 1), "Morgan", "Agreed"),),
        exported_on=date(2025, 4, 1),
        exported_by="Morgan",
    )
    values.update(changes)
    return values


def test_the_stage_history_starts_on_the_page_of_its_heading():
    for lines in range(0, 50, 2):  # moves the heading down the first page, line by line
        concern = "A line about what brought the client\n" * lines
        pdf = client_record_pdf(ClientRecord(**plain_record(presenting_concern=concern)), "P")
        pages = [flat(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
        heading = next(n for n, text in enumerate(pages) if "Stage history" in text)
        assert "Agreed" in pages[heading], f"after {lines} lines"


def test_record_pdf_takes_a_dict_as_well_as_a_dataclass():
    as_dict = plain_record()
    as_dict["history"] = [
        {
            "stage": 2,
            "stage_name": "Give space and time",
            "moved_on": date(2025, 3, 1),
            "moved_by": "Morgan",
            "reason": "Agreed",
        }
    ]
    text = pdf_text(client_record_pdf(as_dict, "Harbour Counselling"))
    assert text == pdf_text(
        client_record_pdf(ClientRecord(**plain_record()), "Harbour Counselling")
    )
    assert "Harbour Counselling" in text and "01 Mar 2025" in text


def test_record_pdf_escapes_the_practice_name():
    text = pdf_text(client_record_pdf(ClientRecord(**plain_record()), "Ruiz & Park <Clinic>"))
    # in the running header and in the line under the client's name
    assert text.count("Ruiz & Park <Clinic>") == 2


def test_record_pdf_says_when_no_stage_moves_are_recorded():
    text = pdf_text(client_record_pdf(ClientRecord(**plain_record(history=())), "P"))
    assert "No stage moves are recorded." in text


def test_handouts_take_plain_data_without_streamlit_or_the_database():
    code = (
        "import sys, handouts.record, handouts.fonts; "
        "print(sorted(m for m in ('streamlit', 'sqlalchemy', 'casebook') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the practice's cases as CSV -------------------------------------------------------------


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_practice_csv_has_one_row_per_client(db, people, tmp_path):
    morgan = people["morgan"]
    pair = couple(db, morgan)
    alone = single(db, morgan, start_stage=4)
    path = exports.export_practice_csv(db, morgan, tmp_path / "cases.csv")
    rows = read_csv(path)
    assert list(rows[0]) == list(exports.CSV_COLUMNS)
    by_name = {r["client_name"]: r for r in rows}
    assert set(by_name) == {"Ana Ruiz", "Ben Ruiz", "Cleo Park"}
    assert by_name["Ana Ruiz"]["partner_name"] == "Ben Ruiz"
    assert by_name["Ben Ruiz"]["partner_name"] == "Ana Ruiz"
    assert by_name["Ben Ruiz"]["case_id"] == str(pair.id)
    assert by_name["Ben Ruiz"]["client_id"] == str(pair.clients[1].id)
    assert by_name["Ana Ruiz"]["opened_on"] == (TODAY - timedelta(days=30)).isoformat()
    assert by_name["Cleo Park"] == {
        "case_id": str(alone.id),
        "client_id": str(alone.clients[0].id),
        "client_name": "Cleo Park",
        "pronouns": "she/her",
        "partner_name": "",
        "stage": "4",
        "stage_name": "Re-establish communication",
        "stage_since": TODAY.isoformat(),
        "case_status": "open",
        "outcome": "",
        "opened_on": TODAY.isoformat(),
        "counsellor": "Morgan",
    }


def test_practice_csv_holds_closed_and_archived_cases_too(db, people, tmp_path):
    morgan = people["morgan"]
    closed = single(db, morgan, name="Dev Patel")
    closed = cases.close_case(
        db, morgan, closed.id, closed.version, outcome="paused", closed_on=TODAY
    )
    archived = single(db, morgan, name="Eve Stone")
    cases.set_archived(db, morgan, archived.id, archived.version, True)
    rows = {
        r["client_name"]: r
        for r in read_csv(exports.export_practice_csv(db, morgan, tmp_path / "c.csv"))
    }
    assert (rows["Dev Patel"]["case_status"], rows["Dev Patel"]["outcome"]) == ("closed", "paused")
    assert rows["Eve Stone"]["case_status"] == "archived"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("morgan", {"Cleo Park"}), ("riley", {"Ruth Riley"}), ("casey", {"Cleo Park", "Ruth Riley"})],
)
def test_practice_csv_holds_only_the_cases_the_actor_may_see(db, people, tmp_path, who, expected):
    single(db, people["morgan"])
    single(db, people["riley"], name="Ruth Riley")
    rows = read_csv(exports.export_practice_csv(db, people[who], tmp_path / "c.csv"))
    assert {r["client_name"] for r in rows} == expected


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2", "@x", '=HYPERLINK("http://x.org")'])
def test_practice_csv_neutralises_formulas(db, people, tmp_path, value):
    morgan = people["morgan"]
    cases.create_case(db, morgan, [ClientInput(value, value), ClientInput("Ben", "he/him")])
    rows = read_csv(exports.export_practice_csv(db, morgan, tmp_path / "c.csv"))
    first = next(r for r in rows if r["partner_name"] == "Ben")
    assert first["client_name"] == "'" + value
    assert first["pronouns"] == "'" + value
    assert next(r for r in rows if r["client_name"] == "Ben")["partner_name"] == "'" + value


def test_practice_csv_of_an_empty_caseload_has_the_header_only(db, people, tmp_path):
    path = exports.export_practice_csv(db, people["morgan"], tmp_path / "c.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines() == [",".join(exports.CSV_COLUMNS)]


def test_an_admin_cannot_export_the_practice_csv(db, people, tmp_path):
    with pytest.raises(AccessDenied):
        exports.export_practice_csv(db, people["admin"], tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


def test_practice_csv_refuses_to_overwrite(db, people, tmp_path):
    old = tmp_path / "c.csv"
    old.write_text("keep me")
    with pytest.raises(ValidationError, match="already exists"):
        exports.export_practice_csv(db, people["morgan"], old)
    assert old.read_text() == "keep me"


def test_practice_csv_to_a_folder_is_refused(db, people, tmp_path):
    with pytest.raises(ValidationError, match="is a folder"):
        exports.export_practice_csv(db, people["morgan"], tmp_path)


def test_practice_csv_is_taken_back_when_its_audit_entry_cannot_commit(
    db, people, tmp_path, monkeypatch
):
    real_write = db.write

    @contextmanager
    def write_that_fails_to_commit():
        with real_write() as s:
            yield s
            raise RuntimeError("the database went away")

    monkeypatch.setattr(db, "write", write_that_fails_to_commit)
    with pytest.raises(RuntimeError):
        exports.export_practice_csv(db, people["morgan"], tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


def test_practice_csv_is_audited(db, people, tmp_path):
    exports.export_practice_csv(db, people["casey"], tmp_path / "c.csv")
    [entry] = audit.entries(db, people["admin"], action="export")
    assert (entry.username, entry.detail) == ("casey", "cases csv")


# --- the command line ------------------------------------------------------------------------


def cli(settings, monkeypatch, *argv, password=PASSWORD):
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main([*argv, "--password-stdin"], settings=settings)


def test_cli_exports_a_client(settings, db, people, tmp_path, monkeypatch, capsys):
    case = single(db, people["morgan"])
    client_id = case.clients[0].id
    out = tmp_path / "export"
    code = cli(
        settings,
        monkeypatch,
        "export",
        "--client",
        str(client_id),
        "--out",
        str(out),
        "--user",
        "morgan",
    )
    assert code == 0
    assert (out / f"client-{client_id}.json").is_file()
    assert (out / f"client-{client_id}.pdf").is_file()
    assert capsys.readouterr().out.count("Wrote ") == 2


def test_cli_exports_the_practice_csv(settings, db, people, tmp_path, monkeypatch):
    single(db, people["morgan"])
    out = tmp_path / "cases.csv"
    assert (
        cli(settings, monkeypatch, "export", "--cases", "--out", str(out), "--user", "casey") == 0
    )
    assert [r["client_name"] for r in read_csv(out)] == ["Cleo Park"]


@pytest.mark.parametrize(
    ("user", "client", "password", "message"),
    [
        ("morgan", "999", PASSWORD, "There is no client #999 that you can open."),
        ("riley", "own", PASSWORD, "that you can open"),
        ("admin", "own", PASSWORD, "cannot do this"),
        ("morgan", "own", "wrong password", "Wrong user name or password"),
        ("morgan", "taken", PASSWORD, "already exists"),
        # The password an admin set in a reset: the admin knows it too.
        ("reset", "own", "temporary-pass-1", "must choose a new password"),
    ],
    ids=["unknown client", "other counsellor", "admin", "bad password", "file exists", "reset"],
)
def test_cli_export_refusals_exit_2_with_one_line(
    settings, db, people, tmp_path, monkeypatch, capsys, user, client, password, message
):
    case = single(db, people["morgan"])
    if user == "reset":
        accounts.reset_password(db, people["admin"], people["morgan"].id, password)
        user = "morgan"
    client_id = str(case.clients[0].id) if client in ("own", "taken") else client
    if client == "taken":
        (tmp_path / f"client-{client_id}.json").write_text("")
    code = cli(
        settings,
        monkeypatch,
        "export",
        "--client",
        client_id,
        "--out",
        str(tmp_path),
        "--user",
        user,
        password=password,
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("casebook: ") and message in err[0]
    assert not (tmp_path / f"client-{client_id}.pdf").exists()
