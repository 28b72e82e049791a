"""Worksheet assignments: lifecycle, answers by kind, versions, visibility, the safety gate."""

import re
from datetime import date, timedelta

import pytest

from casebook import audit, cases, homework, library, safety
from casebook.cases import ClientInput
from casebook.errors import AccessDenied, Conflict, ValidationError
from casebook.homework import SafetyGate
from worksheets.answers import visible_to_partner

TODAY = date.today()
NO_CONCERN = {
    "fear": "no",
    "threats": "no",
    "physical_harm": "no",
    "control": "no",
    "protective_order": "no",
    "safe_together": "yes",
}


@pytest.fixture
def couple(db, people):
    # Opened long ago: a screen may be entered late from paper, dated months back.
    return cases.create_case(
        db,
        people["morgan"],
        [ClientInput("Ana"), ClientInput("Ben")],
        opened_on=TODAY - timedelta(days=365),
    )


def template_id(db, actor, key):
    return next(t.id for t in library.list_templates(db, actor) if t.key == key)


def test_shipped_library_is_in_the_database_with_one_worksheet_per_stage(db, people):
    found = library.list_templates(db, people["morgan"])
    assert {t.stage for t in found} == set(range(1, 9))
    assert {t.key for t in found if t.contact} >= {"communication_plan", "rekindling_plan"}


def test_assign_to_both_partners_makes_two_assignments(db, people, couple):
    morgan = people["morgan"]
    made = homework.assign(
        db,
        morgan,
        [c.id for c in couple.clients],
        template_id(db, morgan, "trust_plan"),
        due_on=TODAY + timedelta(days=7),
        instructions="Before Thursday",
    )
    assert [
        (a.client_name, a.status, homework.get(db, morgan, a.id).instructions) for a in made
    ] == [
        ("Ana", "assigned", "Before Thursday"),
        ("Ben", "assigned", "Before Thursday"),
    ]
    assert [a.id for a in homework.for_case(db, morgan, couple.id)] == [a.id for a in made]


def test_a_case_lists_worksheets_in_play_soonest_first_then_the_rest_latest_first(
    db, people, couple
):
    morgan = people["morgan"]
    tid = template_id(db, morgan, "trust_plan")
    ana = couple.clients[0].id
    made = {
        days: homework.assign(db, morgan, [ana], tid, due_on=TODAY + timedelta(days=days))[0]
        for days in (-10, 3, -5, 1, -7)
    }
    for days in (-10, -5):
        homework.cancel(db, morgan, made[days].id, made[days].version)
    answers = {
        "actions": "Cook on Sundays",
        "promises": [{"promise": "Call when late", "by_when": TODAY, "kept": True}],
    }
    homework.save_answers(db, morgan, made[-7].id, made[-7].version, answers, {}, complete=True)
    listed = [a.id for a in homework.for_case(db, morgan, couple.id)]
    # Awaiting review is still in play: it comes with the open ones, by due date.
    assert listed == [made[days].id for days in (-7, 1, 3, -5, -10)]


def test_lifecycle_draft_complete_review(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    draft = homework.save_answers(
        db,
        morgan,
        a.id,
        a.version,
        {"reliability": 6, "hiding": "Nothing now"},
        {"reliability": True},
    )
    assert draft.status == "in_progress"
    with pytest.raises(ValidationError, match="before marking complete"):
        homework.save_answers(db, morgan, a.id, draft.version, {}, {}, complete=True)
    detail = homework.get(db, morgan, a.id)
    assert detail.answers == {"reliability": (6, True), "hiding": ("Nothing now", False)}
    done = homework.save_answers(
        db,
        morgan,
        a.id,
        detail.assignment.version,
        {
            "actions": "Cook on Sundays",
            "promises": [{"promise": "Call when late", "by_when": TODAY, "kept": True}],
        },
        {"actions": True},
        complete=True,
    )
    assert (done.status, done.completed_on) == ("completed", TODAY)
    stored = homework.get(db, morgan, a.id).answers
    assert stored["promises"] == (
        [{"promise": "Call when late", "by_when": TODAY.isoformat(), "kept": True}],
        False,
    )
    assert stored["reliability"] == (6, True)  # the draft's answers are kept
    # Completed, a required answer cannot be emptied (on its own, or with the review).
    with pytest.raises(ValidationError, match="a completed worksheet keeps one"):
        homework.save_answers(db, morgan, a.id, done.version, {"actions": ""}, {})
    with pytest.raises(ValidationError, match="a completed worksheet keeps one"):
        homework.review(db, morgan, a.id, done.version, "Good", answers={"actions": ""})
    assert homework.get(db, morgan, a.id).answers["actions"] == ("Cook on Sundays", True)
    reviewed = homework.review(db, morgan, a.id, done.version, "Good progress")
    assert reviewed.status == "reviewed"
    assert homework.get(db, morgan, a.id).review_comment == "Good progress"
    with pytest.raises(ValidationError, match="reviewed"):
        homework.save_answers(db, morgan, a.id, reviewed.version, {"hiding": "x"}, {})

    # A review marked by mistake is taken back: completed again, to correct and review anew.
    with pytest.raises(AccessDenied):
        homework.undo_review(db, people["casey"], a.id, reviewed.version)
    with pytest.raises(Conflict):
        homework.undo_review(db, morgan, a.id, reviewed.version - 1)
    undone = homework.undo_review(db, morgan, a.id, reviewed.version)
    assert (undone.status, undone.reviewed_on) == ("completed", None)
    assert homework.get(db, morgan, a.id).review_comment is None
    fixed = homework.save_answers(db, morgan, a.id, undone.version, {"hiding": "x"}, {})
    assert homework.get(db, morgan, a.id).answers["hiding"] == ("x", False)
    with pytest.raises(ValidationError, match="completed"):
        homework.undo_review(db, morgan, a.id, fixed.version)
    assert "review_undo" in [e.action for e in audit.entries(db, people["admin"])]


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"reliability": 11}, "from 0 to 10"),
        ({"reliability": "7"}, "whole number"),
        ({"feeling": "Ecstatic"}, "choose one of the options"),
        ({"transparency": ["Something else"]}, "tick only the options"),
        ({"check_in": "not a date"}, "needs a date"),
        ({"check_in": date(1850, 1, 1)}, "between 1900 and 2100"),
        ({"hiding": "x" * 20_001}, "too long"),
        ({"promises": [{"promise": "a\x00b"}]}, "control character"),
        ({"nonsense": "x"}, "no question 'nonsense'"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_saved(db, people, couple, answers, message):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    with pytest.raises(ValidationError, match=message):
        homework.save_answers(db, morgan, a.id, a.version, answers, {})
    detail = homework.get(db, morgan, a.id)
    assert detail.answers == {} and detail.assignment.status == "assigned"


def test_a_stale_save_is_refused(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    homework.save_answers(db, morgan, a.id, a.version, {"hiding": "first tab"}, {})
    with pytest.raises(Conflict):
        homework.save_answers(db, morgan, a.id, a.version, {"hiding": "second tab"}, {})
    assert homework.get(db, morgan, a.id).answers["hiding"] == ("first tab", False)


def test_overdue_is_derived_and_the_caseload_view_sorts_homework(db, people, couple):
    morgan = people["morgan"]
    tid = template_id(db, morgan, "trust_plan")
    [late] = homework.assign(db, morgan, [couple.clients[0].id], tid, due_on=TODAY)
    [soon] = homework.assign(
        db, morgan, [couple.clients[1].id], tid, due_on=TODAY + timedelta(days=3)
    )
    [done] = homework.assign(db, morgan, [couple.clients[1].id], tid, due_on=TODAY)
    homework.save_answers(db, morgan, done.id, done.version, {"actions": "x"}, {}, complete=True)
    tomorrow = TODAY + timedelta(days=1)
    assert late.overdue(tomorrow) and not late.overdue(TODAY)
    work = homework.caseload_homework(db, morgan, today=tomorrow)
    assert [a.id for a in work.overdue] == [late.id]
    assert [a.id for a in work.due_this_week] == [soon.id]
    assert [a.id for a in work.awaiting_review] == [done.id]
    assert homework.caseload_homework(db, people["riley"]).overdue == []


def test_a_limited_caseload_view_keeps_the_first_of_each_list_and_counts_them_all(
    db, people, couple
):
    morgan = people["morgan"]
    tid = template_id(db, morgan, "trust_plan")
    ana, ben = (c.id for c in couple.clients)
    late = [
        homework.assign(db, morgan, [ana], tid, due_on=TODAY - timedelta(days=d))[0]
        for d in (2, 9, 5, 7)
    ]
    soon = [
        homework.assign(db, morgan, [ben], tid, due_on=TODAY + timedelta(days=d))[0]
        for d in (4, 1, 6)
    ]
    full = homework.caseload_homework(db, morgan)
    two = homework.caseload_homework(
        db, morgan, limits={"overdue": 2, "due_this_week": 2, "awaiting_review": 2}
    )
    one_late = homework.caseload_homework(
        db, morgan, limits={"overdue": 1, "due_this_week": 0, "awaiting_review": 0}
    )
    most_overdue = sorted(late, key=lambda a: a.due_on)[:2]
    assert [a.id for a in two.overdue] == [a.id for a in most_overdue]
    assert [a.id for a in two.due_this_week] == [
        a.id for a in sorted(soon, key=lambda a: a.due_on)[:2]
    ]
    assert two.awaiting_review == []
    assert two.totals == full.totals == {"due_this_week": 3, "overdue": 4, "awaiting_review": 0}
    assert two.overdue == full.overdue[:2]
    assert (one_late.overdue, one_late.due_this_week) == (full.overdue[:1], [])
    assert one_late.totals == full.totals  # counted in full, whatever is read


def test_cancel_keeps_the_answers(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    a = homework.save_answers(db, morgan, a.id, a.version, {"hiding": "kept"}, {})
    assert homework.cancel(db, morgan, a.id, a.version).status == "cancelled"
    assert homework.get(db, morgan, a.id).answers == {"hiding": ("kept", False)}


def test_more_time_and_new_instructions_keep_the_answers(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db,
        morgan,
        [couple.clients[0].id],
        template_id(db, morgan, "trust_plan"),
        due_on=TODAY - timedelta(days=2),
        instructions="Before Thursday",
    )
    a = homework.save_answers(db, morgan, a.id, a.version, {"hiding": "kept"}, {})
    assert a.overdue(TODAY)
    moved = homework.reschedule(
        db, morgan, a.id, a.version, due_on=TODAY + timedelta(days=7), instructions="By Monday"
    )
    detail = homework.get(db, morgan, a.id)
    assert (moved.due_on, moved.status, moved.overdue(TODAY)) == (
        TODAY + timedelta(days=7),
        "in_progress",
        False,
    )
    assert (detail.instructions, detail.answers) == ("By Monday", {"hiding": ("kept", False)})
    assert audit.entries(db, people["admin"], action="assignment_change")[0].detail == (
        f"#{a.id} due date and instructions"
    )
    with pytest.raises(Conflict):  # the version read before the change
        homework.reschedule(db, morgan, a.id, a.version, due_on=TODAY, instructions="")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_on": TODAY + timedelta(days=7 * 366)}, "five years ahead"),
        ({"instructions": "x" * 5001}, "Instructions"),
        ({}, "as they were"),
    ],
)
def test_a_bad_or_empty_change_of_due_date_changes_nothing(db, people, couple, change, message):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    with pytest.raises(ValidationError, match=message):
        homework.reschedule(
            db, morgan, a.id, a.version, **({"due_on": TODAY, "instructions": ""} | change)
        )
    assert homework.get(db, morgan, a.id).assignment == a


def test_a_completed_worksheet_keeps_its_due_date_and_others_cannot_change_it(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    later = TODAY + timedelta(days=3)
    for someone in ("riley", "casey"):
        with pytest.raises(AccessDenied):
            homework.reschedule(db, people[someone], a.id, a.version, due_on=later, instructions="")
    done = homework.save_answers(
        db, morgan, a.id, a.version, {"actions": "Cook"}, {}, complete=True
    )
    with pytest.raises(ValidationError, match="completed"):
        homework.reschedule(db, morgan, a.id, done.version, due_on=later, instructions="")
    assert homework.get(db, morgan, a.id).assignment.due_on == TODAY


@pytest.mark.parametrize(
    ("answers", "complete", "restored"),
    [
        ({}, False, "assigned"),
        ({"hiding": "kept"}, False, "in_progress"),
        (None, True, "completed"),
    ],
)
def test_a_cancelled_worksheet_is_restored_as_it_was(
    db, people, couple, answers, complete, restored
):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    if answers or complete:
        a = homework.save_answers(
            db, morgan, a.id, a.version, answers or {"actions": "Cook"}, {}, complete=complete
        )
    cancelled = homework.cancel(db, morgan, a.id, a.version)
    back = homework.restore(db, morgan, a.id, cancelled.version)
    assert back.status == restored
    assert homework.get(db, morgan, a.id).assignment.completed_on == (TODAY if complete else None)
    assert [e.detail for e in audit.entries(db, people["admin"], action="assignment_restore")] == [
        f"#{a.id}"
    ]
    with pytest.raises(ValidationError, match="cannot change now"):  # once is enough
        homework.restore(db, morgan, a.id, back.version)


def test_a_cancelled_worksheet_assigned_again_is_not_restored_twice(db, people, couple):
    morgan = people["morgan"]
    tid = template_id(db, morgan, "trust_plan")
    [a] = homework.assign(db, morgan, [couple.clients[0].id], tid, due_on=TODAY)
    cancelled = homework.cancel(db, morgan, a.id, a.version)
    [again] = homework.assign(db, morgan, [couple.clients[0].id], tid, due_on=TODAY)
    with pytest.raises(ValidationError, match=f"already has 'Trust plan'.*#{again.id}"):
        homework.restore(db, morgan, a.id, cancelled.version)
    with pytest.raises(AccessDenied):
        homework.restore(db, people["casey"], a.id, cancelled.version)
    assert homework.get(db, morgan, a.id).assignment.status == "cancelled"


def test_a_review_saves_the_answers_corrected_with_it_or_nothing(db, people, couple):
    morgan = people["morgan"]
    [a] = homework.assign(
        db, morgan, [couple.clients[0].id], template_id(db, morgan, "trust_plan"), due_on=TODAY
    )
    done = homework.save_answers(
        db, morgan, a.id, a.version, {"actions": "Cok on Sundays"}, {}, complete=True
    )
    with pytest.raises(ValidationError, match="from 0 to 10"):
        homework.review(db, morgan, a.id, done.version, "Fine", answers={"reliability": 11})
    assert homework.get(db, morgan, a.id).assignment == done  # not reviewed either
    homework.review(
        db,
        morgan,
        a.id,
        done.version,
        "Fine",
        answers={"actions": "Cook on Sundays"},
        shared={"actions": True},
    )
    detail = homework.get(db, morgan, a.id)
    assert (detail.assignment.status, detail.answers) == (
        "reviewed",
        {"actions": ("Cook on Sundays", True)},
    )


def test_private_answers_never_reach_the_partner():
    answers = {"a": ("shared text", True), "b": ("private text", False)}
    assert visible_to_partner(answers) == {"a": "shared text"}


def test_a_second_click_does_not_assign_the_same_worksheet_twice(db, people, couple):
    morgan = people["morgan"]
    ana, ben = (c.id for c in couple.clients)
    trust = template_id(db, morgan, "trust_plan")
    week = TODAY + timedelta(days=7)
    [first] = homework.assign(db, morgan, [ana], trust, due_on=week)
    with pytest.raises(ValidationError, match="Ana already has 'Trust plan' due on"):
        homework.assign(db, morgan, [ana, ben], trust, due_on=week)
    assert [a.client_name for a in homework.for_case(db, morgan, couple.id)] == ["Ana"]
    homework.assign(db, morgan, [ana], trust, due_on=week + timedelta(days=7))  # next week's
    homework.cancel(db, morgan, first.id, first.version)
    homework.assign(db, morgan, [ana, ben], trust, due_on=week)  # the cancelled one is gone
    assert len(homework.for_case(db, morgan, couple.id)) == 4


def test_other_counsellors_and_supervisors_cannot_assign_or_answer(db, people, couple):
    morgan = people["morgan"]
    tid = template_id(db, morgan, "trust_plan")
    [a] = homework.assign(db, morgan, [couple.clients[0].id], tid, due_on=TODAY)
    for who in ("riley", "casey"):
        with pytest.raises(AccessDenied):
            homework.assign(db, people[who], [couple.clients[0].id], tid, due_on=TODAY)
        with pytest.raises(AccessDenied):
            homework.save_answers(db, people[who], a.id, a.version, {"hiding": "x"}, {})
    with pytest.raises(AccessDenied):
        homework.get(db, people["riley"], a.id)
    assert homework.get(db, people["casey"], a.id).assignment.id == a.id  # reads only


# --- the safety gate ------------------------------------------------------------------------


def test_a_flag_on_either_partner_blocks_contact_worksheets_for_both(db, people, couple):
    morgan = people["morgan"]
    ana, ben = (c.id for c in couple.clients)
    safety.record_screen(db, morgan, ana, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY)
    safety.record_screen(db, morgan, ben, NO_CONCERN, screened_on=TODAY)
    contact = template_id(db, morgan, "communication_plan")
    for who in (ana, ben):
        with pytest.raises(SafetyGate, match="Ana has a safety flag"):
            homework.assign(db, morgan, [who], contact, due_on=TODAY)
    assert homework.for_case(db, morgan, couple.id) == []
    # Worksheets that ask for no contact are not gated.
    homework.assign(db, morgan, [ana], template_id(db, morgan, "trust_plan"), due_on=TODAY)


def test_contact_worksheets_wait_for_both_partners_to_be_screened(db, people, couple):
    morgan = people["morgan"]
    ana, ben = (c.id for c in couple.clients)
    contact = template_id(db, morgan, "rekindling_plan")
    with pytest.raises(SafetyGate, match="Ana and Ben have not been screened for safety"):
        homework.assign(db, morgan, [ana], contact, due_on=TODAY)
    safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=TODAY)
    with pytest.raises(SafetyGate, match="^Ben has not been screened for safety"):
        homework.assign(db, morgan, [ana], contact, due_on=TODAY)
    assert homework.for_case(db, morgan, couple.id) == []
    [made] = homework.assign(
        db, morgan, [ana], contact, due_on=TODAY, override_reason="Screened on paper today"
    )
    safety.record_screen(db, morgan, ben, NO_CONCERN, screened_on=TODAY)
    homework.assign(db, morgan, [ben], contact, due_on=TODAY)
    assert [(a.id, a.client_name) for a in homework.for_case(db, morgan, couple.id)] == [
        (made.id, "Ana"),
        (made.id + 1, "Ben"),
    ]


def test_an_override_with_a_reason_is_recorded_in_the_audit_trail(db, people, couple):
    morgan = people["morgan"]
    ana = couple.clients[0].id
    safety.record_screen(
        db, morgan, ana, {**NO_CONCERN, "protective_order": "yes"}, screened_on=TODAY
    )
    [a] = homework.assign(
        db,
        morgan,
        [ana],
        template_id(db, morgan, "rekindling_plan"),
        due_on=TODAY,
        override_reason="Order lifted; reassessed in session",
    )
    entries = audit.entries(db, people["admin"], action="safety_override")
    # The admin sees that an override was made, never why: the reason is clinical text.
    assert [(e.client_id, e.detail) for e in entries] == [(ana, f"#{a.id}")]
    assert all("Order lifted" not in e.detail for e in audit.entries(db, people["admin"]))
    detail = homework.get(db, morgan, a.id)
    assert detail.safety_override == "Order lifted; reassessed in session"


def test_unsure_flags_and_a_later_clear_screen_lifts_the_flag(db, people, couple):
    morgan = people["morgan"]
    ana = couple.clients[0].id
    safety.record_screen(db, morgan, ana, {**NO_CONCERN, "control": "unsure"}, screened_on=TODAY)
    assert safety.case_status(db, morgan, couple.id)[ana].flagged
    assert [f.client_name for f in safety.caseload_safety(db, morgan).flagged] == ["Ana"]
    safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=TODAY)
    status = safety.case_status(db, morgan, couple.id)
    assert not status[ana].flagged and status[ana].screened
    assert not status[couple.clients[1].id].screened


def test_a_screen_entered_late_from_paper_does_not_replace_a_newer_one(db, people, couple):
    morgan = people["morgan"]
    ana = couple.clients[0].id
    concern = {**NO_CONCERN, "threats": "yes"}
    safety.record_screen(db, morgan, ana, concern, screened_on=TODAY)
    earlier = TODAY - timedelta(days=90)
    safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=earlier)

    status = safety.case_status(db, morgan, couple.id)[ana]
    assert (status.flagged, status.last_screened) == (True, TODAY)
    assert [f.client_name for f in safety.caseload_safety(db, morgan).flagged] == ["Ana"]
    assert [v.screened_on for v in safety.screens(db, morgan, ana)] == [TODAY, earlier]
    with pytest.raises(SafetyGate):
        homework.assign(db, morgan, [ana], template_id(db, morgan, "rekindling_plan"), due_on=TODAY)


def test_the_caseload_lists_the_flagged_and_those_due_a_first_screen(db, people):
    morgan, riley = people["morgan"], people["riley"]

    def case(actor, *names, stage=1):
        return cases.create_case(db, actor, [ClientInput(n) for n in names], start_stage=stage)

    cleared = case(morgan, "Cleared", "Partner", stage=3).clients[0]
    case(morgan, "Too early", stage=2)
    case(morgan, "Due", stage=3)
    [flagged] = case(morgan, "Flagged").clients
    safety.record_screen(db, morgan, cleared.id, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY)
    safety.record_screen(db, morgan, cleared.id, NO_CONCERN, screened_on=TODAY)
    safety.record_screen(db, morgan, flagged.id, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY)
    closed = case(morgan, "Closed and flagged", stage=5)
    safety.record_screen(
        db, morgan, closed.clients[0].id, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY
    )
    cases.close_case(db, morgan, closed.id, closed.version, outcome="paused", closed_on=TODAY)
    case(riley, "Riley's client", stage=6)

    def listed(actor):
        found = safety.caseload_safety(db, actor)
        return (
            [(f.client_name, f.last_screened) for f in found.flagged],
            [(u.client_name, u.stage) for u in found.unscreened],
        )

    # A later clear screen lifts a flag; a client before stage 3 is not yet due a screen;
    # closed cases, and for a counsellor other counsellors' cases, are left out.
    assert listed(morgan) == ([("Flagged", TODAY)], [("Partner", 3), ("Due", 3)])
    assert listed(people["casey"]) == (
        [("Flagged", TODAY)],
        [("Partner", 3), ("Due", 3), ("Riley's client", 6)],
    )


def test_a_screen_recorded_for_the_wrong_partner_is_struck_out_and_kept(db, people, couple):
    morgan = people["morgan"]
    ana, ben = (c.id for c in couple.clients)
    safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=TODAY - timedelta(days=7))
    wrong = safety.record_screen(db, morgan, ana, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY)
    assert safety.case_status(db, morgan, couple.id)[ana].flagged
    struck = safety.strike_screen(db, morgan, wrong.id, why="Ben's answers, not Ana's")
    # Ana's flag comes from her own screen again; the struck one is kept, without answers.
    status = safety.case_status(db, morgan, couple.id)[ana]
    assert (status.flagged, status.last_screened) == (False, TODAY - timedelta(days=7))
    assert [v.screened_on for v in safety.screens(db, morgan, ana)] == [TODAY - timedelta(days=7)]
    assert safety.struck_screens(db, morgan, ana) == [struck]
    assert (struck.screened_on, struck.flagged, struck.why) == (
        TODAY,
        True,
        "Ben's answers, not Ana's",
    )
    assert safety.struck_screens(db, morgan, ben) == []
    entries = audit.entries(db, people["admin"], action="safety_strike")
    assert [(e.client_id, e.detail) for e in entries] == [(ana, f"#{wrong.id}")]
    # The next screen (on SQLite, under the struck one's number) can be struck out in turn.
    again = safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=TODAY)
    safety.strike_screen(db, morgan, again.id, why="Recorded twice")
    assert len(safety.struck_screens(db, morgan, ana)) == 2


def test_striking_out_a_screen_needs_a_reason_and_the_case_counsellor(db, people, couple):
    morgan = people["morgan"]
    ana = couple.clients[0].id
    made = safety.record_screen(db, morgan, ana, {**NO_CONCERN, "fear": "yes"}, screened_on=TODAY)
    with pytest.raises(ValidationError, match="required"):
        safety.strike_screen(db, morgan, made.id, why="  ")
    for who in ("riley", "casey"):
        with pytest.raises(AccessDenied):
            safety.strike_screen(db, people[who], made.id, why="Wrong")
    assert safety.case_status(db, morgan, couple.id)[ana].flagged
    assert safety.struck_screens(db, morgan, ana) == []


def test_a_screen_must_answer_every_question(db, people, couple):
    answers = dict(NO_CONCERN)
    del answers["threats"]
    with pytest.raises(ValidationError, match="threatened"):
        safety.record_screen(db, people["morgan"], couple.clients[0].id, answers, screened_on=TODAY)


def test_screens_are_private_to_the_case_counsellor_and_supervisor(db, people, couple):
    morgan = people["morgan"]
    ana = couple.clients[0].id
    safety.record_screen(db, morgan, ana, NO_CONCERN, screened_on=TODAY)
    with pytest.raises(AccessDenied):
        safety.screens(db, people["riley"], ana)
    with pytest.raises(AccessDenied):
        safety.screens(db, people["admin"], ana)
    assert [s.answers for s in safety.screens(db, morgan, ana)] == [NO_CONCERN]
    with pytest.raises(AccessDenied):
        safety.record_screen(db, people["casey"], ana, NO_CONCERN, screened_on=TODAY)


CUSTOM = """key = "weekly_check"
version = {version}
stage = 6
title = "Weekly check"
intro = "A short weekly check."
[[field]]
id = "{field}"
kind = "short_text"
prompt = "What went well?"
"""


def test_old_answers_stay_with_the_version_they_answered(db, people, couple):
    morgan = people["morgan"]
    v1 = library.save_custom(db, morgan, CUSTOM.format(version=1, field="went_well"))
    [a] = homework.assign(db, morgan, [couple.clients[0].id], v1.id, due_on=TODAY)
    homework.save_answers(db, morgan, a.id, a.version, {"went_well": "Dinner"}, {})
    v2 = library.save_custom(db, morgan, CUSTOM.format(version=2, field="highlight"))
    assert [t.version for t in library.list_templates(db, morgan) if t.key == "weekly_check"] == [2]
    detail = homework.get(db, morgan, a.id)
    assert detail.assignment.template_version == 1
    assert [f.id for f in detail.template.fields] == ["went_well"]
    assert detail.answers == {"went_well": ("Dinner", False)}
    [b] = homework.assign(db, morgan, [couple.clients[0].id], v2.id, due_on=TODAY)
    assert [f.id for f in homework.get(db, morgan, b.id).template.fields] == ["highlight"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (CUSTOM.format(version=2, field="x1"), "version must be 1"),
        (
            CUSTOM.format(version=1, field="x1").replace("weekly_check", "trust_plan"),
            "belongs to the shipped library",
        ),
        (
            CUSTOM.format(version=1, field="x1").replace('kind = "short_text"', 'kind = "essay"'),
            "field 1 (x1).kind must be one of",
        ),
        ("not toml at all [", "not valid TOML"),
        (  # PostgreSQL refuses to store a NUL: refused here, not a traceback there
            CUSTOM.format(version=1, field="x1").replace("Weekly check", "Weekly\\u0000check"),
            "title contains a control character",
        ),
        (
            CUSTOM.format(version=1, field="x1").replace("What went", "\\u001b[2JWhat went"),
            "field 1.prompt contains a control character",
        ),
    ],
)
def test_bad_custom_worksheets_are_refused(db, people, source, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        library.save_custom(db, people["morgan"], source)
    assert not [t for t in library.list_templates(db, people["morgan"]) if t.custom]


def test_only_counsellors_add_worksheets(db, people):
    for who in ("casey", "admin"):
        with pytest.raises(AccessDenied):
            library.save_custom(db, people[who], CUSTOM.format(version=1, field="x1"))
