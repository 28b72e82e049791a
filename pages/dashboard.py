from dataclasses import asdict

import pandas as pd
import streamlit as st

from analysis import caseload, charts
from casebook import homework, notes, safety, stage_history
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
work = homework.caseload_homework(db, user)
a, b, c, d, e, f = st.columns(6)
a.metric("Open cases", counts["open_cases"])
b.metric("Individual", counts["individual"])
c.metric("Couple", counts["couple"])
d.metric("Due this week", len(work.due_this_week))
e.metric("Overdue", len(work.overdue))
f.metric("Awaiting review", len(work.awaiting_review))

flags = safety.flagged_clients(db, user)
for flag in flags:
    with st.container(border=True):
        st.page_link(
            "pages/case.py",
            label=f"Safety flag: **{common.md(flag.client_name)}** · case "
            f"#{flag.case_id} (screened {flag.last_screened:%d %b %Y})",
            query_params={"case": flag.case_id},
            icon=":material/shield:",
        )
unscreened = safety.unscreened_before_contact(db, user)
if unscreened:
    with st.expander(f"Not yet screened for safety, at stage 3 or later ({len(unscreened)})"):
        for item in unscreened:
            st.page_link(
                "pages/case.py",
                label=f"{common.md(item.client_name)} · case #{item.case_id}",
                query_params={"case": item.case_id},
            )

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
    upcoming = notes.upcoming_sessions(db, user)
    quiet = notes.cases_without_session(db, user)
    unsigned = notes.unsigned_notes(db, user)
    st.subheader("Sessions", anchor=False)
    if not (upcoming or quiet or unsigned):
        st.caption("No sessions booked in the next 14 days, no quiet cases, no old drafts.")
    for item in upcoming:
        st.page_link(
            "pages/case.py",
            query_params={"case": item.case_id},
            icon=":material/event:",
            label=f"{item.on:%a %d %b} · {common.md(item.label)}",
        )
    for item in unsigned:
        st.page_link(
            "pages/note.py",
            query_params={"note": item.note_id},
            icon=":material/edit_note:",
            label=f"Unsigned note from {item.session_at:%d %b} · case #{item.case_id}",
        )
    if quiet:
        with st.expander(f"No session in 30 days ({len(quiet)})"):
            for item in quiet:
                st.page_link(
                    "pages/case.py",
                    query_params={"case": item.case_id},
                    label=f"{common.md(item.label)} · last {item.on:%d %b %Y}",
                )
    st.subheader("Recent stage changes", anchor=False)
    st.caption("The last 30 days")
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
