import math
from datetime import date, datetime

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis import attention, homework_stats, measures, progress, timeline
from analysis.measures import Item, Measure

D = date


def frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)


# --- timeline ---------------------------------------------------------------------------

# Client 1 moves 1 -> 2 -> 3 and back to 2; client 2's only move sits between client 1's
# rows, so the output must group by client while keeping each client's move order.
MOVES = frame(
    [
        (1, 1, D(2024, 1, 1)),
        (1, 2, D(2024, 1, 11)),
        (2, 1, D(2024, 1, 5)),
        (1, 3, D(2024, 2, 1)),
        (1, 2, D(2024, 2, 11)),
    ],
    timeline.MOVE_COLUMNS,
)
TODAY = D(2024, 3, 1)


def test_stage_timeline_has_one_row_per_stay_and_marks_the_move_back():
    expected = pd.DataFrame(
        {
            "client_id": [1, 1, 1, 1, 2],
            "stage": [1, 2, 3, 2, 1],
            "entered": [
                D(2024, 1, 1),
                D(2024, 1, 11),
                D(2024, 2, 1),
                D(2024, 2, 11),
                D(2024, 1, 5),
            ],
            "left": pd.Series([D(2024, 1, 11), D(2024, 2, 1), D(2024, 2, 11), None, None]),
            # 2024 is a leap year: 11 Feb to 1 Mar is 19 days, 5 Jan to 1 Mar is 56.
            "days": [10, 21, 10, 19, 56],
            "moved_back": [False, False, False, True, False],
            "current": [False, False, False, True, True],
        }
    )
    assert_frame_equal(timeline.stage_timeline(MOVES, TODAY), expected)


def test_stage_timeline_keeps_given_order_within_a_client_not_date_order():
    # A correction recorded on the same day: the later row is the current stay.
    moves = frame([(5, 3, D(2024, 1, 1)), (5, 2, D(2024, 1, 1))], timeline.MOVE_COLUMNS)
    result = timeline.stage_timeline(moves, TODAY)
    assert result["stage"].tolist() == [3, 2]
    assert result["days"].tolist() == [0, 60]
    assert result["moved_back"].tolist() == [False, True]
    assert result["current"].tolist() == [False, True]


def test_days_in_stage_adds_up_a_return_to_a_stage():
    expected = pd.DataFrame(
        {"client_id": [1, 1, 1, 2], "stage": [1, 2, 3, 1], "days": [10, 21 + 19, 10, 56]}
    )
    result = timeline.days_in_stage(timeline.stage_timeline(MOVES, TODAY))
    assert_frame_equal(result, expected)


@pytest.mark.parametrize(
    ("on", "clients"),
    [
        (D(2023, 12, 31), [0, 0, 0, 0]),  # nobody has moved yet
        (D(2024, 1, 1), [1, 0, 0, 0]),  # a move on the day counts
        (D(2024, 1, 5), [2, 0, 0, 0]),
        (D(2024, 2, 5), [1, 0, 1, 0]),  # client 1 in stage 3, client 2 still in 1
        (D(2024, 2, 11), [1, 1, 0, 0]),  # client 1 moved back to 2
    ],
)
def test_funnel_at_a_past_date(on, clients):
    expected = pd.DataFrame({"stage": [1, 2, 3, 4], "clients": clients})
    assert_frame_equal(timeline.funnel_at(MOVES, on, 4), expected)


def test_timeline_of_no_moves_is_empty_with_columns():
    empty = frame([], timeline.MOVE_COLUMNS)
    result = timeline.stage_timeline(empty, TODAY)
    assert list(result.columns) == timeline.TIMELINE_COLUMNS
    assert result.empty
    assert result["days"].dtype == "int64"
    days = timeline.days_in_stage(result)
    assert list(days.columns) == ["client_id", "stage", "days"]
    assert days.empty
    funnel = timeline.funnel_at(empty, TODAY, 3)
    assert_frame_equal(funnel, pd.DataFrame({"stage": [1, 2, 3], "clients": [0, 0, 0]}))


# --- homework ---------------------------------------------------------------------------

HW_TODAY = D(2024, 3, 10)
ASSIGNMENTS = frame(
    [
        (1, 1, D(2024, 1, 10), D(2024, 1, 9), "reviewed"),  # on time
        (1, 2, D(2024, 1, 20), D(2024, 1, 25), "completed"),  # late
        (1, 2, D(2024, 2, 5), None, "in_progress"),  # overdue
        (2, 1, D(2024, 2, 10), None, "cancelled"),  # left out
        (2, 1, D(2024, 3, 20), None, "assigned"),  # open
        (2, 3, D(2024, 3, 10), None, "assigned"),  # due today: still open
        (2, 3, D(2024, 2, 10), D(2024, 2, 10), "completed"),  # on the due day: on time
    ],
    homework_stats.ASSIGNMENT_COLUMNS,
)
COUNTS = ["assigned", "on_time", "late", "overdue", "open"]


@pytest.mark.parametrize(
    ("due", "completed", "expected"),
    [
        (D(2024, 3, 10), D(2024, 3, 9), "on_time"),
        (D(2024, 3, 10), D(2024, 3, 10), "on_time"),
        (D(2024, 3, 10), D(2024, 3, 11), "late"),
        (D(2024, 3, 9), None, "overdue"),
        (D(2024, 3, 10), None, "open"),
        (D(2024, 3, 11), None, "open"),
    ],
)
def test_outcome_of_one_assignment(due, completed, expected):
    assert homework_stats.outcome(due, completed, HW_TODAY) == expected


def counts(key, rows):
    columns = ([key] if key else []) + COUNTS + ["completion_rate"]
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (None, counts(None, [(6, 2, 1, 1, 2, 0.5)])),
        (
            "month",
            counts(
                "month",
                [
                    ("2024-01", 2, 1, 1, 0, 0, 1.0),
                    ("2024-02", 2, 1, 0, 1, 0, 0.5),
                    ("2024-03", 2, 0, 0, 0, 2, 0.0),
                ],
            ),
        ),
        ("client_id", counts("client_id", [(1, 3, 1, 1, 1, 0, 2 / 3), (2, 3, 1, 0, 0, 2, 1 / 3)])),
        (
            "stage",
            counts(
                "stage",
                [(1, 2, 1, 0, 0, 1, 0.5), (2, 2, 0, 1, 1, 0, 0.5), (3, 2, 1, 0, 0, 1, 0.5)],
            ),
        ),
    ],
)
def test_completion_overall_and_grouped(by, expected):
    assert_frame_equal(homework_stats.completion(ASSIGNMENTS, HW_TODAY, by), expected)


def test_completion_of_nothing_is_one_zero_row_overall():
    empty = frame([], homework_stats.ASSIGNMENT_COLUMNS)
    expected = counts(None, [(0, 0, 0, 0, 0, 0.0)])
    assert_frame_equal(homework_stats.completion(empty, HW_TODAY), expected)


def test_completion_with_only_cancelled_homework_counts_nothing():
    cancelled = ASSIGNMENTS[ASSIGNMENTS["status"] == "cancelled"]
    result = homework_stats.completion(cancelled, HW_TODAY)
    assert result.iloc[0].tolist() == [0, 0, 0, 0, 0, 0.0]


@pytest.mark.parametrize("by", ["client_id", "stage", "month"])
def test_completion_grouped_of_nothing_is_empty_with_columns(by):
    empty = frame([], homework_stats.ASSIGNMENT_COLUMNS)
    result = homework_stats.completion(empty, HW_TODAY, by)
    assert result.empty
    assert list(result.columns) == [by, *COUNTS, "completion_rate"]


def test_completion_by_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError, match="week"):
        homework_stats.completion(ASSIGNMENTS, HW_TODAY, "week")


# --- measures: reliable change ----------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (measures.standard_error, 3.354),
        (measures.s_diff, 4.743),
        (measures.min_reliable_change, 9.30),
    ],
)
def test_worked_example_of_clinical_md(function, expected):
    assert function(7.5, 0.80) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(
    ("sd", "r", "points"),
    [
        (4.5, 0.85, 5),  # 4.83: the CSI-4's defaults
        (4.7, 0.85, 6),  # 5.05, once shown as "at least 5.0": a change of 5 is not reliable
        (7.5, 0.80, 10),  # 9.30, CLINICAL.md's worked example
        (0.3, 0.5, 1),  # 0.59: a change of one point
    ],
)
def test_the_smallest_reliable_change_in_whole_points_agrees_with_the_rc(sd, r, points):
    assert measures.smallest_reliable_change(sd, r) == points
    up = measures.reliable_change_index
    assert abs(up(10, 10 + points, sd, r)) > measures.RELIABLE_Z
    assert abs(up(10, 10 + points - 1, sd, r)) <= measures.RELIABLE_Z


def test_reliable_change_index():
    assert measures.reliable_change_index(10, 26, 7.5, 0.80) == pytest.approx(3.373, abs=0.001)
    assert measures.reliable_change_index(26, 10, 7.5, 0.80) == pytest.approx(-3.373, abs=0.001)


def test_clinical_cutoff_of_clinical_md():
    assert measures.clinical_cutoff(20, 8, 30, 6) == pytest.approx(25.71, abs=0.005)


def test_reliability_of_zero_is_allowed():
    assert measures.standard_error(4.0, 0.0) == 4.0


@pytest.mark.parametrize(
    ("sd", "r", "message"),
    [
        (0, 0.8, "standard deviation"),
        (-1, 0.8, "standard deviation"),
        (math.nan, 0.8, "standard deviation"),
        (7.5, 1.0, "reliability"),
        (7.5, -0.1, "reliability"),
        (7.5, math.nan, "reliability"),
    ],
)
def test_bad_sd_or_reliability_is_refused(sd, r, message):
    for function in (measures.standard_error, measures.s_diff, measures.min_reliable_change):
        with pytest.raises(ValueError, match=message):
            function(sd, r)
    with pytest.raises(ValueError, match=message):
        measures.reliable_change_index(1, 2, sd, r)


def test_clinical_cutoff_refuses_a_zero_sd():
    with pytest.raises(ValueError, match="standard deviation"):
        measures.clinical_cutoff(20, 0, 30, 6)


# --- measures: scoring ------------------------------------------------------------------

SCALE = Measure(
    key="scale",
    name="Test scale",
    items=(
        Item("happy", "How happy?", 0, 6),
        Item("warm", "How warm?", 0, 5),
        Item("tense", "How tense?", 1, 5, reverse=True),
    ),
    higher_is_better=True,
    cutoff=13.5,
    sd=4.5,
    reliability=0.85,
)


@pytest.mark.parametrize(
    ("tense", "counted"),
    [(1, 5), (2, 4), (3, 3), (5, 1)],
)
def test_total_score_reverse_scores_an_item(tense, counted):
    assert measures.total_score(SCALE, {"happy": 3, "warm": 4, "tense": tense}) == 7 + counted


def test_total_score_at_the_ends_of_the_ranges():
    assert measures.total_score(SCALE, {"happy": 0, "warm": 0, "tense": 5}) == 1
    assert measures.total_score(SCALE, {"happy": 6, "warm": 5, "tense": 1}) == 16


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        # Named as the counsellor reads the question, not by the file's id for it.
        ({"happy": 3, "warm": 4}, r"'How tense\?' has no answer"),
        ({"happy": 3, "warm": True, "tense": 2}, r"'How warm\?'.*whole number"),
        ({"happy": 3.0, "warm": 4, "tense": 2}, r"'How happy\?'.*whole number"),
        ({"happy": "3", "warm": 4, "tense": 2}, r"'How happy\?'.*whole number"),
        ({"happy": 7, "warm": 4, "tense": 2}, r"'How happy\?'.*0 to 6"),
        ({"happy": -1, "warm": 4, "tense": 2}, r"'How happy\?'.*0 to 6"),
        ({"happy": 3, "warm": 4, "tense": 0}, r"'How tense\?'.*1 to 5"),
        ({"happy": 3, "warm": 4, "tense": 2, "calm": 1}, "'calm'"),
    ],
)
def test_total_score_refuses_bad_answers_naming_the_item(answers, message):
    with pytest.raises(ValueError, match=message):
        measures.total_score(SCALE, answers)


# --- measures: classification -----------------------------------------------------------


def measure(higher_is_better, cutoff):
    # SD 7.5 and r 0.80: the smallest reliable change is 9.30 points.
    return Measure("m", "M", (), higher_is_better, cutoff, 7.5, 0.80)


HIGHER_BETTER = measure(True, 25.0)
HIGHER_WORSE = measure(False, 20.0)


@pytest.mark.parametrize(
    ("baseline", "latest", "m", "expected"),
    [
        # higher is better, cut-off 25
        (10, 26, HIGHER_BETTER, "recovered"),
        (15, 25, HIGHER_BETTER, "recovered"),  # reaching the cut-off is functional
        (0, 12, HIGHER_BETTER, "improved"),  # reliable but still below the cut-off
        (30, 40, HIGHER_BETTER, "improved"),  # was already on the functional side
        (10, 19, HIGHER_BETTER, "unchanged"),  # 9 points < 9.30
        (20, 28, HIGHER_BETTER, "unchanged"),  # crossed but not reliable
        (30, 20, HIGHER_BETTER, "deteriorated"),
        (30, 30, HIGHER_BETTER, "unchanged"),
        # higher is worse, cut-off 20
        (30, 15, HIGHER_WORSE, "recovered"),
        (40, 25, HIGHER_WORSE, "improved"),
        (30, 25, HIGHER_WORSE, "unchanged"),
        (10, 20, HIGHER_WORSE, "deteriorated"),
        (10, 0, HIGHER_WORSE, "improved"),  # was already functional
        # no cut-off: reliable improvement is only "improved"
        (0, 20, measure(True, None), "improved"),
        (20, 0, measure(True, None), "deteriorated"),
        (20, 0, measure(False, None), "improved"),
        (0, 20, measure(False, None), "deteriorated"),
        (0, 9, measure(False, None), "unchanged"),
    ],
)
def test_classify(baseline, latest, m, expected):
    assert measures.classify(baseline, latest, m) == expected


def test_classify_needs_an_rc_beyond_1_96_not_equal_to_it():
    # SD 1 and r 0.5 make S_diff exactly 1, so the change is the RC itself.
    unit = Measure("m", "M", (), True, None, 1.0, 0.5)
    assert measures.reliable_change_index(0, 1.96, 1.0, 0.5) == 1.96
    assert measures.classify(0, 1.96, unit) == "unchanged"
    assert measures.classify(0, 1.97, unit) == "improved"
    assert measures.classify(1.96, 0, unit) == "unchanged"
    assert measures.classify(1.97, 0, unit) == "deteriorated"


def test_classify_csi4_below_13_5_is_dysfunctional():
    csi4 = Measure("csi4", "CSI-4", (), True, 13.5, 4.5, 0.85)  # reliable change 4.83
    assert measures.classify(8, 14, csi4) == "recovered"
    assert measures.classify(8, 13, csi4) == "improved"
    assert measures.classify(12, 16, csi4) == "unchanged"
    assert measures.classify(16, 10, csi4) == "deteriorated"


SCORES = frame(
    [
        (3, D(2024, 1, 1), 30),
        (1, D(2024, 3, 1), 26),
        (1, D(2024, 1, 1), 10),
        (3, D(2024, 2, 1), 20),
        (2, D(2024, 1, 5), 18),
        (1, D(2024, 2, 1), 15),
    ],
    progress.SCORE_COLUMNS,
)


def test_progress_per_client_from_first_to_latest_by_date():
    expected = pd.DataFrame(
        {
            "client_id": [1, 2, 3],
            "baseline": [10.0, 18.0, 30.0],
            "latest": [26.0, 18.0, 20.0],
            "change": [16.0, 0.0, -10.0],
            "rci": [3.3731, math.nan, -2.1082],
            "category": ["recovered", "unchanged", "deteriorated"],
            "n": [3, 1, 2],
        }
    )
    result = progress.progress(SCORES, HIGHER_BETTER)
    assert_frame_equal(result, expected, check_exact=False, atol=1e-4)


def test_progress_takes_two_scores_of_one_day_in_the_order_given():
    same_day = frame([(7, D(2024, 1, 1), 10), (7, D(2024, 1, 1), 20)], progress.SCORE_COLUMNS)
    result = progress.progress(same_day, HIGHER_BETTER)
    assert result[["baseline", "latest", "n"]].values.tolist() == [[10.0, 20.0, 2]]


def test_progress_of_no_scores_is_empty_with_columns():
    result = progress.progress(frame([], progress.SCORE_COLUMNS), HIGHER_BETTER)
    assert result.empty
    assert list(result.columns) == [
        "client_id",
        "baseline",
        "latest",
        "change",
        "rci",
        "category",
        "n",
    ]


def test_partner_gap_carries_each_partners_latest_score_forward():
    scores = frame(
        [
            (1, D(2024, 1, 1), 20),
            (2, D(2024, 1, 10), 10),
            (9, D(2024, 1, 5), 3),  # not one of the partners: neither row nor date
            (1, D(2024, 1, 15), 24),
            (2, D(2024, 1, 15), 12),
            (2, D(2024, 2, 1), 18),
        ],
        progress.SCORE_COLUMNS,
    )
    expected = pd.DataFrame(
        {
            "on": [D(2024, 1, 1), D(2024, 1, 10), D(2024, 1, 15), D(2024, 2, 1)],
            "a_total": [20.0, 20.0, 24.0, 24.0],
            "b_total": [math.nan, 10.0, 12.0, 18.0],
            "gap": [math.nan, 10.0, 12.0, 6.0],
        }
    )
    assert_frame_equal(progress.partner_gap(scores, (1, 2)), expected)


def test_partner_gap_follows_the_order_of_the_partners():
    result = progress.partner_gap(SCORES, (3, 1))
    assert result["a_total"].tolist() == [30.0, 20.0, 20.0]
    assert result["b_total"].tolist() == [10.0, 15.0, 26.0]
    assert result["gap"].tolist() == [20.0, 5.0, 6.0]


@pytest.mark.parametrize("scores", [frame([], progress.SCORE_COLUMNS), SCORES])
def test_partner_gap_without_scores_is_empty_with_columns(scores):
    result = progress.partner_gap(scores, (7, 8))
    assert result.empty
    assert list(result.columns) == ["on", "a_total", "b_total", "gap"]


# --- attention --------------------------------------------------------------------------

NOW = D(2024, 6, 30)
OVERDUE_COLUMNS = [
    *homework_stats.ASSIGNMENT_COLUMNS,
    "case_id",
    "client_name",
    "template_title",
    "id",
]
SESSION_COLUMNS = ["case_id", "case_label", "last_session", "opened_on"]
UNSIGNED_COLUMNS = ["note_id", "case_id", "session_at", "case_label"]
DETERIORATION_COLUMNS = ["client_id", "client_name", "case_id", "measure_name", "category"]
FLAG_COLUMNS = ["client_id", "client_name", "case_id"]
POSITION_COLUMNS = ["client_id", "client_name", "case_id", "stage", "screened"]


def inputs(**given):
    empty = {
        "overdue": frame([], OVERDUE_COLUMNS),
        "sessions": frame([], SESSION_COLUMNS),
        "unsigned": frame([], UNSIGNED_COLUMNS),
        "deterioration": frame([], DETERIORATION_COLUMNS),
        "flags": frame([], FLAG_COLUMNS),
        "positions": frame([], POSITION_COLUMNS),
    }
    return {**empty, **given}


EVERYTHING = inputs(
    overdue=frame(
        [
            (11, 6, D(2024, 6, 27), None, "assigned", 4, "Ana", "Trust plan", 501),
            (11, 6, D(2024, 6, 29), None, "in_progress", 4, "Ana", "Promise log", 502),
            (11, 6, D(2024, 7, 2), None, "assigned", 4, "Ana", "Not due yet", 503),
            (11, 6, D(2024, 6, 1), None, "cancelled", 4, "Ana", "Cancelled", 504),
            (11, 6, D(2024, 6, 1), D(2024, 6, 2), "completed", 4, "Ana", "Done late", 505),
        ],
        OVERDUE_COLUMNS,
    ),
    sessions=frame(
        [
            (6, "Case Fox", D(2024, 5, 1), D(2024, 1, 1)),  # 60 days without a session
            (5, "Case Eve", None, D(2024, 5, 31)),  # opened 30 days ago, no session yet
            (4, "Case Ana", D(2024, 6, 20), D(2024, 1, 1)),  # seen 10 days ago
        ],
        SESSION_COLUMNS,
    ),
    unsigned=frame(
        [
            (71, 8, datetime(2024, 6, 23, 15, 0), "Case Hal"),  # 7 days old
            (72, 8, datetime(2024, 6, 24, 9, 30), "Case Hal"),  # 6 days old
        ],
        UNSIGNED_COLUMNS,
    ),
    deterioration=frame(
        [
            (21, "Ben", 3, "CSI-4", "deteriorated"),
            (22, "Cy", 3, "CSI-4", "improved"),
        ],
        DETERIORATION_COLUMNS,
    ),
    flags=frame([(31, "Dee", 9), (32, "Eli", 2)], FLAG_COLUMNS),
    positions=frame(
        [
            (41, "Flo", 7, 3, False),  # one stage before contact work, never screened
            (42, "Gus", 1, 5, False),
            (43, "Hye", 7, 5, True),  # screened
            (44, "Ivo", 1, 2, False),  # too early to need it
        ],
        POSITION_COLUMNS,
    ),
)


def test_attention_list_orders_by_priority_then_case():
    expected = pd.DataFrame(
        {
            "priority": [1, 1, 2, 3, 3, 4, 4, 5, 6, 6],
            "kind": [
                "safety flag",
                "safety flag",
                "reliable deterioration",
                "not screened",
                "not screened",
                "overdue homework",
                "overdue homework",
                "unsigned note",
                "no recent session",
                "no recent session",
            ],
            "case_id": [2, 9, 3, 1, 7, 4, 4, 8, 5, 6],
            "client_name": [
                "Eli",
                "Dee",
                "Ben",
                "Gus",
                "Flo",
                "Ana",
                "Ana",
                "Case Hal",
                "Case Eve",
                "Case Fox",
            ],
            "detail": [
                "Safety flag raised: review the screening before any joint or contact work.",
                "Safety flag raised: review the screening before any joint or contact work.",
                "CSI-4 shows reliable deterioration.",
                "At stage 5 and not yet screened for safety; screen before stage 4.",
                "At stage 3 and not yet screened for safety; screen before stage 4.",
                "Trust plan was due 3 days ago.",
                "Promise log was due 1 day ago.",
                "The note on the session of 23 June 2024 is unsigned after 7 days.",
                "No session yet; the case opened 30 days ago.",
                "No session for 60 days.",
            ],
            "link": [
                {"case": 2},
                {"case": 9},
                {"case": 3},
                {"case": 1},
                {"case": 7},
                {"assignment": 501},
                {"assignment": 502},
                {"note": 71},
                {"case": 5},
                {"case": 6},
            ],
        }
    )
    assert_frame_equal(attention.attention_list(**EVERYTHING, today=NOW), expected)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"no_session_days": 61}, {"no recent session": []}),
        ({"no_session_days": 30}, {"no recent session": [5, 6]}),
        ({"no_session_days": 31}, {"no recent session": [6]}),
        ({"unsigned_days": 6}, {"unsigned note": [8, 8]}),
        ({"unsigned_days": 8}, {"unsigned note": []}),
        ({"screen_before_stage": 7}, {"not screened": []}),
        ({"screen_before_stage": 3}, {"not screened": [1, 1, 7]}),
    ],
)
def test_attention_thresholds_are_parameters(settings, expected):
    result = attention.attention_list(**EVERYTHING, today=NOW, **settings)
    for kind, case_ids in expected.items():
        assert result.loc[result["kind"] == kind, "case_id"].tolist() == case_ids


def test_attention_list_of_nothing_is_empty_with_columns():
    result = attention.attention_list(**inputs(), today=NOW)
    assert result.empty
    assert list(result.columns) == ["priority", "kind", "case_id", "client_name", "detail", "link"]
