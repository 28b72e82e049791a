from datetime import date

import streamlit as st

from casebook import cases
from pages import common, widgets
from worksheets.stages import stages

user = common.require_user("counsellor")
db = common.database()

st.title("New case")
kind = st.radio(
    "Who is this case for?",
    ["individual", "couple"],
    horizontal=True,
    key="new_case_kind",
    format_func=lambda k: "One client" if k == "individual" else "A couple",
)
with st.form("new_case"):
    columns = st.columns(2 if kind == "couple" else 1, gap="large")
    clients = []
    for i, column in enumerate(columns, start=1):
        with column:
            title = "Client" if kind == "individual" else f"Partner {i}"
            clients.append(widgets.client_fields(title, key=f"new_client{i}"))
    left, right = st.columns(2)
    opened_on = left.date_input(
        "Opened on",
        value=date.today(),
        max_value=date.today(),
        key="new_case_opened",
        format="DD/MM/YYYY",
    )
    start_stage = right.selectbox(
        "Starting stage",
        [s.number for s in stages()],
        key="new_case_stage",
        format_func=common.stage_label,
    )
    concern = st.text_area("Presenting concern", key="new_case_concern", height=100)
    submitted = st.form_submit_button("Open case", type="primary")

if submitted:
    case = common.attempt(
        lambda: cases.create_case(
            db,
            user,
            clients,
            opened_on=opened_on,
            presenting_concern=concern,
            start_stage=start_stage,
        )
    )
    if case is not None:
        common.flash(f"Case #{case.id} opened for {common.md(case.label)}.")
        st.switch_page("pages/case.py", query_params={"case": case.id})
