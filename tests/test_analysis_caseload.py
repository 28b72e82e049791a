import pandas as pd
from pandas.testing import assert_frame_equal

from analysis import caseload, charts

NAMES = ["One", "Two", "Three"]


def positions(rows):
    return pd.DataFrame(rows, columns=caseload.POSITION_COLUMNS)


FRAME = positions(
    [
        (1, 10, "Ana", 1, None, "open", True),
        (1, 11, "Ben", 3, None, "open", True),
        (2, 20, "Cy", 3, None, "open", False),
        (3, 30, "Di", 2, None, "closed", False),
        (4, 40, "Ed", 2, None, "archived", False),
    ]
)


def test_caseload_by_stage_counts_open_clients_and_lists_every_stage():
    expected = pd.DataFrame({"stage": [1, 2, 3], "stage_name": NAMES, "clients": [1, 0, 2]})
    assert_frame_equal(caseload.caseload_by_stage(FRAME, NAMES), expected)


def test_caseload_by_stage_of_nothing_is_all_zero():
    result = caseload.caseload_by_stage(positions([]), NAMES)
    assert result["clients"].tolist() == [0, 0, 0]


def test_case_counts():
    assert caseload.case_counts(FRAME) == {
        "open_cases": 2,
        "individual": 1,
        "couple": 1,
        "clients": 3,
    }
    assert caseload.case_counts(positions([])) == {
        "open_cases": 0,
        "individual": 0,
        "couple": 0,
        "clients": 0,
    }


def test_stage_chart_is_labelled_with_stage_names_in_order():
    fig = charts.caseload_by_stage(caseload.caseload_by_stage(FRAME, NAMES))
    assert list(fig.data[0].y) == ["1. One", "2. Two", "3. Three"]
    assert list(fig.data[0].x) == [1, 0, 2]
    assert fig.layout.title.text == "Clients by stage (open cases)"
    assert fig.layout.xaxis.title.text == "Clients"


def test_count_charts_tick_every_count_when_small_and_leave_spacing_to_plotly_when_large():
    small = charts.caseload_by_stage(caseload.caseload_by_stage(FRAME, NAMES))
    assert small.layout.xaxis.dtick == 1
    large = pd.DataFrame({"stage": [1, 2], "stage_name": ["One", "Two"], "clients": [143, 689]})
    assert charts.caseload_by_stage(large).layout.xaxis.dtick is None
    per_counsellor = pd.DataFrame({"counsellor": ["A", "B"], "cases": [40, 47]})
    bars = charts.counts_bar(per_counsellor, "counsellor", "cases", "Open cases", "Counsellor")
    assert bars.layout.yaxis.dtick is None
    assert bars.layout.yaxis.tickformat == ",d"  # never a tick at 2.5 cases
    assert bars.data[0].cliponaxis is False  # the tallest bar's number is not cut off


def test_stages_over_time_draws_partners_of_one_name_apart_and_a_new_case_over_days():
    today = pd.Timestamp("2026-11-27")
    steps = pd.DataFrame(
        [(1, "Li Lei", today, 1), (2, "Li Lei", today, 2)],
        columns=["client_id", "client_name", "date", "stage"],
    )
    fig = charts.stage_journey(steps, NAMES)
    assert [list(t.customdata) for t in fig.data] == [[1], [2]]  # two lines, not one
    assert [round(t.y[0]) for t in fig.data] == [1, 2]
    low, high = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert high - low == pd.Timedelta(days=6)  # not a range of no time at all


def test_partners_at_one_stage_are_both_seen():
    today = pd.Timestamp("2026-11-27")
    steps = pd.DataFrame(
        [(1, "Ana", today, 1), (2, "Ben", today, 1)],
        columns=["client_id", "client_name", "date", "stage"],
    )
    fig = charts.stage_journey(steps, NAMES)
    ana, ben = (t.y[0] for t in fig.data)
    assert ana != ben and abs(ana - 1) < 0.1 and abs(ben - 1) < 0.1  # side by side, not hidden
    assert "stage %{customdata}" in fig.data[0].hovertemplate  # the hover says stage 1


def test_measure_trends_draw_partners_of_one_name_apart():
    on = pd.Timestamp("2026-11-27")
    scores = pd.DataFrame(
        [(1, "Li Lei", on, 4, False), (2, "Li Lei", on, 18, False)],
        columns=["client_id", "client_name", "scored_on", "total", "reliable"],
    )
    fig = charts.measure_trend(
        scores, measure_name="CSI-4", cutoff=13.5, higher_is_better=True, total_range=(0, 21)
    )
    assert [list(t.y) for t in fig.data] == [[4], [18]]  # two lines, not one from 4 to 18


def test_a_first_score_is_charted_over_days_not_milliseconds():
    on = pd.Timestamp("2026-11-27")
    scores = pd.DataFrame(
        [(1, "Mei Lin", on, 10, False), (2, "Ana", on, 12, False)],
        columns=["client_id", "client_name", "scored_on", "total", "reliable"],
    )
    fig = charts.measure_trend(
        scores, measure_name="CSI-4", cutoff=13.5, higher_is_better=True, total_range=(0, 21)
    )
    low, high = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert high - low == pd.Timedelta(days=6)
