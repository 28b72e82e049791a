from dataclasses import asdict

import pandas as pd
import streamlit as st

from analysis import caseload, charts
from casebook import stage_history
from pages import common
from worksheets.stages import stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

st.title("Dashboard")
st.caption(
    "Your caseload" if user.role == "counsellor" else "Every counsellor's caseload (read-only)"
)

positions = pd.DataFrame(
    [asdict(p) for p in stage_history.current_positions(db, user)],
    columns=caseload.POSITION_COLUMNS,
)
counts = caseload.case_counts(positions)
a, b, c, d = st.columns(4)
a.metric("Open cases", counts["open_cases"])
b.metric("Individual", counts["individual"])
c.metric("Couple", counts["couple"])
d.metric("Clients in open cases", counts["clients"])

left, right = st.columns([3, 2], gap="large")
with left:
    by_stage = caseload.caseload_by_stage(positions, [s.name for s in stages()])
    if counts["clients"]:
        st.plotly_chart(charts.caseload_by_stage(by_stage), width="stretch")
        with st.expander("As a table"):
            st.dataframe(
                by_stage.rename(
                    columns={"stage": "Stage", "stage_name": "Name", "clients": "Clients"}
                ),
                hide_index=True,
                width="stretch",
            )
    else:
        st.info("No open cases yet. Open one from **New case**.", icon=":material/info:")

with right:
    st.subheader("Stage changes, last 30 days")
    moves = stage_history.recent_moves(db, user, days=30)
    if not moves:
        st.caption("No client changed stage in the last 30 days.")
    for move in moves:
        with st.container(border=True):
            st.page_link(
                "pages/case.py",
                label=f"**{common.md(move.client_name)}** · case #{move.case_id}",
                query_params={"case": move.case_id},
                icon=":material/arrow_forward:",
            )
            direction = "back to" if move.from_stage and move.to_stage < move.from_stage else "to"
            st.caption(
                f"{move.moved_on:%d %b %Y} · {common.stage_label(move.from_stage)} "
                f"{direction} {common.stage_label(move.to_stage)}"
                + (f" — {common.md(move.reason)}" if move.reason else "")
            )
