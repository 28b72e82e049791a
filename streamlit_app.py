"""The router: page config, the login gate, and the pages each role may open."""

import streamlit as st
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pages import common, login

st.set_page_config(page_title="Casebook", page_icon=":material/menu_book:", layout="wide")
# Link and figure labels wrap in a narrow window (a laptop at 1024 px, half a screen), where
# Streamlit keeps them on one line and cuts them off: "Unsigned note · Sam O'Con".
st.html(
    "<style>"
    '[data-testid="stPageLink-NavLink"] :is(span, p), [data-testid="stMetricLabel"] :is(div, p)'
    " { white-space: normal; }"
    '[data-testid="stPageLink-NavLink"] p { line-height: 1.5; }'
    # A heading's link puts its text in the address (#case-1-jordan-reyes...): clients' names
    # in the browser's history and in a link copied for a colleague. The addresses say numbers.
    '[data-testid="stHeaderActionElements"] a[href^="#"] { display: none; }'
    # A chart's own image download saves a client's stages and scores with no audit entry: the
    # progress report is the way out (a table's CSV is off in .streamlit/config.toml).
    '[data-testid="stPlotlyChart"] .modebar-btn[data-title^="Download"] { display: none; }'
    "</style>"
)

# Each page by its address (its file's name): title, and icon in the sidebar (None: opened
# only from a link, as a case is).
PAGES = {
    "dashboard": ("Dashboard", ":material/dashboard:"),
    "practice": ("Practice", ":material/groups:"),
    "cases": ("Cases", ":material/folder_shared:"),
    "new_case": ("New case", ":material/add:"),
    "homework": ("Homework", ":material/assignment:"),
    "worksheets": ("Worksheets", ":material/library_books:"),
    "handouts": ("Handouts", ":material/print:"),
    "case": ("Case", None),
    "assignment": ("Worksheet", None),
    "note": ("Session note", None),
    "progress": ("Progress", None),
    "session_prep": ("Before the session", None),
    "accounts": ("Accounts", ":material/group:"),
    "audit_trail": ("Audit trail", ":material/policy:"),
    "practice_settings": ("Settings", ":material/settings:"),
    "my_account": ("My account", ":material/person:"),
}
CLINICAL = ["case", "assignment", "note", "progress", "session_prep", "my_account"]
ROLES = {
    "counsellor": ["dashboard", "cases", "new_case", "homework", "worksheets", "handouts"]
    + CLINICAL,
    "supervisor": ["dashboard", "practice", "cases", "homework", "worksheets"] + CLINICAL,
    "admin": ["accounts", "audit_trail", "practice_settings", "my_account"],
}


def _page(name: str) -> st.Page:
    title, icon = PAGES[name]
    return st.Page(
        f"pages/{name}.py", title=title, icon=icon, visibility="visible" if icon else "hidden"
    )


st.session_state[common.ROUTED_KEY] = True
user = common.current_user()
if user is None:
    # Every page's address shows the login form, then that page: a reload or an idle log-off
    # comes back to where it was (with no "Page not found" in the way of the form).
    at = {name: st.Page(login.show, title="Log in", url_path=name) for name in PAGES}
    form = [st.Page(login.show, title="Log in", default=True), *at.values()]
    page = st.navigation(form, position="hidden")
    if st.session_state.pop(common.FRONT_KEY, False):  # logged out by choice: start afresh
        st.switch_page(form[0])
    wanted, query = st.session_state.pop(common.WANTED_KEY, (None, {}))
    if wanted in at:  # an address a new server met before the router had run: back to it
        st.switch_page(at[wanted], query_params=query)
else:
    names = ["my_account"] if user.must_change_password else ROLES[user.role]
    page = st.navigation([_page(name) for name in names])
try:
    page.run()
except (OperationalError, PoolTimeout):  # a database down, out of reach or kept busy
    common.database_unreachable()
