"""Session notes: drafts, signing and locking, addenda, conflicts, psychotherapy notes."""

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from casebook import accounts, audit, cases, exports, notes
from casebook.cases import ClientInput
from casebook.db import POSTGRES_WRITE_LOCK
from casebook.errors import AccessDenied, Conflict, ValidationError
from tests.conftest import POSTGRES_URL

NOW = datetime.now().replace(microsecond=0)


@pytest.fixture
def couple(db, people):
    # Opened long ago: the tests date sessions back as far as 40 days.
    return cases.create_case(
        db,
        people["morgan"],
        [ClientInput("Ana"), ClientInput("Ben")],
        opened_on=date.today() - timedelta(days=365),
    )


def draft(db, actor, case, **kw):
    args = dict(
        session_at=NOW - timedelta(hours=1),
        attendance="together",
        attendees=[c.id for c in case.clients],
        note_format="SOAP",
    )
    return notes.create_draft(db, actor, case.id, **{**args, **kw})


def test_a_draft_is_saved_and_read_back(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    assert note.focus == {c.id: 1 for c in couple.clients}
    saved = notes.save_draft(
        db,
        morgan,
        note.id,
        note.version,
        sections={"subjective": "Both calmer", "plan": "Trust plan"},
        focus={couple.clients[0].id: 2, couple.clients[1].id: 1},
        risk_level="low",
        risk_notes="Raised voices once",
        rescreen=True,
        next_session_on=date.today() + timedelta(days=7),
    )
    stored = notes.get_note(db, morgan, note.id)
    assert stored == saved
    assert stored.sections == {"subjective": "Both calmer", "plan": "Trust plan"}
    assert (stored.risk_level, stored.rescreen, stored.status) == ("low", True, "draft")


def test_signing_locks_the_note_and_records_who_and_when(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    with pytest.raises(ValidationError, match="Write the note"):
        notes.sign(db, morgan, note.id, note.version)
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "x"})
    signed = notes.sign(db, morgan, note.id, note.version)
    assert (signed.status, signed.signer) == ("signed", "Morgan")
    assert signed.signed_at is not None
    with pytest.raises(ValidationError, match="signed and locked"):
        notes.save_draft(db, morgan, note.id, signed.version, sections={"plan": "changed"})
    assert notes.get_note(db, morgan, note.id).sections == {"plan": "x"}


def test_a_correction_is_a_dated_addendum(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    with pytest.raises(ValidationError, match="Addenda are for signed notes"):
        notes.add_addendum(db, morgan, note.id, "too early")
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "x"})
    notes.sign(db, morgan, note.id, note.version)
    after = notes.add_addendum(db, morgan, note.id, "Ben's name was misspelt above")
    assert [(a.author, a.text) for a in after.addenda] == [
        ("Morgan", "Ben's name was misspelt above")
    ]
    assert after.sections == {"plan": "x"}


def test_a_signed_note_with_long_risk_notes_still_prints(db, people, couple):
    from io import BytesIO

    from pypdf import PdfReader

    from casebook import documents

    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    # A page and more of what was observed: as a row of the details table it could not
    # break across pages, and the signed note (which cannot be shortened) never printed.
    risk = "\n".join(f"Observation {i}: raised voices in the waiting room." for i in range(80))
    note = notes.save_draft(
        db,
        morgan,
        note.id,
        note.version,
        sections={"plan": "x"},
        risk_level="high",
        risk_notes=risk,
    )
    notes.sign(db, morgan, note.id, note.version)
    pdf = documents.note(db, morgan, note.id).pdf
    pages = PdfReader(BytesIO(pdf)).pages
    text = " ".join(page.extract_text() for page in pages)
    assert len(pages) > 1
    assert "Observation 0:" in text and "Observation 79:" in text


def test_a_printed_addendum_says_its_time_is_utc_as_the_signing_does(db, people, couple):
    from io import BytesIO

    from pypdf import PdfReader

    from casebook import documents

    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "x"})
    notes.sign(db, morgan, note.id, note.version)
    [added] = notes.add_addendum(db, morgan, note.id, "Moved to Mondays").addenda
    pdf = documents.note(db, morgan, note.id).pdf
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)
    assert f"{added.written_at:%d %b %Y, %H:%M} UTC \u00b7 Morgan" in text


def test_a_draft_started_by_mistake_is_discarded_and_a_signed_note_never(db, people, couple):
    from casebook import measures

    morgan = people["morgan"]
    kept = draft(db, morgan, couple)
    mistake = draft(db, morgan, couple, note_format="DAP")
    mistake = notes.save_draft(db, morgan, mistake.id, mistake.version, sections={"data": "x"})
    notes.save_psychotherapy_note(db, morgan, mistake.id, "A private thought")
    csi4 = next(i for i, d in measures.current_measures(db).items() if d.key == "csi4")
    answers = {"happiness": 3, "warm": 3, "rewarding": 3, "satisfied": 2}
    score = measures.record_score(
        db, morgan, couple.clients[0].id, csi4, answers, scored_on=date.today(), note_id=mistake.id
    )
    with pytest.raises(AccessDenied):
        notes.discard_draft(db, people["casey"], mistake.id, mistake.version)
    with pytest.raises(Conflict):
        notes.discard_draft(db, morgan, mistake.id, mistake.version - 1)

    assert notes.discard_draft(db, morgan, mistake.id, mistake.version) == couple.id
    assert [n.id for n in notes.notes_for_case(db, morgan, couple.id)] == [kept.id]
    [still] = measures.scores_for_case(db, morgan, couple.id)
    assert (still.id, still.note_id) == (score.id, None)
    assert ("note_discard", f"#{mistake.id}") in [
        (e.action, e.detail) for e in audit.entries(db, people["admin"], username="morgan")
    ]

    kept = notes.save_draft(db, morgan, kept.id, kept.version, sections={"plan": "x"})
    kept = notes.sign(db, morgan, kept.id, kept.version)
    with pytest.raises(ValidationError, match="signed and locked"):
        notes.discard_draft(db, morgan, kept.id, kept.version)
    assert notes.get_note(db, morgan, kept.id).signed


def test_a_client_reschedules_and_the_case_books_the_new_day(db, people, couple):
    # The booking lived only in notes, and a signed note is locked: a session the client
    # moved could not be moved, and one moved earlier never showed as upcoming.
    morgan = people["morgan"]
    later, sooner = date.today() + timedelta(days=10), date.today() + timedelta(days=3)
    note = draft(db, morgan, couple)
    note = notes.save_draft(
        db, morgan, note.id, note.version, sections={"plan": "x"}, next_session_on=later
    )
    notes.sign(db, morgan, note.id, note.version)

    def upcoming():
        return [(u.case_id, u.on) for u in notes.upcoming_sessions(db, morgan)]

    assert upcoming() == [(couple.id, later)]
    notes.book_next_session(db, morgan, couple.id, sooner)
    assert upcoming() == [(couple.id, sooner)]
    assert cases.get_case(db, morgan, couple.id).next_session_on == sooner
    assert notes.get_note(db, morgan, note.id).next_session_on == later  # what it booked then
    assert ("booking_change", couple.id) in [
        (e.action, e.case_id) for e in audit.entries(db, people["admin"], username="morgan")
    ]

    with pytest.raises(AccessDenied):
        notes.book_next_session(db, people["casey"], couple.id, later)
    with pytest.raises(ValidationError, match="a year ahead"):
        notes.book_next_session(db, morgan, couple.id, date.today() - timedelta(days=1))
    notes.book_next_session(db, morgan, couple.id, None)
    assert upcoming() == []

    # The next note's booking is the case's again.
    second = draft(db, morgan, couple)
    notes.save_draft(
        db, morgan, second.id, second.version, sections={"plan": "y"}, next_session_on=later
    )
    assert upcoming() == [(couple.id, later)]


def test_a_second_save_from_a_stale_tab_is_refused(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "tab one"})
    with pytest.raises(Conflict, match="another tab"):
        notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "tab two"})
    assert notes.get_note(db, morgan, note.id).sections == {"plan": "tab one"}


@pytest.mark.skipif(not POSTGRES_URL, reason="CASEBOOK_TEST_POSTGRES_URL is not set")
@pytest.mark.parametrize("settings", ["postgresql"], indirect=True)
def test_two_saves_at_the_same_moment_never_both_pass_the_version_check(db, people, couple):
    """Two app processes save one draft at once: one is saved, the other refused, never
    one silently overwriting the other."""
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    outcome = {}

    def save(tab):
        try:
            notes.save_draft(db, morgan, note.id, note.version, sections={"plan": tab})
            outcome[tab] = "saved"
        except Conflict:
            outcome[tab] = "refused"

    url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")  # each look sees the present
    with engine.connect() as holder, engine.connect() as watcher:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": POSTGRES_WRITE_LOCK})
        tabs = [threading.Thread(target=save, args=(tab,)) for tab in ("tab one", "tab two")]
        for tab in tabs:
            tab.start()
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        waiting += "AND wait_event_type = 'Lock'"
        deadline = time.monotonic() + 30
        while watcher.execute(text(waiting)).scalar() < 2 and time.monotonic() < deadline:
            pass  # both saves are under way, queued behind the held lock
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": POSTGRES_WRITE_LOCK})
        for tab in tabs:
            tab.join()
    engine.dispose()
    assert sorted(outcome.values()) == ["refused", "saved"]
    saved = next(tab for tab, result in outcome.items() if result == "saved")
    assert notes.get_note(db, morgan, note.id).sections == {"plan": saved}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attendance": "one"}, "exactly one"),
        ({"attendance": "crowd"}, "Attendance must be"),
        ({"attendees": [999]}, "Choose who attended"),
        ({"note_format": "XYZ"}, "Format must be"),
        ({"duration_minutes": 0}, "Duration"),
        ({"session_at": NOW + timedelta(days=3)}, "future"),
    ],
)
def test_bad_sessions_are_refused(db, people, couple, changes, message):
    with pytest.raises(ValidationError, match=message):
        draft(db, people["morgan"], couple, **changes)
    assert notes.notes_for_case(db, people["morgan"], couple.id) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sections": {"data": "x"}}, "no section 'data'"),
        ({"sections": {"plan": "a\x00"}}, "control character"),
        ({"sections": {}, "risk_level": "extreme"}, "Risk must be"),
        ({"sections": {}, "next_session_on": date(2001, 1, 1)}, "next session"),
        ({"sections": {}, "focus": {12345: 2}}, "stage in focus"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_changes(db, people, couple, fields, message):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    with pytest.raises(ValidationError, match=message):
        notes.save_draft(db, morgan, note.id, note.version, **fields)
    assert notes.get_note(db, morgan, note.id) == notes.get_note(db, morgan, note.id)
    assert notes.get_note(db, morgan, note.id).version == note.version


def test_psychotherapy_notes_are_visible_only_to_their_author(db, people, couple, tmp_path):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    notes.save_psychotherapy_note(db, morgan, note.id, "My hunch about the family script")
    assert notes.get_note(db, morgan, note.id).psychotherapy_note == (
        "My hunch about the family script"
    )
    assert notes.get_note(db, people["casey"], note.id).psychotherapy_note is None
    written = exports.export_client(db, morgan, couple.clients[0].id, tmp_path)
    for path in written:
        assert b"family script" not in path.read_bytes()


def test_supervisors_read_and_other_counsellors_are_denied(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    assert notes.get_note(db, people["casey"], note.id).id == note.id
    with pytest.raises(AccessDenied):
        notes.save_draft(db, people["casey"], note.id, note.version, sections={"plan": "x"})
    with pytest.raises(AccessDenied):
        draft(db, people["casey"], couple)
    for call in (
        lambda: notes.get_note(db, people["riley"], note.id),
        lambda: notes.notes_for_case(db, people["riley"], couple.id),
        lambda: notes.save_psychotherapy_note(db, people["riley"], note.id, "x"),
        lambda: notes.get_note(db, people["admin"], note.id),
    ):
        with pytest.raises(AccessDenied):
            call()


def test_history_is_newest_first_and_filters(db, people, couple):
    morgan = people["morgan"]
    ana, ben = (c.id for c in couple.clients)
    older = draft(db, morgan, couple, session_at=NOW - timedelta(days=8))
    notes.save_draft(
        db,
        morgan,
        older.id,
        older.version,
        sections={"plan": "money talk at the café"},
        focus={ana: 3, ben: 1},
    )
    newer = draft(db, morgan, couple, attendance="one", attendees=[ben])
    notes.save_draft(db, morgan, newer.id, newer.version, sections={"plan": "alone"})
    ids = lambda **kw: [n.id for n in notes.notes_for_case(db, morgan, couple.id, **kw)]  # noqa: E731
    assert ids() == [newer.id, older.id]
    assert ids(client_id=ana) == [older.id]
    assert ids(stage=3) == [older.id]
    assert ids(text="MONEY") == [older.id]
    assert ids(text="cafe") == [older.id]  # typed without its accent


def test_a_search_finds_a_signed_note_by_its_addendum(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "x"})
    notes.sign(db, morgan, note.id, note.version)
    other = draft(db, morgan, couple)
    notes.add_addendum(db, morgan, note.id, "Ana disclosed the affair by phone on Tuesday")
    found = lambda text: [n.id for n in notes.notes_for_case(db, morgan, couple.id, text=text)]  # noqa: E731
    assert found("AFFAIR") == [note.id]
    assert found("x") == [note.id]
    assert found("nowhere") == []
    assert other.id in found("")


def test_recent_sessions_name_the_latest_notes_by_date_alone(db, people, couple):
    morgan = people["morgan"]
    made = [draft(db, morgan, couple, session_at=NOW - timedelta(days=d)) for d in (9, 2, 30, 5)]
    newest_first = sorted(made, key=lambda n: n.session_at, reverse=True)
    assert notes.recent_sessions(db, morgan, couple.id, limit=3) == [
        (n.id, n.session_at) for n in newest_first[:3]
    ]
    with pytest.raises(AccessDenied):
        notes.recent_sessions(db, people["riley"], couple.id)


def test_dashboard_lists(db, people, couple):
    morgan = people["morgan"]
    old = draft(db, morgan, couple, session_at=NOW - timedelta(days=40))
    notes.save_draft(
        db,
        morgan,
        old.id,
        old.version,
        sections={"plan": "x"},
        next_session_on=date.today() + timedelta(days=3),
    )
    assert [u.note_id for u in notes.unsigned_notes(db, morgan)] == [old.id]
    assert [(c.case_id, c.label) for c in notes.upcoming_sessions(db, morgan)] == [
        (couple.id, "Ana & Ben")
    ]
    assert [c.case_id for c in notes.cases_without_session(db, morgan)] == [couple.id]
    fresh = draft(db, morgan, couple)
    assert notes.cases_without_session(db, morgan) == []
    assert fresh.id not in [u.note_id for u in notes.unsigned_notes(db, morgan)]
    assert notes.unsigned_notes(db, people["riley"]) == []


def test_the_attention_list_counts_quiet_cases_and_old_drafts_in_days(db, people, couple):
    """A case opened 30 days ago without a session, one last seen 30 days ago and a draft of a
    session 7 days ago are listed today, as the rules say: the reads below them waited for a
    31st day, or for the hour of the session 7 days on."""
    from casebook import attention

    morgan = people["morgan"]
    today = date.today()
    late = datetime.combine(today, datetime.min.time()).replace(hour=23, minute=59)
    fresh = cases.create_case(db, morgan, [ClientInput("Cy")], opened_on=today - timedelta(days=30))
    seen = cases.create_case(db, morgan, [ClientInput("Di")], opened_on=today - timedelta(days=90))
    draft(db, morgan, seen, session_at=late - timedelta(days=30), attendance="one")
    draft(db, morgan, couple, session_at=late - timedelta(days=7))
    needs = attention.for_actor(db, morgan, today=today)
    listed = {(r.kind, r.case_id): r.detail for r in needs.itertuples()}
    assert listed[("no recent session", fresh.id)] == "No session yet; the case opened 30 days ago."
    assert listed[("no recent session", seen.id)] == "No session for 30 days."
    assert listed[("unsigned note", couple.id)].endswith("is unsigned after 7 days.")
    assert ("no recent session", couple.id) not in listed  # seen 7 days ago
    # A day less, and none of them is due yet.
    earlier = attention.for_actor(db, morgan, today=today - timedelta(days=1))
    assert not {(r.kind, r.case_id) for r in earlier.itertuples()} & {
        ("no recent session", fresh.id),
        ("no recent session", seen.id),
        ("unsigned note", couple.id),
    }


def test_every_step_is_audited(db, people, couple):
    morgan = people["morgan"]
    note = draft(db, morgan, couple)
    note = notes.save_draft(db, morgan, note.id, note.version, sections={"plan": "secret plan"})
    notes.sign(db, morgan, note.id, note.version)
    actions = [e.action for e in audit.entries(db, people["admin"], username="morgan")][:3]
    assert actions == ["note_sign", "note_save", "note_create"]
    assert all("secret plan" not in e.detail for e in audit.entries(db, people["admin"]))


def test_the_client_export_holds_signed_notes_but_never_psychotherapy_notes(
    db, people, couple, tmp_path
):
    import json

    from pypdf import PdfReader

    morgan = people["morgan"]
    ana, ben = couple.clients
    joint = draft(db, morgan, couple)
    joint = notes.save_draft(
        db, morgan, joint.id, joint.version, sections={"plan": "Weekly walk together"}
    )
    notes.sign(db, morgan, joint.id, joint.version)
    notes.save_psychotherapy_note(db, morgan, joint.id, "Private hunch about Ana")
    notes.add_addendum(db, morgan, joint.id, "Walk moved to Sundays")
    alone = draft(db, morgan, couple, attendance="one", attendees=[ben.id])
    alone = notes.save_draft(
        db, morgan, alone.id, alone.version, sections={"plan": "Ben only session"}
    )
    notes.sign(db, morgan, alone.id, alone.version)
    unsigned = draft(db, morgan, couple)
    notes.save_draft(db, morgan, unsigned.id, unsigned.version, sections={"plan": "Not signed"})

    written = exports.export_client(db, morgan, ana.id, tmp_path)
    data = json.loads(next(p for p in written if p.suffix == ".json").read_text("utf-8"))
    assert [n["sections"]["Plan"] for n in data["session_notes"]] == ["Weekly walk together"]
    # A joint session's addenda are left out of a partner's record, with its risk notes.
    assert data["session_notes"][0]["addenda"] == []
    pdf = next(p for p in written if p.suffix == ".pdf")
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Weekly walk together" in text and "Walk moved to Sundays" not in text
    for path in written:
        content = path.read_bytes()
        assert b"Private hunch" not in content
        assert b"Ben only session" not in content and b"Not signed" not in content


def test_a_partners_record_leaves_out_what_the_other_said_alone(db, people, couple, tmp_path):
    import json

    from pypdf import PdfReader

    morgan = people["morgan"]
    ana, ben = couple.clients

    def signed(attendance, attendees, plan, risk_notes, addendum):
        note = draft(db, morgan, couple, attendance=attendance, attendees=attendees)
        note = notes.save_draft(
            db,
            morgan,
            note.id,
            note.version,
            sections={"plan": plan},
            risk_level="moderate",
            risk_notes=risk_notes,
        )
        notes.sign(db, morgan, note.id, note.version)
        notes.add_addendum(db, morgan, note.id, addendum)

    signed("separately", [ana.id, ben.id], "Seen apart", "Ben, alone: afraid of Ana", "More")
    # A signed note's risk notes are corrected by an addendum: it is left out with them.
    signed(
        "together",
        [ana.id, ben.id],
        "Weekly walk",
        "Ben told me alone he fears Ana",
        "Risk: Ben also said Ana hid the car keys",
    )
    signed("one", [ana.id], "Ana's own session", "Ana feels low", "Ana rang to say thanks")

    written = exports.export_client(db, morgan, ana.id, tmp_path)
    data = json.loads(next(p for p in written if p.suffix == ".json").read_text("utf-8"))
    assert [
        (n["sections"]["Plan"], n["risk_notes"], [a["text"] for a in n["addenda"]])
        for n in data["session_notes"]
    ] == [
        ("Weekly walk", "", []),
        ("Ana's own session", "Ana feels low", ["Ana rang to say thanks"]),
    ]
    assert "seen separately" in data["not_included"]
    # What a copy of the record leaves out is said, not left to be assumed complete.
    assert "worksheet answers" in data["not_included"] and "safety screens" in data["not_included"]
    pdf = next(p for p in written if p.suffix == ".pdf")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    assert "Weekly walk" in text and "Ana's own session" in text and "seen separately" in text
    for path in written:
        content = path.read_bytes()
        assert b"Seen apart" not in content and b"fear" not in content
        assert b"car keys" not in content


def test_the_demo_notes_focus_on_the_stage_each_client_was_at_that_day(db):
    from casebook import stage_history
    from sample_data.demo import DEMO_PASSWORD, load_demo

    load_demo(db)
    actor = accounts.authenticate(db, "morgan", DEMO_PASSWORD)
    [case] = [c for c in cases.list_cases(db, actor) if c.label.startswith("Sam O'Connor")]
    history = {c.id: stage_history.history(db, actor, c.id) for c in case.clients}
    shown = notes.notes_for_case(db, actor, case.id)
    assert len(shown) > 5
    for note in shown:
        day = note.session_at.date()
        assert note.focus == {
            cid: [m.stage for m in moves if m.moved_on <= day][-1] for cid, moves in history.items()
        }, day
