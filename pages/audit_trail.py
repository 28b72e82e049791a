from datetime import date, timedelta

import pandas as pd
import streamlit as st

from casebook import audit, validation
from casebook.exports import csv_bytes
from casebook.models import utcnow
from pages import common

LIMIT = 1000  # entries listed at once

user = common.require_user("admin")
db = common.database()

st.title("Audit trail")
st.caption(
    "Every login, view, change, export and account change, each entry chained to the one "
    "before it. `casebook audit verify` checks the whole chain."
)

a, f, b, c, d, e = st.columns([1.2, 0.9, 0.9, 1.4, 1, 1])
username = a.text_input("User name", key="audit_user").strip().lower() or None
# Typed as cases are named everywhere else: "#12" or "12".
case_text = f.text_input("Case number", key="audit_case").strip().removeprefix("#")
client_text = b.text_input("Client number", key="audit_client").strip()
action = common.choice(
    c,
    "Action",
    [None, *audit.actions(db, user)],
    key="audit_action",
    format_func=lambda x: "Any action" if x is None else x.replace("_", " "),
)
# Days in UTC, as entries are timed: on a server behind UTC, "To" the local day left out the
# newest entries each evening (already the next day in UTC).
today = utcnow().date()
since = d.date_input(
    "From (UTC)", value=today - timedelta(days=30), key="audit_since", format="DD/MM/YYYY"
)
until = e.date_input("To (UTC)", value=today, key="audit_until", format="DD/MM/YYYY")

if since > until:
    st.error(
        "'From' is after 'To': choose a From date on or before the To date.",
        icon=":material/error:",
    )
    st.stop()
case_id = None
if case_text:
    case_id = validation.record_number(case_text)
    if case_id is None:
        st.error("A case number is digits only, e.g. 12 or #12.", icon=":material/error:")
        st.stop()
client_id = None
if client_text:
    # Read as every record number is: "²" is a digit to isdigit() but no int, and PostgreSQL
    # refuses to compare a number beyond what its column holds.
    client_id = validation.record_number(client_text)
    if client_id is None:
        st.error("A client number is digits only, e.g. 12.", icon=":material/error:")
        st.stop()

chosen = dict(
    username=username, case_id=case_id, client_id=client_id, action=action, since=since, until=until
)
rows = audit.entries(db, user, **chosen, limit=LIMIT)
matching = audit.count_entries(db, user, **chosen) if len(rows) == LIMIT else len(rows)
frame = pd.DataFrame(
    {
        "#": [r.id for r in rows],
        "When (UTC)": [r.at.strftime("%Y-%m-%d %H:%M:%S") for r in rows],
        "User": [r.username for r in rows],
        "Action": [r.action.replace("_", " ") for r in rows],
        # Whole numbers (so they sort as numbers), blank where an entry names no case or client.
        "Case": pd.array([r.case_id for r in rows], dtype="Int64"),
        "Client": pd.array([r.client_id for r in rows], dtype="Int64"),
        "Detail": [r.detail for r in rows],
        "Hash": [r.hash[:12] for r in rows],
    }
)
if matching > len(rows):
    # Neither the table nor its export holds the older ones: an export for a review must
    # not look complete when it is not.
    st.warning(
        f"{matching:,} entries match: shown and exported here are the newest {LIMIT:,}, "
        f"back to {rows[-1].at:%d %b %Y %H:%M} UTC. Narrow the dates (or the user, action, case or "
        "client) to see and export the others.",
        icon=":material/warning:",
    )
else:
    st.caption(f"{len(rows):,} entr{'y' if len(rows) == 1 else 'ies'}, newest first")
if rows:
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        placeholder="",  # a missing case or client number is a blank cell, not "None"
    )
    st.download_button(
        "Export as CSV",
        csv_bytes(frame),
        file_name=f"casebook-audit-{date.today()}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_export",
        on_click=lambda: common.attempt(
            lambda: audit.log(db, user, "audit_export", detail=f"{len(rows)} entries")
        ),
    )
else:
    st.info("No entries match these filters.", icon=":material/info:")
