from datetime import date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from casebook import (
    cases,
    documents,
    homework,
    library,
    notes,
    practice,
    safety,
    stage_history,
)
from casebook.models import OUTCOMES
from handouts.fonts import unprintable
from pages import common, widgets
from worksheets.note_formats import formats as note_formats
from worksheets.safety import screen
from worksheets.stages import stage, stages

safety_screen = screen()


def focus_text(focus: dict[int, int], case: cases.CaseView) -> str:
    """A note's stage in focus: once when the partners were at the same one, else each's."""
    if len(set(focus.values())) == 1:
        return common.stage_label(next(iter(focus.values())))
    names = {c.id: c.name for c in case.clients}
    return " · ".join(
        f"{names.get(c, 'Client')}: {common.stage_label(v)}" for c, v in focus.items()
    )


def suggested_move(stage_now: int, numbers: list[int]) -> int:
    """The stage the move form offers: the next one, or from the last the one before it (the
    client is already at the last)."""
    at = numbers.index(stage_now)
    return numbers[at + 1] if at + 1 < len(numbers) else numbers[at - 1]


user = common.require_user("counsellor", "supervisor")
db = common.database()

case_id = common.query_id("case", title="Case", hint="Choose a case from the list of cases.")
case = common.attempt(lambda: cases.get_case(db, user, case_id))
if case is None:
    st.page_link("pages/cases.py", label="Back to Cases", icon=":material/arrow_back:")
    st.stop()

version_key = f"case_version_{case.id}"
st.session_state.setdefault(version_key, case.version)
expected_version = st.session_state[version_key]


can_write = common.owns_case(user, case)
today = date.today()
editable = can_write and case.status == "open"

st.page_link("pages/cases.py", label="Cases", icon=":material/arrow_back:")
st.title(f"Case #{case.id} · {common.md(case.label)}")
badge = {"open": "green", "closed": "blue", "archived": "gray"}[case.status]
st.badge(case.status.capitalize(), color=badge)
# A closed case has no next session (the booking comes back if it is reopened in time).
booked = case.next_session_on if case.next_session_on and case.next_session_on >= today else None
booked = booked if case.closed_on is None else None
st.caption(
    f"{case.kind.capitalize()} · opened {case.opened_on:%d %b %Y} · counsellor "
    f"{common.md(case.counsellor_name)}"
    + (f" · closed {case.closed_on:%d %b %Y} as **{case.outcome}**" if case.closed_on else "")
    + (f" · next session {booked:%a %d %b %Y}" if booked and not editable else "")
)
# Side by side at their own width (in fixed columns "Before the session" was cut short).
links = st.container(horizontal=True, vertical_alignment="center")
links.page_link(
    "pages/session_prep.py",
    label="Before the session",
    icon=":material/event_note:",
    query_params={"case": case.id},
)
links.page_link(
    "pages/progress.py",
    label="Progress charts",
    icon=":material/monitoring:",
    query_params={"case": case.id},
)
if editable:  # a note books the next session; here it moves when a client reschedules
    with links.popover(
        f"Next session {booked:%a %d %b}" if booked else "Book the next session",
        icon=":material/event:",
    ):
        on = st.date_input(
            "Next session",
            value=booked,
            min_value=today,
            max_value=today + timedelta(days=366),
            format="DD/MM/YYYY",
            key=f"booking_{case.id}_{booked}",  # afresh when the booking changes
        )
        book = st.container(horizontal=True)
        if book.button("Book it", key=f"booking_save_{case.id}", type="primary"):
            if on is None:
                st.error("Choose the day of the next session.", icon=":material/error:")
            elif common.attempt(lambda: notes.book_next_session(db, user, case.id, on)):
                common.flash(f"Next session booked for {on:%a %d %b %Y}.")
                st.rerun()
        if booked and book.button("Clear the booking", key=f"booking_clear_{case.id}"):
            if common.attempt(lambda: notes.book_next_session(db, user, case.id, None)):
                common.flash("The next session is no longer booked.")
                st.rerun()
common.show_flash()
common.stale_banner(
    expected_version,
    case.version,
    what="case",
    key=f"reload_{case.id}",
    forget=lambda k: (
        (k.endswith(f"_{case.id}") and k != f"case_tab_{case.id}")  # the same tab stays open
        or k == version_key
        or k.startswith((f"edit_{case.id}_", f"edit_concern_{case.id}_"))
    ),
    typed=[
        *(f"{form}_{case.id}" for form in ("close_note", "assign_instr", "assign_override")),
        f"close_note_{case.id}_v{expected_version}",  # a closing being corrected
        f"edit_concern_{case.id}_v{expected_version}",
        *(f"move_reason_{c.id}" for c in case.clients),
    ],
)
if user.role == "supervisor":
    st.info("Supervisor view: read-only.", icon=":material/visibility:")
elif case.status == "closed":  # a last session's note may come after the closing
    st.info(
        "This case is closed: notes can still be written and signed, and its details "
        "corrected; reopen it under **Close or archive** to change anything else.",
        icon=":material/lock:",
    )
elif case.status == "archived":
    st.info(
        "This case is archived: restore it under **Close or archive** to change it.",
        icon=":material/lock:",
    )
if case.presenting_concern:
    st.markdown("**Presenting concern**")
    st.text(case.presenting_concern)

status = safety.case_status(db, user, case.id)
flagged = [c.name for c in case.clients if status[c.id].flagged]
if flagged:
    st.error(
        f"Safety flag: {common.md(' and '.join(flagged))}. Contact-oriented worksheets are "
        "blocked unless you record an override.",
        icon=":material/shield:",
    )
unscreened = [c.name for c in case.clients if not status[c.id].screened]
if unscreened and case.status == "open":
    st.warning(
        f"Not yet screened for safety: {common.md(', '.join(unscreened))}. Screen each partner "
        "privately before stage 4 or any contact-oriented worksheet.",
        icon=":material/shield:",
    )

# Only the open tab runs: less work per rerun, and one client's safety answers are on the
# page only while the counsellor has the Safety tab open.
stages_tab, notes_tab, work_tab, safety_tab, details_tab, close_tab = st.tabs(
    ["Stages", "Notes", "Worksheets", "Safety", "Details", "Close or archive"],
    key=f"case_tab_{case.id}",
    on_change="rerun",
)

if stages_tab.open:
    with stages_tab:
        columns = st.columns(len(case.clients), gap="large")
        for column, client in zip(columns, case.clients, strict=True):
            current = stage(client.stage)
            with column, st.container(border=True, key=f"client_{client.id}"):
                pronouns = f" ({common.md(client.pronouns)})" if client.pronouns else ""
                st.subheader(f"{common.md(client.name)}{pronouns}", anchor=False)
                if missing := unprintable(client.name):
                    st.warning(
                        f"Handouts cannot print {common.md(missing)} in this name: each would "
                        "show as an empty box. The font covers Latin, Greek and Cyrillic.",
                        icon=":material/print_disabled:",
                    )
                st.markdown(f"#### Stage {current.label}")
                st.caption(f"Since {client.stage_since:%d %b %Y}. {current.summary}")
                if current.contact and (flagged or unscreened):
                    concern = (
                        f"{' and '.join(flagged)} {'has' if len(flagged) == 1 else 'have'} "
                        "a safety flag"
                        if flagged
                        else f"{' and '.join(unscreened)} "
                        f"{'has' if len(unscreened) == 1 else 'have'} not been screened"
                    )
                    st.warning(
                        f"This stage asks {common.md(client.name)} to contact their partner, "
                        f"and {common.md(concern)}. Make sure contact is safe, and lawful (a "
                        "protective or no-contact order forbids it), before working on it or "
                        "giving the stage guide.",
                        icon=":material/shield:",
                    )
                with st.expander("What this stage asks of the client"):
                    for ask in current.asks:
                        st.markdown(f"- **{ask.title}.** {ask.text}")
                    widgets.pdf_download(
                        "Stage guide for the client (PDF)",
                        key=f"guide_{client.id}",
                        make=lambda c=client: documents.guide(db, user, c.id),
                        made_from=client.stage,
                    )
                if editable:
                    numbers = [s.number for s in stages()]
                    with st.form(f"move_{client.id}"):
                        target = st.selectbox(
                            "Move to stage",
                            numbers,
                            index=numbers.index(suggested_move(client.stage, numbers)),
                            format_func=common.stage_label,
                            key=f"move_stage_{client.id}",
                        )
                        moved_on = st.date_input(
                            "Date",
                            value=date.today(),
                            max_value=date.today(),
                            key=f"move_date_{client.id}",
                            format="DD/MM/YYYY",
                        )
                        reason = st.text_input("Reason", key=f"move_reason_{client.id}")
                        if st.form_submit_button("Record move", type="primary"):
                            move = common.attempt(
                                lambda c=client, t=target, d=moved_on, r=reason: (
                                    stage_history.move_client(
                                        db, user, c.id, t, reason=r, moved_on=d
                                    )
                                )
                            )
                            if move is not None:  # the form fresh: the next stage, no reason
                                following = suggested_move(target, numbers)
                                common.reset_widgets(
                                    {
                                        f"move_reason_{client.id}": "",
                                        f"move_stage_{client.id}": following,
                                    }
                                )
                                name, label = common.md(client.name), common.stage_label(target)
                                common.saved(version_key, f"{name} moved to stage {label}.")
                st.markdown("**History**")
                moves = client.history
                st.table(
                    pd.DataFrame(
                        {
                            "Date": [f"{m.moved_on:%d %b %Y}" for m in moves],
                            "Stage": [common.md(common.stage_label(m.stage)) for m in moves],
                            "By": [common.md(m.moved_by) for m in moves],
                            "Reason": [common.md(m.reason) for m in moves],
                        }
                    ).iloc[::-1],
                    hide_index=True,
                    border="horizontal",
                )
                if editable and len(moves) > 1:
                    last = moves[-1]
                    with st.expander("Strike out the last move, recorded in error"):
                        st.caption(
                            "A move recorded for the wrong partner, to the wrong stage or on "
                            "the wrong day: the client goes back to where they were before it, "
                            "and the move is kept below with your reason."
                        )
                        why = st.text_input(
                            "Why it is struck out",
                            key=f"strike_move_why_{client.id}",
                            max_chars=500,
                            placeholder="e.g. recorded for the wrong partner",
                        )
                        what = (
                            f"the move to stage {common.stage_label(last.stage)} "
                            f"on {last.moved_on:%d %b %Y}"
                        )
                        if common.confirmed(
                            f"strike_move_{client.id}",
                            "Strike out",
                            f"Strike out {common.md(what)}? {common.md(client.name)} goes back "
                            f"to stage {common.md(common.stage_label(moves[-2].stage))}.",
                            yes="Yes, strike out",
                        ):
                            if common.attempt(
                                lambda m=last, w=why: stage_history.strike_move(
                                    db, user, m.id, why=w
                                )
                            ):
                                common.reset_widgets({f"strike_move_why_{client.id}": ""})
                                common.saved(version_key, f"Struck out {common.md(what)}.")
        struck = stage_history.struck_moves(db, user, case.id)
        if struck:
            names = {c.id: c.name for c in case.clients}
            with st.expander(f"Moves struck out as recorded in error ({len(struck)})"):
                st.table(
                    pd.DataFrame(
                        {
                            "Client": [common.md(names[m.move.client_id]) for m in struck],
                            "Move": [
                                common.md(
                                    f"{m.move.moved_on:%d %b %Y} · "
                                    f"{common.stage_label(m.move.stage)} · {m.move.reason}"
                                )
                                for m in struck
                            ],
                            "Struck out": [
                                common.md(f"{m.struck_at:%d %b %Y} by {m.struck_by}")
                                for m in struck
                            ],
                            "Why": [common.md(m.why) for m in struck],
                        }
                    ),
                    hide_index=True,
                    border="horizontal",
                )

if notes_tab.open:
    with notes_tab:
        if can_write and case.status != "archived":
            with st.expander("Write a note for a session", expanded=False):
                n1, n2, n3 = st.columns(3)
                n_date = n1.date_input(
                    "Session date",
                    value=today,
                    max_value=today,
                    key=f"note_new_date_{case.id}",
                    format="DD/MM/YYYY",
                )
                n_time = n2.time_input(
                    "Start time",
                    value=time(9, 0),
                    key=f"note_new_time_{case.id}",
                    step=timedelta(minutes=5),
                )
                n_minutes = n3.number_input(
                    "Minutes", 5, 600, 50, step=5, key=f"note_new_minutes_{case.id}"
                )
                couple = len(case.clients) == 2
                n_attendance = st.radio(
                    "Who attended",
                    ["together", "separately", "one"] if couple else ["one"],
                    horizontal=True,
                    key=f"note_new_attendance_{case.id}",
                    format_func=lambda a: {
                        "together": "Both, together",
                        "separately": "Each, separately",
                        "one": "One client" if couple else case.label,
                    }[a],
                )
                n_who = [c.id for c in case.clients]
                if n_attendance == "one" and couple:
                    n_who = [
                        st.radio(
                            "Which client",
                            n_who,
                            horizontal=True,
                            key=f"note_new_who_{case.id}",
                            format_func=lambda i: next(c.name for c in case.clients if c.id == i),
                        )
                    ]
                keys = list(note_formats())
                n_format = st.selectbox(
                    "Format",
                    keys,
                    key=f"note_new_format_{case.id}",
                    index=keys.index(practice.load(db).default_note_format),
                )
                if st.button("Start the note", type="primary", key=f"note_new_{case.id}"):
                    made = common.attempt(
                        lambda: notes.create_draft(
                            db,
                            user,
                            case.id,
                            session_at=datetime.combine(n_date, n_time),
                            duration_minutes=int(n_minutes),
                            attendance=n_attendance,
                            attendees=n_who,
                            note_format=n_format,
                        )
                    )
                    if made is not None:
                        st.switch_page("pages/note.py", query_params={"note": made.id})
        f1, f2, f3 = st.columns(3)
        f_client = common.choice(
            f1,
            "Client",
            [None, *(c.id for c in case.clients)],
            key=f"notes_client_{case.id}",
            format_func=lambda i: (
                "Either client" if i is None else next(c.name for c in case.clients if c.id == i)
            ),
        )
        f_stage = common.choice(
            f2,
            "Stage in focus",
            [None, *(s.number for s in stages())],
            key=f"notes_stage_{case.id}",
            format_func=lambda n: "Any stage" if n is None else common.stage_label(n),
        )
        f_text = f3.text_input("Text", key=f"notes_text_{case.id}", placeholder="Search notes…")
        found = (
            common.attempt(
                lambda: notes.notes_for_case(
                    db, user, case.id, client_id=f_client, stage=f_stage, text=f_text
                )
            )
            or []
        )
        if not found:
            st.caption("No notes match." if f_client or f_stage or f_text else "No notes yet.")
        listed = f"notes_{case.id}"
        for n in found[: common.shown_count(listed)]:
            with st.container(border=True):
                row = st.columns([3, 2, 2], vertical_alignment="center")
                row[0].page_link(
                    "pages/note.py",
                    query_params={"note": n.id},
                    icon=":material/description:",
                    label=f"{n.session_at:%d %b %Y, %H:%M} · {n.note_format}",
                )
                row[1].caption(common.md(focus_text(n.focus, case)))
                row[2].badge(
                    "Signed" if n.signed else "Draft", color="green" if n.signed else "orange"
                )
        common.show_more(listed, len(found))

if work_tab.open:
    with work_tab:
        work = homework.for_case(db, user, case.id)
        if not work:
            st.caption("No worksheets assigned yet.")
        listed = f"worksheets_{case.id}"
        for a in work[: common.shown_count(listed)]:
            with st.container(border=True):
                row = st.columns([3, 2, 2, 2], vertical_alignment="center")
                row[0].page_link(
                    "pages/assignment.py",
                    label=f"{common.md(a.template_title)} · {common.md(a.client_name)}",
                    query_params={"assignment": a.id},
                    icon=":material/assignment:",
                )
                row[1].caption(f"Stage {a.stage}" + (" · asks for contact" if a.contact else ""))
                row[2].caption(
                    f"Due {a.due_on:%d %b %Y}" + (" · **overdue**" if a.overdue(today) else "")
                )
                row[3].badge(
                    a.status.replace("_", " ").capitalize(),
                    color={"reviewed": "green", "cancelled": "gray", "completed": "orange"}.get(
                        a.status, "blue"
                    ),
                )
        common.show_more(listed, len(work))
        if editable:
            st.subheader("Assign a worksheet", anchor=False)
            templates = library.list_templates(db, user)
            chosen = st.selectbox(
                "Worksheet",
                [t.id for t in templates],
                key=f"assign_template_{case.id}",
                index=next(
                    (i for i, t in enumerate(templates) if t.stage == case.clients[0].stage), 0
                ),
                format_func=lambda i: next(
                    f"Stage {t.stage} · {t.title}" + (" (asks for contact)" if t.contact else "")
                    for t in templates
                    if t.id == i
                ),
            )
            picked = next(t for t in templates if t.id == chosen)
            who_options = [c.id for c in case.clients] + ([0] if len(case.clients) == 2 else [])
            who = st.radio(
                "For",
                who_options,
                horizontal=True,
                key=f"assign_who_{case.id}",
                format_func=lambda i: (
                    "Both partners" if i == 0 else next(c.name for c in case.clients if c.id == i)
                ),
            )
            due = st.date_input(
                "Due",
                value=today + timedelta(days=7),
                min_value=today,
                key=f"assign_due_{case.id}",
                format="DD/MM/YYYY",
            )
            instructions = st.text_area(
                "Instructions (optional)", key=f"assign_instr_{case.id}", height=80
            )
            override = ""
            if picked.contact:
                st.info(
                    f"'{common.md(picked.title)}' asks the client to contact their partner.",
                    icon=":material/forum:",
                )
                if flagged or unscreened:
                    override = st.text_area(
                        "Safety override: why is contact work appropriate "
                        + ("despite the flag?" if flagged else "before a safety screen?"),
                        key=f"assign_override_{case.id}",
                        height=80,
                    )
            if st.button("Assign", type="primary", key=f"assign_{case.id}"):
                targets = [c.id for c in case.clients] if who == 0 else [who]
                made = common.attempt(
                    lambda: homework.assign(
                        db,
                        user,
                        targets,
                        chosen,
                        due_on=due,
                        instructions=instructions,
                        override_reason=override,
                    )
                )
                if made:
                    common.reset_widgets(
                        dict.fromkeys((f"assign_instr_{case.id}", f"assign_override_{case.id}"), "")
                    )
                    common.saved(version_key, f"Assigned '{common.md(picked.title)}'.")

if safety_tab.open:
    with safety_tab:
        st.caption(safety_screen.notice)
        person = st.radio(
            "Client",
            [c.id for c in case.clients],
            horizontal=True,
            key=f"safety_who_{case.id}",
            format_func=lambda i: common.md(next(c.name for c in case.clients if c.id == i)),
        )
        if len(case.clients) > 1:  # the notice above already asks for each in private
            st.caption("One client at a time: what shows and is recorded below is theirs.")
        past = safety.screens(db, user, person)
        if past:
            latest = past[0]
            label = "Flagged" if latest.flagged else "No concern raised"
            st.markdown(
                f"**Latest screen:** {latest.screened_on:%d %b %Y} by "
                f"{common.md(latest.screened_by)} · **{label}**"
            )
            with st.expander(f"All screens ({len(past)})"):
                for sc in past:
                    st.markdown(
                        f"**{sc.screened_on:%d %b %Y}** · {common.md(sc.screened_by)}"
                        f" · {'flagged' if sc.flagged else 'no concern'}"
                    )
                    for q in safety_screen.questions:
                        st.caption(f"{common.md(q.text)} **{sc.answers.get(q.id, '-')}**")
        else:
            st.caption("Never screened.")
        name = common.md(next(c.name for c in case.clients if c.id == person))
        if past and can_write and case.status != "archived":
            with st.expander("Strike out a screen recorded in error"):
                st.caption(
                    f"A screen recorded for the wrong partner, or with a slip, no longer sets "
                    f"{name}'s flag nor shows as theirs; it is kept below with your reason. "
                    "Record the right screen, for the right client, as well."
                )
                by_id = {sc.id: sc for sc in past}  # newest first
                chosen = st.selectbox(
                    "Screen",
                    list(by_id),
                    key=f"strike_screen_which_{person}",
                    format_func=lambda i: (
                        f"{by_id[i].screened_on:%d %b %Y} · {by_id[i].screened_by} · "
                        + ("flagged" if by_id[i].flagged else "no concern")
                    ),
                )
                why = st.text_input(
                    "Why it is struck out",
                    key=f"strike_screen_why_{person}",
                    max_chars=500,
                    placeholder="e.g. the other partner's answers",
                )
                if common.confirmed(
                    f"strike_screen_{person}",
                    "Strike out",
                    f"Strike out {name}'s screen of {by_id[chosen].screened_on:%d %b %Y}? "
                    f"It no longer counts towards {name}'s safety flag.",
                    yes="Yes, strike out",
                ):
                    if common.attempt(lambda: safety.strike_screen(db, user, chosen, why=why)):
                        common.reset_widgets({f"strike_screen_why_{person}": ""})
                        common.saved(version_key, f"Struck out a screen of {name}.")
        if struck_screens := safety.struck_screens(db, user, person):
            with st.expander(f"Screens struck out as recorded in error ({len(struck_screens)})"):
                for sc in struck_screens:
                    st.markdown(
                        f"**{sc.screened_on:%d %b %Y}** · {common.md(sc.screened_by)} · "
                        f"{'flagged' if sc.flagged else 'no concern'} · struck out "
                        f"{sc.struck_at:%d %b %Y} by {common.md(sc.struck_by)}: "
                        f"{common.md(sc.why)}"
                    )
        if editable:
            with st.form(f"screen_{case.id}_{person}"):
                # Named: in a couple the choice of client is far above, past the screens.
                st.markdown(f"**{common.md(safety_screen.title)} · {name}**")
                answers = {
                    q.id: st.radio(
                        common.md(q.text),
                        ["yes", "no", "unsure"],
                        index=None,
                        horizontal=True,
                        key=f"screen_{person}_{q.id}",
                    )
                    for q in safety_screen.questions
                }
                on = st.date_input(
                    "Screened on",
                    value=today,
                    max_value=today,
                    key=f"screen_date_{person}",
                    format="DD/MM/YYYY",
                )
                if st.form_submit_button("Record screen", type="primary"):
                    done = common.attempt(
                        lambda: safety.record_screen(db, user, person, answers, screened_on=on)
                    )
                    if done is not None:
                        common.reset_widgets(
                            {f"screen_{person}_{q.id}": None for q in safety_screen.questions}
                        )
                        common.saved(
                            version_key,
                            f"Screen of {name} recorded: "
                            + ("flagged." if done.flagged else "no concern raised."),
                        )
        elif can_write and (
            given := [
                f"{q.text} {value}"
                for q in safety_screen.questions
                if (value := st.session_state.get(f"screen_{person}_{q.id}")) is not None
            ]
        ):  # closed or archived in another tab while the client was asked: the form is gone
            st.error(
                f"The screen of {name} was not recorded: this case was {case.status} "
                "meanwhile. The answers are below to copy.",
                icon=":material/error:",
            )
            common.show_unsaved(["\n".join(given)])

if details_tab.open:
    with details_tab:
        # A closed case's details are still corrected (a mistyped phone, for a follow-up);
        # a partner joins an open case only.
        if not (can_write and case.status != "archived"):
            for client in case.clients:
                details = [
                    common.md(client.pronouns) or "pronouns not given",
                    common.md(client.email) or "no email",
                    common.md(client.phone) or "no phone",
                ]
                st.markdown(f"**{common.md(client.name)}** · " + " · ".join(details))
        else:
            add_partner = (
                editable
                and len(case.clients) == 1
                and st.checkbox("Add a partner to this case", key=f"add_partner_{case.id}")
            )
            with st.form(f"edit_{case.id}"):
                slots = len(case.clients) + (1 if add_partner else 0)
                columns = st.columns(slots, gap="large")
                edited = []
                for i, column in enumerate(columns, start=1):
                    existing = case.clients[i - 1] if i <= len(case.clients) else None
                    with column:
                        # By name, as recorded: "Partner 2" did not say whose details these are.
                        title = common.md(existing.name) if existing else "New partner"
                        edited.append(
                            widgets.client_fields(
                                # Keyed by the version shown: a reload draws them afresh.
                                title,
                                key=f"edit_{case.id}_v{expected_version}_{i}",
                                client=existing,
                            )
                        )
                        if existing is None:  # where the partner starts, and since when
                            partner_stage = st.selectbox(
                                "Starting stage",
                                [s.number for s in stages()],
                                index=case.clients[0].stage - 1,
                                format_func=common.stage_label,
                                key=f"partner_stage_{case.id}",
                            )
                            partner_joined_on = st.date_input(
                                "Joined the case on",
                                value=today,
                                min_value=case.opened_on,
                                max_value=today,
                                key=f"partner_joined_{case.id}",
                                format="DD/MM/YYYY",
                            )
                concern = st.text_area(
                    "Presenting concern",
                    value=case.presenting_concern,
                    key=f"edit_concern_{case.id}_v{expected_version}",
                )
                opened_on = st.date_input(
                    "Opened on",
                    value=case.opened_on,
                    min_value=date(1900, 1, 1),
                    max_value=date.today(),
                    help="Move it earlier to record sessions, screens or scores from before "
                    "the case was opened here, or later to correct a mistyped date.",
                    key=f"edit_opened_{case.id}_v{expected_version}",
                    format="DD/MM/YYYY",
                )
                if st.form_submit_button("Save details", type="primary"):
                    updated = common.attempt(
                        lambda: cases.update_case(
                            db,
                            user,
                            case.id,
                            expected_version,
                            clients=edited,
                            presenting_concern=concern,
                            opened_on=opened_on,
                            **(
                                {
                                    "partner_stage": partner_stage,
                                    "partner_joined_on": partner_joined_on,
                                }
                                if add_partner
                                else {}
                            ),
                        )
                    )
                    if updated is not None:
                        st.session_state.pop(f"add_partner_{case.id}", None)
                        common.saved(version_key, "Details saved.")


def closing_form(title: str, button: str) -> None:
    """The form that closes the case, or (once it is closed) corrects its closing: filled in
    with the closing as recorded, and drawn afresh from the record after a save."""
    correcting = case.status == "closed"
    key = f"{case.id}_v{expected_version}" if correcting else str(case.id)
    with st.form(f"close_{key}"):
        st.markdown(f"**{title}**")
        outcome = st.selectbox(
            "Outcome",
            OUTCOMES,
            # Chosen, never assumed: it is counted in the practice's outcomes.
            index=OUTCOMES.index(case.outcome) if correcting else None,
            placeholder="Choose the outcome",
            key=f"close_outcome_{key}",
            format_func=str.capitalize,
        )
        closed_on = st.date_input(
            "Closed on",
            value=case.closed_on or date.today(),
            max_value=date.today(),
            key=f"close_date_{key}",
            format="DD/MM/YYYY",
        )
        note = st.text_area("Closing note", value=case.closing_note or "", key=f"close_note_{key}")
        if st.form_submit_button(button):
            done = common.attempt(
                lambda: cases.close_case(
                    db,
                    user,
                    case.id,
                    expected_version,
                    outcome=outcome,
                    closed_on=closed_on,
                    note=note,
                    correct=correcting,
                )
            )
            if done is not None:
                common.saved(
                    version_key,
                    f"Closing corrected: {outcome}." if correcting else f"Case closed: {outcome}.",
                )


if close_tab.open:
    with close_tab:
        if not can_write:
            st.caption("Only the case's counsellor can close or archive it.")
        elif case.status == "open":
            closing_form("Close this case", "Close case")
        elif case.status == "closed":
            st.markdown(f"Closed on {case.closed_on:%d %b %Y} as **{case.outcome}**.")
            if case.closing_note:
                st.text(case.closing_note)
            with st.expander("Correct the closing", icon=":material/edit:"):
                closing_form("Correct the outcome, the date or the note", "Save the correction")
            if st.button("Reopen case", key=f"reopen_{case.id}"):
                if common.attempt(lambda: cases.reopen_case(db, user, case.id, expected_version)):
                    common.saved(version_key, "Case reopened. Its closing is kept below.")
        if case.earlier_closings:
            st.markdown("**Earlier closings**")
        for earlier in reversed(case.earlier_closings):
            st.markdown(
                f"Closed on {earlier.closed_on:%d %b %Y} as **{earlier.outcome}**, "
                f"reopened on {earlier.reopened_on:%d %b %Y}."
            )
            if earlier.note:
                st.text(earlier.note)

        if can_write:
            st.divider()
            archived = case.status == "archived"
            label = "Restore case" if archived else "Archive case"
            question = (
                "Restore this case to the working list?"
                if archived
                else "Archive this case? It leaves the working list; nothing is deleted and it "
                "can be restored at any time."
            )
            if not archived and (drafts := notes.drafts_in_case(db, user, case.id)):
                question += (
                    f" Its {drafts} unsigned note{'s' if drafts > 1 else ''} cannot be signed "
                    "while it is archived: sign or discard "
                    f"{'them' if drafts > 1 else 'it'} first, or restore the case later."
                )
            # Each its own key: a "yes" asked of one never answers the other, should the case
            # be archived or restored elsewhere while the question is open.
            key = f"{'restore' if archived else 'archive'}_{case.id}"
            if common.confirmed(key, label, question, yes="Yes, " + label.lower()):
                if common.attempt(
                    lambda: cases.set_archived(db, user, case.id, expected_version, not archived)
                ):
                    common.saved(version_key, "Case restored." if archived else "Case archived.")
