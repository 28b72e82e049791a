from datetime import date, timedelta

import streamlit as st

from casebook import documents
from pages import common

user = common.require_user("counsellor")
db = common.database()

st.title("Handouts")
st.caption(
    "Every handout for the sessions of a day or a week, as one PDF to print: each session's "
    "after-session sheet and the worksheets open for the clients who came."
)
# One handout is printed where its subject is, which this page would otherwise keep to itself.
st.caption(
    "One at a time: a worksheet from its page, a stage guide from the case's Stages tab (What "
    "this stage asks of the client), a progress report from Progress charts, and an "
    "after-session sheet or the note itself from the session's note."
)
span = st.radio(
    "For",
    ["day", "week"],
    horizontal=True,
    key="batch_span",
    format_func=lambda s: "One day" if s == "day" else "A week",
)
if span == "week":
    # The week that ends on the day chosen: notes are written for sessions held, never ahead,
    # so a week from today held only today's sessions and "this week" had to be counted back.
    end = st.date_input("Week ending", value=date.today(), key="batch_end", format="DD/MM/YYYY")
    start = end - timedelta(days=6)
else:
    start = end = st.date_input("Day", value=date.today(), key="batch_start", format="DD/MM/YYYY")
sessions = common.attempt(lambda: documents.sessions_between(db, user, start, end)) or []
when = f"on {start:%a %d %b %Y}" if span == "day" else f"from {start:%a %d %b} to {end:%a %d %b %Y}"
if sessions:
    st.caption(f"{len(sessions)} session{'s' if len(sessions) != 1 else ''} {when}.")
else:
    st.info(
        f"No session notes {when}. The handouts are made from each session's note: write the "
        f"notes of the sessions first, or choose another {span}.",
        icon=":material/info:",
    )
if sessions and st.button(
    "Make the handouts", type="primary", key="batch_make", icon=":material/print:"
):
    bar = st.progress(0.0, text="Preparing…")
    doc = common.attempt(
        lambda: documents.batch_for(
            db,
            user,
            start,
            end,
            lambda done, total: bar.progress(done / total, text=f"{done} of {total} documents"),
        )
    )
    if doc is not None:
        st.session_state["batch_pdf"] = (start, end, doc)
kept_start, kept_end, doc = st.session_state.get("batch_pdf", (None, None, None))
if doc is not None and (kept_start, kept_end) == (start, end):  # not another day's PDF
    st.download_button(
        f"Download {doc.file_name}",
        doc.pdf,
        file_name=doc.file_name,
        mime="application/pdf",
        key="batch_download",
        on_click="ignore",
        icon=":material/download:",
    )
