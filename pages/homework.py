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
today = date.today()

LISTS = (
    ("overdue", "Overdue", "Nothing overdue."),
    ("due_this_week", "Due in the next 7 days", "Nothing due this week."),
    (
        "awaiting_review",
        # A supervisor reads and reviews nothing: it is the counsellors' review.
        "Completed, awaiting your review"
        if user.role == "counsellor"
        else "Completed, awaiting the counsellor's review",
        "Nothing to review.",
    ),
)
shown = {key: common.shown_count(f"homework_{key}") for key, _, _ in LISTS}
work = homework.caseload_homework(db, user, limits=shown)

for key, title, empty in LISTS:
    items, total = getattr(work, key), work.totals[key]
    st.subheader(f"{title} ({total:,})", anchor=False)
    if not items:
        st.caption(empty)
    for a in items[: shown[key]]:
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
    common.show_more(f"homework_{key}", total)
