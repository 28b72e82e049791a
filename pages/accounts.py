import pandas as pd
import streamlit as st

from casebook import accounts, cases
from casebook.models import ROLES
from pages import common

user = common.require_user("admin")
db = common.database()

st.title("Accounts")
st.caption("Manage who can log in. Clinical records are not shown to administrators.")
common.show_flash()

listed = accounts.list_accounts(db, user)
held: dict[int, list[cases.HeldCase]] = {}  # each counsellor's cases, by number only
for case in cases.held_cases(db, user):
    held.setdefault(case.counsellor_id, []).append(case)


def open_count(account_id: int) -> int:
    return sum(c.status == "open" for c in held.get(account_id, []))


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


st.dataframe(
    pd.DataFrame(
        {
            "User name": [a.username for a in listed],
            "Name": [a.display_name for a in listed],
            "Role": [a.role for a in listed],
            "Active": [a.active for a in listed],
            "Locked until": [
                common.moment(a.locked_until) if a.locked_until else "" for a in listed
            ],
            "Created": [a.created_at.date() for a in listed],
            "Open cases": pd.array(
                [open_count(a.id) if a.role == "counsellor" else None for a in listed],
                dtype="Int64",
            ),
        }
    ),
    hide_index=True,
    width="stretch",
    placeholder="",
)

add_col, manage_col = st.columns(2, gap="large")
with add_col, st.form("add_account"):
    st.subheader("Add an account", anchor=False)
    username = st.text_input("User name", key="acct_username")
    display_name = st.text_input("Full name", key="acct_display")
    role = st.selectbox("Role", ROLES, key="acct_role", format_func=str.capitalize)
    password = st.text_input(
        "Initial password",
        type="password",
        key="acct_password",
        help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters; a passphrase is fine.",
    )
    if st.form_submit_button("Add account", type="primary"):
        created = common.attempt(
            lambda: accounts.create_user(
                db, user, username, role, password, display_name=display_name
            )
        )
        if created is not None:
            common.reset_widgets(
                dict.fromkeys(("acct_username", "acct_display", "acct_password"), "")
            )
            common.flash(f"Account '{common.md(created.username)}' created.")
            st.rerun()

with manage_col:
    st.subheader("Change an account", anchor=False)
    by_id = {a.id: a for a in listed}
    chosen = st.selectbox(
        "Account",
        list(by_id),
        key="acct_chosen",
        format_func=lambda i: f"{by_id[i].username} ({by_id[i].role})",
    )
    account = by_id[chosen]
    # The name and role the form was drawn with: a save from them after another admin's
    # change (a role taken away, say) would quietly undo it, so it is refused. A reload or a
    # save starts the boxes' next generation: drawn afresh, they show the record.
    shown_key = f"acct_shown_{account.id}"
    g, shown = common.drawn(
        shown_key, (account.display_name, account.role), lambda g: f"acct_name_{account.id}_g{g}"
    )
    name_key, role_key = f"acct_name_{account.id}_g{g}", f"acct_role_{account.id}_g{g}"
    common.stale_banner(
        shown,
        (account.display_name, account.role),
        what="account",
        key=f"acct_reload_{account.id}",
        forget=lambda k: k == shown_key,
        typed=[name_key] if st.session_state.get(name_key) != shown[0] else [],
    )
    with st.form(f"edit_account_{account.id}"):
        name = st.text_input("Full name", value=account.display_name, key=name_key)
        new_role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(account.role),
            key=role_key,
            format_func=str.capitalize,
        )
        if st.form_submit_button("Save name and role"):
            if common.attempt(
                lambda: accounts.update_account(
                    db,
                    user,
                    account.id,
                    display_name=name,
                    role=new_role,
                    expected=shown,
                )
            ):
                st.session_state.pop(shown_key)  # drawn afresh from the record
                common.flash(f"'{common.md(account.username)}' updated.")
                st.rerun()
    if account.locked_until:
        st.warning(
            # With the day: a lock may last up to a day, so "until 09:30" could be tomorrow's.
            f"Locked after too many failed logins, until {common.moment(account.locked_until)}.",
            icon=":material/lock_clock:",
        )
        if st.button("Unlock", key="acct_unlock"):
            if common.attempt(lambda: accounts.unlock(db, user, account.id)):
                common.flash(f"'{common.md(account.username)}' can log in again.")
                st.rerun()
    if account.active:
        if account.id != user.id and common.confirmed(
            f"acct_deactivate_{account.id}",  # a question asked of one account is not another's
            "Deactivate",
            f"Deactivate '{common.md(account.username)}'? They can no longer log in, and any "
            "session of theirs ends at its next step. Nothing of theirs is deleted.",
            yes="Yes, deactivate",
        ):
            if common.attempt(lambda: accounts.set_active(db, user, account.id, False)):
                still = open_count(account.id)
                common.flash(
                    f"'{common.md(account.username)}' can no longer log in."
                    + (
                        f" Their {plural(still, 'open case')} stay theirs until handed over below."
                        if still
                        else ""
                    )
                )
                st.rerun()
    elif st.button("Reactivate", key="acct_reactivate"):
        if common.attempt(lambda: accounts.set_active(db, user, account.id, True)):
            common.flash(f"'{common.md(account.username)}' can log in again.")
            st.rerun()
    if account.id == user.id:
        st.page_link(
            "pages/my_account.py",
            label="Your own password is changed on My account",
            icon=":material/key:",
        )
    else:
        with st.form("reset_password"):
            new_password = st.text_input(
                "New password",
                type="password",
                key="acct_new_password",
                help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters; a passphrase is fine.",
            )
            if st.form_submit_button("Reset password"):
                if common.attempt(
                    lambda: accounts.reset_password(db, user, account.id, new_password)
                ):
                    # Cleared: one more click must not give a second account the same password.
                    common.reset_widgets({"acct_new_password": ""})
                    common.flash(f"Password of '{common.md(account.username)}' reset.")
                    st.rerun()

st.divider()
st.subheader("Hand over cases", anchor=False)
st.caption(
    "When a counsellor leaves or goes on leave, another counsellor takes over their cases, "
    "with every note, worksheet and score in them. Cases are shown by number only."
)
counsellors = {a.id: a for a in listed if a.role == "counsellor"}
givers = [i for i in counsellors if held.get(i)]
if not givers:
    st.info("No counsellor has any cases yet.", icon=":material/info:")
    st.stop()


def counsellor_label(account_id: int) -> str:
    a = counsellors[account_id]
    state = "" if a.active else ", deactivated"
    return f"{a.display_name} ({a.username}{state})"


giver_col, taker_col = st.columns(2)
giver = giver_col.selectbox(
    "From",
    givers,
    key="handover_from",
    format_func=lambda i: (
        f"{counsellor_label(i)} · {plural(len(held[i]), 'case')}, {open_count(i):,} open"
    ),
)
takers = [i for i, a in counsellors.items() if i != giver and a.active]
if not takers:
    st.info("There is no other active counsellor to hand them to.", icon=":material/info:")
    st.stop()
taker = taker_col.selectbox("To", takers, key="handover_to", format_func=counsellor_label)
theirs = {c.id: c for c in held[giver]}
which = st.radio(
    "Which cases",
    ["all", "chosen"],
    key="handover_which",
    horizontal=True,
    format_func=lambda w: f"All {plural(len(theirs), 'case')}" if w == "all" else "Only these…",
)
chosen = None
if which == "chosen":
    chosen = st.multiselect(
        "Cases",
        list(theirs),
        key=f"handover_cases_{giver}",  # another counsellor's cases are another choice
        format_func=lambda i: f"#{i} · {theirs[i].status} · opened {theirs[i].opened_on:%d %b %Y}",
        placeholder="Choose by case number",
    )
count = len(theirs) if chosen is None else len(chosen)
giving, taking = (common.md(counsellors[i].display_name) for i in (giver, taker))
if common.confirmed(
    "handover_go",
    f"Hand over {plural(count, 'case')} to {taking}",
    f"Hand over {plural(count, 'case')} of {giving} to {taking}? {taking} will see and keep "
    f"them, with everything in them, and {giving} will no longer see them. The audit trail "
    "records each one.",
    yes="Yes, hand over",
    type="primary",
    disabled=not count,
    icon=":material/move_item:",
):
    moved = common.attempt(lambda: cases.hand_over(db, user, giver, taker, chosen))
    if moved:
        common.flash(f"{plural(moved, 'case')} of {giving} handed over to {taking}.")
        st.rerun()
