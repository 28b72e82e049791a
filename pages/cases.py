import streamlit as st

from casebook import cases
from pages import common
from worksheets.stages import stages

PAGE_SIZE = 25

user = common.require_user("counsellor", "supervisor")
db = common.database()

st.title("Cases")
common.show_flash()


def first_page() -> None:
    """New filters show their first page."""
    st.session_state.pop("cases_page", None)


search_col, stage_col, status_col, kind_col = st.columns([3, 3, 2, 2])
search = search_col.text_input(
    "Client name or case number",
    key="cases_search",
    placeholder="Search…",
    on_change=first_page,
)
stage_choice = common.choice(
    stage_col,
    "Stage",
    [None, *(s.number for s in stages())],
    key="cases_stage",
    on_change=first_page,
    format_func=lambda n: "Any stage" if n is None else common.stage_label(n),
)
status = common.choice(
    status_col,
    "Status",
    ["open", "closed", "archived", None],
    key="cases_status",
    on_change=first_page,
    format_func=lambda s: "Any status" if s is None else s.capitalize(),
)
kind = common.choice(
    kind_col,
    "Kind",
    [None, "individual", "couple"],
    key="cases_kind",
    on_change=first_page,
    format_func=lambda k: "Any kind" if k is None else k.capitalize(),
)

with common.plain_errors():
    filters = {"search": search, "stage": stage_choice, "status": status, "kind": kind}
    page = st.session_state.get("cases_page", 1)
    found = cases.find_cases(db, user, **filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-found.total // PAGE_SIZE))
    if page > pages:  # cases closed or archived meanwhile: back to the first page
        page = st.session_state["cases_page"] = 1
        found = cases.find_cases(db, user, **filters, limit=PAGE_SIZE)
    if not found.total:
        filtered = bool(search or stage_choice or kind or status != "open")
        st.info(
            "No cases match these filters."
            if filtered
            else "You have no open cases yet: open your first one here."
            if user.role == "counsellor"
            else "There are no open cases in the practice yet: each case a counsellor opens "
            "shows here.",
            icon=":material/info:",
        )
        if user.role == "counsellor" and not filtered:
            st.page_link("pages/new_case.py", label="New case", icon=":material/add:")
        st.stop()  # no count of nothing, and no table heading over no rows
    if pages > 1:
        st.columns([1, 4])[0].number_input(f"Page (of {pages:,})", 1, pages, key="cases_page")
    st.caption(f"{found.total:,} case{'s' if found.total != 1 else ''}")
    # Three columns, not five: kind, status and opening date share one, so that none is
    # squeezed to a letter a word beside the sidebar in a narrow window.
    widths = [3, 4, 2.5]
    for col, title in zip(st.columns(widths), ["Case", "Stages", "Status"], strict=True):
        col.markdown(f"**{title}**")
    for case in found.cases:
        with st.container(border=True):
            row = st.columns(widths, vertical_alignment="center")
            row[0].page_link(
                "pages/case.py",
                label=f"#{case.id} · {common.md(case.label)}",
                query_params={"case": case.id},
            )
            row[1].markdown(
                "  \n".join(
                    f"{common.md(c.name)}: {common.stage_label(c.stage)}" for c in case.clients
                )
            )
            row[2].write(case.status.capitalize() + (f" ({case.outcome})" if case.outcome else ""))
            row[2].caption(f"{case.kind.capitalize()} · opened {case.opened_on:%d %b %Y}")
            if user.role == "supervisor":
                row[0].caption(f"Counsellor: {common.md(case.counsellor_name)}")
