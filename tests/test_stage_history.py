from datetime import date, timedelta

import pytest

from casebook import audit, cases, stage_history
from casebook.cases import ClientInput
from casebook.errors import AccessDenied, NotFound, ValidationError

TODAY = date.today()


@pytest.fixture
def case(db, people):
    return cases.create_case(
        db,
        people["morgan"],
        [ClientInput("Ana"), ClientInput("Ben")],
        opened_on=TODAY - timedelta(days=60),
    )


def test_moves_forward_and_back_are_kept_in_order(db, people, case):
    morgan = people["morgan"]
    ana = case.clients[0].id
    stage_history.move_client(
        db, morgan, ana, 3, reason="Ready to work on self", moved_on=TODAY - timedelta(days=40)
    )
    stage_history.move_client(
        db, morgan, ana, 2, reason="Needs more space", moved_on=TODAY - timedelta(days=5)
    )
    moves = stage_history.history(db, morgan, ana)
    assert [(m.stage, m.reason, m.moved_by) for m in moves] == [
        (1, "Case opened", "Morgan"),
        (3, "Ready to work on self", "Morgan"),
        (2, "Needs more space", "Morgan"),
    ]
    assert cases.get_case(db, morgan, case.id).clients[0].stage == 2


def test_partners_may_stand_at_different_stages(db, people, case):
    stage_history.move_client(db, people["morgan"], case.clients[1].id, 4, reason="Ready")
    stored = cases.get_case(db, people["morgan"], case.id)
    assert [c.stage for c in stored.clients] == [1, 4]


@pytest.mark.parametrize(
    ("stage", "reason", "days_ago", "message"),
    [
        (9, "r", 0, "Stage must be one of 1-8"),
        (0, "r", 0, "Stage must be one of 1-8"),
        (2, "  ", 0, "Reason is required"),
        (2, "r", -1, "future"),
        (2, "r", 61, "before the client's last stage change"),
        (1, "r", 0, "already at stage 1"),
    ],
)
def test_bad_moves_are_refused_and_leave_history_alone(
    db, people, case, stage, reason, days_ago, message
):
    ana = case.clients[0].id
    with pytest.raises(ValidationError, match=message):
        stage_history.move_client(
            db,
            people["morgan"],
            ana,
            stage,
            reason=reason,
            moved_on=TODAY - timedelta(days=days_ago),
        )
    assert len(stage_history.history(db, people["morgan"], ana)) == 1


def test_unknown_client_is_not_found(db, people):
    with pytest.raises(NotFound):
        stage_history.move_client(db, people["morgan"], 12345, 2, reason="r")


def test_recent_moves_lists_changes_in_the_window_with_where_from(db, people, case):
    morgan = people["morgan"]
    ana, ben = (c.id for c in case.clients)
    stage_history.move_client(db, morgan, ana, 2, reason="old", moved_on=TODAY - timedelta(days=45))
    stage_history.move_client(db, morgan, ana, 3, reason="new", moved_on=TODAY - timedelta(days=3))
    stage_history.move_client(db, morgan, ben, 5, reason="jump", moved_on=TODAY)
    recent = stage_history.recent_moves(db, morgan, days=30)
    assert [(m.client_name, m.from_stage, m.to_stage) for m in recent] == [
        ("Ben", 1, 5),
        ("Ana", 2, 3),
    ]
    assert stage_history.recent_moves(db, people["riley"], days=30) == []


def test_current_positions_cover_every_visible_client(db, people, case):
    other = cases.create_case(db, people["riley"], [ClientInput("Cy")])
    positions = stage_history.current_positions(db, people["morgan"])
    assert [(p.client_name, p.stage, p.couple, p.case_status) for p in positions] == [
        ("Ana", 1, True, "open"),
        ("Ben", 1, True, "open"),
    ]
    everyone = stage_history.current_positions(db, people["casey"])
    assert {p.case_id for p in everyone} == {case.id, other.id}
    cases.close_case(
        db, people["riley"], other.id, other.version, outcome="paused", closed_on=TODAY
    )
    casey = people["casey"]
    assert {p.case_status for p in stage_history.current_positions(db, casey)} == {"open", "closed"}
    assert [p.client_name for p in stage_history.current_positions(db, casey, open_only=True)] == [
        "Ana",
        "Ben",
    ]
    assert stage_history.open_clients_by_stage(db, casey) == {1: 2}
    stage_history.move_client(db, people["morgan"], case.clients[0].id, 4, reason="ready")
    assert stage_history.open_clients_by_stage(db, casey) == {1: 1, 4: 1}
    assert stage_history.open_clients_by_stage(db, people["riley"]) == {}


def test_moves_of_cases_open_on_a_past_day_leave_out_those_closed_or_not_yet_open(db, people):
    # The Practice page's "clients by stage" on a past day counted every case ever closed.
    morgan, casey = people["morgan"], people["casey"]
    today = date.today()

    def opened(name, days_ago):
        return cases.create_case(
            db, morgan, [ClientInput(name)], opened_on=today - timedelta(days=days_ago)
        )

    def close(case, days_ago):
        case = cases.get_case(db, morgan, case.id)
        return cases.close_case(
            db,
            morgan,
            case.id,
            case.version,
            outcome="paused",
            closed_on=today - timedelta(days=days_ago),
            note="",
        )

    still_open = opened("Still open", 100)
    closed = close(opened("Closed", 100), 50)
    reopened = close(opened("Reopened", 100), 60)
    cases.reopen_case(db, morgan, reopened.id, cases.get_case(db, morgan, reopened.id).version)
    late = opened("Opened later", 10)
    archived = opened("Archived today", 100)
    cases.set_archived(db, morgan, archived.id, archived.version, True)

    name = {
        c.clients[0].id: c.clients[0].name for c in (still_open, closed, reopened, late, archived)
    }

    def names(days_ago):
        on = today - timedelta(days=days_ago)
        return {name[client] for client, _, _ in stage_history.all_moves(db, casey, open_then=on)}

    assert names(70) == {"Still open", "Closed", "Reopened", "Archived today"}
    assert names(55) == {"Still open", "Closed", "Archived today"}  # Reopened was closed then
    assert names(5) == {"Still open", "Opened later", "Archived today"}
    assert names(0) == {"Still open", "Opened later", "Reopened"}
    assert len(stage_history.all_moves(db, casey)) == 5  # without a day: every case's


# --- a move recorded in error ----------------------------------------------------------------


def test_a_move_recorded_in_error_is_struck_out_and_kept_with_its_reason(db, people, case):
    morgan = people["morgan"]
    ana, ben = (c.id for c in case.clients)
    stage_history.move_client(db, morgan, ana, 2, reason="Settled", moved_on=TODAY - timedelta(9))
    wrong = stage_history.move_client(db, morgan, ana, 5, reason="Apologised", moved_on=TODAY)
    struck = stage_history.strike_move(db, morgan, wrong.id, why="Ben's move, not Ana's")
    stored = cases.get_case(db, morgan, case.id)
    assert (stored.clients[0].stage, stored.clients[0].stage_since) == (2, TODAY - timedelta(9))
    assert [m.stage for m in stored.clients[0].history] == [1, 2]
    assert stage_history.struck_moves(db, morgan, case.id) == [struck]
    assert (struck.move.stage, struck.move.reason, struck.move.moved_on) == (
        5,
        "Apologised",
        TODAY,
    )
    assert (struck.struck_by, struck.why) == ("Morgan", "Ben's move, not Ana's")
    assert [a.detail for a in audit.entries(db, people["admin"], action="stage_strike")] == [
        f"move #{wrong.id} to 5"
    ]
    # The next move recorded (on SQLite, under the struck-out move's number) can itself be
    # struck out in turn.
    again = stage_history.move_client(db, morgan, ben, 5, reason="Apologised")
    stage_history.strike_move(db, morgan, again.id, why="Recorded twice")
    assert [c.stage for c in cases.get_case(db, morgan, case.id).clients] == [2, 1]
    assert [m.why for m in stage_history.struck_moves(db, morgan, case.id)] == [
        "Ben's move, not Ana's",
        "Recorded twice",
    ]


def test_only_the_latest_move_other_than_the_first_can_be_struck_out(db, people, case):
    morgan = people["morgan"]
    ana = case.clients[0].id
    [opening] = stage_history.history(db, morgan, ana)
    earlier = stage_history.move_client(db, morgan, ana, 2, reason="Settled")
    stage_history.move_client(db, morgan, ana, 3, reason="Growth")
    before = cases.get_case(db, morgan, case.id)
    with pytest.raises(ValidationError, match="latest move"):
        stage_history.strike_move(db, morgan, earlier.id, why="Wrong")
    with pytest.raises(ValidationError, match="first stage"):
        stage_history.strike_move(db, morgan, opening.id, why="Wrong")
    with pytest.raises(ValidationError, match="required"):
        stage_history.strike_move(db, morgan, before.clients[0].history[-1].id, why=" ")
    with pytest.raises(AccessDenied):
        stage_history.strike_move(db, people["riley"], earlier.id, why="Wrong")
    assert cases.get_case(db, morgan, case.id) == before
    assert stage_history.struck_moves(db, morgan, case.id) == []


def test_a_move_in_a_closed_case_is_not_struck_out(db, people, case):
    morgan = people["morgan"]
    move = stage_history.move_client(db, morgan, case.clients[0].id, 2, reason="Settled")
    case = cases.get_case(db, morgan, case.id)
    cases.close_case(db, morgan, case.id, case.version, outcome="paused", closed_on=TODAY)
    with pytest.raises(ValidationError, match="reopen it"):
        stage_history.strike_move(db, morgan, move.id, why="Wrong")
    assert cases.get_case(db, morgan, case.id).clients[0].stage == 2
