from datetime import date

import pandas as pd
import streamlit as st

from analysis import charts, homework_stats, progress, timeline
from analysis import measures as scoring
from casebook import cases, documents, homework, measures, notes
from pages import common, widgets
from worksheets.stages import stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

case_id = common.query_id("case", title="Progress", hint="Open progress from a case.")
case = common.attempt(lambda: cases.get_case(db, user, case_id))
if case is None:
    st.stop()
names = {c.id: c.name for c in case.clients}
today = date.today()
can_write = common.owns_case(user, case)

st.page_link(
    "pages/case.py",
    label=f"Case #{case.id}",
    icon=":material/arrow_back:",
    query_params={"case": case.id},
)
st.title(f"Progress · {common.md(case.label)}")
common.show_flash()


def as_table(frame: pd.DataFrame, label: str = "As a table") -> None:
    with st.expander(label):
        st.dataframe(frame, hide_index=True, width="stretch", placeholder="—")  # not "None"


# --- stages ----------------------------------------------------------------------------------
# A closed case's clients stood at their last stage until it closed, not to this day.
until = case.closed_on or today
moves = pd.DataFrame(
    [(c.id, m.stage, m.moved_on) for c in case.clients for m in c.history],
    columns=["client_id", "stage", "moved_on"],
)
stays = timeline.stage_timeline(moves, until)
steps = pd.DataFrame(
    [(c.id, names[c.id], m.moved_on, m.stage) for c in case.clients for m in c.history]
    + [(c.id, c.name, until, c.stage) for c in case.clients],
    columns=["client_id", "client_name", "date", "stage"],
)
st.plotly_chart(charts.stage_journey(steps, [s.name for s in stages()]), width="stretch")
as_table(
    pd.DataFrame(
        {
            "Client": stays["client_id"].map(names),
            "Stage": stays["stage"].map(common.stage_label),
            "Entered": stays["entered"],
            "Left": stays["left"],  # none yet for the stage a client is at: a dash
            "Days": stays["days"],
            "Moved back": stays["moved_back"].map({True: "yes", False: ""}),
        }
    )
)

# --- measures --------------------------------------------------------------------------------
st.subheader("Measures", anchor=False)
every = measures.definitions(db)
scores = measures.scores_for_case(db, user, case.id)
if left_out := measures.unreadable(scores, every):
    st.warning(left_out, icon=":material/warning:")
    scores = [s for s in scores if s.measure_id in every]
if not scores:
    st.caption("No scores recorded yet.")
# A measure's versions may differ in items and range: each is charted and compared apart.
for measure_id in dict.fromkeys(s.measure_id for s in scores):
    mine = [s for s in scores if s.measure_id == measure_id]
    definition = every[measure_id]
    m = definition.measure
    versions = {s.measure_id for s in scores if s.measure_key == definition.key}
    name = m.name + (f" (version {definition.version})" if len(versions) > 1 else "")
    frame = pd.DataFrame(
        [(s.client_id, s.scored_on, s.total) for s in mine],
        columns=progress.SCORE_COLUMNS,
    )
    summary = progress.progress(frame, m)
    baseline = dict(zip(summary["client_id"], summary["baseline"], strict=True))
    frame["client_name"] = frame["client_id"].map(names)
    frame["reliable"] = [
        abs(scoring.reliable_change_index(baseline[c], t, m.sd, m.reliability)) > scoring.RELIABLE_Z
        for c, t in zip(frame["client_id"], frame["total"], strict=True)
    ]
    st.plotly_chart(
        charts.measure_trend(
            frame,
            measure_name=name,
            cutoff=m.cutoff,
            higher_is_better=m.higher_is_better,
            total_range=definition.total_range,
        ),
        width="stretch",
    )
    points = scoring.smallest_reliable_change(m.sd, m.reliability)
    st.caption(
        f"Reliable change (Jacobson & Truax) needs a change of at least "
        f"{points} {'point' if points == 1 else 'points'} (more than "
        f"{scoring.min_reliable_change(m.sd, m.reliability):.2f}; SD {m.sd:g}, reliability "
        f"{m.reliability:g}); stars mark scores that differ reliably from the client's first."
    )
    low, high = definition.total_range
    if points > high - low:  # every client "unchanged", whatever their scores
        st.warning(
            f"No change on this measure can be reliable: its totals run from {low} to {high}, "
            f"{high - low} points apart. Its SD or reliability is likely mistyped; an admin "
            "sets them under Settings.",
            icon=":material/warning:",
        )
    st.dataframe(
        pd.DataFrame(
            {
                "Client": summary["client_id"].map(names),
                "First": summary["baseline"],
                "Latest": summary["latest"],
                "Change": summary["change"],
                # A first score has no change to measure: a dash, not "None".
                "RCI": summary["rci"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}"),
                "Category": summary["category"]
                .str.capitalize()
                .where(summary["n"] > 1, "First score only"),
                "Scores": summary["n"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if len(case.clients) == 2:
        gap = progress.partner_gap(frame[progress.SCORE_COLUMNS], tuple(c.id for c in case.clients))
        a, b = (c.name for c in case.clients)
        if a == b:  # partners of one name: a table's columns need two
            a, b = f"{a} (1)", f"{b} (2)"
        with st.expander("The gap between partners over time"):
            st.dataframe(
                pd.DataFrame(
                    {
                        "Date": gap["on"].map(lambda d: f"{d:%d %b %Y}"),
                        # Until both have a score there is no gap: a dash, not "None".
                        **{
                            title: gap[column].map(lambda v: "—" if pd.isna(v) else f"{v:g}")
                            for title, column in ((a, "a_total"), (b, "b_total"), ("Gap", "gap"))
                        },
                    }
                ),
                hide_index=True,
                width="stretch",
            )
    # Every score with its answers item by item, as recorded. An item called "client", "date"
    # or "total" is named as an item, or its answers would take that column's place.
    fixed = ("Client", "Date", "Total", "Reliably different from the first")
    titles = {
        item.id: (f"Item {item.id}" if item.id.capitalize() in fixed else item.id.capitalize())
        for item in m.items
    }
    as_table(
        pd.DataFrame(
            [
                {
                    "Client": names[s.client_id],
                    "Date": s.scored_on,
                    **{titles[item.id]: s.answers.get(item.id) for item in m.items},
                    "Total": s.total,
                    "Reliably different from the first": "yes" if reliable else "",
                }
                for s, reliable in zip(mine, frame["reliable"], strict=True)
            ]
        ),
        # Named: it follows the partners' gap, not the chart, and holds more than the chart.
        "Every score, item by item",
    )

if can_write and case.status == "open":
    current = measures.current_measures(db)
    with st.expander("Record a score", expanded=not scores):
        who = st.radio(
            "Client",
            [c.id for c in case.clients],
            horizontal=True,
            key=f"score_who_{case.id}",
            format_func=lambda i: common.md(names[i]),  # a name shows as typed
        )
        measure_id = st.selectbox(
            "Measure",
            list(current),
            key=f"score_measure_{case.id}",
            format_func=lambda i: current[i].name,
        )
        definition = current[measure_id]
        with st.form(f"score_{case.id}"):
            answers = {}
            for item in definition.measure.items:
                labels = definition.labels.get(item.id) or ()
                answers[item.id] = st.radio(
                    common.md(item.text),
                    list(range(item.low, item.high + 1)),
                    index=None,
                    horizontal=True,
                    key=f"score_{case.id}_{item.id}",
                    format_func=lambda v, lb=labels, lo=item.low: (
                        f"{v} · {common.md(lb[v - lo])}" if lb else str(v)
                    ),
                )
            on = st.date_input(
                "Date",
                value=today,
                max_value=today,
                key=f"score_date_{case.id}",
                format="DD/MM/YYYY",
            )
            sessions = dict(notes.recent_sessions(db, user, case.id))
            note_id = common.choice(
                st,
                "From the session (optional)",
                [None, *sessions],
                key=f"score_note_{case.id}",
                format_func=lambda i: (  # with its time: partners seen apart on one day
                    "Not tied to a note" if i is None else f"{sessions[i]:%d %b %Y, %H:%M}"
                ),
            )
            if st.form_submit_button("Record score", type="primary"):
                given = {k: v for k, v in answers.items() if v is not None}
                made = common.attempt(
                    lambda: measures.record_score(
                        db, user, who, measure_id, given, scored_on=on, note_id=note_id
                    )
                )
                if made is not None:
                    common.reset_widgets(
                        {f"score_{case.id}_{item.id}": None for item in definition.measure.items}
                    )
                    # Partners are often scored one after the other: say whose it was.
                    common.flash(f"Recorded for {common.md(names[who])}: total {made.total}.")
                    st.rerun()
elif can_write:
    # The case was closed or archived (in another tab) while a score was entered: the form
    # is gone, and the answers would go with it without a word.
    entered = every.get(st.session_state.get(f"score_measure_{case.id}"))
    given = [
        f"{item.text}: {value}"
        for item in (entered.measure.items if entered else ())
        if (value := st.session_state.get(f"score_{case.id}_{item.id}")) is not None
    ]
    if given:
        again = "reopen" if case.status == "closed" else "restore"
        st.error(
            f"The score was not recorded: this case was {case.status} meanwhile. The answers "
            f"are below to copy; {again} the case to record them.",
            icon=":material/error:",
        )
        common.show_unsaved(["\n".join(given)])


def score_label(s: measures.ScoreView) -> str:
    return (
        f"{s.scored_on:%d %b %Y} · {names[s.client_id]} · {every[s.measure_id].measure.name} · "
        f"total {s.total}"
    )


if can_write and case.status != "archived" and scores:
    with st.expander("Strike out a score recorded in error"):
        st.caption(
            "A score recorded for the wrong client, on the wrong day or with a slip leaves every "
            "chart, change and report; it is kept below, with your reason."
        )
        by_id = {s.id: s for s in reversed(scores)}  # newest first
        chosen = st.selectbox(
            "Score",
            list(by_id),
            key=f"strike_which_{case.id}",
            format_func=lambda i: score_label(by_id[i]),
        )
        why = st.text_input(
            "Why it is struck out",
            key=f"strike_why_{case.id}",
            max_chars=500,
            placeholder="e.g. the partner's answers, recorded for the wrong client",
        )
        if common.confirmed(
            f"strike_{case.id}",
            "Strike out",
            f"Strike out {common.md(score_label(by_id[chosen]))}? It leaves every chart, change "
            "and report for good; it stays listed as struck out, with your reason.",
            yes="Yes, strike out",
        ):
            if common.attempt(lambda: measures.strike_score(db, user, chosen, why)):
                common.reset_widgets({f"strike_why_{case.id}": ""})
                common.flash(f"Struck out: {common.md(score_label(by_id[chosen]))}.")
                st.rerun()
struck = [s for s in measures.struck_for_case(db, user, case.id) if s.score.measure_id in every]
if struck:
    with st.expander(f"Struck out as recorded in error ({len(struck)})"):
        st.dataframe(
            pd.DataFrame(
                {
                    "Score": [score_label(s.score) for s in struck],
                    "Struck out": [f"{s.struck_at:%d %b %Y}" for s in struck],
                    "By": [s.struck_by for s in struck],
                    "Why": [s.reason for s in struck],
                }
            ),
            hide_index=True,
            width="stretch",
        )

# --- homework --------------------------------------------------------------------------------
st.subheader("Homework", anchor=False)
work = homework.for_case(db, user, case.id)
frame = pd.DataFrame(
    [(a.client_id, a.stage, a.due_on, a.completed_on, a.status) for a in work],
    columns=["client_id", "stage", "due_on", "completed_on", "status"],
)
done = homework_stats.completion(frame, until, by="client_id")  # not overdue after closing
done["client"] = done["client_id"].map(names)
st.plotly_chart(charts.homework_completion(done, "client"), width="stretch")
as_table(  # named as the chart's legend names them
    pd.DataFrame(
        {
            "Client": done["client"],
            "Assigned": done["assigned"],
            "On time": done["on_time"],
            "Late": done["late"],
            "Overdue": done["overdue"],
            "Not yet due": done["open"],
            "Completed": done["completion_rate"].map(lambda rate: f"{rate:.0%}"),
        }
    )
)

st.subheader("Progress report for the clients", anchor=False)
summary = st.text_area(
    "Your summary for the report",
    key=f"report_summary_{case.id}",
    height=90,
    max_chars=documents.SUMMARY_MAX,
)
widgets.pdf_download(
    "Progress report (PDF)",
    key=f"report_{case.id}",
    make=lambda: documents.progress(db, user, case.id, summary),
    made_from=(
        summary,
        case.version,
        [c.history for c in case.clients],
        [s.id for s in scores],
        [(a.id, a.status) for a in work],
    ),
)
