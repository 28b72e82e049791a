from datetime import date, timedelta

import pandas as pd
import streamlit as st

from analysis import caseload, charts, timeline
from casebook import cases, stage_history
from pages import common
from worksheets.stages import stages

user = common.require_user("supervisor")
db = common.database()

st.title("Practice")
st.caption("Every counsellor's caseload, read-only.")
summary = cases.practice_summary(db, user)
names = [s.name for s in stages()]
per_counsellor = pd.DataFrame(
    [vars(load) for load in summary.per_counsellor],
    columns=["counsellor", "open_cases", "clients"],
)
a, b, c, d = st.columns(4)
a.metric("Open cases", f"{summary.open_cases:,}")
b.metric("Counsellors with open cases", f"{len(per_counsellor):,}")
c.metric("Closed cases", f"{summary.closed_cases:,}")
d.metric("Archived cases", f"{summary.archived_cases:,}")

left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(
        charts.counts_bar(
            per_counsellor, "counsellor", "open_cases", "Open cases per counsellor", "Counsellor"
        ),
        width="stretch",
    )
    with st.expander("As a table"):
        st.dataframe(
            per_counsellor.rename(
                columns={
                    "counsellor": "Counsellor",
                    "open_cases": "Open cases",
                    "clients": "Clients",
                }
            ),
            hide_index=True,
            width="stretch",
        )
with right:
    outcomes = pd.DataFrame(
        {
            "outcome": [o.capitalize() for o in summary.outcomes],
            "cases": list(summary.outcomes.values()),
        }
    )
    st.plotly_chart(
        charts.counts_bar(
            outcomes, "outcome", "cases", "Outcomes of closed cases, archived included", "Outcome"
        ),
        width="stretch",
    )
    with st.expander("As a table"):
        st.dataframe(
            outcomes.rename(columns={"outcome": "Outcome", "cases": "Cases"}),
            hide_index=True,
            width="stretch",
        )

st.subheader("Clients by stage", anchor=False)
on = st.date_input(
    "On",
    value=date.today(),
    max_value=date.today(),
    min_value=date.today() - timedelta(days=3650),
    key="practice_on",
    format="DD/MM/YYYY",
)
if on == date.today():
    by_stage = caseload.stage_table(stage_history.open_clients_by_stage(db, user), names)
else:
    moves = pd.DataFrame(
        stage_history.all_moves(db, user, open_then=on),
        columns=["client_id", "stage", "moved_on"],
    )
    funnel = timeline.funnel_at(moves, on, len(names))
    by_stage = funnel.assign(stage_name=names)[["stage", "stage_name", "clients"]]
if by_stage["clients"].sum():
    st.plotly_chart(charts.caseload_by_stage(by_stage), width="stretch")
    with st.expander("As a table"):
        st.dataframe(
            by_stage.rename(columns={"stage": "Stage", "stage_name": "Name", "clients": "Clients"}),
            hide_index=True,
            width="stretch",
        )
else:
    st.info(
        f"No client was in an open case on {on:%d %b %Y}. Cases appear here as counsellors "
        "open them.",
        icon=":material/info:",
    )
