from datetime import date

import streamlit as st

from analysis import measures as scoring
from casebook import cases, homework, measures, notes, safety
from pages import common
from worksheets.note_formats import formats
from worksheets.stages import stage

user = common.require_user("counsellor", "supervisor")
db = common.database()

case_id = common.query_id("case", title="Before the session", hint="Open it from a case.")
case = common.attempt(lambda: cases.get_case(db, user, case_id))
if case is None:
    st.stop()
today = date.today()

st.page_link(
    "pages/case.py",
    label=f"Case #{case.id}",
    icon=":material/arrow_back:",
    query_params={"case": case.id},
)
st.title(f"Before the session · {common.md(case.label)}")
if case.next_session_on and case.next_session_on >= today:
    st.caption(f"Booked for {case.next_session_on:%A %d %B %Y}")

status = safety.case_status(db, user, case.id)
for client in case.clients:
    if status[client.id].flagged:
        st.error(
            f"Safety flag: {common.md(client.name)}. No contact-oriented homework "
            "without a recorded override.",
            icon=":material/shield:",
        )
    elif not status[client.id].screened:
        st.warning(
            f"{common.md(client.name)} has not been screened for safety.", icon=":material/shield:"
        )

every = measures.definitions(db)
scores = measures.scores_for_case(db, user, case.id)
if left_out := measures.unreadable(scores, every):
    st.warning(left_out, icon=":material/warning:")
    scores = [s for s in scores if s.measure_id in every]
columns = st.columns(len(case.clients), gap="large")
for column, client in zip(columns, case.clients, strict=True):
    with column, st.container(border=True):
        st.subheader(common.md(client.name), anchor=False)
        days = (today - client.stage_since).days
        st.markdown(f"**Stage {common.stage_label(client.stage)}** · {days} days")
        st.caption(stage(client.stage).summary)
        mine = [s for s in scores if s.client_id == client.id]
        for key in dict.fromkeys(s.measure_key for s in mine):
            # Change is measured on the version of the latest score (versions may differ in
            # items and range), from the first score on it.
            version = [s for s in mine if s.measure_key == key][-1].measure_id
            series = [s for s in mine if s.measure_id == version]
            m = every[version].measure
            first, last = series[0].total, series[-1].total
            st.metric(
                f"{m.name}",
                last,
                delta=last - first if len(series) > 1 else None,
                delta_color="normal" if m.higher_is_better else "inverse",
                help=f"First score {first} on {series[0].scored_on:%d %b %Y}.",
            )
            if len(series) > 1:
                st.caption(f"Since the first score: **{scoring.classify(first, last, m)}**")
            else:  # not "unchanged": there is nothing yet to compare it with
                st.caption("The first score: no change to measure yet.")
        if not mine:
            st.caption("No measure scores yet.")

# The last note alone is read (and recorded as viewed), not every note of the case; the one
# before only when the last is a draft with nothing in it yet (started ahead of a session),
# which would hide the plan made last time.
latest = notes.recent_sessions(db, user, case.id, limit=2)
st.subheader("Last session", anchor=False)
if latest:
    last = notes.get_note(db, user, latest[0][0])
    if len(latest) > 1 and not last.signed and not any(t.strip() for t in last.sections.values()):
        st.caption(
            f"The note of {last.session_at:%d %b %Y, %H:%M} is a draft with nothing written "
            "yet: here is the one before it."
        )
        last = notes.get_note(db, user, latest[1][0])
    titles = {sec.id: sec.title for sec in formats()[last.note_format].sections}
    plan = last.sections.get("plan", "")
    st.caption(
        f"{last.session_at:%d %b %Y} · {last.note_format} · "
        f"{'signed' if last.signed else 'draft'}"
        + (
            f" · booked the next for {last.next_session_on:%d %b %Y}"
            if last.next_session_on
            else ""
        )
    )
    st.markdown(f"**{titles.get('plan', 'Plan')}**")
    st.text(plan or "No plan written.")
    if last.risk_level != "none" or last.rescreen:
        st.warning(
            f"Risk last time: {last.risk_level}" + (" · rescreen needed" if last.rescreen else ""),
            icon=":material/shield:",
        )
    st.page_link(
        "pages/note.py",
        label="Open the last note",
        query_params={"note": last.id},
        icon=":material/description:",
    )
else:
    st.caption("No notes yet.")

st.subheader("Homework", anchor=False)
work = [
    a
    for a in homework.for_case(db, user, case.id)
    if a.status in ("assigned", "in_progress", "completed")
]
# Each a link: before a session the counsellor reads what was written, and reviews it.
for a in work:
    state = (
        "overdue"
        if a.overdue(today)
        else "completed, awaiting review"
        if a.status == "completed"
        else a.status.replace("_", " ")
    )
    st.page_link(
        "pages/assignment.py",
        query_params={"assignment": a.id},
        icon=":material/assignment:",
        label=f"{common.md(a.template_title)} · {common.md(a.client_name)} · due "
        f"{a.due_on:%d %b %Y} · {state}",
    )
if not work:
    st.caption("Nothing open.")
