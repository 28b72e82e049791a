import streamlit as st

from casebook import accounts
from pages import common

user = common.require_user()
db = common.database()

st.title("My account")
st.markdown(f"**{common.md(user.display_name)}** · user name `{user.username}` · {user.role}")
common.show_flash()
if user.must_change_password:
    st.warning(
        "Your password was reset by an administrator. Choose a new one to continue.",
        icon=":material/key:",
    )

with st.form("change_password"):
    st.subheader("Change your password", anchor=False)
    current = st.text_input("Current password", type="password", key="pw_current")
    new = st.text_input(
        "New password",
        type="password",
        key="pw_new",
        help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters; a passphrase is fine.",
    )
    again = st.text_input("New password again", type="password", key="pw_again")
    if st.form_submit_button("Change password", type="primary"):
        if new != again:
            st.error("The two new passwords differ.", icon=":material/error:")
        elif changed := common.attempt(
            lambda: accounts.change_own_password(db, user, current, new)
        ):
            common.reset_widgets(dict.fromkeys(("pw_current", "pw_new", "pw_again"), ""))
            common.log_in(changed)
            common.flash("Your password is changed.")
            st.rerun()
