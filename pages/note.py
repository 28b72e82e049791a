import threading
from datetime import date, datetime, timedelta

import streamlit as st

from casebook import cases, documents, homework, library, notes
from casebook.errors import CasebookError
from casebook.models import RISK_LEVELS, utcnow
from pages import common, widgets
from worksheets.note_formats import formats
from worksheets.stages import stage, stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

note_id = common.query_id(
    "note", title="Session note", hint="Open a note from its case's Notes tab."
)
note = common.attempt(lambda: notes.get_note(db, user, note_id))
if note is None:
    # A draft discarded in another tab while this one was being typed in: its text is shown
    # to copy, not lost with it.
    common.show_unsaved(
        v for k, v in st.session_state.items() if str(k).startswith(f"note_{note_id}_g")
    )
    st.stop()
case = cases.get_case(db, user, note.case_id)
names = {c.id: c.name for c in case.clients}
# Widget keys start with this. "Reload" starts the next generation of keys: the browser then
# draws every field afresh from the saved note (with the same keys it would go on showing,
# and sending back, what was typed).
GENERATION = f"note_{note.id}_generation"
K = f"note_{note.id}_g{st.session_state.get(GENERATION, 0)}"
# Streamlit starts a rerun before the run it replaces has stopped, so two autosaves of one
# session can overlap; one at a time, each sends the version the other saved. What they
# share (the version last saved, when, any problem) is one object, as the lock is: a rerun
# begins by copying session state and clearing what was set, so a value that one run's
# save set in session state while the next run began could be lost, and the next save then
# sent an old version and was refused as if another tab had saved.
st.session_state.setdefault(f"{K}_saving", threading.Lock())
draft = st.session_state.setdefault(
    f"{K}_draft",
    {
        "version": note.version,
        "saved_at": None,
        "problem": None,
        "private": note.psychotherapy_note or "",  # as last read or saved here
        "private_saved": None,
        "problem_at": None,  # the field whose save was refused, to say so beneath it
    },
)
sections = formats()[note.note_format].sections


def refused(problem: str, where: str) -> None:
    """A save refused: said where the user is typing, in a toast now and beneath the field
    just left, however far down a long note that is (not only at the top of the page)."""
    draft.update(problem=problem, problem_at=where)
    st.toast("Not saved: see why beneath the box you left.", icon=":material/error:")


def autosave(where: str) -> None:
    """Save the draft whenever a field changes, so leaving the page loses nothing."""
    if not common.account_current(user):  # the page then ends the session, saying why
        return
    ss = st.session_state
    with ss[f"{K}_saving"]:
        try:
            saved = notes.save_draft(
                db,
                user,
                note.id,
                draft["version"],
                sections={sec.id: ss.get(f"{K}_{sec.id}", "") for sec in sections},
                focus={cid: ss.get(f"{K}_focus_{cid}", note.focus[cid]) for cid in note.focus},
                risk_level=ss.get(f"{K}_risk", note.risk_level),
                risk_notes=ss.get(f"{K}_risk_notes", note.risk_notes),
                rescreen=ss.get(f"{K}_rescreen", note.rescreen),
                next_session_on=ss.get(f"{K}_next", note.next_session_on),
                session_at=datetime.combine(
                    ss.get(f"{K}_date", note.session_at.date()),
                    ss.get(f"{K}_time", note.session_at.time()),
                ),
                duration_minutes=int(ss.get(f"{K}_duration", note.duration_minutes)),
            )
        except CasebookError as exc:
            refused(str(exc), where)
        else:
            draft.update(
                version=saved.version, problem=None, saved_at=common.moment(utcnow(), "%H:%M:%S")
            )


def save_private() -> None:
    """The private note saves itself whenever it changes, as the rest of the note does; over
    a text changed in another tab since, it is refused, and what was typed stays."""
    if not common.account_current(user):
        return
    ss = st.session_state
    text = ss.get(f"{K}_private", "")
    try:
        notes.save_psychotherapy_note(db, user, note.id, text, expected=draft["private"])
    except CasebookError as exc:
        refused(str(exc), "private")
    else:
        draft.update(private=text.strip(), private_saved=common.moment(utcnow(), "%H:%M:%S"))


st.page_link(
    "pages/case.py",
    label=f"Case #{case.id}",
    icon=":material/arrow_back:",
    query_params={"case": case.id},
)
st.title(f"Session note · {common.md(case.label)}")
can_write = common.may_change(user, case)
editing = can_write and not note.signed
st.badge("Signed" if note.signed else "Draft", color="green" if note.signed else "orange")
# A note that is read, not written, says first which session it was: its date is no longer in
# a field, and several notes of a case are opened one after another.
held = (
    ""
    if editing
    else f"Session of {note.session_at:%a %d %b %Y, %H:%M} · {note.duration_minutes} minutes · "
)
st.caption(
    f"{held}{note.note_format} · {common.md(notes.attendance_text(note, names))} · by "
    f"{common.md(note.author)}"
    + (
        f" · signed by {common.md(note.signer)} on {common.moment(note.signed_at)}"
        if note.signed and note.signed_at
        else ""
    )
)
common.show_flash()
if user.role == "supervisor":
    st.info("Supervisor view: read-only.", icon=":material/visibility:")


def problem_here(where: str) -> None:
    """The refused save's message, with what was typed to copy and a way to reload, if the
    save was refused from this part of the page."""
    if not (problem := draft["problem"]) or draft["problem_at"] != where:
        return
    st.error(common.md(problem), icon=":material/error:")
    # The note may now be signed (its text boxes gone): what was typed stays to copy.
    unsaved = [
        typed
        for sec in sections
        if (typed := st.session_state.get(f"{K}_{sec.id}")) != note.sections.get(sec.id, "")
    ]
    if ((private := st.session_state.get(f"{K}_private")) or "").strip() != draft["private"]:
        unsaved.append(private)
    common.show_unsaved(unsaved)
    if st.button("Reload the saved note", key=f"{K}_reload"):
        for key in [k for k in st.session_state if str(k).startswith(K)]:
            del st.session_state[key]
        st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
        st.rerun()


if draft["problem"] and not editing:  # the fields are gone (signed elsewhere): say it here
    draft["problem_at"] = "top"
problem_here("top")
if not draft["problem"] and (saved_at := draft["saved_at"]):
    st.caption(f"Draft saved at {saved_at}.")

if editing:
    a, b, c = st.columns(3)
    a.date_input(
        "Session date",
        value=note.session_at.date(),
        key=f"{K}_date",
        max_value=date.today(),
        format="DD/MM/YYYY",
        on_change=autosave,
        args=("details",),
    )
    b.time_input(
        "Start time",
        value=note.session_at.time(),
        key=f"{K}_time",
        step=timedelta(minutes=5),
        on_change=autosave,
        args=("details",),
    )
    c.number_input(
        "Minutes",
        5,
        600,
        note.duration_minutes,
        step=5,
        key=f"{K}_duration",
        on_change=autosave,
        args=("details",),
    )
    focus_cols = st.columns(len(note.focus))
    for col, (cid, number) in zip(focus_cols, note.focus.items(), strict=True):
        with col:
            chosen = st.selectbox(
                f"Stage in focus for {common.md(names.get(cid, ''))}",
                [s.number for s in stages()],
                index=number - 1,
                key=f"{K}_focus_{cid}",
                format_func=common.stage_label,
                on_change=autosave,
                args=("details",),
            )
            with st.expander("Prompts from the guide for this stage"):
                for ask in stage(chosen).asks:
                    st.markdown(f"- **{ask.title}.** {ask.text}")
    problem_here("details")
    for sec in sections:
        st.text_area(
            sec.title,
            value=note.sections.get(sec.id, ""),
            key=f"{K}_{sec.id}",
            placeholder=sec.hint,
            height=120,
            on_change=autosave,
            args=(sec.id,),
        )
        problem_here(sec.id)
else:
    for cid, number in note.focus.items():
        st.markdown(
            f"**Stage in focus for {common.md(names.get(cid, ''))}:** {common.stage_label(number)}"
        )
    for sec in sections:
        st.markdown(f"**{sec.title}**")
        st.text(note.sections.get(sec.id, "") or "—")

st.subheader("Risk", anchor=False)
if editing:
    r1, r2 = st.columns([1, 2])
    r1.selectbox(
        "Risk observed this session",
        RISK_LEVELS,
        key=f"{K}_risk",
        index=RISK_LEVELS.index(note.risk_level),
        format_func=str.capitalize,
        on_change=autosave,
        args=("risk",),
    )
    r1.checkbox(
        "Rescreen for safety",
        value=note.rescreen,
        key=f"{K}_rescreen",
        on_change=autosave,
        args=("risk",),
    )
    r2.text_area(
        "What you observed",
        value=note.risk_notes,
        key=f"{K}_risk_notes",
        height=90,
        on_change=autosave,
        args=("risk",),
    )
    problem_here("risk")
else:
    st.markdown(
        f"**{note.risk_level.capitalize()}**" + (" · rescreen needed" if note.rescreen else "")
    )
    if note.risk_notes:
        st.text(note.risk_notes)
if note.rescreen or st.session_state.get(f"{K}_rescreen"):
    st.warning(
        "Rescreen each partner privately: open the case's Safety tab.", icon=":material/shield:"
    )
if st.button("The case's safety screens", icon=":material/shield:", type="tertiary"):
    st.session_state[f"case_tab_{case.id}"] = "Safety"  # the tab they are on, not the first
    st.switch_page("pages/case.py", query_params={"case": case.id})

st.subheader("Next session", anchor=False)
if editing:
    st.date_input(
        "Next session",
        value=note.next_session_on,
        key=f"{K}_next",
        # A booking that has since passed still shows (and can be moved on).
        min_value=min(date.today(), note.next_session_on or date.today()),
        max_value=date.today() + timedelta(days=366),
        format="DD/MM/YYYY",
        on_change=autosave,
        args=("next",),
        label_visibility="collapsed",
    )
    problem_here("next")
else:
    st.markdown(f"{note.next_session_on:%d %b %Y}" if note.next_session_on else "Not booked.")

# The clients' worksheets as they stand today, whatever the session's day: a note of May
# lists November's homework, which must not read as what that session set.
st.subheader("Homework open now", anchor=False)
attending = [
    a
    for a in homework.for_case(db, user, case.id)
    if a.client_id in note.attendees and a.status in ("assigned", "in_progress", "completed")
]
if not attending:
    st.caption("No open worksheets for the clients at this session.")
for a in attending:
    with st.container(border=True):
        st.page_link(
            "pages/assignment.py",
            query_params={"assignment": a.id},
            label=f"{common.md(a.template_title)} · {common.md(a.client_name)} · "
            f"{a.status.replace('_', ' ')} · due {a.due_on:%d %b %Y}",
            icon=":material/assignment:",
        )
        if can_write and a.status == "completed":
            comment = st.text_input("Review comment", key=f"{K}_review_{a.id}")
            if st.button("Mark reviewed", key=f"{K}_review_btn_{a.id}"):
                if common.attempt(
                    lambda a=a, c=comment: homework.review(db, user, a.id, a.version, c)
                ):
                    common.flash(f"Reviewed '{common.md(a.template_title)}'.")
                    st.rerun()
if can_write:
    with st.expander("Assign new homework"):
        templates = library.list_templates(db, user)
        t_id = st.selectbox(
            "Worksheet",
            [t.id for t in templates],
            key=f"{K}_assign_t",
            format_func=lambda i: next(
                f"Stage {t.stage} · {t.title}" for t in templates if t.id == i
            ),
        )
        who = st.selectbox(
            "For",
            list(note.attendees),
            key=f"{K}_assign_who",
            format_func=lambda i: names.get(i, ""),
        )
        booked = note.next_session_on
        due = st.date_input(
            "Due",
            value=booked if booked and booked >= date.today() else date.today() + timedelta(7),
            min_value=date.today(),
            key=f"{K}_assign_due",
            format="DD/MM/YYYY",
        )
        if st.button("Assign", key=f"{K}_assign"):
            if common.attempt(lambda: homework.assign(db, user, [who], t_id, due_on=due)):
                common.flash("Homework assigned.")
                st.rerun()

if note.author_id == user.id:
    with st.expander("Psychotherapy note: private to you, never exported or printed"):
        st.text_area(
            "Your private notes on this session",
            value=note.psychotherapy_note or "",
            key=f"{K}_private",
            height=120,
            disabled=not can_write,
            on_change=save_private,
            help="Saved whenever you leave the box, as the rest of the note is.",
        )
        problem_here("private")
        if saved_at := draft["private_saved"]:
            st.caption(f"Private note saved at {saved_at}.")

if note.signed:
    st.subheader("Addenda", anchor=False)
    if not note.addenda:  # not a heading over nothing, as a supervisor reading saw it
        st.caption("None: the note stands as signed.")
    for ad in note.addenda:
        st.caption(f"{common.moment(ad.written_at)} · {common.md(ad.author)}")
        st.text(ad.text)
    if can_write:
        with st.form(f"{K}_addendum"):
            text = st.text_area(
                "Add a dated addendum (the note itself stays as signed)", key=f"{K}_addendum_text"
            )
            if st.form_submit_button("Add addendum"):
                if common.attempt(lambda: notes.add_addendum(db, user, note.id, text)):
                    common.reset_widgets({f"{K}_addendum_text": ""})
                    common.flash("Addendum added.")
                    st.rerun()
    elif typed := st.session_state.get(f"{K}_addendum_text"):
        # The case was archived (or handed on) while the addendum was typed: its form is gone.
        st.error(
            "Your addendum was not added: this case can no longer be changed here. Copy it "
            "from below to add it once the case is restored.",
            icon=":material/error:",
        )
        common.show_unsaved([typed])
elif editing:
    st.divider()
    if common.confirmed(
        f"{K}_sign",
        "Sign note",
        "Sign this note? It is then locked; corrections become dated addenda.",
        yes="Yes, sign it",
        type="primary",
        icon=":material/signature:",
    ):
        if common.attempt(lambda: notes.sign(db, user, note.id, draft["version"])):
            for key in [k for k in st.session_state if str(k).startswith(K)]:
                del st.session_state[key]
            common.flash("Note signed and locked.")
            st.rerun()
    # A draft started by mistake (the wrong case, format or attendance; a double click) would
    # otherwise stay for good, and an empty one cannot even be signed.
    if common.confirmed(
        f"{K}_discard",
        "Discard this draft",
        "Discard this draft? Its text, and your psychotherapy note on it, are deleted: this "
        "cannot be undone.",
        yes="Yes, discard it",
        icon=":material/delete:",
    ):
        if common.attempt(lambda: notes.discard_draft(db, user, note.id, draft["version"])):
            for key in [k for k in st.session_state if str(k).startswith(K)]:
                del st.session_state[key]
            common.flash(f"Draft of {note.session_at:%d %b %Y, %H:%M} discarded.")
            st.session_state[f"case_tab_{case.id}"] = "Notes"  # back where notes are listed
            st.switch_page("pages/case.py", query_params={"case": case.id})

st.divider()
widgets.pdf_download(
    "After-session sheet for the clients (PDF)",
    key=f"{K}_sheet",
    make=lambda: documents.after_session(db, user, note.id),
    made_from=(note.version, [(a.id, a.status) for a in attending]),
)
widgets.pdf_download(
    "The note as a PDF to print",
    key=f"{K}_pdf",
    make=lambda: documents.note(db, user, note.id),
    made_from=(note.version, len(note.addenda)),  # an addendum leaves the version as it was
)
