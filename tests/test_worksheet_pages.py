"""Worksheet pages through AppTest: library, assign, answer, review, safety screen, homework."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.proto.LabelVisibility_pb2 import LabelVisibility
from streamlit.testing.v1 import AppTest

from casebook import audit, cases, homework, library, safety
from pages.common import USER_KEY, md
from tests.test_pages import APP, actor, demo, open_tab, shown  # noqa: F401 - the demo fixture


def open_as(db, username, page, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = actor(db, username)
    at.run()
    at.switch_page(page)
    at.query_params.update({k: str(v) for k, v in query.items()})
    at.run()
    assert not at.exception, at.exception
    return at


def case_named(db, username, name):
    return cases.list_cases(db, actor(db, username), search=name)[0]


def test_library_previews_a_worksheet_as_the_client_sees_it(demo):  # noqa: F811
    at = open_as(demo, "morgan", "pages/worksheets.py")
    trust = next(
        t for t in library.list_templates(demo, actor(demo, "morgan")) if t.key == "trust_plan"
    )
    at.radio(key="library_template").set_value(trust.id).run()
    assert "Preview: Trust plan" in shown(at)
    assert any("promises" in str(m.value) for m in at.markdown)
    preview = [w for w in at.text_area if str(w.key).startswith(f"preview_{trust.id}")]
    assert preview and all(w.disabled for w in preview)


def test_a_custom_worksheet_is_saved_and_a_malformed_one_refused(demo):  # noqa: F811
    at = open_as(demo, "morgan", "pages/worksheets.py")
    bad = 'key = "our_check_in"\nversion = 1\nstage = 6\ntitle = "Check-in"\nintro = "Hi"\n'
    at.text_area(key="custom_source").input(bad)
    at.button(key="custom_save").click().run()
    assert any("field must be 1 to 60" in e.value.replace("\\", "") for e in at.error)
    assert at.text_area(key="custom_source").value == bad  # kept
    good = bad + '[[field]]\nid = "how"\nkind = "scale"\nprompt = "How was this week?"\n'
    at.text_area(key="custom_source").input(good)
    at.button(key="custom_save").click().run()
    saved = [t for t in library.list_templates(demo, actor(demo, "morgan")) if t.custom]
    assert [(t.key, t.version, t.stage) for t in saved] == [("our_check_in", 1, 6)]


def test_assign_from_the_case_page_to_both_partners(demo):  # noqa: F811
    case = case_named(demo, "morgan", "Jordan")
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Worksheets")
    trust = next(
        t.id for t in library.list_templates(demo, actor(demo, "morgan")) if t.key == "trust_plan"
    )
    before = len(homework.for_case(demo, actor(demo, "morgan"), case.id))
    at.selectbox(key=f"assign_template_{case.id}").set_value(trust).run()
    at.radio(key=f"assign_who_{case.id}").set_value(0).run()
    at.text_area(key=f"assign_instr_{case.id}").input("Do the promises table first")
    at.button(key=f"assign_{case.id}").click().run()
    work = homework.for_case(demo, actor(demo, "morgan"), case.id)
    new = [a for a in work if a.template_title == "Trust plan"]
    assert len(work) == before + 2
    assert {a.client_name for a in new} == {"Jordan Reyes", "Alex Reyes"}
    morgan = actor(demo, "morgan")
    assert {homework.get(demo, morgan, a.id).instructions for a in new} == {
        "Do the promises table first"
    }


def test_the_safety_gate_on_the_case_page(demo):  # noqa: F811
    case = case_named(demo, "riley", "Kwame")  # Jess is flagged in the demo
    riley = actor(demo, "riley")
    contact = next(
        t.id for t in library.list_templates(demo, riley) if t.key == "communication_plan"
    )
    at = open_tab(open_as(demo, "riley", "pages/case.py", case=case.id), case.id, "Worksheets")
    assert any("Safety flag" in e.value for e in at.error)
    before = len(homework.for_case(demo, riley, case.id))
    at.selectbox(key=f"assign_template_{case.id}").set_value(contact).run()
    at.button(key=f"assign_{case.id}").click().run()
    assert any("has a safety flag" in e.value for e in at.error)
    assert len(homework.for_case(demo, riley, case.id)) == before
    at.text_area(key=f"assign_override_{case.id}").input("Reassessed; both consent")
    at.button(key=f"assign_{case.id}").click().run()
    assert len(homework.for_case(demo, riley, case.id)) == before + 1
    [made] = [a for a in homework.for_case(demo, riley, case.id) if a.template_id == contact]
    assert [
        e.detail for e in audit.entries(demo, actor(demo, "admin"), action="safety_override")
    ] == [f"#{made.id}"]
    page = open_as(demo, "riley", "pages/assignment.py", assignment=made.id)
    assert any("Reason recorded: Reassessed; both consent" in w.value for w in page.warning)


def test_recording_a_safety_screen(demo):  # noqa: F811
    case = case_named(demo, "morgan", "Mei Lin")  # never screened in the demo
    client = case.clients[0]
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Safety")
    assert any("Not yet screened" in w.value for w in at.warning)
    for q in ("fear", "threats", "physical_harm", "control", "protective_order"):
        at.radio(key=f"screen_{client.id}_{q}").set_value("no")
    at.radio(key=f"screen_{client.id}_safe_together").set_value("yes")
    at.button(key=f"FormSubmitter:screen_{case.id}_{client.id}-Record screen").click().run()
    status = safety.case_status(demo, actor(demo, "morgan"), case.id)[client.id]
    assert status.screened and not status.flagged


def test_a_screen_dated_before_the_case_opened_is_refused_and_the_answers_stay(demo):  # noqa: F811
    case = case_named(demo, "morgan", "Mei Lin")  # never screened in the demo
    client = case.clients[0]
    early = case.opened_on - timedelta(days=1)
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Safety")
    for q in ("threats", "physical_harm", "control", "protective_order"):
        at.radio(key=f"screen_{client.id}_{q}").set_value("no")
    at.radio(key=f"screen_{client.id}_fear").set_value("unsure")
    at.radio(key=f"screen_{client.id}_safe_together").set_value("yes")
    at.date_input(key=f"screen_date_{client.id}").set_value(early)
    at.button(key=f"FormSubmitter:screen_{case.id}_{client.id}-Record screen").click().run()
    said = f"Screening date cannot be before the case opened on {case.opened_on:%d %b %Y}."
    said += " If it began earlier, change its opening date under Details first."
    assert [e.value.replace("\\", "") for e in at.error] == [said]
    assert at.radio(key=f"screen_{client.id}_fear").value == "unsure"
    assert at.date_input(key=f"screen_date_{client.id}").value == early
    assert safety.screens(demo, actor(demo, "morgan"), client.id) == []


def test_fill_in_over_two_visits_then_complete_and_review(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    a = next(x for x in homework.for_case(demo, morgan, case.id) if x.status == "assigned")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.text_area(key=f"ws_{a.id}_v{a.version}_what_happened").input("We stopped talking")
    at.button(key=f"FormSubmitter:answers_{a.id}-Save draft").click().run()
    saved = homework.get(demo, morgan, a.id)
    assert saved.answers["what_happened"][0] == "We stopped talking"
    # The form shows the saved version now, its widgets drawn afresh from the record.
    v = saved.assignment.version
    assert at.text_area(key=f"ws_{a.id}_v{v}_what_happened").value == "We stopped talking"
    # A second visit: a fresh session finds the draft and finishes it.
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    assert at.text_area(key=f"ws_{a.id}_v{v}_what_happened").value == "We stopped talking"
    at.text_area(key=f"ws_{a.id}_v{v}_love_or_fear").input("Mostly love, some fear")
    at.button(key=f"FormSubmitter:answers_{a.id}-Save and mark complete").click().run()
    assert homework.get(demo, morgan, a.id).assignment.status == "completed"
    at.text_area(key=f"review_comment_{a.id}").input("Honest reflection")
    at.button(key=f"FormSubmitter:answers_{a.id}-Mark reviewed").click().run()
    done = homework.get(demo, morgan, a.id)
    assert (done.assignment.status, done.review_comment, done.assignment.reviewed_on) == (
        "reviewed",
        "Honest reflection",
        date.today(),
    )


def test_completing_without_a_required_answer_keeps_what_was_typed(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    a = next(x for x in homework.for_case(demo, morgan, case.id) if x.status == "assigned")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.text_area(key=f"ws_{a.id}_v{a.version}_what_happened").input("Only this")
    at.button(key=f"FormSubmitter:answers_{a.id}-Save and mark complete").click().run()
    assert any("before marking complete" in e.value for e in at.error)
    assert at.text_area(key=f"ws_{a.id}_v{a.version}_what_happened").value == "Only this"
    assert homework.get(demo, morgan, a.id).assignment.status == "assigned"


def test_supervisor_reads_a_worksheet_but_cannot_change_it(demo):  # noqa: F811
    casey = actor(demo, "casey")
    case = case_named(demo, "casey", "Sam O")
    a = homework.for_case(demo, casey, case.id)[0]
    at = open_as(demo, "casey", "pages/assignment.py", assignment=a.id)
    assert all(w.disabled for w in at.text_area)
    assert not [b for b in at.button if "Save" in str(b.label)]


def test_homework_page_lists_overdue_and_awaiting_review(demo):  # noqa: F811
    at = open_as(demo, "morgan", "pages/homework.py")
    work = homework.caseload_homework(demo, actor(demo, "morgan"))
    text = shown(at)
    assert f"Overdue ({len(work.overdue)})" in text
    assert f"Completed, awaiting your review ({len(work.awaiting_review)})" in text
    # Named as the dashboard names it, and saying which days: today and the 7 after.
    assert f"Due this week (today to 7 days ahead) ({len(work.due_this_week)})" in text
    assert "Taylor" in text  # the demo's overdue trust plan


def test_homework_page_says_due_today_and_when_a_worksheet_came_in(demo):  # noqa: F811
    """A worksheet due today read "due 28 Nov 2026" among the week's, and one awaiting review
    showed the date it was due, not the day it was completed."""
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    trust = next(t.id for t in library.list_templates(demo, morgan) if t.key == "trust_plan")
    today = date.today()
    for days in (0, 1, 7):
        homework.assign(demo, morgan, [case.clients[0].id], trust, due_on=today + timedelta(days))
    work = homework.caseload_homework(demo, morgan)
    [done] = work.awaiting_review
    at = open_as(demo, "morgan", "pages/homework.py")
    captions = [c.value for c in at.caption]
    assert captions.count("due today") == 1
    assert captions.count("due tomorrow") == 1
    assert f"due {today + timedelta(days=7):%d %b %Y}" in captions
    assert f"completed {done.completed_on:%d %b %Y}" in captions
    assert f"due {done.due_on:%d %b %Y}" not in captions


def test_homework_page_shows_a_long_list_25_at_a_time(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Jordan")
    trust = next(t.id for t in library.list_templates(demo, morgan) if t.key == "trust_plan")
    for n in range(15):  # both partners: 30 more overdue worksheets
        late = date.fromordinal(date.today().toordinal() - 3 - n)
        homework.assign(demo, morgan, [c.id for c in case.clients], trust, due_on=late)
    overdue = len(homework.caseload_homework(demo, morgan).overdue)
    assert overdue > 30

    at = open_as(demo, "morgan", "pages/homework.py")
    links = lambda: [p for p in at.get("page_link") if "assignment" in str(p.proto.page)]  # noqa: E731
    week = len(homework.caseload_homework(demo, morgan).due_this_week)
    review = len(homework.caseload_homework(demo, morgan).awaiting_review)
    assert len(links()) == 25 + min(week, 25) + min(review, 25)
    more = at.button(key="homework_overdue_more")
    assert more.label == f"Show {min(25, overdue - 25)} more of {overdue - 25}"
    more.click().run()
    assert len(links()) == min(overdue, 50) + min(week, 25) + min(review, 25)


def test_a_long_case_lists_its_worksheets_25_at_a_time(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Jordan")
    trust = next(t.id for t in library.list_templates(demo, morgan) if t.key == "trust_plan")
    for weeks in range(15):  # both partners: 30 more
        due = date.fromordinal(date.today().toordinal() + 7 * weeks)
        homework.assign(demo, morgan, [c.id for c in case.clients], trust, due_on=due)
    every = homework.for_case(demo, morgan, case.id)
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Worksheets")
    links = lambda: [  # noqa: E731
        p.proto.query_string for p in at.get("page_link") if "assignment" in str(p.proto.page)
    ]
    assert links() == [f"assignment={a.id}" for a in every[:25]]
    at.button(key=f"worksheets_{case.id}_more").click().run()
    assert links() == [f"assignment={a.id}" for a in every[:50]]


@pytest.mark.parametrize(
    ("prompt", "name"),
    [
        # Read as typed: no backslash before the brackets a Markdown escape would add.
        ("How sure are you (0 to 10), really?", "How sure are you (0 to 10), really?"),
        # A label's Markdown is drawn even when hidden: an image in it would be fetched.
        (
            "Rate ![this](http://example.org/p.png) *now*",
            "Rate !\\[this](http://example.org/p.png) *now*",
        ),
    ],
    ids=["punctuation", "image"],
)
def test_a_scale_is_named_by_its_prompt_as_typed(demo, prompt, name):  # noqa: F811
    morgan = actor(demo, "morgan")
    source = (
        'key = "our_scale"\nversion = 1\nstage = 6\ntitle = "Scale"\nintro = "Hi"\n'
        f'[[field]]\nid = "how"\nkind = "scale"\nprompt = "{prompt}"\n'
    )
    template = library.save_custom(demo, morgan, source)
    client = case_named(demo, "morgan", "Priya").clients[0]
    [a] = homework.assign(demo, morgan, [client.id], template.id, due_on=date.today())
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    [scale] = at.select_slider
    assert scale.label == name  # the slider's accessible name
    assert scale.proto.label_visibility.value == LabelVisibility.LabelVisibilityOptions.COLLAPSED
    assert f":small[{md(prompt)}]" in [m.value for m in at.markdown]  # shown as typed above


CHECKLIST_IN_A_TABLE = """key = "weekly_plans"
version = 1
stage = 6
title = "Weekly plans"
intro = "Plan the week together."

[[field]]
id = "plans"
kind = "rows"
prompt = "What will you do, and who will be there?"

  [[field.columns]]
  id = "what"
  kind = "short_text"
  prompt = "What?"

  [[field.columns]]
  id = "who"
  kind = "checklist"
  prompt = "Who?"
  options = ["Me", "My partner", "The children"]
"""


def test_a_ticked_list_in_a_table_survives_a_save_on_screen(demo):  # noqa: F811
    # A custom worksheet may have a checklist column; its ticks (typed on screen or read
    # from a PDF) were dropped by the next save of the form.
    morgan = actor(demo, "morgan")
    made = library.save_custom(demo, morgan, CHECKLIST_IN_A_TABLE)
    client = case_named(demo, "morgan", "Priya").clients[0]
    [a] = homework.assign(demo, morgan, [client.id], made.id, due_on=date.today())
    plans = [{"what": "Walk", "who": ["Me", "My partner"]}, {"what": "Cook", "who": None}]
    a = homework.save_answers(demo, morgan, a.id, a.version, {"plans": plans}, {})
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.button(key=f"FormSubmitter:answers_{a.id}-Save draft").click().run()
    assert not at.exception, at.exception
    saved = homework.get(demo, morgan, a.id)
    assert saved.assignment.version == a.version + 1  # saved, not refused
    assert saved.answers["plans"][0] == plans


def test_more_time_is_given_on_the_worksheet_page_and_the_draft_stays(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    a = next(x for x in homework.for_case(demo, morgan, case.id) if x.status == "assigned")
    a = homework.save_answers(demo, morgan, a.id, a.version, {"what_happened": "A draft"}, {})
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    later = a.due_on + timedelta(days=7)
    at.date_input(key=f"schedule_due_{a.id}_v{a.version}").set_value(later)
    at.text_area(key=f"schedule_instr_{a.id}_v{a.version}").input("Take another week")
    at.button(key=f"FormSubmitter:schedule_{a.id}-Save the due date and instructions").click().run()
    assert not at.exception, at.exception
    saved = homework.get(demo, morgan, a.id)
    assert (saved.assignment.due_on, saved.instructions) == (later, "Take another week")
    assert saved.answers["what_happened"] == ("A draft", False)
    assert f"Now due {later:%d %b %Y}." in shown(at).replace("\\", "")
    v = saved.assignment.version
    assert at.date_input(key=f"schedule_due_{a.id}_v{v}").value == later  # the form, afresh


def test_a_worksheet_cancelled_by_mistake_is_restored_from_its_page(demo):  # noqa: F811
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    a = next(x for x in homework.for_case(demo, morgan, case.id) if x.status == "assigned")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.button(key=f"cancel_{a.id}").click().run()
    at.button(key=f"cancel_{a.id}_yes").click().run()
    assert homework.get(demo, morgan, a.id).assignment.status == "cancelled"
    at.button(key=f"restore_{a.id}").click().run()
    assert not at.exception, at.exception
    assert homework.get(demo, morgan, a.id).assignment.status == "assigned"
    assert "Worksheet restored." in shown(at)


def _completed_reflection(demo, first_answer: str):  # noqa: F811
    """Priya's assigned worksheet, answered and completed."""
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Priya")
    a = next(x for x in homework.for_case(demo, morgan, case.id) if x.status == "assigned")
    return homework.save_answers(
        demo,
        morgan,
        a.id,
        a.version,
        {"what_happened": first_answer, "love_or_fear": "Love"},
        {},
        complete=True,
    )


def test_a_completed_worksheet_is_corrected_in_place_not_saved_as_a_draft(demo):  # noqa: F811
    # It offered "Save draft" and said "Draft saved." (or "Marked complete." again) while
    # it stayed completed: a counsellor could think it went back to the client as a draft.
    morgan = actor(demo, "morgan")
    a = _completed_reflection(demo, "First")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    labels = [str(b.label) for b in at.button if str(b.key).startswith("FormSubmitter:answers_")]
    assert labels == ["Save changes", "Mark reviewed"]
    at.text_area(key=f"ws_{a.id}_v{a.version}_what_happened").input("Corrected")
    at.button(key=f"FormSubmitter:answers_{a.id}-Save changes").click().run()
    saved = homework.get(demo, morgan, a.id)
    assert (saved.assignment.status, saved.answers["what_happened"][0]) == (
        "completed",
        "Corrected",
    )
    assert "Changes saved." in shown(at)


def test_an_answer_corrected_while_reviewing_is_saved_with_the_review(demo):  # noqa: F811
    # The review had a form of its own: an answer corrected above it, then "Mark reviewed",
    # lost the correction, and a reviewed worksheet cannot change.
    morgan = actor(demo, "morgan")
    a = _completed_reflection(demo, "Frist")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.text_area(key=f"ws_{a.id}_v{a.version}_what_happened").input("First")
    at.text_area(key=f"review_comment_{a.id}").input("Typo put right in session")
    at.button(key=f"FormSubmitter:answers_{a.id}-Mark reviewed").click().run()
    assert not at.exception, at.exception
    done = homework.get(demo, morgan, a.id)
    assert (done.assignment.status, done.review_comment) == (
        "reviewed",
        "Typo put right in session",
    )
    assert done.answers["what_happened"][0] == "First"
    assert done.answers["love_or_fear"][0] == "Love"


def test_a_review_marked_by_mistake_is_undone_with_its_comment_put_back(demo):  # noqa: F811
    # A review was final: marked on the wrong worksheet, or before a correction, it could
    # never be taken back, and a reviewed worksheet cannot change.
    morgan = actor(demo, "morgan")
    a = _completed_reflection(demo, "First")
    homework.review(demo, morgan, a.id, a.version, "Meant for the other worksheet")
    at = open_as(demo, "morgan", "pages/assignment.py", assignment=a.id)
    at.button(key=f"unreview_{a.id}").click().run()
    assert homework.get(demo, morgan, a.id).assignment.status == "reviewed"  # not until yes
    at.button(key=f"unreview_{a.id}_yes").click().run()
    assert not at.exception, at.exception
    assert homework.get(demo, morgan, a.id).assignment.status == "completed"
    assert at.text_area(key=f"review_comment_{a.id}").value == "Meant for the other worksheet"
    assert "Review undone: the worksheet is completed again." in shown(at)


def test_a_worksheet_being_written_is_not_replaced_by_one_chosen_to_start_from(demo):  # noqa: F811
    # Choosing a worksheet under 'Start from' put its text in place of what had been written.
    at = open_as(demo, "morgan", "pages/worksheets.py")
    trust, other = library.list_templates(demo, actor(demo, "morgan"))[:2]
    at.selectbox(key="custom_start").set_value(trust.id).run()
    loaded = at.text_area(key="custom_source").value
    assert loaded == library.template_source(demo, actor(demo, "morgan"), trust.id)
    mine = loaded + "\n# my own changes, an afternoon's work\n"
    at.text_area(key="custom_source").input(mine).run()
    at.selectbox(key="custom_start").set_value(other.id).run()
    assert at.text_area(key="custom_source").value == mine
    assert any("your own changes" in w.value for w in at.warning)
    at.button(key="custom_replace").click().run()
    theirs = library.template_source(demo, actor(demo, "morgan"), other.id)
    assert at.text_area(key="custom_source").value == theirs
    at.selectbox(key="custom_start").set_value(trust.id).run()  # unchanged: no question
    assert at.text_area(key="custom_source").value == loaded and not at.warning


def test_a_screen_taken_as_the_case_is_archived_elsewhere_is_shown_to_copy(demo):  # noqa: F811
    # The form went with the archiving, and the client's answers with it, without a word.
    morgan = actor(demo, "morgan")
    case = case_named(demo, "morgan", "Mei Lin")  # never screened in the demo
    client = case.clients[0]
    at = open_tab(open_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Safety")
    at.radio(key=f"screen_{client.id}_fear").set_value("yes")
    at.radio(key=f"screen_{client.id}_threats").set_value("unsure")
    cases.set_archived(demo, morgan, case.id, case.version, True)  # in another tab
    at.button(key=f"FormSubmitter:screen_{case.id}_{client.id}-Record screen").click().run()
    assert not safety.case_status(demo, morgan, case.id)[client.id].screened
    assert any("was not recorded: this case was archived" in e.value for e in at.error)
    [typed] = [c.value.split("\n") for c in at.code]
    assert len(typed) == 2 and typed[0].endswith(" yes") and typed[1].endswith(" unsure")
