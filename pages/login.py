import streamlit as st

from casebook import accounts
from casebook.errors import CasebookError, LoginFailed
from pages import common


def show() -> None:
    """The login form: the only page a visitor sees, at whatever page's address they came to."""
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("Casebook")
        st.caption("Case tracking and worksheets for reconciliation counselling")
        if reason := st.session_state.get(common.LOGGED_OUT_KEY):
            st.info(reason, icon=":material/timer_off:")
        with st.form("login"):
            username = st.text_input("User name", autocomplete="username")
            password = st.text_input("Password", type="password", autocomplete="current-password")
            submitted = st.form_submit_button("Log in", type="primary", width="stretch")
        if submitted:
            try:
                common.log_in(accounts.authenticate(common.database(), username, password))
            except LoginFailed as exc:
                st.error(common.md(str(exc)), icon=":material/lock:")
            except CasebookError as exc:  # a key rotated since this server started, say
                st.error(common.md(str(exc)), icon=":material/error:")
            else:
                st.rerun()
