"""Session-note pages through AppTest: write (autosaved), sign, addendum, roles."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from casebook import cases, homework, notes
from casebook.cases import ClientInput
from casebook.errors import ValidationError
from casebook.models import SessionNote
from pages.common import md
from tests.test_pages import actor, demo, open_tab, shown  # noqa: F401 - the demo fixture
from tests.test_worksheet_pages import open_as
from worksheets.stages import stage


def _case(db, username, name):
    return cases.list_cases(db, actor(db, username), search=name)[0]


def test_start_a_note_from_the_case_and_it_is_autosaved(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Mei Lin")
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Notes")
    before = {n.id for n in notes.notes_for_case(demo, morgan, case.id)}
    at.button(key=f"note_new_{case.id}").click().run()
    [new] = [n for n in notes.notes_for_case(demo, morgan, case.id) if n.id not in before]
    assert (new.status, new.note_format, new.attendees) == ("draft", "SOAP", (case.clients[0].id,))
    at = open_as(demo, "morgan", "pages/note.py", note=new.id)
    at.text_area(key=f"note_{new.id}_g0_subjective").input("Misses her partner").run()
    assert notes.get_note(demo, morgan, new.id).sections["subjective"] == "Misses her partner"
    at.text_area(key=f"note_{new.id}_g0_plan").input("Space plan").run()
    stored = notes.get_note(demo, morgan, new.id)
    assert stored.sections == {
        "subjective": "Misses her partner",
        "objective": "",
        "assessment": "",
        "plan": "Space plan",
    }


def test_a_note_dated_before_the_case_opened_is_refused_and_the_form_stays(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Mei Lin")
    early = case.opened_on - timedelta(days=1)
    before = notes.notes_for_case(demo, morgan, case.id)
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Notes")
    at.date_input(key=f"note_new_date_{case.id}").set_value(early)
    at.number_input(key=f"note_new_minutes_{case.id}").set_value(80)
    at.button(key=f"note_new_{case.id}").click().run()
    said = f"The session date cannot be before the case opened on {case.opened_on:%d %b %Y}."
    said += " If it began earlier, change its opening date under Details first."
    assert [e.value.replace("\\", "") for e in at.error] == [said]
    assert at.date_input(key=f"note_new_date_{case.id}").value == early
    assert at.number_input(key=f"note_new_minutes_{case.id}").value == 80
    assert notes.notes_for_case(demo, morgan, case.id) == before


def test_a_draft_redated_before_the_case_opened_is_refused_and_the_text_stays(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    early = case.opened_on - timedelta(days=1)
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    at.text_area(key=f"note_{draft.id}_g0_plan").input("Review the trust plan")
    at.date_input(key=f"note_{draft.id}_g0_date").set_value(early).run()
    said = f"The session date cannot be before the case opened on {case.opened_on:%d %b %Y}."
    said += " If it began earlier, change its opening date under Details first."
    assert said in [e.value.replace("\\", "") for e in at.error]
    assert at.date_input(key=f"note_{draft.id}_g0_date").value == early
    assert at.text_area(key=f"note_{draft.id}_g0_plan").value == "Review the trust plan"
    assert notes.get_note(demo, morgan, draft.id).session_at == draft.session_at


def test_sign_locks_the_note_and_an_addendum_follows(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    at.button(key=f"note_{draft.id}_g0_sign").click().run()
    assert not notes.get_note(demo, morgan, draft.id).signed  # not until confirmed
    at.button(key=f"note_{draft.id}_g0_sign_yes").click().run()
    signed = notes.get_note(demo, morgan, draft.id)
    assert signed.signed and signed.signer == "Morgan Ellis"
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    assert not [t for t in at.text_area if str(t.key).endswith("_subjective")]  # locked
    at.text_area(key=f"note_{draft.id}_g0_addendum_text").input("Taylor arrived 10 minutes late")
    at.button(key=f"FormSubmitter:note_{draft.id}_g0_addendum-Add addendum").click().run()
    assert [a.text for a in notes.get_note(demo, morgan, draft.id).addenda] == [
        "Taylor arrived 10 minutes late"
    ]


def test_a_rescheduled_session_is_booked_from_the_case_page(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Mei Lin")
    sooner = date.today() + timedelta(days=1)
    at = open_as(demo, "morgan", "pages/case.py", case=case.id)
    [day] = [d for d in at.date_input if str(d.key).startswith(f"booking_{case.id}_")]
    day.set_value(sooner)
    at.button(key=f"booking_save_{case.id}").click().run()
    assert cases.get_case(demo, morgan, case.id).next_session_on == sooner
    assert [s.value for s in at.success] == [f"Next session booked for {sooner:%a %d %b %Y}."]
    assert (case.id, sooner) in [(u.case_id, u.on) for u in notes.upcoming_sessions(demo, morgan)]

    at = open_as(demo, "morgan", "pages/session_prep.py", case=case.id)
    assert f"Booked for {sooner:%A %d %B %Y}" in [c.value for c in at.caption]

    # A supervisor reads the booking; there is nothing for them to change.
    at = open_as(demo, "casey", "pages/case.py", case=case.id)
    assert f"next session {sooner:%a %d %b %Y}" in at.caption[0].value
    assert not [d for d in at.date_input if str(d.key).startswith("booking_")]

    # Cleared: nothing is booked, and the dashboard lists no session for the case.
    at = open_as(demo, "morgan", "pages/case.py", case=case.id)
    at.button(key=f"booking_clear_{case.id}").click().run()
    assert cases.get_case(demo, morgan, case.id).next_session_on is None
    assert [s.value for s in at.success] == ["The next session is no longer booked."]


def test_a_draft_started_ahead_of_a_session_does_not_hide_the_last_plan(demo):  # noqa: F811
    # "Before the session" showed the newest note: a draft opened for today's session, with
    # nothing in it yet, put "No plan written" where last time's plan belonged.
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Jordan")
    [(last_id, _)] = notes.recent_sessions(demo, morgan, case.id, limit=1)
    plan = notes.get_note(demo, morgan, last_id).sections["plan"]
    notes.create_draft(
        demo,
        morgan,
        case.id,
        session_at=datetime.now().replace(second=0, microsecond=0),
        attendance="together",
        attendees=[c.id for c in case.clients],
        note_format="SOAP",
    )
    at = open_as(demo, "morgan", "pages/session_prep.py", case=case.id)
    assert plan in [t.value for t in at.text]
    assert any("a draft with nothing written yet" in c.value for c in at.caption)


def test_the_safety_link_of_a_note_opens_the_cases_safety_tab(demo):  # noqa: F811
    case = _case(demo, "morgan", "Jordan")
    signed = next(n for n in notes.notes_for_case(demo, actor(demo, "morgan"), case.id))
    at = open_as(demo, "morgan", "pages/note.py", note=signed.id)
    [button] = [b for b in at.button if b.label == "The case's safety screens"]
    button.click().run()
    assert at.title[0].value.startswith(f"Case #{case.id}")
    assert at.session_state[f"case_tab_{case.id}"] == "Safety"  # it opened on Stages


def test_a_draft_started_by_mistake_is_discarded_once_confirmed(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Mei Lin")
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Notes")
    before = {n.id for n in notes.notes_for_case(demo, morgan, case.id)}
    at.button(key=f"note_new_{case.id}").click().run()
    [made] = [n for n in notes.notes_for_case(demo, morgan, case.id) if n.id not in before]
    at = open_as(demo, "morgan", "pages/note.py", note=made.id)
    at.button(key=f"note_{made.id}_g0_discard").click().run()
    assert made.id in {n.id for n in notes.notes_for_case(demo, morgan, case.id)}
    at.button(key=f"note_{made.id}_g0_discard_yes").click().run()
    assert {n.id for n in notes.notes_for_case(demo, morgan, case.id)} == before
    assert [s.value for s in at.success] == [
        f"Draft of {made.session_at:%d %b %Y, %H:%M} discarded."
    ]
    assert at.title[0].value.startswith(f"Case #{case.id}")
    assert at.session_state[f"case_tab_{case.id}"] == "Notes"


def test_a_signed_note_offers_no_discard(demo):  # noqa: F811
    case = _case(demo, "morgan", "Jordan")
    signed = next(n for n in notes.notes_for_case(demo, actor(demo, "morgan"), case.id) if n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=signed.id)
    assert not [b for b in at.button if str(b.key).endswith("_discard")]


def test_a_supervisor_reading_a_signed_note_is_told_it_has_no_addenda(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Jordan")
    signed = next(n for n in notes.notes_for_case(demo, morgan, case.id) if n.signed)
    at = open_as(demo, "casey", "pages/note.py", note=signed.id)
    assert "None: the note stands as signed." in [c.value for c in at.caption]
    assert [i.value for i in at.info] == ["Supervisor view: read-only."]  # as on the case page
    notes.add_addendum(demo, morgan, signed.id, "Alex rang to cancel the next session")
    at = open_as(demo, "casey", "pages/note.py", note=signed.id)
    assert "None: the note stands as signed." not in [c.value for c in at.caption]
    assert "Alex rang to cancel the next session" in [t.value for t in at.text]


def _in_order(node, found=None) -> list:
    """The page's elements as the user meets them, top to bottom."""
    found = [] if found is None else found
    found.append(node)
    for child in getattr(node, "children", {}).values():
        _in_order(child, found)
    return found


def test_a_save_from_a_stale_tab_is_refused_beneath_the_box_and_the_text_stays(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    notes.save_draft(demo, morgan, draft.id, draft.version, sections={"plan": "other tab"})
    at.text_area(key=f"note_{draft.id}_g0_plan").input("my careful plan").run()
    assert at.text_area(key=f"note_{draft.id}_g0_plan").value == "my careful plan"
    assert notes.get_note(demo, morgan, draft.id).sections["plan"] == "other tab"
    # Said beneath the box just left, and in a toast: deep in a long note, a message at the
    # top of the page is out of sight.
    page = [(e.type, getattr(e, "key", None)) for e in _in_order(at.main)]
    plan = page.index(("text_area", f"note_{draft.id}_g0_plan"))
    assert page[plan + 1] == ("error", None)
    assert [e for e in at.error if "another tab" in e.value]
    assert [t.value for t in at.toast] == ["Not saved: see why beneath the box you left."]


def test_text_typed_as_the_note_is_signed_elsewhere_is_shown_to_copy(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    notes.sign(demo, morgan, draft.id, draft.version)  # in another tab
    at.text_area(key=f"note_{draft.id}_g0_plan").input("my careful plan").run()
    assert at.error and notes.get_note(demo, morgan, draft.id).signed
    assert [c.value for c in at.code] == ["my careful plan"]


def test_mark_homework_reviewed_from_the_note(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    done = next(a for a in homework.for_case(demo, morgan, case.id) if a.status == "completed")
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    at.text_input(key=f"note_{draft.id}_g0_review_{done.id}").input("Kept every promise")
    at.button(key=f"note_{draft.id}_g0_review_btn_{done.id}").click().run()
    reviewed = homework.get(demo, morgan, done.id)
    assert (reviewed.assignment.status, reviewed.review_comment) == (
        "reviewed",
        "Kept every promise",
    )


def test_psychotherapy_note_is_shown_only_to_its_author(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = notes.notes_for_case(demo, morgan, case.id)[0]
    notes.save_psychotherapy_note(demo, morgan, note.id, "Wonder about his father")
    mine = open_as(demo, "morgan", "pages/note.py", note=note.id)
    assert mine.text_area(key=f"note_{note.id}_g0_private").value == "Wonder about his father"
    theirs = open_as(demo, "casey", "pages/note.py", note=note.id)
    assert "father" not in shown(theirs)
    assert not [t for t in theirs.text_area if str(t.key).endswith("_private")]


def test_the_psychotherapy_note_saves_itself_when_its_box_is_left(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = notes.notes_for_case(demo, morgan, case.id)[0]
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    at.text_area(key=f"note_{note.id}_g0_private").input("Reminds me of my own father").run()
    assert notes.get_note(demo, morgan, note.id).psychotherapy_note == (
        "Reminds me of my own father"
    )
    assert any("Private note saved at" in c.value for c in at.caption)


def test_supervisor_reads_notes_and_cannot_write_them(demo):  # noqa: F811
    casey = actor(demo, "casey")
    case = _case(demo, "casey", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, casey, case.id) if not n.signed)
    at = open_as(demo, "casey", "pages/note.py", note=draft.id)
    assert md(draft.sections["subjective"]) in shown(at) or draft.sections["subjective"] in [
        t.value for t in at.text
    ]
    assert at.text_area.values == [] or all(t.disabled for t in at.text_area)
    assert not [b for b in at.button if "Sign" in str(b.label)]


def test_another_counsellor_is_denied_a_note_by_url(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    note = notes.notes_for_case(demo, actor(demo, "morgan"), case.id)[0]
    at = open_as(demo, "riley", "pages/note.py", note=note.id)
    assert [e.value for e in at.error] == [md(f"There is no note #{note.id} that you can open.")]
    assert "Sam" not in shown(at)


def test_print_a_note(demo):  # noqa: F811
    from io import BytesIO

    from pypdf import PdfReader

    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = notes.notes_for_case(demo, morgan, case.id)[-1]
    notes.save_psychotherapy_note(demo, morgan, note.id, "PRIVATE HUNCH")
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    at.button(key=f"note_{note.id}_g0_pdf").click().run()
    pdf = at.session_state[f"note_{note.id}_g0_pdf_pdf"][1].pdf
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    assert "Session note" in text and note.sections["subjective"] in text.replace("\n", " ")
    assert "PRIVATE HUNCH" not in text


def test_a_long_case_lists_its_notes_25_at_a_time_newest_first(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    start = datetime.now().replace(microsecond=0) - timedelta(days=400)
    case = cases.create_case(demo, morgan, [ClientInput("Lena Long")], opened_on=start.date())
    for week in range(30):
        notes.create_draft(
            demo,
            morgan,
            case.id,
            session_at=start + timedelta(weeks=week),
            attendance="one",
            attendees=[case.clients[0].id],
            note_format="SOAP",
        )
    every = notes.notes_for_case(demo, morgan, case.id)
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Notes")
    links = lambda: [p.proto.label for p in at.get("page_link") if "note" in str(p.proto.page)]  # noqa: E731
    labels = [f"{n.session_at:%d %b %Y, %H:%M} · {n.note_format}" for n in every]
    assert links() == labels[:25]
    more = at.button(key=f"notes_{case.id}_more")
    assert more.label == f"Show {min(25, len(every) - 25)} more of {len(every) - 25}"
    more.click().run()
    assert links() == labels[:50]


def test_a_note_in_the_list_names_its_stage_once_or_each_partners(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    stages_now = {c.name: c.stage for c in case.clients}
    assert len(set(stages_now.values())) == 2  # the demo's partners are at different stages
    notes.create_draft(
        demo,
        morgan,
        case.id,
        session_at=datetime.now().replace(microsecond=0) + timedelta(days=1),
        attendance="together",
        attendees=[c.id for c in case.clients],
        note_format="SOAP",
    )
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Notes")
    both = " · ".join(f"{name}: {stage(number).label}" for name, number in stages_now.items())
    assert md(both) in [c.value for c in at.caption]
    single = _case(demo, "morgan", "Mei Lin")
    notes.create_draft(
        demo,
        morgan,
        single.id,
        session_at=datetime.now().replace(microsecond=0) - timedelta(hours=2),
        attendance="one",
        attendees=[single.clients[0].id],
        note_format="SOAP",
    )
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=single.id), single.id, "Notes")
    assert md(stage(single.clients[0].stage).label) in [c.value for c in at.caption]


def test_a_draft_whose_booked_session_has_passed_still_opens(demo):  # noqa: F811
    from datetime import date

    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    passed = date.today() - timedelta(days=3)
    one_day = timedelta(days=1)
    with demo.write() as s:  # booked when the draft was written; the day has gone by since
        s.get(SessionNote, draft.id).next_session_on = passed
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    assert not at.exception
    assert at.date_input(key=f"note_{draft.id}_g0_next").value == passed
    # New homework from the note is due after today, not on the booking that has passed.
    assert at.date_input(key=f"note_{draft.id}_g0_assign_due").value > date.today()
    # The draft still saves, the booking kept; a new booking must still lie ahead.
    at.text_area(key=f"note_{draft.id}_g0_plan").input("Review the trust plan").run()
    stored = notes.get_note(demo, morgan, draft.id)
    assert (stored.sections["plan"], stored.next_session_on) == ("Review the trust plan", passed)
    with pytest.raises(ValidationError, match="from today to a year ahead"):
        notes.save_draft(
            demo, morgan, draft.id, stored.version, sections={}, next_session_on=passed + one_day
        )


def test_an_archived_cases_note_and_worksheet_open_read_only(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    work = homework.for_case(demo, morgan, case.id)[0]
    cases.set_archived(demo, morgan, case.id, case.version, True)
    for page, query in (
        ("note.py", {"note": draft.id}),
        ("assignment.py", {"assignment": work.id}),
    ):
        at = open_as(demo, "morgan", f"pages/{page}", **query)
        assert not at.exception
        assert any("archived: restore it" in i.value for i in at.info)
        changes = ("Save", "Sign", "Mark", "Cancel", "Add", "Assign")
        assert [b.label for b in at.button if b.label.startswith(changes)] == []
        assert all(t.disabled for t in at.text_area)


def test_the_note_pdf_is_not_offered_after_an_addendum(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = next(n for n in notes.notes_for_case(demo, morgan, case.id) if n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    at.button(key=f"note_{note.id}_g0_pdf").click().run()
    at.text_area(key=f"note_{note.id}_g0_addendum_text").input("Risk notes corrected")
    at.button(key=f"FormSubmitter:note_{note.id}_g0_addendum-Add addendum").click().run()
    assert notes.get_note(demo, morgan, note.id).addenda[-1].text == "Risk notes corrected"
    # The PDF made before the correction is no longer offered.
    assert not [b for b in at.get("download_button") if b.label.startswith("Download note-")]


def test_a_psychotherapy_note_changed_in_another_tab_is_not_overwritten(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = notes.notes_for_case(demo, morgan, case.id)[0]
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    other_tab = open_as(demo, "morgan", "pages/note.py", note=note.id)
    other_tab.text_area(key=f"note_{note.id}_g0_private").input("Written in the other tab").run()
    at.text_area(key=f"note_{note.id}_g0_private").input("Written here").run()
    assert notes.get_note(demo, morgan, note.id).psychotherapy_note == "Written in the other tab"
    assert any("changed in another tab" in e.value for e in at.error)
    assert any("Written here" in c.value for c in at.code)  # to copy
    at.button(key=f"note_{note.id}_g0_reload").click().run()
    assert at.text_area(key=f"note_{note.id}_g1_private").value == "Written in the other tab"


def test_a_signed_note_says_first_which_session_it_was(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = next(n for n in notes.notes_for_case(demo, morgan, case.id) if n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    assert at.caption[0].value.startswith(
        f"Session of {note.session_at:%a %d %b %Y, %H:%M} · {note.duration_minutes} minutes · "
    )


def test_an_old_notes_homework_is_called_what_is_open_now(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    first = notes.notes_for_case(demo, morgan, case.id)[-1]  # months before this homework
    at = open_as(demo, "morgan", "pages/note.py", note=first.id)
    assert "Homework open now" in [s.value for s in at.subheader]
    assert "Homework" not in [s.value for s in at.subheader]


def test_an_addendum_typed_as_the_case_is_archived_elsewhere_is_shown_to_copy(demo):  # noqa: F811
    # The addendum's form went with the archiving, and the text went with it, without a word.
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    note = next(n for n in notes.notes_for_case(demo, morgan, case.id) if n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=note.id)
    cases.set_archived(demo, morgan, case.id, case.version, True)  # in another tab
    at.text_area(key=f"note_{note.id}_g0_addendum_text").input("Risk notes corrected")
    at.button(key=f"FormSubmitter:note_{note.id}_g0_addendum-Add addendum").click().run()
    assert notes.get_note(demo, morgan, note.id).addenda == note.addenda
    assert any("not added" in e.value for e in at.error)
    assert [c.value for c in at.code] == ["Risk notes corrected"]


def test_text_typed_as_the_draft_is_discarded_elsewhere_is_shown_to_copy(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Sam O")
    draft = next(n for n in notes.notes_for_case(demo, morgan, case.id) if not n.signed)
    at = open_as(demo, "morgan", "pages/note.py", note=draft.id)
    notes.discard_draft(demo, morgan, draft.id, draft.version)  # in another tab
    at.text_area(key=f"note_{draft.id}_g0_plan").input("my careful plan").run()
    assert not at.exception and at.error
    assert "my careful plan" in [c.value for c in at.code]


@pytest.mark.parametrize("change", ["deactivated", "password reset"])
def test_a_note_typed_after_the_account_is_closed_is_not_saved(demo, change):  # noqa: F811
    """A field's change saves the draft before the page runs and checks the account: it
    saved once more for an account the admin had just deactivated, or whose password they
    had reset (a session that may not be its owner's)."""
    from casebook import accounts
    from pages.common import USER_KEY

    morgan, admin = actor(demo, "morgan"), actor(demo, "admin")
    case = _case(demo, "morgan", "Mei Lin")
    new = notes.create_draft(
        demo,
        morgan,
        case.id,
        session_at=datetime.combine(date.today(), datetime.min.time()),
        attendance="one",
        attendees=[case.clients[0].id],
        note_format="SOAP",
    )
    at = open_as(demo, "morgan", "pages/note.py", note=new.id)
    if change == "deactivated":
        accounts.set_active(demo, admin, morgan.id, False)
    else:
        accounts.reset_password(demo, admin, morgan.id, "temporary passphrase")
    at.text_area(key=f"note_{new.id}_g0_subjective").input("Typed by whoever sat down").run()
    assert USER_KEY not in at.session_state
    stored = notes.get_note(demo, actor(demo, "casey"), new.id)
    assert (stored.version, stored.sections.get("subjective")) == (new.version, None)
