"""The router: page config, the login gate, and the pages each role may open."""

import streamlit as st

from pages import common

st.set_page_config(page_title="Casebook", page_icon=":material/menu_book:", layout="wide")

user = common.current_user()
if user is None:
    page = st.navigation(
        [st.Page("pages/login.py", title="Log in", default=True)], position="hidden"
    )
else:
    account = st.Page("pages/my_account.py", title="My account", icon=":material/person:")
    if user.must_change_password:
        pages = [account]
    elif user.role == "admin":
        pages = [
            st.Page("pages/accounts.py", title="Accounts", icon=":material/group:"),
            st.Page("pages/audit_trail.py", title="Audit trail", icon=":material/policy:"),
            st.Page("pages/practice_settings.py", title="Settings", icon=":material/settings:"),
            account,
        ]
    else:
        pages = [
            st.Page("pages/dashboard.py", title="Dashboard", icon=":material/dashboard:"),
            st.Page("pages/cases.py", title="Cases", icon=":material/folder_shared:"),
            st.Page("pages/homework.py", title="Homework", icon=":material/assignment:"),
            st.Page("pages/worksheets.py", title="Worksheets", icon=":material/library_books:"),
            st.Page("pages/case.py", title="Case", visibility="hidden"),
            st.Page("pages/assignment.py", title="Worksheet", visibility="hidden"),
            st.Page("pages/note.py", title="Session note", visibility="hidden"),
            st.Page("pages/progress.py", title="Progress", visibility="hidden"),
            st.Page("pages/session_prep.py", title="Before the session", visibility="hidden"),
            account,
        ]
        if user.role == "counsellor":
            pages.insert(2, st.Page("pages/new_case.py", title="New case", icon=":material/add:"))
            pages.insert(5, st.Page("pages/handouts.py", title="Handouts", icon=":material/print:"))
        else:
            pages.insert(
                1, st.Page("pages/practice.py", title="Practice", icon=":material/groups:")
            )
    page = st.navigation(pages)
page.run()
