from datetime import date

import streamlit as st

from casebook import homework
from pages import common

user = common.require_user("counsellor", "supervisor")
db = common.database()

st.title("Homework")
st.caption(
    "Worksheets across your open cases."
    if user.role == "counsellor"
    else "Worksheets across every open case (read-only)."
)
work = homework.caseload_homework(db, user)
today = date.today()

STEP = 25  # rows shown at first, and added by each "Show more"

for key, title, items, empty in (
    ("overdue", "Overdue", work.overdue, "Nothing overdue."),
    ("week", "Due in the next 7 days", work.due_this_week, "Nothing due this week."),
    ("review", "Completed, awaiting your review", work.awaiting_review, "Nothing to review."),
):
    st.subheader(f"{title} ({len(items)})", anchor=False)
    if not items:
        st.caption(empty)
    shown_key = f"homework_shown_{key}"
    shown = st.session_state.get(shown_key, STEP)
    for a in items[:shown]:
        row = st.columns([4, 3, 2], vertical_alignment="center")
        row[0].page_link(
            "pages/assignment.py",
            label=f"{common.md(a.template_title)} · {common.md(a.client_name)}",
            query_params={"assignment": a.id},
            icon=":material/assignment:",
        )
        row[1].caption(f"Case #{a.case_id} · stage {a.stage}")
        late = (today - a.due_on).days
        row[2].caption(
            f"{late} day{'s' if late != 1 else ''} late"
            if a.overdue(today)
            else f"due {a.due_on:%d %b %Y}"
        )
    if len(items) > shown:
        more = min(STEP, len(items) - shown)
        if st.button(f"Show {more} more of {len(items) - shown}", key=f"homework_more_{key}"):
            st.session_state[shown_key] = shown + STEP
            st.rerun()
