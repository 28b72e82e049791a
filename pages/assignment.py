from datetime import date

import pandas as pd
import streamlit as st

from casebook import cases, documents, homework
from pages import common, widgets, worksheet_form

user = common.require_user("counsellor", "supervisor")
db = common.database()

assignment_id = common.query_id(
    "assignment", title="Worksheet", hint="Open a worksheet from its case or from Homework."
)
detail = common.attempt(lambda: homework.get(db, user, assignment_id))
if detail is None:
    st.stop()
a, template = detail.assignment, detail.template
version_key = f"assignment_version_{a.id}"
st.session_state.setdefault(version_key, a.version)
expected = st.session_state[version_key]
# Each form's widgets are keyed by the version they were drawn from. After a save of what a
# form shows (or an import, or a reload) it is drawn afresh from the record: with the same
# keys the browser would go on showing, and sending back, what was typed before. A save of
# the other form leaves it be, so answers typed but not yet saved outlive a new due date.
answers_drawn, schedule_drawn = f"answers_drawn_{a.id}", f"schedule_drawn_{a.id}"
ws_key = f"ws_{a.id}_v{st.session_state.setdefault(answers_drawn, a.version)}"
schedule_v = st.session_state.setdefault(schedule_drawn, a.version)
both = (answers_drawn, schedule_drawn)


case = cases.get_case(db, user, a.case_id)

st.page_link(
    "pages/case.py",
    label=f"Case #{a.case_id}",
    icon=":material/arrow_back:",
    query_params={"case": a.case_id},
)
st.title(f"{common.md(template.title)} · {common.md(a.client_name)}")
can_write = common.may_change(user, case)
status = a.status.replace("_", " ").capitalize()
badges = st.columns([1, 1, 6])
badges[0].badge(status, color={"reviewed": "green", "cancelled": "gray"}.get(a.status, "blue"))
if a.overdue(date.today()):
    badges[1].badge("Overdue", color="red")
st.caption(
    f"Stage {common.stage_label(a.stage)} · version {a.template_version} · assigned "
    f"{a.assigned_on:%d %b %Y} · due {a.due_on:%d %b %Y}"
    + (f" · completed {a.completed_on:%d %b %Y}" if a.completed_on else "")
)
common.show_flash()
common.stale_banner(
    expected,
    a.version,
    what="worksheet",
    key="assignment_reload",
    forget=lambda k: k in (version_key, *both) or k.startswith(f"ws_{a.id}_"),
    typed=[
        f"review_comment_{a.id}",
        f"schedule_instr_{a.id}_v{schedule_v}",
        *(k for k in st.session_state if k.startswith(ws_key + "_")),
    ],
)
if detail.safety_override:
    st.warning(
        f"Assigned despite the safety gate. Reason recorded: {common.md(detail.safety_override)}",
        icon=":material/shield:",
    )
if detail.instructions:
    st.markdown("**Instructions from your counsellor**")
    st.text(detail.instructions)
with st.expander("About this worksheet", expanded=a.status == "assigned"):
    common.paragraphs(template.intro)

editable = can_write and a.status in ("assigned", "in_progress", "completed")
couple = len(case.clients) == 2
with st.form(f"answers_{a.id}", enter_to_submit=False):
    answers, shared = worksheet_form.show(
        template,
        detail.answers,
        key=ws_key,
        disabled=not editable,
        sharing=couple,
    )
    if editable:
        buttons = st.container(horizontal=True)  # each button as wide as its words
        done = a.status == "completed"
        # A completed worksheet has no draft to go back to: its answers are corrected in place.
        draft = not done and buttons.form_submit_button("Save draft", icon=":material/save:")
        complete = buttons.form_submit_button(
            "Save changes" if done else "Save and mark complete",
            type="secondary" if done else "primary",
            icon=":material/save:" if done else ":material/task_alt:",
        )
        reviewed = False
        if done:
            # In the answers' form: answers corrected while reviewing are saved with the
            # review, not lost to a review form that never sent them.
            st.subheader("Review", anchor=False)
            comment = st.text_area("Comment for the record", key=f"review_comment_{a.id}")
            reviewed = st.form_submit_button("Mark reviewed", type="primary")
        if reviewed:
            if common.attempt(
                lambda: homework.review(
                    db, user, a.id, expected, comment, answers=answers, shared=shared
                )
            ):
                common.saved(version_key, "Reviewed.", redraw=both)
        if draft or complete:
            result = common.attempt(
                lambda: homework.save_answers(
                    db, user, a.id, expected, answers, shared, complete=complete and not done
                )
            )
            if result is not None:
                common.saved(
                    version_key,
                    "Changes saved."
                    if done
                    else "Marked complete."
                    if complete
                    else "Draft saved.",
                    redraw=[answers_drawn],
                )

if detail.review_comment:
    st.markdown("**Review**")
    st.text(detail.review_comment)

if can_write and a.status in ("assigned", "in_progress"):
    with (
        st.expander("Change the due date or the instructions", icon=":material/edit_calendar:"),
        st.form(f"schedule_{a.id}", enter_to_submit=False, border=False),
    ):
        # Keyed by the version: after a save the fields show the record afresh.
        new_due = st.date_input(
            "Due",
            value=a.due_on,
            min_value=min(a.due_on, date.today()),
            key=f"schedule_due_{a.id}_v{schedule_v}",
            format="DD/MM/YYYY",
        )
        new_instructions = st.text_area(
            "Instructions (optional)",
            value=detail.instructions,
            key=f"schedule_instr_{a.id}_v{schedule_v}",
            height=80,
        )
        if st.form_submit_button("Save the due date and instructions"):
            if common.attempt(
                lambda: homework.reschedule(
                    db,
                    user,
                    a.id,
                    expected,
                    due_on=new_due,
                    instructions=new_instructions,
                )
            ):
                common.saved(version_key, f"Now due {new_due:%d %b %Y}.", redraw=[schedule_drawn])

if can_write and a.status in ("assigned", "in_progress", "completed"):
    if common.confirmed(
        f"cancel_{a.id}",
        "Cancel this worksheet",
        "Cancel this worksheet? Its saved answers are kept (save any you typed first), and it "
        "can be restored.",
        yes="Yes, cancel it",
    ):
        if common.attempt(lambda: homework.cancel(db, user, a.id, expected)):
            common.saved(version_key, "Worksheet cancelled.", redraw=both)

if can_write and a.status == "reviewed":
    if common.confirmed(
        f"unreview_{a.id}",
        "Undo the review",
        "Undo the review? The worksheet is completed again, to correct and review anew; "
        "its comment is put back in the box.",
        yes="Yes, undo it",
        icon=":material/undo:",
    ):
        comment = detail.review_comment or ""
        if common.attempt(lambda: homework.undo_review(db, user, a.id, expected)):
            st.session_state[f"review_comment_{a.id}"] = comment
            common.saved(
                version_key, "Review undone: the worksheet is completed again.", redraw=both
            )

if can_write and a.status == "cancelled":
    if st.button("Restore this worksheet", key=f"restore_{a.id}", icon=":material/undo:"):
        if common.attempt(lambda: homework.restore(db, user, a.id, expected)):
            common.saved(version_key, "Worksheet restored.", redraw=both)

st.subheader("Handouts", anchor=False)
h1, h2 = st.columns(2)
with h1:
    widgets.pdf_download(
        "Fillable worksheet (PDF)",
        key=f"handout_{a.id}",
        make=lambda: documents.worksheet(db, user, a.id),
        made_from=a.version,
    )
with h2:
    for reader in case.clients:
        partner = reader.id != a.client_id
        label = (
            f"Answers for {reader.name} (shared answers only)"
            if partner
            else f"Answers for {reader.name}"
        )
        widgets.pdf_download(
            label,
            key=f"answers_{a.id}_{reader.id}",
            make=lambda r=reader: documents.completed(db, user, a.id, for_client_id=r.id),
            made_from=a.version,
        )
if editable:
    upload = st.file_uploader(
        # Keyed by the version: once its answers are saved, the PDF leaves the uploader
        # (left there, it would offer to put its answers back over later edits).
        "Read a filled-in worksheet PDF back",
        type=["pdf"],
        key=f"upload_{a.id}_{ws_key}",
    )
    if upload is not None:
        preview = common.attempt(lambda: documents.preview_import(db, user, upload.getvalue()))
        if preview is not None and preview.assignment.id != a.id:
            st.warning(
                f"This PDF belongs to assignment #{preview.assignment.id} "
                f"({common.md(preview.assignment.template_title)} for "
                f"{common.md(preview.assignment.client_name)}), not this one.",
                icon=":material/warning:",
            )
            st.page_link(
                "pages/assignment.py",
                label="Open that worksheet",
                query_params={"assignment": preview.assignment.id},
            )
        elif preview is not None and not preview.changes:
            st.info(
                "The PDF holds no answers that differ from the saved ones.", icon=":material/info:"
            )
            if kept := preview.kept_in_words():
                st.caption(kept)
        elif preview is not None:
            st.markdown(f"**{len(preview.changes)} answer(s) would change:**")
            st.dataframe(
                pd.DataFrame(
                    preview.in_words(),
                    columns=["Question", "Now", "From the PDF"],
                ),
                hide_index=True,
                width="stretch",
            )
            if kept := preview.kept_in_words():
                st.caption(kept)
            if st.button("Save these answers", type="primary", key=f"upload_save_{a.id}"):
                if common.attempt(lambda: documents.apply_import(db, user, preview)):
                    common.saved(version_key, "Answers from the PDF saved.", redraw=[answers_drawn])
