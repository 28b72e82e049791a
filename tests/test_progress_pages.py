"""Progress, before-the-session and practice pages through AppTest, and the attention list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casebook import attention, audit, cases, homework, measures, notes
from pages.common import md
from tests.test_pages import actor, demo, shown  # noqa: F401 - the demo fixture
from tests.test_worksheet_pages import open_as


def _case(db, username, name):
    return cases.list_cases(db, actor(db, username), search=name)[0]


def test_progress_shows_stages_measures_and_homework_with_tables(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # stages, CSI-4, homework
    summary = next(d.value for d in at.dataframe if "Category" in d.value.columns)
    assert dict(zip(summary["Client"], summary["Category"], strict=True)) == {
        "Sam O'Connor": "Recovered",
        "Taylor O'Connor": "Unchanged",
    }
    said = "Reliable change (Jacobson & Truax) needs a change of at least 5 points (more than 4.83"
    assert said in shown(at)


def test_every_score_is_tabled_with_its_answers_item_by_item(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    scores = measures.scores_for_case(demo, actor(demo, "morgan"), case.id)
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    table = next(d.value for d in at.dataframe if "Total" in d.value.columns)
    names = {c.id: c.name for c in case.clients}
    assert list(table.columns[:2]) == ["Client", "Date"]
    # Named for what it holds: after the partners' gap, "As a table" read as the gap's.
    labels = [e.label for e in at.expander]
    assert labels.index("Every score, item by item") > labels.index(
        "The gap between partners over time"
    )
    assert list(table["Total"]) == [s.total for s in scores]
    assert list(table["Client"]) == [names[s.client_id] for s in scores]
    assert list(table["Happiness"]) == [s.answers["happiness"] for s in scores]
    assert set(table["Reliably different from the first"]) <= {"yes", ""}


def test_items_called_client_date_or_total_keep_the_table_whole(demo):  # noqa: F811
    # An item "client" put its answers in place of the clients' names.
    from datetime import date

    from tests.test_measures import CUSTOM

    text = CUSTOM.replace('id = "low"', 'id = "client"').replace('id = "calm"', 'id = "total"')
    mood = measures.save_custom(demo, actor(demo, "admin"), text)
    case = _case(demo, "morgan", "Mei Lin")
    answers = {"client": 4, "total": 1}
    measures.record_score(
        demo, actor(demo, "morgan"), case.clients[0].id, mood, answers, scored_on=date.today()
    )
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    table = next(d.value for d in at.dataframe if "Item client" in d.value.columns)
    assert table.iloc[0][["Client", "Item client", "Item total", "Total"]].tolist() == [
        "Mei Lin",
        4,
        1,
        8,
    ]


def test_recording_a_score_on_the_progress_page(demo):  # noqa: F811
    case = _case(demo, "morgan", "Mei Lin")
    morgan = actor(demo, "morgan")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    for item, value in {"happiness": 2, "warm": 2, "rewarding": 1, "satisfied": 1}.items():
        at.radio(key=f"score_{case.id}_{item}").set_value(value)
    at.button(key=f"FormSubmitter:score_{case.id}-Record score").click().run()
    [score] = measures.scores_for_case(demo, morgan, case.id)
    assert score.total == 6
    # A first score has no change to measure yet; the current stage has not been left.
    for table in at.dataframe:  # a missing value shows as "None" but for a placeholder
        assert table.proto.placeholder or not table.value.isna().any().any(), table.value
    summary = next(d.value for d in at.dataframe if "RCI" in d.value.columns)
    assert list(summary["RCI"]) == ["—"]
    assert list(summary["Category"]) == ["First score only"]  # not "Unchanged"
    at = open_as(demo, "morgan", "pages/session_prep.py", case=case.id)
    assert "The first score: no change to measure yet." in shown(at)
    assert "unchanged" not in shown(at)


def test_a_score_recorded_in_error_is_struck_out_on_the_progress_page(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    morgan = actor(demo, "morgan")
    before = measures.scores_for_case(demo, morgan, case.id)
    slip = before[-1]
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    assert at.selectbox(key=f"strike_which_{case.id}").value == slip.id  # the newest first
    at.button(key=f"strike_{case.id}").click().run()
    assert at.button(key=f"strike_{case.id}_yes")  # asked first
    at.button(key=f"strike_{case.id}_yes").click().run()
    assert "struck out is required" in " ".join(e.value for e in at.error)
    assert len(measures.scores_for_case(demo, morgan, case.id)) == len(before)
    at.text_input(key=f"strike_why_{case.id}").input("Taylor's answers, recorded for Sam")
    at.button(key=f"strike_{case.id}").click().run()
    at.button(key=f"strike_{case.id}_yes").click().run()
    assert [s.id for s in measures.scores_for_case(demo, morgan, case.id)] == [
        s.id for s in before[:-1]
    ]
    assert "Struck out:" in shown(at)
    assert at.text_input(key=f"strike_why_{case.id}").value == ""  # a fresh form
    table = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert list(table["Why"]) == ["Taylor's answers, recorded for Sam"]
    assert list(table["By"]) == ["Morgan Ellis"]
    # A supervisor reads the struck-out list too, and strikes nothing out.
    at = open_as(demo, "casey", "pages/progress.py", case=case.id)
    assert any("Why" in d.value.columns for d in at.dataframe)
    assert not [b for b in at.button if b.key == f"strike_{case.id}"]


def test_a_score_is_tied_to_a_recent_session_without_reading_the_notes(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    admin = actor(demo, "admin")
    listed_before = len(audit.entries(demo, admin, action="notes_list"))
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    # Dates are not the notes: opening the page records no listing of the case's notes.
    assert len(audit.entries(demo, admin, action="notes_list")) == listed_before
    latest = notes.notes_for_case(demo, actor(demo, "morgan"), case.id)[:10]
    assert at.selectbox(key=f"score_note_{case.id}").options == [
        "Not tied to a note",
        *(f"{n.session_at:%d %b %Y, %H:%M}" for n in latest),
    ]


def test_sessions_on_one_day_are_told_apart_when_a_score_is_tied_to_one(demo):  # noqa: F811
    # Partners seen separately on one day had two notes named "24 Oct 2026" alike.
    from datetime import datetime, time

    morgan = actor(demo, "morgan")
    case = _case(demo, "morgan", "Mei Lin")
    day = date.today() - timedelta(days=1)
    for hour in (10, 11):
        notes.create_draft(
            demo,
            morgan,
            case.id,
            session_at=datetime.combine(day, time(hour)),
            attendance="one",
            attendees=[case.clients[0].id],
            note_format="SOAP",
        )
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    assert at.selectbox(key=f"score_note_{case.id}").options[1:3] == [
        f"{day:%d %b %Y}, 11:00",
        f"{day:%d %b %Y}, 10:00",
    ]


def test_a_missing_item_is_refused_and_the_answers_stay(demo):  # noqa: F811
    case = _case(demo, "morgan", "Mei Lin")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    at.radio(key=f"score_{case.id}_happiness").set_value(4)
    at.button(key=f"FormSubmitter:score_{case.id}-Record score").click().run()
    assert any("warm" in e.value for e in at.error)
    assert at.radio(key=f"score_{case.id}_happiness").value == 4
    assert measures.scores_for_case(demo, actor(demo, "morgan"), case.id) == []


def test_a_score_dated_before_the_case_opened_is_refused_and_the_answers_stay(demo):  # noqa: F811
    case = _case(demo, "morgan", "Mei Lin")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    for item, value in {"happiness": 4, "warm": 2, "rewarding": 1, "satisfied": 1}.items():
        at.radio(key=f"score_{case.id}_{item}").set_value(value)
    at.date_input(key=f"score_date_{case.id}").set_value(case.opened_on - timedelta(days=1))
    at.button(key=f"FormSubmitter:score_{case.id}-Record score").click().run()
    said = f"Date of the score cannot be before the case opened on {case.opened_on:%d %b %Y}."
    said += " If it began earlier, change its opening date under Details first."
    assert [e.value.replace("\\", "") for e in at.error] == [said]
    assert at.radio(key=f"score_{case.id}_happiness").value == 4
    assert at.date_input(key=f"score_date_{case.id}").value == case.opened_on - timedelta(days=1)
    assert measures.scores_for_case(demo, actor(demo, "morgan"), case.id) == []


def test_empty_progress_has_sensible_empty_states(demo):  # noqa: F811
    case = _case(demo, "morgan", "Mei Lin")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    assert "No scores recorded yet." in shown(at)
    assert len(at.get("plotly_chart")) == 2  # stages, and an empty homework chart


def test_before_the_session_on_one_screen(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    at = open_as(demo, "morgan", "pages/session_prep.py", case=case.id)
    text = shown(at)
    assert "Stage 7. Rekindle the romance" in text and "Stage 6. Rebuild trust" in text
    assert "Since the first score: **recovered**" in text
    assert "Continue the current worksheet" in " ".join(t.value for t in at.text)
    # Each worksheet opens from here, and one completed says it waits for the review.
    work = {a.client_name: a for a in homework.for_case(demo, actor(demo, "morgan"), case.id)}
    links = {e.proto.label: (e.proto.page, e.proto.query_string) for e in at.get("page_link")}
    for name, state in (
        ("Taylor O'Connor", "overdue"),
        ("Sam O'Connor", "completed, awaiting review"),
    ):
        a = work[name]
        label = md(f"Trust plan · {name} · due {a.due_on:%d %b %Y} · {state}")
        assert links[label] == ("assignment", f"assignment={a.id}")
    # What was shown of the notes is what the audit trail says was viewed: the last note.
    [last] = notes.recent_sessions(demo, actor(demo, "morgan"), case.id, limit=1)
    seen = audit.entries(demo, actor(demo, "admin"), username="morgan")
    assert [e.detail for e in seen if e.action == "note_view"] == [f"#{last[0]}"]
    assert "notes_list" not in {e.action for e in seen}


def test_practice_view_for_supervisors(demo):  # noqa: F811
    at = open_as(demo, "casey", "pages/practice.py")
    assert len(at.get("plotly_chart")) == 3
    metrics = {m.label: m.value for m in at.metric}
    open_cases = cases.list_cases(demo, actor(demo, "casey"), status="open")
    assert metrics["Open cases"] == str(len(open_cases))
    outcomes = next(d.value for d in at.dataframe if "Outcome" in d.value.columns)
    assert outcomes.set_index("Outcome").loc["Reconciled", "Cases"] == 1


def test_tables_under_the_charts_are_headed_in_words(demo):  # noqa: F811
    # They were headed as the code names its columns: "open_cases", "stage_name", and under
    # the homework chart "open" for what the chart calls "Not yet due" and a completion_rate
    # of 1 or 0.
    at = open_as(demo, "casey", "pages/practice.py")
    headings = [list(d.value.columns) for d in at.dataframe]
    assert ["Counsellor", "Open cases", "Clients"] in headings
    assert ["Outcome", "Cases"] in headings
    assert ["Stage", "Name", "Clients"] in headings
    case = _case(demo, "morgan", "Sam O")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    done = next(d.value for d in at.dataframe if "Not yet due" in d.value.columns)
    assert list(done.columns) == [
        "Client",
        "Assigned",
        "On time",
        "Late",
        "Overdue",
        "Not yet due",
        "Completed",
    ]
    assert all(rate.endswith("%") for rate in done["Completed"])


@pytest.mark.parametrize("who", ["morgan", "riley"])
def test_counsellors_have_no_practice_view(demo, who):  # noqa: F811
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_as(demo, who, "pages/practice.py")


def test_attention_list_for_the_demo(demo):  # noqa: F811
    morgan = attention.for_actor(demo, actor(demo, "morgan"))
    assert morgan["priority"].is_monotonic_increasing
    kinds = set(morgan["kind"])
    assert {"reliable deterioration", "overdue homework", "unsigned note"} <= kinds
    assert "Priya Nair" in set(morgan[morgan["kind"] == "reliable deterioration"]["client_name"])
    riley = attention.for_actor(demo, actor(demo, "riley"))
    assert riley.iloc[0]["kind"] == "safety flag"
    assert riley.iloc[0]["client_name"] == "Jess Mensah"
    at = open_as(demo, "riley", "pages/dashboard.py")
    assert f"Needs attention ({len(riley)})" in shown(at)


def test_a_measure_whose_stored_definition_no_longer_reads_leaves_the_pages_working(demo):  # noqa: F811
    # As if saved by a newer Casebook sharing the server, or changed in the database: every
    # page that reads scores raised MeasureError as a traceback, the dashboard among them.
    from datetime import date

    from sqlalchemy import update

    from casebook import documents
    from casebook.models import MeasureDefinitionRow
    from tests.test_measures import CUSTOM

    case = _case(demo, "morgan", "Sam O")
    admin, morgan = actor(demo, "admin"), actor(demo, "morgan")
    mood = measures.save_custom(demo, admin, CUSTOM)
    for client in case.clients:
        measures.record_score(
            demo, morgan, client.id, mood, {"low": 5, "calm": 0}, scored_on=date.today()
        )
    with demo.write() as s:
        s.execute(
            update(MeasureDefinitionRow)
            .where(MeasureDefinitionRow.id == mood)
            .values(source=CUSTOM + "colour = 1\n")
        )
    assert mood not in measures.definitions(demo)
    said = (
        "2 scores on weekly_mood are not shown: that measure's stored definition cannot be "
        "read by this version of Casebook."
    )
    for page in ("pages/progress.py", "pages/session_prep.py"):
        at = open_as(demo, "morgan", page, case=case.id)
        assert any(said in w.value for w in at.warning), page
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    assert "Couples Satisfaction Index (CSI-4): totals over time" in " ".join(
        c.proto.spec for c in at.get("plotly_chart")
    )  # the other measures still show
    open_as(demo, "morgan", "pages/dashboard.py")
    attention.for_actor(demo, morgan)  # the attention list reads every client's change
    report, _ = documents.progress_report_data(demo, morgan, case.id)
    assert [m.name for m in report.measures] == ["Couples Satisfaction Index (CSI-4)"]


def test_partners_of_one_name_have_their_scores_and_gap_shown(demo):  # noqa: F811
    # The gap table had two columns of one name, which Streamlit refused with a traceback.
    from datetime import date

    from casebook.cases import ClientInput

    morgan = actor(demo, "morgan")
    case = cases.create_case(
        demo, morgan, [ClientInput("Li Lei"), ClientInput("Li Lei")], opened_on=date.today()
    )
    csi4 = next(i for i, d in measures.current_measures(demo).items() if d.key == "csi4")
    for client, happiness in zip(case.clients, (1, 5), strict=True):
        answers = {"happiness": happiness, "warm": 3, "rewarding": 3, "satisfied": 3}
        measures.record_score(demo, morgan, client.id, csi4, answers, scored_on=date.today())
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    gap = next(d.value for d in at.dataframe if "Gap" in d.value.columns)
    assert list(gap.columns) == ["Date", "Li Lei (1)", "Li Lei (2)", "Gap"]
    assert list(gap["Gap"]) == ["4"]


def test_the_gap_before_both_partners_have_a_score_is_a_dash_not_none(demo):  # noqa: F811
    case = _case(demo, "morgan", "Sam O")
    first = case.clients[0]
    csi4 = next(i for i, d in measures.current_measures(demo).items() if d.key == "csi4")
    answers = {"happiness": 3, "warm": 3, "rewarding": 3, "satisfied": 3}
    measures.record_score(
        demo, actor(demo, "morgan"), first.id, csi4, answers, scored_on=case.opened_on
    )
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    gap = next(d.value for d in at.dataframe if "Gap" in d.value.columns)
    assert not gap.isna().any().any()
    assert gap.iloc[0].tolist() == [f"{case.opened_on:%d %b %Y}", "12", "—", "—"]


def test_each_version_of_a_measure_is_charted_and_compared_apart(demo):  # noqa: F811
    from datetime import date, timedelta

    from tests.test_measures import CUSTOM

    case = _case(demo, "morgan", "Mei Lin")
    admin, morgan = actor(demo, "admin"), actor(demo, "morgan")
    v1 = measures.save_custom(demo, admin, CUSTOM)
    extra = '[[item]]\nid = "tense"\ntext = "How tense?"\nlow = 0\nhigh = 5\n'
    v2 = measures.save_custom(demo, admin, CUSTOM.replace("version = 1", "version = 2") + extra)
    mei = case.clients[0].id
    earlier = date.today() - timedelta(days=20)
    measures.record_score(demo, morgan, mei, v1, {"low": 1, "calm": 4}, scored_on=earlier)
    for score in ({"tense": 5}, {"tense": 4}):
        measures.record_score(
            demo, morgan, mei, v2, {"low": 1, "calm": 4} | score, scored_on=date.today()
        )
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert sum("Weekly mood (version 1)" in t for t in titles) == 1
    assert sum("Weekly mood (version 2)" in t for t in titles) == 1
    summaries = [d.value for d in at.dataframe if "Category" in d.value.columns]
    # Version 2: from 7 to 6, its own first score, not version 1's 2.
    assert [(s["First"].tolist(), s["Latest"].tolist()) for s in summaries][-1] == ([7], [6])


def test_a_closed_cases_stages_end_on_its_closing_day_not_today(demo):  # noqa: F811
    # The stage a client stood at when the case closed counted on to this day (230 days and
    # growing, for a case closed in July), and its line ran on to today on the chart.
    from casebook import library
    from casebook.models import Assignment

    morgan = actor(demo, "morgan")
    case = cases.list_cases(demo, morgan, status="closed")[0]
    with demo.write() as s:  # work still open at the closing, due the day after: not overdue
        s.add(
            Assignment(
                client_id=case.clients[0].id,
                template_id=library.list_templates(demo, morgan)[0].id,
                assigned_by=morgan.id,
                assigned_on=case.closed_on,
                due_on=case.closed_on + timedelta(days=1),
            )
        )
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    work = next(d.value for d in at.dataframe if "Not yet due" in d.value.columns)
    mine = work[work["Client"] == case.clients[0].name].iloc[0]
    assert (mine["Overdue"], mine["Not yet due"]) == (0, 1)
    stays = next(d.value for d in at.dataframe if "Days" in d.value.columns)
    for client in case.clients:
        last = stays[stays["Client"] == client.name].iloc[-1]
        assert last["Days"] == (case.closed_on - client.stage_since).days
    journey = at.get("plotly_chart")[0].proto.spec
    assert date.today().isoformat() not in journey
    assert case.closed_on.isoformat() in journey


def test_settings_that_make_reliable_change_unreachable_are_pointed_out(demo):  # noqa: F811
    # An SD typed as 15 for the CSI-4 (0 to 21) asked for a change of 30 points: every client
    # read "Unchanged" whatever their scores, and nothing said why.
    measures.save_params(demo, actor(demo, "admin"), {"csi4": {"sd": 15.0, "reliability": 0.5}})
    case = _case(demo, "morgan", "Sam O")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    said = " ".join(w.value for w in at.warning)
    assert "No change on this measure can be reliable: its totals run from 0 to 21" in said
    measures.save_params(demo, actor(demo, "admin"), {"csi4": {"sd": 4.5, "reliability": 0.85}})
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    assert not at.warning


def test_recording_a_score_names_each_partner_as_typed_and_whose_score_it_was(demo):  # noqa: F811
    # A name with Markdown in it showed altered in the choice of client, and "Recorded: total
    # 9." did not say for whom, in a couple scored one after the other.
    from pages.common import md

    morgan = actor(demo, "morgan")
    case = cases.create_case(
        demo, morgan, [cases.ClientInput("Ana *Vidal*"), cases.ClientInput("Ben <b>Vidal</b>")]
    )
    ben = case.clients[1].id
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    who = at.radio(key=f"score_who_{case.id}")
    assert who.options == [md("Ana *Vidal*"), md("Ben <b>Vidal</b>")]  # not Markdown
    who.set_value(ben).run()
    for item, value in {"happiness": 3, "warm": 2, "rewarding": 2, "satisfied": 2}.items():
        at.radio(key=f"score_{case.id}_{item}").set_value(value)
    at.button(key=f"FormSubmitter:score_{case.id}-Record score").click().run()
    assert [s.value for s in at.success] == [f"Recorded for {md('Ben <b>Vidal</b>')}: total 9."]
    [score] = measures.scores_for_case(demo, morgan, case.id)
    assert (score.client_id, score.total) == (ben, 9)


def test_a_score_entered_as_the_case_is_closed_elsewhere_is_shown_to_copy(demo):  # noqa: F811
    # The form went with the closing, and the answers with it: 'Record score' did nothing.
    case = _case(demo, "morgan", "Mei Lin")
    morgan = actor(demo, "morgan")
    at = open_as(demo, "morgan", "pages/progress.py", case=case.id)
    for item, value in {"happiness": 2, "warm": 2, "rewarding": 1, "satisfied": 1}.items():
        at.radio(key=f"score_{case.id}_{item}").set_value(value)
    cases.close_case(
        demo, morgan, case.id, case.version, outcome="paused", closed_on=date.today()
    )  # in another tab
    at.button(key=f"FormSubmitter:score_{case.id}-Record score").click().run()
    assert not at.exception and measures.scores_for_case(demo, morgan, case.id) == []
    assert any("not recorded: this case was closed" in e.value for e in at.error)
    [typed] = [c.value for c in at.code]
    assert typed.count("\n") == 3 and typed.endswith(": 1")
