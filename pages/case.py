from datetime import date

import pandas as pd
import streamlit as st

from casebook import cases, stage_history
from casebook.models import OUTCOMES
from pages import common, widgets
from worksheets.stages import stage, stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

try:
    case_id = int(st.query_params.get("case", ""))
except ValueError:
    st.title("Case")
    st.info("Choose a case from the list of cases.", icon=":material/info:")
    st.page_link("pages/cases.py", label="Go to Cases", icon=":material/folder_shared:")
    st.stop()

case = common.attempt(lambda: cases.get_case(db, user, case_id))
if case is None:
    st.page_link("pages/cases.py", label="Back to Cases", icon=":material/arrow_back:")
    st.stop()

version_key = f"case_version_{case.id}"
st.session_state.setdefault(version_key, case.version)
expected_version = st.session_state[version_key]


def saved(message: str) -> None:
    """After a successful change: forget the version we edited and show the fresh case."""
    st.session_state.pop(version_key, None)
    common.flash(message)
    st.rerun()


can_write = user.role == "counsellor" and case.counsellor_id == user.id
editable = can_write and case.status == "open"

st.page_link("pages/cases.py", label="Cases", icon=":material/arrow_back:")
st.title(f"Case #{case.id} · {common.md(case.label)}")
badge = {"open": "green", "closed": "blue", "archived": "gray"}[case.status]
st.badge(case.status.capitalize(), color=badge)
st.caption(
    f"{case.kind.capitalize()} · opened {case.opened_on:%d %b %Y} · counsellor "
    f"{common.md(case.counsellor_name)}"
    + (f" · closed {case.closed_on:%d %b %Y} as **{case.outcome}**" if case.closed_on else "")
)
common.show_flash()
if expected_version != case.version:
    st.warning(
        "This case was changed in another tab or by someone else since you opened it. "
        "Copy anything you typed, then reload to see the latest version.",
        icon=":material/sync_problem:",
    )
    if st.button("Reload the latest version", key=f"reload_{case.id}"):
        for key in [
            k for k in st.session_state if str(k).endswith(f"_{case.id}") or k == version_key
        ]:
            del st.session_state[key]
        st.rerun()
if user.role == "supervisor":
    st.info("Supervisor view: read-only.", icon=":material/visibility:")
elif case.status != "open":
    st.info(
        "This case is " + case.status + ": reopen or restore it under **Close or archive** "
        "to change it.",
        icon=":material/lock:",
    )
if case.presenting_concern:
    st.markdown("**Presenting concern**")
    st.text(case.presenting_concern)

stages_tab, details_tab, close_tab = st.tabs(["Stages", "Details", "Close or archive"])

with stages_tab:
    columns = st.columns(len(case.clients), gap="large")
    for column, client in zip(columns, case.clients, strict=True):
        current = stage(client.stage)
        with column, st.container(border=True, key=f"client_{client.id}"):
            pronouns = f" ({common.md(client.pronouns)})" if client.pronouns else ""
            st.subheader(f"{common.md(client.name)}{pronouns}", anchor=False)
            st.markdown(f"#### Stage {current.label}")
            st.caption(f"Since {client.stage_since:%d %b %Y}. {current.summary}")
            with st.expander("What this stage asks of the client"):
                for ask in current.asks:
                    st.markdown(f"- **{ask.title}.** {ask.text}")
            if editable:
                numbers = [s.number for s in stages()]
                with st.form(f"move_{client.id}"):
                    target = st.selectbox(
                        "Move to stage",
                        numbers,
                        index=min(client.stage, len(numbers) - 1),
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
                                stage_history.move_client(db, user, c.id, t, reason=r, moved_on=d)
                            )
                        )
                        if move is not None:
                            st.session_state.pop(f"move_reason_{client.id}", None)
                            name, label = common.md(client.name), common.stage_label(target)
                            saved(f"{name} moved to stage {label}.")
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

with details_tab:
    if not editable:
        for client in case.clients:
            details = [
                common.md(client.pronouns) or "pronouns not given",
                common.md(client.email) or "no email",
                common.md(client.phone) or "no phone",
            ]
            st.markdown(f"**{common.md(client.name)}** · " + " · ".join(details))
    else:
        add_partner = len(case.clients) == 1 and st.checkbox(
            "Add a partner to this case", key=f"add_partner_{case.id}"
        )
        with st.form(f"edit_{case.id}"):
            slots = len(case.clients) + (1 if add_partner else 0)
            columns = st.columns(slots, gap="large")
            edited = []
            for i, column in enumerate(columns, start=1):
                existing = case.clients[i - 1] if i <= len(case.clients) else None
                with column:
                    title = "Client" if slots == 1 else f"Partner {i}"
                    edited.append(
                        widgets.client_fields(title, key=f"edit_{case.id}_{i}", client=existing)
                    )
            concern = st.text_area(
                "Presenting concern", value=case.presenting_concern, key=f"edit_concern_{case.id}"
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
                    )
                )
                if updated is not None:
                    st.session_state.pop(f"add_partner_{case.id}", None)
                    saved("Details saved.")

with close_tab:
    if not can_write:
        st.caption("Only the case's counsellor can close or archive it.")
    elif case.status == "open":
        with st.form(f"close_{case.id}"):
            st.markdown("**Close this case**")
            outcome = st.selectbox(
                "Outcome",
                OUTCOMES,
                key=f"close_outcome_{case.id}",
                format_func=str.capitalize,
            )
            closed_on = st.date_input(
                "Closed on",
                value=date.today(),
                max_value=date.today(),
                key=f"close_date_{case.id}",
                format="DD/MM/YYYY",
            )
            note = st.text_area("Closing note", key=f"close_note_{case.id}")
            if st.form_submit_button("Close case"):
                closed = common.attempt(
                    lambda: cases.close_case(
                        db,
                        user,
                        case.id,
                        expected_version,
                        outcome=outcome,
                        closed_on=closed_on,
                        note=note,
                    )
                )
                if closed is not None:
                    saved(f"Case closed: {outcome}.")
    elif case.status == "closed":
        st.markdown(f"Closed on {case.closed_on:%d %b %Y} as **{case.outcome}**.")
        if case.closing_note:
            st.text(case.closing_note)
        if st.button("Reopen case", key=f"reopen_{case.id}"):
            if common.attempt(lambda: cases.reopen_case(db, user, case.id, expected_version)):
                saved("Case reopened.")

    if can_write:
        st.divider()
        archived = case.status == "archived"
        confirm_key = f"confirm_archive_{case.id}"
        label = "Restore case" if archived else "Archive case"
        if st.button(label, key=f"archive_{case.id}"):
            st.session_state[confirm_key] = True
        if st.session_state.get(confirm_key):
            st.warning(
                "Restore this case to the working list?"
                if archived
                else "Archive this case? It leaves the working list; nothing is deleted and it "
                "can be restored at any time.",
                icon=":material/archive:",
            )
            yes, no = st.columns([1, 6])
            if yes.button("Yes, " + label.lower(), type="primary", key=f"archive_yes_{case.id}"):
                st.session_state.pop(confirm_key)
                if common.attempt(
                    lambda: cases.set_archived(db, user, case.id, expected_version, not archived)
                ):
                    saved("Case restored." if archived else "Case archived.")
            if no.button("Cancel", key=f"archive_no_{case.id}"):
                st.session_state.pop(confirm_key)
                st.rerun()
