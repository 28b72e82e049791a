from datetime import date

import streamlit as st

from casebook import cases, homework
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
    ("due_this_week", "Due this week (today to 7 days ahead)", "Nothing due this week."),
    (
        "awaiting_review",
        # A supervisor reads and reviews nothing: it is the counsellors' review.
        "Completed, awaiting your review"
        if user.role == "counsellor"
        else "Completed, awaiting the counsellor's review",
        "Nothing to review.",
    ),
)


def when(a: homework.AssignmentView) -> str:
    """How the worksheet stands in time: late by, due when, or (awaiting review) completed when."""
    if a.status == "completed" and a.completed_on is not None:
        return f"completed {a.completed_on:%d %b %Y}"
    late = (today - a.due_on).days
    if a.overdue(today):
        return f"{late} day{'s' if late != 1 else ''} late"
    return {0: "due today", -1: "due tomorrow"}.get(late, f"due {a.due_on:%d %b %Y}")


shown = {key: common.shown_count(f"homework_{key}") for key, _, _ in LISTS}
work = homework.caseload_homework(db, user, limits=shown)
# A supervisor's lists span every caseload: each line says whose it is.
counsellors = (
    cases.counsellor_names(db, user, [a.case_id for key, _, _ in LISTS for a in getattr(work, key)])
    if user.role == "supervisor"
    else {}
)

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
        whose = f" · {common.md(counsellors[a.case_id])}" if counsellors else ""
        row[1].caption(f"Case #{a.case_id} · stage {a.stage}{whose}")
        row[2].caption(when(a))
    common.show_more(f"homework_{key}", total)
