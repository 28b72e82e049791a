import streamlit as st

from casebook import practice
from pages import common

user = common.require_user("admin")
db = common.database()

st.title("Practice settings")
common.show_flash()
current = practice.load(db)

with st.form("practice_settings"):
    name = st.text_input("Practice name", value=current.practice_name, key="set_name")
    left, right = st.columns(2)
    idle = left.number_input(
        "Log off after this many idle minutes",
        1,
        24 * 60,
        current.idle_logoff_minutes,
        key="set_idle",
    )
    kept = right.number_input(
        "Daily backups to keep", 1, 3650, current.backups_kept, key="set_backups"
    )
    attempts = left.number_input(
        "Failed logins before an account locks",
        1,
        100,
        current.lockout_attempts,
        key="set_attempts",
    )
    minutes = right.number_input(
        "Minutes an account stays locked", 1, 24 * 60, current.lockout_minutes, key="set_lock"
    )
    if st.form_submit_button("Save settings", type="primary"):
        saved = common.attempt(
            lambda: practice.update(
                db,
                user,
                practice_name=name,
                idle_logoff_minutes=int(idle),
                backups_kept=int(kept),
                lockout_attempts=int(attempts),
                lockout_minutes=int(minutes),
            )
        )
        if saved is not None:
            common.flash("Settings saved.")
            st.rerun()
