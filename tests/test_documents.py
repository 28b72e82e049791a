"""Handouts through the repositories, and filled worksheets read back (documents.py, CLI)."""

from __future__ import annotations

import errno
import io
import os
import sys
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader, PdfWriter

from casebook import audit, cases, documents, homework, library, notes, practice
from casebook.cases import ClientInput
from casebook.cli import main
from casebook.errors import AccessDenied, ValidationError
from tests.conftest import PASSWORD


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def couple(db, people):
    # Opened long ago: the tests date sessions and scores back as far as 400 days.
    return cases.create_case(
        db,
        people["morgan"],
        [ClientInput("Ana Σοφία"), ClientInput("Ben")],
        opened_on=date.today() - timedelta(days=730),
    )


def assign(db, actor, client_ids, key="trust_plan"):
    tid = next(t.id for t in library.list_templates(db, actor) if t.key == key)
    return homework.assign(db, actor, client_ids, tid, due_on=date.today() + timedelta(days=7))


def fill(pdf: bytes, values: dict[str, str]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_worksheet_handout_carries_the_letterhead_and_is_audited(db, people, couple):
    morgan = people["morgan"]
    practice.update(
        db, people["admin"], practice_name="Harbour Counselling", crisis_line="In danger? Call 999"
    )
    [a] = assign(db, morgan, [couple.clients[0].id])
    doc = documents.worksheet(db, morgan, a.id)
    text = text_of(doc.pdf)
    for expected in (
        "Harbour Counselling",
        "Ana Σοφία",
        "Morgan",
        "Trust plan",
        "In danger? Call 999",
        "Page 1 of",
    ):
        assert expected in text
    assert audit.entries(db, people["admin"], action="handout")[0].detail == f"worksheet #{a.id}"


def test_fill_the_pdf_then_import_saves_the_answers(db, people, couple):
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    homework.save_answers(
        db, morgan, a.id, a.version, {"hiding": "kept, private"}, {"hiding": False}
    )
    pdf = fill(
        documents.worksheet(db, morgan, a.id).pdf,
        {"cb.actions": "Cook on Sundays", "cb.hiding": "Nothing now"},
    )
    preview = documents.preview_import(db, morgan, pdf)
    changes = {f.prompt.split("?")[0]: new for f, _, new in preview.changes}
    assert changes == {
        "Is there anything you are tempted to keep secret": "Nothing now",
        "What will you do this week that shows your commitment, without having to say it": (
            "Cook on Sundays"
        ),
    }
    documents.apply_import(db, morgan, preview)
    answers = homework.get(db, morgan, a.id).answers
    assert answers["actions"] == ("Cook on Sundays", False)
    assert answers["hiding"] == ("Nothing now", False)  # the private choice is kept


def test_the_import_preview_says_that_saved_answers_left_empty_in_the_pdf_stay(
    settings, db, people, couple, tmp_path, monkeypatch, capsys
):
    # The handout prints blank: an empty box is a question not answered on paper. The saved
    # answer stays, which the preview did not say, so a cleared box looked like a lost edit.
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    homework.save_answers(
        db, morgan, a.id, a.version, {"hiding": "x", "actions": "y"}, {"hiding": False}
    )
    pdf = fill(documents.worksheet(db, morgan, a.id).pdf, {"cb.actions": "Cook on Sundays"})
    preview = documents.preview_import(db, morgan, pdf)
    assert preview.kept_in_words() == "1 saved answer is left empty in the PDF and stays as it is."
    documents.apply_import(db, morgan, preview)
    assert homework.get(db, morgan, a.id).answers["hiding"] == ("x", False)

    blank = documents.worksheet(db, morgan, a.id).pdf
    assert documents.preview_import(db, morgan, blank).kept_in_words() == (
        "2 saved answers are left empty in the PDF and stay as they are."
    )
    path = tmp_path / "blank.pdf"
    path.write_bytes(blank)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["import-pdf", str(path), "--user", "morgan", "--password-stdin"]
    assert main(argv, settings=settings) == 0
    assert "2 saved answers are left empty" in capsys.readouterr().out


def test_the_import_preview_shows_a_saved_0_or_no_as_such_and_rows_in_words(db, people, couple):
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    saved = {
        "reliability": 0,
        "promises": [{"promise": "Call mum", "by_when": None, "kept": False}],
    }
    homework.save_answers(db, morgan, a.id, a.version, saved, dict.fromkeys(saved, True))
    pdf = fill(
        documents.worksheet(db, morgan, a.id).pdf,
        {"cb.reliability": "/7", "cb.promises.0.promise": "Call mum", "cb.promises.0.kept": "/Yes"},
    )
    words = {
        q.split("?")[0]: (now, new)
        for q, now, new in documents.preview_import(db, morgan, pdf).in_words()
    }
    assert words == {
        "How dependable do you think you have been this week, from 0 (not at all) to 10 "
        "(completely)": ("0 out of 10", "7 out of 10"),
        "Which promises are you making, and did you keep them": (
            "What did you promise?: Call mum \u00b7 By when?: \u2014 \u00b7 Did you keep it?: No",
            "What did you promise?: Call mum \u00b7 By when?: \u2014 \u00b7 Did you keep it?: Yes",
        ),
    }


def test_a_long_answer_in_a_table_column_still_prints(db, people, couple):
    morgan = people["morgan"]
    diary = library.save_custom(
        db,
        morgan,
        'key = "diary"\nversion = 1\nstage = 2\ntitle = "Diary"\nintro = "Each day."\n'
        '[[field]]\nid = "days"\nkind = "rows"\nprompt = "Your diary"\n'
        '  [[field.columns]]\n  id = "on"\n  kind = "date"\n  prompt = "Day"\n'
        '  [[field.columns]]\n  id = "entry"\n  kind = "long_text"\n  prompt = "What happened?"\n',
    )
    ana = couple.clients[0]
    [a] = homework.assign(db, morgan, [ana.id], diary.id, due_on=date.today())
    entry = "I thought about what I wish I had said instead. " * 170  # 8,330 of 20,000
    homework.save_answers(db, morgan, a.id, a.version, {"days": [{"entry": entry}]}, {})
    pdf = documents.completed(db, morgan, a.id, for_client_id=ana.id).pdf  # taller than a page
    text = " ".join(text_of(pdf).split())
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert text.count("wish I had said") == 170  # not cut off where the page ends


def test_the_progress_report_has_a_section_for_each_measure_scored(db, people, couple):
    from pathlib import Path

    from casebook import measures

    morgan, admin = people["morgan"], people["admin"]
    csi = next(k for k, d in measures.current_measures(db).items() if d.key == "csi4")
    items = [i.id for i in measures.definitions(db)[csi].measure.items]
    source = (Path(__file__).parents[1] / "worksheets" / "measures" / "csi4.toml").read_text()
    wellbeing = measures.save_custom(
        db,
        admin,
        source.replace('key = "csi4"', 'key = "wellbeing"').replace(
            "Couples Satisfaction Index (CSI-4)", "Wellbeing check"
        ),
    )
    ana, ben = couple.clients
    for days in (50, 30, 10):
        for client in (ana, ben):
            measures.record_score(
                db,
                morgan,
                client.id,
                csi,
                dict.fromkeys(items, 3),
                scored_on=date.today() - timedelta(days=days),
            )
    # Ben's latest score is on another measure: the CSI-4's history must not go with it.
    measures.record_score(
        db, morgan, ben.id, wellbeing, dict.fromkeys(items, 3), scored_on=date.today()
    )
    report, _ = documents.progress_report_data(db, morgan, couple.id)
    assert [(m.name, [len(s) for s in m.scores]) for m in report.measures] == [
        ("Couples Satisfaction Index (CSI-4)", [3, 3]),
        ("Wellbeing check", [0, 1]),
    ]
    text = " ".join(text_of(documents.progress(db, morgan, couple.id).pdf).split())
    assert "Couples Satisfaction Index (CSI-4)" in text and "Wellbeing check" in text


def test_partners_on_different_versions_of_a_measure_both_show_in_the_report(db, people, couple):
    from casebook import measures
    from tests.test_measures import CUSTOM

    morgan, admin = people["morgan"], people["admin"]
    v1 = measures.save_custom(db, admin, CUSTOM)
    extra = '[[item]]\nid = "tense"\ntext = "How tense?"\nlow = 0\nhigh = 5\n'
    v2 = measures.save_custom(db, admin, CUSTOM.replace("version = 1", "version = 2") + extra)
    ana, ben = couple.clients
    earlier = date.today() - timedelta(days=30)
    for on in (earlier, date.today() - timedelta(days=20)):
        measures.record_score(db, morgan, ben.id, v1, {"low": 4, "calm": 1}, scored_on=on)
    measures.record_score(db, morgan, ana.id, v1, {"low": 1, "calm": 4}, scored_on=earlier)
    # Ana's latest is on version 2; Ben has not answered it yet: his scores still show.
    measures.record_score(
        db, morgan, ana.id, v2, {"low": 1, "calm": 4, "tense": 2}, scored_on=date.today()
    )
    report, _ = documents.progress_report_data(db, morgan, couple.id)
    assert [(m.name, m.total_range, [len(s) for s in m.scores]) for m in report.measures] == [
        ("Weekly mood (version 1)", (0, 10), [1, 2]),
        ("Weekly mood (version 2)", (0, 15), [1, 0]),
    ]
    text = " ".join(text_of(documents.progress(db, morgan, couple.id).pdf).split())
    assert "Weekly mood (version 1)" in text and "Weekly mood (version 2)" in text
    assert "Ben 0 No scores yet" in text  # on one line, not broken down the narrow column


def test_import_refuses_and_changes_nothing(db, people, couple, tmp_path):
    morgan, riley = people["morgan"], people["riley"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    good = fill(documents.worksheet(db, morgan, a.id).pdf, {"cb.hiding": "x"})
    with pytest.raises(ValidationError, match="not a PDF"):
        documents.preview_import(db, morgan, b"hello, not a pdf")
    plain = documents.guide(db, morgan, couple.clients[0].id).pdf
    with pytest.raises(ValidationError, match="not a Casebook worksheet"):
        documents.preview_import(db, morgan, plain)
    with pytest.raises(ValidationError, match="not in your cases"):
        documents.preview_import(db, riley, good)
    homework.cancel(db, morgan, a.id, a.version)
    with pytest.raises(ValidationError, match="cancelled: restore it on its page first"):
        documents.preview_import(db, morgan, good)
    assert homework.get(db, morgan, a.id).answers == {}


def test_import_is_refused_before_the_preview_where_the_answers_cannot_be_saved(db, people, couple):
    # A supervisor, or an archived case: the preview was shown and a save asked for, and only
    # then was it refused.
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    good = fill(documents.worksheet(db, morgan, a.id).pdf, {"cb.hiding": "x"})
    with pytest.raises(AccessDenied, match="Only the case's counsellor"):
        documents.preview_import(db, people["casey"], good)
    case = cases.get_case(db, morgan, couple.id)
    cases.set_archived(db, morgan, couple.id, case.version, True)
    with pytest.raises(ValidationError, match="archived"):
        documents.preview_import(db, morgan, good)
    assert homework.get(db, morgan, a.id).answers == {}


def test_import_of_a_pdf_naming_a_number_no_database_holds_is_refused(db, people, couple):
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(documents.worksheet(db, morgan, a.id).pdf)))
    writer.add_metadata({"/CasebookAssignment": "99999999999999999999"})
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationError, match="not in your cases"):
        documents.preview_import(db, morgan, out.getvalue())


def test_a_stage_guide_for_stage_0_and_a_summary_with_control_characters_are_refused(
    db, people, couple
):
    morgan = people["morgan"]
    with pytest.raises(ValidationError, match="Stage must be"):
        documents.guide(db, morgan, couple.clients[0].id, 0)  # not "the client's stage"
    with pytest.raises(ValidationError, match="summary"):
        documents.progress(db, morgan, couple.id, "Doing well\x01")


def test_import_refuses_an_old_version_of_the_worksheet(db, people, couple):
    morgan = people["morgan"]
    source = library.template_source(
        db, morgan, next(t.id for t in library.list_templates(db, morgan) if t.key == "trust_plan")
    )
    custom = source.replace('key = "trust_plan"', 'key = "our_trust"')
    v1 = library.save_custom(db, morgan, custom)
    [a] = homework.assign(db, morgan, [couple.clients[0].id], v1.id, due_on=date.today())
    pdf = fill(documents.worksheet(db, morgan, a.id).pdf, {"cb.hiding": "x"})
    # The same assignment, but the PDF says another version: as if made from version 2.
    forged = pdf.replace(b"our_trust v1", b"our_trust v2").replace(
        b"/CasebookWorksheetVersion (1)", b"/CasebookWorksheetVersion (2)"
    )
    with pytest.raises(ValidationError, match="version"):
        documents.preview_import(db, morgan, forged)


def test_partner_copy_of_answers_leaves_out_private_answers(db, people, couple):
    morgan = people["morgan"]
    ana, ben = couple.clients
    [a] = assign(db, morgan, [ana.id])
    homework.save_answers(
        db,
        morgan,
        a.id,
        a.version,
        {"hiding": "A private worry", "actions": "Shared plan"},
        {"actions": True},
    )
    own = text_of(documents.completed(db, morgan, a.id, for_client_id=ana.id).pdf)
    partner = text_of(documents.completed(db, morgan, a.id, for_client_id=ben.id).pdf)
    assert "A private worry" in own and "Shared plan" in own
    assert "A private worry" not in partner and "Shared plan" in partner
    # Ben's copy says whose answers they are: not his own.
    assert "Ana Σοφία's answers, as they chose to share them." in " ".join(partner.split())


def test_no_handout_of_anothers_client(db, people, couple):
    [a] = assign(db, people["morgan"], [couple.clients[0].id])
    for who in ("riley", "admin"):
        with pytest.raises(AccessDenied):
            documents.worksheet(db, people[who], a.id)
        with pytest.raises(AccessDenied):
            documents.progress(db, people[who], couple.id)
        with pytest.raises(AccessDenied):
            documents.guide(db, people[who], couple.clients[0].id)


def test_a_progress_report_for_a_client_with_100_sessions(db, people, couple):
    morgan = people["morgan"]
    start = datetime.now() - timedelta(days=400)
    for i in range(100):
        n = notes.create_draft(
            db,
            morgan,
            couple.id,
            session_at=start + timedelta(days=4 * i),
            attendance="together",
            attendees=[c.id for c in couple.clients],
            note_format="DAP",
        )
        notes.save_draft(db, morgan, n.id, n.version, sections={"data": f"Session {i}"})
    text = text_of(documents.progress(db, morgan, couple.id, "A year of steady work").pdf)
    assert "Progress report" in text and "A year of steady work" in text


def test_a_closed_cases_progress_report_ends_on_its_closing_day(db, people, couple):
    # Its stage chart ran on to the day printed, and work still open at the closing turned
    # overdue after it, for ever.
    from sqlalchemy import update

    from casebook.models import Assignment

    morgan = people["morgan"]
    today = date.today()
    made = assign(db, morgan, [c.id for c in couple.clients])
    with db.write() as s:  # worksheets set three weeks ago, due after the case closed
        s.execute(
            update(Assignment)
            .where(Assignment.id.in_([a.id for a in made]))
            .values(assigned_on=today - timedelta(days=21), due_on=today - timedelta(days=5))
        )
    case = cases.get_case(db, morgan, couple.id)
    cases.close_case(
        db, morgan, case.id, case.version, outcome="paused", closed_on=today - timedelta(days=10)
    )
    report, _ = documents.progress_report_data(db, morgan, couple.id)
    assert report.until == today - timedelta(days=10)
    row = next(h for h in report.homework if h.client == couple.clients[0].name)
    assert (row.overdue, row.open) == (0, 1)


def test_a_batch_of_a_week_holds_each_sessions_sheet_and_open_worksheets(db, people, couple):
    morgan = people["morgan"]
    assign(db, morgan, [c.id for c in couple.clients])
    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    for day in (0, 3):
        n = notes.create_draft(
            db,
            morgan,
            couple.id,
            session_at=datetime.combine(monday + timedelta(days=day), datetime.min.time()),
            attendance="together",
            attendees=[c.id for c in couple.clients],
            note_format="SOAP",
        )
        notes.save_draft(db, morgan, n.id, n.version, sections={"plan": "x"}, next_session_on=None)
    seen = []
    doc = documents.batch_for(
        db,
        morgan,
        monday,
        monday + timedelta(days=6),
        lambda done, total: seen.append((done, total)),
    )
    # 2 sessions: 2 after-session sheets each; the 2 worksheets once (they printed twice).
    assert seen[-1] == (6, 6)
    text = text_of(doc.pdf)
    assert text.count("After our session") == 4
    assert text.count("Please complete by") == 2
    with pytest.raises(ValidationError, match="no sessions"):
        documents.batch_for(db, morgan, monday - timedelta(days=30), monday - timedelta(days=24))


@pytest.mark.parametrize("attendance", ["separately", "together"])
def test_after_a_couples_session_each_partner_has_a_sheet_of_their_own_homework(
    db, people, couple, attendance
):
    morgan = people["morgan"]
    ana, ben = couple.clients
    assign(db, morgan, [ana.id], key="trust_plan")
    assign(db, morgan, [ben.id], key="reflection")
    n = notes.create_draft(
        db,
        morgan,
        couple.id,
        session_at=datetime.now() - timedelta(hours=2),
        attendance=attendance,
        attendees=[ana.id, ben.id],
        note_format="SOAP",
    )
    pages = [
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(documents.after_session(db, morgan, n.id).pdf)).pages
    ]
    assert len(pages) == 2
    assert "Ana Σοφία" in pages[0] and "Trust plan" in pages[0] and "Reflection" not in pages[0]
    assert "Ben" in pages[1] and "Reflection" in pages[1] and "Trust plan" not in pages[1]
    printed = audit.entries(db, people["admin"], action="handout")
    assert sorted(e.client_id for e in printed) == [ana.id, ben.id]


def test_an_after_session_sheet_prints_the_session_booked_now(db, people, couple):
    # It printed what the note had booked: after a client rescheduled, the old day; and a
    # booking long passed, as the next session.
    morgan = people["morgan"]
    ana = couple.clients[0]
    n = notes.create_draft(
        db,
        morgan,
        couple.id,
        session_at=datetime.now() - timedelta(days=3),
        attendance="one",
        attendees=[ana.id],
        note_format="SOAP",
    )
    booked = date.today() + timedelta(days=4)
    notes.save_draft(db, morgan, n.id, n.version, sections={"plan": "x"}, next_session_on=booked)

    def sheet():
        pdf = documents.after_session(db, morgan, n.id).pdf
        return " ".join(
            " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages
        )

    # Titled with the session's day: a week's sheets are printed days after some sessions.
    assert f"After our session of {n.session_at:%d %b %Y}" in sheet()
    moved = date.today() + timedelta(days=9)
    notes.book_next_session(db, morgan, couple.id, moved)
    assert f"{moved:%A} {moved:%d %b %Y}" in sheet()
    assert f"{booked:%d %b %Y}" not in sheet()
    notes.book_next_session(db, morgan, couple.id, None)
    assert "Not booked yet" in sheet()


def test_cli_handout_and_import_pdf(settings, db, people, couple, tmp_path, monkeypatch, capsys):
    morgan = people["morgan"]
    [a] = assign(db, morgan, [couple.clients[0].id])
    out = tmp_path / "ws.pdf"

    def run(*argv):
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        return main([*argv, "--user", "morgan", "--password-stdin"], settings=settings)

    assert run("handout", "--assignment", str(a.id), "--out", str(out)) == 0
    assert (out.stat().st_mode & 0o777) == 0o600
    printed = len(audit.entries(db, people["admin"], action="handout"))
    assert run("handout", "--assignment", str(a.id), "--out", str(out)) == 2
    assert "already exists" in capsys.readouterr().err
    # Refused before it was recorded: the trail does not say it was printed.
    assert len(audit.entries(db, people["admin"], action="handout")) == printed
    filled = tmp_path / "filled.pdf"
    filled.write_bytes(fill(out.read_bytes(), {"cb.actions": "Walk daily"}))
    assert run("import-pdf", str(filled)) == 2  # no terminal to confirm: asks for --yes
    assert homework.get(db, morgan, a.id).answers == {}
    assert run("import-pdf", str(filled), "--yes") == 0
    assert homework.get(db, morgan, a.id).answers["actions"][0] == "Walk daily"
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf")
    assert run("import-pdf", str(bad), "--yes") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "casebook: This file is not a PDF."


def test_cli_handout_into_a_missing_folder_is_refused_before_it_is_audited(
    settings, db, people, couple, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "no-such-folder" / "progress.pdf"
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["handout", "--progress", str(couple.id), "--out", str(out), "--user", "morgan"]

    assert main([*argv, "--password-stdin"], settings=settings) == 2

    assert capsys.readouterr().err.strip() == (
        f"casebook: The folder {out.parent} does not exist: create it first."
    )
    assert audit.entries(db, people["admin"], action="handout") == []  # nothing was printed


def test_cli_handout_cut_short_by_a_full_disk_leaves_no_file(
    settings, db, people, couple, tmp_path, monkeypatch, capsys
):
    [a] = assign(db, people["morgan"], [couple.clients[0].id])
    out = tmp_path / "ws.pdf"
    real_fdopen = os.fdopen

    class FullDisk(io.RawIOBase):
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def write(self, data):
            self.file.write(data[:100])
            self.file.flush()
            raise OSError(errno.ENOSPC, "No space left on device", str(out))

        def close(self):
            self.file.close()

    monkeypatch.setattr(os, "fdopen", FullDisk)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    argv = ["handout", "--assignment", str(a.id), "--out", str(out), "--user", "morgan"]

    assert main([*argv, "--password-stdin"], settings=settings) == 2

    assert not out.exists()
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"casebook: Cannot write {out}: No space left on device."
    )


@pytest.mark.parametrize(
    "which",
    [
        lambda a, case: ["--assignment", str(a.id)],
        lambda a, case: ["--progress", str(case.id)],
        lambda a, case: ["--stage", "2", "--client", str(a.client_id)],
    ],
    ids=["worksheet", "progress", "guide"],
)
def test_cli_handout_refuses_an_existing_default_file_before_it_is_audited(
    settings, db, people, couple, tmp_path, monkeypatch, capsys, which
):
    [a] = assign(db, people["morgan"], [couple.clients[0].id])
    monkeypatch.chdir(tmp_path)
    argv = ["handout", *which(a, couple), "--user", "morgan", "--password-stdin"]

    def run():
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        return main(argv, settings=settings)

    assert run() == 0
    [written] = [p for p in tmp_path.glob("*.pdf")]
    printed = len(audit.entries(db, people["admin"], action="handout"))
    assert run() == 2
    assert f"{written.name} already exists" in capsys.readouterr().err
    assert len(audit.entries(db, people["admin"], action="handout")) == printed


def test_handout_pages(tmp_path, monkeypatch):
    """The assignment page prepares a fillable PDF; the Handouts page makes a day's batch."""
    from casebook.db import Database
    from casebook.settings import Settings
    from sample_data.demo import load_demo
    from tests.test_pages import actor
    from tests.test_worksheet_pages import open_as

    monkeypatch.setenv("CASEBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    demo = Database.open(Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}"))
    load_demo(demo)
    morgan = actor(demo, "morgan")
    case = cases.list_cases(demo, morgan, search="Priya")[0]
    a = homework.for_case(demo, morgan, case.id)[0]
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.button(key=f"handout_{a.id}").click().run()
    _, doc = at.session_state[f"handout_{a.id}_pdf"]
    assert "Reflection" in text_of(doc.pdf)
    at = open_as(demo, "morgan", "pages/handouts.py")
    quiet = date.today() - timedelta(days=3000)  # long before the demo's first session
    at.date_input(key="batch_start").set_value(quiet).run()
    assert f"No session notes on {quiet:%a %d %b %Y}" in at.info[0].value
    assert "batch_make" not in {b.key for b in at.button}  # nothing to make
    day = notes.notes_for_case(demo, morgan, case.id)[0].session_at.date()
    at.date_input(key="batch_start").set_value(day).run()
    assert any(c.value.endswith(f"on {day:%a %d %b %Y}.") for c in at.caption)
    at.button(key="batch_make").click().run()
    assert not at.exception
    made = at.session_state["batch_pdf"][-1]
    assert made.file_name.startswith(f"handouts-{day:%Y-%m-%d}")
    assert [b.label for b in at.get("download_button")] == [f"Download {made.file_name}"]
    # Another day chosen: the PDF of the day before is no longer offered as if it were its.
    at.date_input(key="batch_start").set_value(day - timedelta(days=1)).run()
    assert not at.get("download_button")
    demo.dispose()


def test_the_handouts_page_makes_the_week_that_ends_today(tmp_path, monkeypatch):
    """At the end of a week, "A week" holds the sessions just held: it ran from today on, where
    no session can have a note yet, and said there were none."""
    from casebook.db import Database
    from casebook.settings import Settings
    from sample_data.demo import load_demo
    from tests.test_pages import actor
    from tests.test_worksheet_pages import open_as

    monkeypatch.setenv("CASEBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    demo = Database.open(Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}"))
    load_demo(demo)
    morgan = actor(demo, "morgan")
    case = cases.list_cases(demo, morgan, search="Priya")[0]
    today = date.today()
    held = datetime.combine(today - timedelta(days=3), datetime.min.time()).replace(hour=10)
    note = notes.create_draft(
        demo,
        morgan,
        case.id,
        session_at=held,
        attendance="one",
        attendees=[case.clients[0].id],
        note_format="SOAP",
    )
    at = open_as(demo, "morgan", "pages/handouts.py")
    at.radio(key="batch_span").set_value("week").run()
    week = f"from {today - timedelta(days=6):%a %d %b} to {today:%a %d %b %Y}"
    assert not at.info
    [counted] = [c.value for c in at.caption if c.value.endswith(f"{week}.")]
    assert counted == f"1 session {week}."
    at.button(key="batch_make").click().run()
    made = at.session_state["batch_pdf"][-1]
    assert (
        made.file_name == f"handouts-{today - timedelta(days=6):%Y-%m-%d}-to-{today:%Y-%m-%d}.pdf"
    )
    assert "After our session" in text_of(made.pdf)
    assert documents.sessions_between(demo, morgan, today - timedelta(days=6), today) == [note.id]
    demo.dispose()
