import uuid
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casebook import (
    accounts,
    audit,
    cases,
    homework,
    library,
    measures,
    notes,
    safety,
    stage_history,
)
from casebook.cases import ClientInput
from casebook.crypto import Cipher
from casebook.db import Database
from casebook.errors import AccessDenied, Conflict, NotFound, ValidationError
from casebook.settings import Settings
from tests.conftest import POSTGRES_URL, make_actor

TODAY = date.today()


def couple(db, actor, names=("Ana Ruiz", "Ben Ruiz"), **kw):
    return cases.create_case(db, actor, [ClientInput(n, "they/them") for n in names], **kw)


def single(db, actor, name="Cleo Park", **kw):
    return cases.create_case(db, actor, [ClientInput(name, "she/her", "cleo@example.org")], **kw)


def test_create_couple_case_puts_both_clients_at_the_starting_stage(db, people):
    case = couple(db, people["morgan"], start_stage=2, presenting_concern="Drifted apart")
    stored = cases.get_case(db, people["morgan"], case.id)
    assert stored.kind == "couple"
    assert stored.label == "Ana Ruiz & Ben Ruiz"
    assert [c.stage for c in stored.clients] == [2, 2]
    assert stored.presenting_concern == "Drifted apart"
    assert stored.status == "open"
    assert stored.counsellor_name == "Morgan"


@pytest.mark.parametrize(
    ("clients", "message"),
    [
        ([], "one client, or two"),
        ([ClientInput("A"), ClientInput("B"), ClientInput("C")], "one client, or two"),
        ([ClientInput("   ")], "name is required"),
        ([ClientInput("Ann", email="not-an-email")], "email address"),
        ([ClientInput("Ann", phone="call me")], "Phone"),
        ([ClientInput("Ann\x00")], "control character"),
        ([ClientInput("Ann\u202eevE")], "control character"),
        ([ClientInput("x" * 201)], "too long"),
    ],
)
def test_create_case_refuses_bad_clients_and_saves_nothing(db, people, clients, message):
    with pytest.raises(ValidationError, match=message):
        cases.create_case(db, people["morgan"], clients)
    assert cases.list_cases(db, people["morgan"], status=None) == []


def test_create_case_refuses_a_future_opening_date(db, people):
    with pytest.raises(ValidationError, match="future"):
        single(db, people["morgan"], opened_on=TODAY + timedelta(days=1))


@pytest.mark.parametrize("who", ["casey", "admin"])
def test_only_counsellors_open_cases(db, people, who):
    with pytest.raises(AccessDenied):
        single(db, people[who])


def test_list_filters_by_name_stage_status_and_kind(db, people):
    morgan = people["morgan"]
    a = couple(db, morgan)
    b = single(db, morgan, start_stage=4)
    c = single(db, morgan, name="Dev Patel")
    cases.close_case(db, morgan, c.id, c.version, outcome="paused", closed_on=TODAY)

    def ids(**kw):
        return {x.id for x in cases.list_cases(db, morgan, **kw)}

    assert ids(status=None) == {a.id, b.id, c.id}
    assert ids(status="open") == {a.id, b.id}
    assert ids(status="closed") == {c.id}
    assert ids(search="ruiz") == {a.id}
    assert ids(search="CLEO") == {b.id}
    assert ids(search="%") == set()
    assert ids(stage=4) == {b.id}
    assert ids(kind="couple") == {a.id}
    assert ids(kind="individual") == {b.id, c.id}


def test_search_finds_a_case_by_its_number_among_those_one_may_see(db, people):
    morgan = people["morgan"]
    made = single(db, morgan)
    others = single(db, people["riley"], name="Rey Ito")

    def ids(term):
        return [c.id for c in cases.list_cases(db, morgan, search=term, status=None)]

    assert ids(f"#{made.id}") == ids(f" {made.id} ") == [made.id]
    assert ids(f"#{others.id}") == []  # another counsellor's case stays unseen
    assert ids("#999") == []
    # Past what a column holds: nothing found, not a database error on the case list.
    assert ids("#99999999999999999999") == ids("3000000000") == []


@pytest.mark.parametrize(
    "term", ["Élodie", "élodie", "ØSTER", "łukasz", "ΆΛΦΑ", "Соня", "elodie", "αλφα"]
)
def test_search_finds_names_beyond_a_to_z_in_any_case_and_without_accents(db, people, term):
    made = cases.create_case(
        db,
        people["morgan"],
        [ClientInput("Élodie Øster"), ClientInput("Łukasz Άλφα-Соня")],
    )
    assert [c.id for c in cases.list_cases(db, people["morgan"], search=term)] == [made.id]


@pytest.mark.parametrize("term", ["İpek", "İPEK", "yıldız", "YILDIZ", "ipek yildiz"])
def test_search_finds_a_turkish_name_as_typed(db, people, term):
    made = cases.create_case(db, people["morgan"], [ClientInput("İpek Yıldız")])
    assert [c.id for c in cases.list_cases(db, people["morgan"], search=term)] == [made.id]


@pytest.mark.skipif(not POSTGRES_URL, reason="CASEBOOK_TEST_POSTGRES_URL is not set")
def test_search_finds_accented_names_on_a_postgresql_database_in_the_c_locale(tmp_path):
    """A practice's server set up with the C locale, whose lower() folds A to Z only."""
    name = f"casebook_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'")
        )
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    db = Database.open(Settings(tmp_path, url, key=Cipher.new_key()))
    try:
        morgan = make_actor(db, "morgan", "counsellor")
        made = cases.create_case(db, morgan, [ClientInput("Élodie Øster")])
        for term in ("élodie", "øster", "ÉLODIE"):
            assert [c.id for c in cases.list_cases(db, morgan, search=term)] == [made.id], term
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_find_cases_reads_one_page_newest_first_and_counts_them_all(db, people):
    morgan = people["morgan"]
    made = [
        single(db, morgan, name=f"Client {n}", opened_on=TODAY - timedelta(days=n))
        for n in range(7)
    ]
    newest_first = [c.id for c in made]  # made[0] opened today, made[6] six days ago
    assert [c.id for c in cases.list_cases(db, morgan)] == newest_first
    second = cases.find_cases(db, morgan, offset=3, limit=3)
    assert (second.total, [c.id for c in second.cases]) == (7, newest_first[3:6])
    last = cases.find_cases(db, morgan, offset=6, limit=3)
    assert (last.total, [c.id for c in last.cases]) == (7, newest_first[6:])
    narrowed = cases.find_cases(db, morgan, search="client 1", limit=3)
    assert (narrowed.total, [c.id for c in narrowed.cases]) == (1, [made[1].id])
    assert cases.find_cases(db, morgan, offset=9, limit=3) == cases.CasePage(7, [])


def test_counsellor_sees_only_their_own_cases(db, people):
    mine = single(db, people["morgan"])
    theirs = single(db, people["riley"], name="Riley's Client")
    assert [c.id for c in cases.list_cases(db, people["morgan"])] == [mine.id]
    with pytest.raises(AccessDenied):
        cases.get_case(db, people["morgan"], theirs.id)
    assert cases.list_cases(db, people["morgan"], search="Riley") == []


def test_supervisor_reads_every_case_and_changes_none(db, people):
    a = single(db, people["morgan"])
    b = single(db, people["riley"])
    casey = people["casey"]
    assert {c.id for c in cases.list_cases(db, casey)} == {a.id, b.id}
    assert cases.get_case(db, casey, a.id).label == "Cleo Park"
    with pytest.raises(AccessDenied):
        cases.update_case(
            db, casey, a.id, a.version, clients=[ClientInput("X")], presenting_concern=""
        )
    with pytest.raises(AccessDenied):
        cases.set_archived(db, casey, a.id, a.version, True)
    with pytest.raises(AccessDenied):
        stage_history.move_client(db, casey, a.clients[0].id, 2, reason="no")


def test_admin_sees_no_clinical_content(db, people):
    a = single(db, people["morgan"])
    admin = people["admin"]
    with pytest.raises(AccessDenied):
        cases.list_cases(db, admin)
    with pytest.raises(AccessDenied):
        cases.get_case(db, admin, a.id)
    with pytest.raises(AccessDenied):
        stage_history.history(db, admin, a.clients[0].id)
    with pytest.raises(AccessDenied):
        stage_history.current_positions(db, admin)


@pytest.mark.parametrize(
    "change",
    [
        lambda db, u, c: cases.update_case(
            db, u, c.id, c.version, clients=[ClientInput("X")], presenting_concern=""
        ),
        lambda db, u, c: cases.close_case(db, u, c.id, c.version, outcome="other", closed_on=TODAY),
        lambda db, u, c: cases.set_archived(db, u, c.id, c.version, True),
        lambda db, u, c: stage_history.move_client(db, u, c.clients[0].id, 2, reason="r"),
        lambda db, u, c: stage_history.history(db, u, c.clients[0].id),
    ],
)
def test_another_counsellor_can_neither_read_nor_change_a_case(db, people, change):
    case = single(db, people["morgan"])
    before = cases.get_case(db, people["morgan"], case.id)
    with pytest.raises(AccessDenied):
        change(db, people["riley"], case)
    assert cases.get_case(db, people["morgan"], case.id) == before


def test_missing_case_is_not_found(db, people):
    with pytest.raises(NotFound):
        cases.get_case(db, people["morgan"], 999)


def test_update_edits_details_and_adds_a_partner(db, people):
    case = single(db, people["morgan"])
    updated = cases.update_case(
        db,
        people["morgan"],
        case.id,
        case.version,
        clients=[ClientInput("Cleo Park-Lee", "she/her"), ClientInput("Max Lee", "he/him")],
        presenting_concern="Both now attend",
    )
    stored = cases.get_case(db, people["morgan"], case.id)
    assert replace(stored, clients=updated.clients) == updated
    assert [c.name for c in stored.clients] == [c.name for c in updated.clients]
    assert [c.name for c in stored.clients] == ["Cleo Park-Lee", "Max Lee"]
    assert stored.clients[0].email == ""
    assert stored.kind == "couple"
    assert stored.version == case.version + 1


def test_a_partner_joins_at_the_stage_and_on_the_day_given(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=30), start_stage=3)
    joined = TODAY - timedelta(days=14)
    cases.update_case(
        db,
        morgan,
        case.id,
        case.version,
        clients=[ClientInput("Cleo Park"), ClientInput("Max Lee")],
        presenting_concern="",
        partner_stage=3,
        partner_joined_on=joined,
    )
    max_lee = cases.get_case(db, morgan, case.id).clients[1]
    assert (max_lee.stage, max_lee.stage_since) == (3, joined)
    assert [(m.moved_on, m.reason) for m in max_lee.history] == [(joined, "Joined the case")]
    # A move of theirs from a session held since they joined goes in.
    stage_history.move_client(
        db, morgan, max_lee.id, 4, reason="Ready", moved_on=TODAY - timedelta(days=7)
    )


@pytest.mark.parametrize(
    ("joined", "stage", "message"),
    [
        (TODAY - timedelta(days=31), 1, "before the case opened"),
        (TODAY + timedelta(days=1), 1, "future"),
        (TODAY, 9, "Stage must be one of"),
    ],
)
def test_a_partner_cannot_join_before_the_case_opened_or_later_than_today(
    db, people, joined, stage, message
):
    morgan = people["morgan"]
    case = cases.get_case(db, morgan, single(db, morgan, opened_on=TODAY - timedelta(30)).id)
    with pytest.raises(ValidationError, match=message):
        cases.update_case(
            db,
            morgan,
            case.id,
            case.version,
            clients=[ClientInput("Cleo Park"), ClientInput("Max Lee")],
            presenting_concern="",
            partner_stage=stage,
            partner_joined_on=joined,
        )
    assert cases.get_case(db, morgan, case.id) == case


def test_update_over_a_stale_version_is_refused(db, people):
    case = single(db, people["morgan"])
    cases.update_case(
        db,
        people["morgan"],
        case.id,
        case.version,
        clients=[ClientInput("First Edit")],
        presenting_concern="",
    )
    with pytest.raises(Conflict, match="changed this case"):
        cases.update_case(
            db,
            people["morgan"],
            case.id,
            case.version,
            clients=[ClientInput("Second Edit")],
            presenting_concern="",
        )
    assert cases.get_case(db, people["morgan"], case.id).clients[0].name == "First Edit"


def test_a_client_cannot_be_removed(db, people):
    case = couple(db, people["morgan"])
    with pytest.raises(ValidationError, match="cannot be removed"):
        cases.update_case(
            db,
            people["morgan"],
            case.id,
            case.version,
            clients=[ClientInput("Ana")],
            presenting_concern="",
        )


def test_close_and_reopen(db, people):
    morgan = people["morgan"]
    case = couple(db, morgan, opened_on=TODAY - timedelta(days=10))
    closed = cases.close_case(
        db,
        morgan,
        case.id,
        case.version,
        outcome="separated well",
        closed_on=TODAY,
        note="Parted kindly",
    )
    assert (closed.status, closed.outcome, closed.closing_note) == (
        "closed",
        "separated well",
        "Parted kindly",
    )
    with pytest.raises(ValidationError, match="reopen"):
        stage_history.move_client(db, morgan, case.clients[0].id, 3, reason="x")
    reopened = cases.reopen_case(db, morgan, closed.id, closed.version)
    assert reopened.status == "open" and reopened.outcome is None
    # Reopening deletes nothing: the closing, its note included, is kept as an earlier one.
    again = cases.close_case(
        db, morgan, case.id, reopened.version, outcome="paused", closed_on=TODAY, note="Paused"
    )
    cases.reopen_case(db, morgan, case.id, again.version)
    assert cases.get_case(db, morgan, case.id).earlier_closings == (
        cases.Closing(TODAY, "separated well", "Parted kindly", TODAY),
        cases.Closing(TODAY, "paused", "Paused", TODAY),
    )


@pytest.mark.parametrize(
    ("outcome", "closed_on", "message"),
    [
        ("divorced", TODAY, "Outcome must be"),
        (None, TODAY, "Choose the outcome"),
        ("reconciled", TODAY + timedelta(days=1), "future"),
        ("reconciled", TODAY - timedelta(days=30), "before the day it opened"),
    ],
)
def test_close_refuses_bad_input(db, people, outcome, closed_on, message):
    case = single(db, people["morgan"], opened_on=TODAY - timedelta(days=5))
    with pytest.raises(ValidationError, match=message):
        cases.close_case(
            db, people["morgan"], case.id, case.version, outcome=outcome, closed_on=closed_on
        )
    assert cases.get_case(db, people["morgan"], case.id).status == "open"


def test_a_case_cannot_close_before_the_last_work_recorded_in_it(db, people):
    # It could: a case closed on a date before its last stage move read as work after the end.
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=20))
    stage_history.move_client(
        db, morgan, case.clients[0].id, 2, reason="r", moved_on=TODAY - timedelta(days=3)
    )
    case = cases.get_case(db, morgan, case.id)
    with pytest.raises(ValidationError, match="before the last work recorded in it"):
        cases.close_case(
            db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY - timedelta(10)
        )
    assert cases.get_case(db, morgan, case.id).status == "open"
    closed = cases.close_case(
        db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY - timedelta(days=3)
    )
    assert closed.closed_on == TODAY - timedelta(days=3)


def test_a_closings_outcome_date_and_note_are_corrected_without_reopening(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=20))
    stage_history.move_client(
        db, morgan, case.clients[0].id, 2, reason="r", moved_on=TODAY - timedelta(days=5)
    )
    case = cases.get_case(db, morgan, case.id)
    with pytest.raises(ValidationError, match="not closed"):
        cases.close_case(
            db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY, correct=True
        )
    closed = cases.close_case(
        db, morgan, case.id, case.version, outcome="reconciled", closed_on=TODAY, note="Wrong"
    )
    # The closing's own date is no work to close after: it moves earlier, not past the move.
    with pytest.raises(ValidationError, match="before the last work recorded in it"):
        cases.close_case(
            db,
            morgan,
            case.id,
            closed.version,
            outcome="paused",
            closed_on=TODAY - timedelta(6),
            correct=True,
        )
    with pytest.raises(ValidationError, match="Nothing to correct"):
        cases.close_case(
            db,
            morgan,
            case.id,
            closed.version,
            outcome="reconciled",
            closed_on=TODAY,
            note="Wrong",
            correct=True,
        )
    fixed = cases.close_case(
        db,
        morgan,
        case.id,
        closed.version,
        outcome="paused",
        closed_on=TODAY - timedelta(days=5),
        note="Taking a break",
        correct=True,
    )
    assert (fixed.status, fixed.outcome, fixed.closed_on, fixed.closing_note) == (
        "closed",
        "paused",
        TODAY - timedelta(days=5),
        "Taking a break",
    )
    assert fixed.earlier_closings == ()  # corrected in place: no wrong closing left behind
    with pytest.raises(Conflict):
        cases.close_case(
            db, morgan, case.id, closed.version, outcome="other", closed_on=TODAY, correct=True
        )
    [entry] = audit.entries(db, people["admin"], action="case_closing_correct")
    assert entry.detail == "outcome, date, note; outcome reconciled → paused"


def test_a_closed_cases_details_are_corrected_but_no_partner_joins_it(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=20))
    case = cases.close_case(db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY)
    fixed = cases.update_case(
        db,
        morgan,
        case.id,
        case.version,
        clients=[ClientInput("Eli", phone="0123")],
        presenting_concern="",
    )
    assert (fixed.status, fixed.clients[0].phone) == ("closed", "0123")
    with pytest.raises(ValidationError, match="reopen it to add a partner"):
        cases.update_case(
            db,
            morgan,
            case.id,
            fixed.version,
            clients=[ClientInput("Eli"), ClientInput("Noa")],
            presenting_concern="",
        )
    assert len(cases.get_case(db, morgan, case.id).clients) == 1


def test_archive_and_restore_keep_everything(db, people):
    morgan = people["morgan"]
    case = couple(db, morgan)
    archived = cases.set_archived(db, morgan, case.id, case.version, True)
    assert archived.status == "archived"
    assert [c.id for c in cases.list_cases(db, morgan, status="archived")] == [case.id]
    assert cases.list_cases(db, morgan, status="open") == []
    with pytest.raises(ValidationError, match="archived"):
        cases.update_case(
            db,
            morgan,
            case.id,
            archived.version,
            clients=[ClientInput("A"), ClientInput("B")],
            presenting_concern="",
        )
    restored = cases.set_archived(db, morgan, case.id, archived.version, False)
    assert restored.status == "open"
    assert restored.clients == case.clients


def test_the_practice_summary_counts_what_the_case_list_holds(db, people):
    morgan, riley, casey = people["morgan"], people["riley"], people["casey"]
    cases.create_case(db, morgan, [ClientInput("Ana"), ClientInput("Ben")])
    cases.create_case(db, morgan, [ClientInput("Cy")])
    cases.create_case(db, riley, [ClientInput("Di")])
    closed = cases.create_case(db, riley, [ClientInput("Ed")])
    closed = cases.close_case(
        db, riley, closed.id, closed.version, outcome="reconciled", closed_on=TODAY
    )
    shelved = cases.create_case(db, morgan, [ClientInput("Flo")])
    shelved = cases.close_case(
        db, morgan, shelved.id, shelved.version, outcome="paused", closed_on=TODAY
    )
    cases.set_archived(db, morgan, shelved.id, shelved.version, True)

    summary = cases.practice_summary(db, casey)
    every = cases.list_cases(db, casey)
    assert [(c.counsellor, c.open_cases, c.clients) for c in summary.per_counsellor] == [
        ("Morgan", 2, 3),
        ("Riley", 1, 1),
    ]
    assert summary.open_cases == sum(c.status == "open" for c in every) == 3
    assert summary.closed_cases == sum(c.status == "closed" for c in every) == 1
    assert summary.archived_cases == sum(c.status == "archived" for c in every) == 1
    assert {o: n for o, n in summary.outcomes.items() if n} == {"reconciled": 1, "paused": 1}
    assert set(summary.outcomes) == set(cases.OUTCOMES)
    assert cases.practice_summary(db, riley).per_counsellor == [cases.CounsellorLoad("Riley", 1, 1)]


ARCHIVED_WRITES = {
    "note draft": lambda db, u, w: notes.save_draft(
        db, u, w["note"].id, w["note"].version, sections={"plan": "x"}
    ),
    "note signing": lambda db, u, w: notes.sign(db, u, w["note"].id, w["note"].version),
    "new note": lambda db, u, w: notes.create_draft(
        db,
        u,
        w["case"].id,
        session_at=w["at"],
        attendance="one",
        attendees=[w["client"]],
        note_format="SOAP",
    ),
    "worksheet answers": lambda db, u, w: homework.save_answers(
        db, u, w["work"].id, w["work"].version, {}, {}
    ),
    "worksheet cancel": lambda db, u, w: homework.cancel(db, u, w["work"].id, w["work"].version),
    "safety screen": lambda db, u, w: safety.record_screen(
        db, u, w["client"], w["screen"], screened_on=TODAY
    ),
    "measure score": lambda db, u, w: measures.record_score(
        db, u, w["client"], w["measure"], w["answers"], scored_on=TODAY
    ),
    "stage move": lambda db, u, w: stage_history.move_client(db, u, w["client"], 2, reason="r"),
}


@pytest.mark.parametrize("write", ARCHIVED_WRITES.values(), ids=ARCHIVED_WRITES.keys())
def test_an_archived_case_is_read_only_until_restored(db, people, write):
    from datetime import datetime

    morgan = people["morgan"]
    # Opened yesterday: two hours ago is yesterday just after midnight.
    case = single(db, morgan, opened_on=TODAY - timedelta(days=1))
    client = case.clients[0].id
    at = datetime.now().replace(microsecond=0) - timedelta(hours=2)
    note = notes.create_draft(
        db, morgan, case.id, session_at=at, attendance="one", attendees=[client], note_format="SOAP"
    )
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "Seen"})
    trust = next(t.id for t in library.list_templates(db, morgan) if t.key == "trust_plan")
    [work] = homework.assign(db, morgan, [client], trust, due_on=TODAY)
    [(measure_id, csi4)] = [(i, d) for i, d in measures.current_measures(db).items()]
    answers = {item.id: item.low for item in csi4.measure.items}
    screen = dict.fromkeys(("fear", "threats", "physical_harm", "control"), "no")
    context = dict(
        case=case,
        client=client,
        at=at,
        note=note,
        work=work,
        measure=measure_id,
        answers=answers,
        screen={**screen, "protective_order": "no", "safe_together": "yes"},
    )
    archived = cases.set_archived(db, morgan, case.id, case.version, True)
    with pytest.raises(ValidationError, match="archived: restore it"):
        write(db, morgan, context)
    cases.set_archived(db, morgan, case.id, archived.version, False)
    write(db, morgan, context)  # the same change, once restored


# Each write that dates a case's work: (write it on `day`, what the case then holds).
DATED_WRITES = {
    "new note": (
        lambda db, u, w, day: notes.create_draft(
            db,
            u,
            w["case"].id,
            session_at=datetime.combine(day, time(10)),
            attendance="one",
            attendees=[w["client"]],
            note_format="SOAP",
        ),
        lambda db, u, w: [n.session_at for n in notes.notes_for_case(db, u, w["case"].id)],
    ),
    "note's date changed": (
        lambda db, u, w, day: notes.save_draft(
            db,
            u,
            w["note"].id,
            w["note"].version,
            sections={"plan": "Seen"},
            session_at=datetime.combine(day, time(10)),
        ),
        lambda db, u, w: notes.get_note(db, u, w["note"].id).session_at,
    ),
    "safety screen": (
        lambda db, u, w, day: safety.record_screen(
            db, u, w["client"], w["screen"], screened_on=day
        ),
        lambda db, u, w: [s.screened_on for s in safety.screens(db, u, w["client"])],
    ),
    "measure score": (
        lambda db, u, w, day: measures.record_score(
            db, u, w["client"], w["measure"], w["answers"], scored_on=day
        ),
        lambda db, u, w: [s.scored_on for s in measures.scores_for_case(db, u, w["case"].id)],
    ),
}


def dated_work(db, morgan, opened_on):
    """A case opened on `opened_on` with a note of its first day, and what a screen and a
    score need."""
    case = single(db, morgan, opened_on=opened_on)
    client = case.clients[0].id
    note = notes.create_draft(
        db,
        morgan,
        case.id,
        session_at=datetime.combine(opened_on, time(9)),
        attendance="one",
        attendees=[client],
        note_format="SOAP",
    )
    [(measure_id, csi4)] = [(i, d) for i, d in measures.current_measures(db).items()]
    screen = dict.fromkeys(("fear", "threats", "physical_harm", "control"), "no")
    return dict(
        case=case,
        client=client,
        note=note,
        measure=measure_id,
        answers={item.id: item.low for item in csi4.measure.items},
        screen={**screen, "protective_order": "no", "safe_together": "yes"},
    )


@pytest.mark.parametrize(("write", "held"), DATED_WRITES.values(), ids=DATED_WRITES.keys())
def test_work_dated_before_the_case_opened_is_refused_naming_the_opening_day(
    db, people, write, held
):
    morgan = people["morgan"]
    opened_on = TODAY - timedelta(days=10)
    w = dated_work(db, morgan, opened_on)
    before = held(db, morgan, w)
    with pytest.raises(ValidationError, match=f"before the case opened on {opened_on:%d %b %Y}"):
        write(db, morgan, w, opened_on - timedelta(days=1))
    assert held(db, morgan, w) == before


@pytest.mark.parametrize(("write", "held"), DATED_WRITES.values(), ids=DATED_WRITES.keys())
def test_a_reopened_case_takes_work_dated_from_the_day_it_first_opened(db, people, write, held):
    morgan = people["morgan"]
    opened_on = TODAY - timedelta(days=10)
    w = dated_work(db, morgan, opened_on)
    closed = cases.close_case(
        db,
        morgan,
        w["case"].id,
        w["case"].version,
        outcome="paused",
        closed_on=TODAY - timedelta(days=5),
    )
    cases.reopen_case(db, morgan, closed.id, closed.version)
    before = held(db, morgan, w)
    write(db, morgan, w, opened_on)  # its first day, before the reopening
    assert held(db, morgan, w) != before


@pytest.mark.parametrize(("write", "held"), DATED_WRITES.values(), ids=DATED_WRITES.keys())
def test_an_opening_date_moved_earlier_takes_work_from_before(db, people, write, held):
    # A case opened here today for a client seen on paper before: the old work goes in once
    # the opening date is moved back.
    morgan = people["morgan"]
    opened_on = TODAY - timedelta(days=10)
    w = dated_work(db, morgan, opened_on)
    earlier = opened_on - timedelta(days=30)
    case = cases.get_case(db, morgan, w["case"].id)
    moved = cases.update_case(
        db,
        morgan,
        case.id,
        case.version,
        clients=[ClientInput(c.name) for c in case.clients],
        presenting_concern=case.presenting_concern,
        opened_on=earlier,
    )
    assert moved.opened_on == earlier == cases.get_case(db, morgan, case.id).opened_on
    before = held(db, morgan, w)
    write(db, morgan, w, earlier)
    assert held(db, morgan, w) != before
    assert audit.entries(db, people["admin"], action="case_update")[0].detail.endswith(
        "opening date"
    )


def test_an_opening_date_cannot_pass_the_first_work_recorded(db, people):
    morgan = people["morgan"]
    opened_on = TODAY - timedelta(days=10)
    w = dated_work(db, morgan, opened_on)  # a note on its first day
    case = cases.get_case(db, morgan, w["case"].id)
    with pytest.raises(
        ValidationError, match=f"first work recorded in it, on {opened_on:%d %b %Y}"
    ):
        cases.update_case(
            db,
            morgan,
            case.id,
            case.version,
            clients=[ClientInput(c.name) for c in case.clients],
            presenting_concern="",
            opened_on=opened_on + timedelta(days=1),
        )
    assert cases.get_case(db, morgan, case.id) == case


def reopened_on(db, actor, case, day):
    return cases.update_case(
        db,
        actor,
        case.id,
        case.version,
        clients=[ClientInput(c.name) for c in case.clients],
        presenting_concern=case.presenting_concern,
        opened_on=day,
    )


def test_a_mistyped_opening_date_can_be_moved_later_with_the_opening_moves(db, people):
    # Typed a year early: nothing but the opening itself is recorded, so nothing stops it.
    morgan = people["morgan"]
    typo = TODAY - timedelta(days=375)
    case = couple(db, morgan, opened_on=typo)
    meant = TODAY - timedelta(days=10)
    assert reopened_on(db, morgan, case, meant).opened_on == meant
    stored = cases.get_case(db, morgan, case.id)
    assert stored.opened_on == meant
    assert [[(m.moved_on, m.reason) for m in c.history] for c in stored.clients] == [
        [(meant, "Case opened")]
    ] * 2
    assert [c.stage_since for c in stored.clients] == [meant, meant]
    # and work dated from the corrected day is taken
    stage_history.move_client(db, morgan, case.clients[0].id, 2, reason="Ready", moved_on=meant)


def test_an_opening_date_moved_earlier_takes_the_opening_moves_with_it(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=10))
    earlier = TODAY - timedelta(days=40)
    reopened_on(db, morgan, case, earlier)
    [client] = cases.get_case(db, morgan, case.id).clients
    assert [m.moved_on for m in client.history] == [earlier]


def test_an_opening_date_cannot_pass_a_later_stage_move(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=30))
    moved_on = TODAY - timedelta(days=20)
    stage_history.move_client(db, morgan, case.clients[0].id, 2, reason="Ready", moved_on=moved_on)
    # and later work of another kind (a worksheet assigned today): the first bounds it
    reflection = next(t.id for t in library.list_templates(db, morgan) if t.key == "reflection")
    homework.assign(db, morgan, [case.clients[0].id], reflection, due_on=TODAY)
    case = cases.get_case(db, morgan, case.id)
    with pytest.raises(ValidationError, match=f"first work recorded in it, on {moved_on:%d %b %Y}"):
        reopened_on(db, morgan, case, TODAY - timedelta(days=10))
    assert cases.get_case(db, morgan, case.id) == case


def test_an_opening_date_cannot_pass_an_earlier_closing(db, people):
    morgan = people["morgan"]
    case = single(db, morgan, opened_on=TODAY - timedelta(days=30))
    closed_on = TODAY - timedelta(days=20)
    case = cases.close_case(
        db, morgan, case.id, case.version, outcome="paused", closed_on=closed_on
    )
    case = cases.reopen_case(db, morgan, case.id, case.version)
    with pytest.raises(
        ValidationError, match=f"first work recorded in it, on {closed_on:%d %b %Y}"
    ):
        reopened_on(db, morgan, case, TODAY - timedelta(days=10))
    assert cases.get_case(db, morgan, case.id).opened_on == TODAY - timedelta(days=30)


# --- handing cases over ----------------------------------------------------------------------


def test_an_admin_hands_every_case_of_a_counsellor_to_another_with_their_history(db, people):
    morgan, riley, admin = people["morgan"], people["riley"], people["admin"]
    kept = single(db, riley, "Riley's Own")
    open_case = couple(db, morgan)
    closed = single(db, morgan)
    cases.close_case(db, morgan, closed.id, closed.version, outcome="paused", closed_on=TODAY)
    stage_history.move_client(db, morgan, open_case.clients[0].id, 3, reason="Ready")

    moved = cases.hand_over(db, admin, morgan.id, riley.id)

    assert moved == 2
    assert cases.list_cases(db, morgan, status=None) == []
    assert {c.id for c in cases.list_cases(db, riley, status=None)} == {
        kept.id,
        open_case.id,
        closed.id,
    }
    taken = cases.get_case(db, riley, open_case.id)
    assert taken.counsellor_name == "Riley"
    assert [m.stage for m in taken.clients[0].history][-1] == 3  # the history came with it
    with pytest.raises(AccessDenied):
        cases.get_case(db, morgan, open_case.id)
    entries = [e for e in audit.entries(db, admin) if e.action == "case_handover"]
    assert sorted(e.case_id for e in entries) == sorted([open_case.id, closed.id])
    assert {e.detail for e in entries} == {"morgan -> riley"}


def test_an_admin_hands_over_only_the_cases_chosen(db, people):
    morgan, riley, admin = people["morgan"], people["riley"], people["admin"]
    first, second = single(db, morgan, "First Client"), single(db, morgan, "Second Client")
    assert cases.hand_over(db, admin, morgan.id, riley.id, [second.id]) == 1
    assert [c.id for c in cases.list_cases(db, morgan)] == [first.id]
    assert [c.id for c in cases.list_cases(db, riley)] == [second.id]
    # A form still open on the old counsellor's screen saves nothing.
    with pytest.raises(AccessDenied):
        cases.update_case(
            db,
            morgan,
            second.id,
            second.version,
            clients=[ClientInput("Renamed")],
            presenting_concern="",
        )


def test_handing_over_refuses_what_makes_no_sense_and_changes_nothing(db, people):
    morgan, riley, admin = people["morgan"], people["riley"], people["admin"]
    mine = single(db, morgan)
    theirs = single(db, riley, "Riley's Own")
    refused = [
        (lambda: cases.hand_over(db, admin, morgan.id, morgan.id), "another counsellor"),
        (lambda: cases.hand_over(db, admin, morgan.id, people["casey"].id), "not a counsellor"),
        (lambda: cases.hand_over(db, admin, morgan.id, riley.id, []), "at least one case"),
        (
            lambda: cases.hand_over(db, admin, morgan.id, riley.id, [mine.id, theirs.id]),
            f"Not Morgan's: case #{theirs.id}",
        ),
        (lambda: cases.hand_over(db, admin, morgan.id, 10_000), "two counsellors"),
    ]
    for attempt, message in refused:
        with pytest.raises(ValidationError, match=message):
            attempt()
    with pytest.raises(AccessDenied):
        cases.hand_over(db, people["casey"], morgan.id, riley.id)  # a supervisor changes none
    accounts.set_active(db, admin, riley.id, False)
    with pytest.raises(ValidationError, match="deactivated"):
        cases.hand_over(db, admin, morgan.id, riley.id)
    assert [c.id for c in cases.list_cases(db, morgan)] == [mine.id]
    assert not [e for e in audit.entries(db, admin) if e.action == "case_handover"]


def test_an_admin_sees_each_counsellors_cases_by_number_and_status_only(db, people):
    morgan = people["morgan"]
    case = single(db, morgan)
    cases.set_archived(db, morgan, case.id, case.version, True)
    other = single(db, people["riley"], "Riley's Own")
    assert cases.held_cases(db, people["admin"]) == [
        cases.HeldCase(case.id, morgan.id, TODAY, "archived"),
        cases.HeldCase(other.id, people["riley"].id, TODAY, "open"),
    ]
    with pytest.raises(AccessDenied):
        cases.held_cases(db, morgan)
