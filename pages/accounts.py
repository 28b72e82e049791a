import pandas as pd
import streamlit as st

from casebook import accounts
from casebook.models import ROLES
from pages import common

user = common.require_user("admin")
db = common.database()

st.title("Accounts")
st.caption("Manage who can log in. Clinical records are not shown to administrators.")
common.show_flash()

listed = accounts.list_accounts(db, user)
st.dataframe(
    pd.DataFrame(
        {
            "User name": [a.username for a in listed],
            "Name": [a.display_name for a in listed],
            "Role": [a.role for a in listed],
            "Active": [a.active for a in listed],
            "Locked until (UTC)": [
                f"{a.locked_until:%H:%M}" if a.locked_until else "" for a in listed
            ],
            "Created": [a.created_at.date() for a in listed],
        }
    ),
    hide_index=True,
    width="stretch",
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
    with st.form(f"edit_account_{account.id}"):
        name = st.text_input("Full name", value=account.display_name, key=f"acct_name_{account.id}")
        new_role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(account.role),
            key=f"acct_role_{account.id}",
            format_func=str.capitalize,
        )
        if st.form_submit_button("Save name and role"):
            if common.attempt(
                lambda: accounts.update_account(
                    db, user, account.id, display_name=name, role=new_role
                )
            ):
                common.flash(f"'{common.md(account.username)}' updated.")
                st.rerun()
    if account.locked_until:
        st.warning(
            f"Locked after too many failed logins, until {account.locked_until:%H:%M} UTC.",
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
                common.flash(f"'{common.md(account.username)}' can no longer log in.")
                st.rerun()
    elif st.button("Reactivate", key="acct_reactivate"):
        if common.attempt(lambda: accounts.set_active(db, user, account.id, True)):
            common.flash(f"'{common.md(account.username)}' can log in again.")
            st.rerun()
    with st.form("reset_password"):
        new_password = st.text_input("New password", type="password", key="acct_new_password")
        if st.form_submit_button("Reset password"):
            if common.attempt(lambda: accounts.reset_password(db, user, account.id, new_password)):
                # Cleared: one more click must not give a second account the same password.
                common.reset_widgets({"acct_new_password": ""})
                common.flash(f"Password of '{common.md(account.username)}' reset.")
                st.rerun()
