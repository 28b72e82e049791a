"""The generated practice: deterministic, proportional, encrypted, readable by the repositories."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from streamlit.testing.v1 import AppTest

from casebook import accounts, cases, homework, library, measures, notes, stage_history
from casebook.access import Actor
from casebook.db import Database
from casebook.models import (
    Assignment,
    Case,
    Client,
    MeasureScore,
    SafetyScreen,
    SessionNote,
    User,
)
from casebook.settings import Settings
from pages.common import USER_KEY
from sample_data.generate import GENERATED_PASSWORD, csi4_answers, generate, planned_counts

SCALE = 0.004
APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def practice(db: Database) -> tuple[Database, dict[str, int]]:
    """A small generated practice in the test's fresh database."""
    return db, generate(db, scale=SCALE, seed=7)


def fresh(home: Path) -> Database:
    return Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))


def first_client_names(db: Database, n: int = 5) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(Client.name).order_by(Client.id).limit(n)))


def test_the_same_seed_makes_the_same_practice(tmp_path):
    one, two = fresh(tmp_path / "one"), fresh(tmp_path / "two")
    try:
        assert generate(one, scale=SCALE, seed=3) == generate(two, scale=SCALE, seed=3)
        assert first_client_names(one) == first_client_names(two)
    finally:
        one.dispose()
        two.dispose()


def test_another_seed_makes_other_clients(tmp_path):
    one, two = fresh(tmp_path / "one"), fresh(tmp_path / "two")
    try:
        generate(one, scale=SCALE, seed=3)
        generate(two, scale=SCALE, seed=4)
        assert first_client_names(one) != first_client_names(two)
    finally:
        one.dispose()
        two.dispose()


@pytest.mark.parametrize(
    ("scale", "expected"),
    [
        (1.0, (25, 2_500, 75_000, 100_000, 40_000)),
        (0.1, (3, 250, 7_500, 10_000, 4_000)),
        (0.004, (1, 10, 300, 400, 160)),
    ],
)
def test_planned_counts_are_proportional_to_the_scale(scale, expected):
    plan = planned_counts(scale)
    names = ("counsellors", "clients", "session_notes", "assignments", "measure_scores")
    assert tuple(plan[n] for n in names) == expected


def test_counts_match_the_plan(practice):
    _, counts = practice
    plan = planned_counts(SCALE)
    assert counts["users"] == plan["counsellors"] + 2
    for table in ("clients", "session_notes", "assignments", "measure_scores"):
        assert counts[table] == plan[table]
    assert counts["stage_events"] >= counts["clients"]


def test_counts_are_the_rows_in_the_database(practice):
    db, counts = practice
    with db.read() as s:
        for table, n in counts.items():
            assert s.scalar(text(f"SELECT COUNT(*) FROM {table}")) == n, table


def test_twice_the_scale_doubles_the_records(tmp_path):
    small, large = fresh(tmp_path / "small"), fresh(tmp_path / "large")
    try:
        one, two = generate(small, scale=SCALE), generate(large, scale=2 * SCALE)
    finally:
        small.dispose()
        large.dispose()
    for table in ("clients", "session_notes", "assignments", "measure_scores"):
        assert two[table] == 2 * one[table], table


def test_every_assignment_status_and_mostly_signed_notes(practice):
    db, _ = practice
    with db.read() as s:
        statuses = set(s.scalars(text("SELECT DISTINCT status FROM assignments")))
        signed = s.scalar(text("SELECT COUNT(*) FROM session_notes WHERE status = 'signed'"))
        total = s.scalar(text("SELECT COUNT(*) FROM session_notes"))
    assert statuses == {"assigned", "in_progress", "completed", "reviewed", "cancelled"}
    assert signed / total > 0.9


def test_open_cases_carry_no_years_old_unfinished_homework(practice):
    db, _ = practice
    with db.read() as s:
        oldest = s.scalar(
            text(
                "SELECT MIN(a.due_on) FROM assignments a JOIN clients c ON c.id = a.client_id "
                "JOIN cases k ON k.id = c.case_id WHERE k.closed_on IS NULL "
                "AND a.status IN ('assigned', 'in_progress')"
            )
        )
        overdue = s.scalar(
            text(
                "SELECT COUNT(*) FROM assignments a JOIN clients c ON c.id = a.client_id "
                "JOIN cases k ON k.id = c.case_id WHERE k.closed_on IS NULL "
                "AND a.status IN ('assigned', 'in_progress') AND a.due_on < :today"
            ),
            {"today": date.today()},
        )
    assert date.fromisoformat(str(oldest)) >= date.today() - timedelta(days=121)
    assert overdue > 0  # a little is still left undone, as in any practice


@pytest.mark.parametrize(
    ("model", "on", "case_of"),
    [
        (SessionNote, SessionNote.session_at, SessionNote.case_id),
        (SafetyScreen, SafetyScreen.screened_on, Client.case_id),
        (MeasureScore, MeasureScore.scored_on, Client.case_id),
    ],
    ids=["notes", "screens", "scores"],
)
def test_no_session_screen_or_score_is_dated_before_its_case_opened(practice, model, on, case_of):
    # The generator writes rows directly, past the repositories' check of these dates.
    db, _ = practice
    query = select(func.count()).select_from(model)
    if case_of is Client.case_id:
        query = query.join(Client, Client.id == model.client_id)
    query = query.join(Case, Case.id == case_of)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(model)) > 0
        assert s.scalar(query.where(func.date(on) < Case.opened_on)) == 0


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("session_notes", "sections"),
        ("session_notes", "risk_notes"),
        ("assignments", "instructions"),
        ("responses", "value"),
        ("measure_scores", "answers"),
        ("cases", "presenting_concern"),
        ("stage_events", "reason"),
        ("safety_screens", "answers"),
    ],
)
def test_clinical_text_is_encrypted_in_the_database(practice, table, column):
    db, _ = practice
    with db.engine.connect() as conn:
        raw = conn.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    assert raw and all(value.startswith("gAAAA") for (value,) in raw)


def test_generated_accounts_log_in_with_the_shared_password(practice):
    db, _ = practice
    assert accounts.authenticate(db, "c01", GENERATED_PASSWORD).role == "counsellor"
    assert accounts.authenticate(db, "casey", GENERATED_PASSWORD).role == "supervisor"
    with db.read() as s:
        hashes = set(s.scalars(select(User.password_hash)))
    assert len(hashes) == 1


def counsellor(db: Database) -> Actor:
    return accounts.authenticate(db, "c01", GENERATED_PASSWORD)


def test_list_cases_returns_the_counsellors_cases(practice):
    db, _ = practice
    c01 = counsellor(db)
    with db.read() as s:
        own = set(s.scalars(select(Case.id).where(Case.counsellor_id == c01.id)))
    listed = cases.list_cases(db, c01)
    assert own and {c.id for c in listed} == own
    assert all(1 <= client.stage <= 8 for case in listed for client in case.clients)


def test_a_case_reads_back_through_the_repositories(practice):
    db, _ = practice
    c01 = counsellor(db)
    with db.read() as s:
        case_id = s.scalar(
            select(SessionNote.case_id)
            .join(Case, Case.id == SessionNote.case_id)
            .where(Case.counsellor_id == c01.id)
            .limit(1)
        )
        stored = s.scalar(select(func.count()).where(SessionNote.case_id == case_id))
    found = notes.notes_for_case(db, c01, case_id)
    assert len(found) == stored
    assert all(n.sections and all(isinstance(t, str) for t in n.sections.values()) for n in found)
    case = cases.get_case(db, c01, case_id)
    assert all(c.history[0].reason == "Case opened" for c in case.clients)
    assert stage_history.history(db, c01, case.clients[0].id)
    assert homework.for_case(db, c01, case_id)
    assert all(0 <= s.total <= 21 for s in measures.scores_for_case(db, c01, case_id))


def test_the_app_adds_records_after_the_generated_ones(practice):
    db, _ = practice
    c01 = counsellor(db)
    case = cases.create_case(db, c01, [cases.ClientInput("New Client")])
    template = next(t for t in library.list_templates(db, c01) if t.stage == 1)
    [made] = homework.assign(db, c01, [case.clients[0].id], template.id, due_on=date.today())
    with db.read() as s:
        assert case.id == s.scalar(select(func.max(Case.id)))
        assert made.id == s.scalar(select(func.max(Assignment.id)))


@pytest.mark.parametrize("total", range(22))
def test_csi4_answers_add_up_to_the_total(total):
    answers = csi4_answers(total)
    assert sum(answers.values()) == total
    assert answers["happiness"] <= 6 and max(answers.values()) <= 6


def test_taken_user_names_are_refused(practice):
    db, _ = practice
    with pytest.raises(ValueError, match="already has a user"):
        generate(db, scale=SCALE)


def test_the_dashboard_renders_the_generated_practice(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    db = fresh(tmp_path)
    try:
        generate(db, scale=SCALE)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state[USER_KEY] = counsellor(db)
        at.run()
        assert not at.exception, at.exception
        assert [t.value for t in at.title] == ["Dashboard"]
    finally:
        db.dispose()
