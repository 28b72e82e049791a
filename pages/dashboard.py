from dataclasses import dataclass

import pandas as pd
import streamlit as st

from analysis import caseload, charts
from casebook import attention, cases, homework, notes, stage_history
from pages import common
from worksheets.stages import stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

st.title("Dashboard")
st.caption(
    "Your caseload" if user.role == "counsellor" else "Every counsellor's caseload (read-only)"
)


@dataclass(frozen=True)
class Caseload:
    """What the dashboard shows, read once and kept until the next write (or tomorrow)."""

    positions: pd.DataFrame
    work: homework.Homework
    needs: pd.DataFrame
    upcoming: list[notes.CaseDate]
    moves: list[stage_history.RecentMove]
    counsellors: dict[int, str]  # by case, for a supervisor: whose caseload each item is in


LISTED = 8  # items of each list shown as links; the rest in a table beneath
TABLED = 500  # at most this many in the table: a dashboard is no place for thousands


def read_caseload() -> Caseload:
    # Only what is shown is read: the most overdue homework for the attention list, the first
    # worksheets due this week; those awaiting review are only counted.
    work = homework.caseload_homework(
        db, user, limits={"overdue": TABLED, "due_this_week": LISTED, "awaiting_review": 0}
    )
    needs = attention.for_actor(db, user, work=work)
    upcoming = notes.upcoming_sessions(db, user)
    moves = stage_history.recent_moves(db, user, days=30)
    listed = [
        *needs["case_id"].head(TABLED),
        *(u.case_id for u in upcoming),
        *(a.case_id for a in work.due_this_week),
        *(m.case_id for m in moves),
    ]
    return Caseload(
        positions=pd.DataFrame(
            [vars(p) for p in stage_history.current_positions(db, user, open_only=True)],
            columns=caseload.POSITION_COLUMNS,
        ),
        work=work,
        needs=needs,
        upcoming=upcoming,
        moves=moves,
        counsellors=cases.counsellor_names(db, user, listed) if user.role == "supervisor" else {},
    )


shown = common.kept("dashboard", user, read_caseload)
positions, work, needs = shown.positions, shown.work, shown.needs


def whose(case_id: int) -> str:
    """For a supervisor, the counsellor whose caseload an item is in, after a dot."""
    return f" · {common.md(shown.counsellors[case_id])}" if shown.counsellors else ""


counts = caseload.case_counts(positions)
a, b, c, d, e, f = st.columns(6)
a.metric("Open cases", f"{counts['open_cases']:,}")
b.metric("Individual", f"{counts['individual']:,}")
c.metric("Couple", f"{counts['couple']:,}")
d.metric("Due this week", f"{work.totals['due_this_week']:,}")
e.metric("Overdue", f"{work.totals['overdue']:,}")
f.metric("Awaiting review", f"{work.totals['awaiting_review']:,}")

# The list holds the overdue homework read (the most overdue); the count has all of it.
needing = len(needs) + work.totals["overdue"] - len(work.overdue)
st.subheader(f"Needs attention ({needing:,})", anchor=False)
if needs.empty:
    st.caption("Nothing needs attention: no flags, nothing overdue, no old drafts.")
ICONS = {
    1: ":material/shield:",
    2: ":material/trending_down:",
    3: ":material/shield:",
    4: ":material/assignment_late:",
    5: ":material/edit_note:",
    6: ":material/event_busy:",
}
PAGES = {"case": "pages/case.py", "note": "pages/note.py", "assignment": "pages/assignment.py"}
for row in needs.head(LISTED).itertuples():
    [(kind, target)] = row.link.items()
    st.page_link(
        PAGES[kind],
        query_params={kind: target},
        icon=ICONS[row.priority],
        label=f"**{row.kind.capitalize()}** · {common.md(row.client_name)} · "
        f"{common.md(row.detail)}{whose(row.case_id)}",
    )
if needing > LISTED:
    with st.expander(f"{needing - LISTED:,} more"):
        rest = needs.iloc[LISTED:TABLED]
        st.dataframe(
            pd.DataFrame(
                {
                    "What": rest["kind"].str.capitalize(),
                    "Client": rest["client_name"],
                    "Case #": rest["case_id"],
                    "Detail": rest["detail"],
                }
                | (
                    {"Counsellor": rest["case_id"].map(shown.counsellors)}
                    if shown.counsellors
                    else {}
                )
            ),
            hide_index=True,
            width="stretch",
        )
        if needing > TABLED:
            st.caption(
                f"The {TABLED:,} most urgent are listed. Overdue homework is all on the "
                "Homework page."
            )

left, right = st.columns([3, 2], gap="large")
with left:
    by_stage = caseload.caseload_by_stage(positions, [s.name for s in stages()])
    if counts["clients"]:
        st.plotly_chart(charts.caseload_by_stage(by_stage), width="stretch")
        with st.expander("As a table"):
            st.dataframe(
                by_stage.rename(
                    columns={"stage": "Stage", "stage_name": "Name", "clients": "Clients"}
                ),
                hide_index=True,
                width="stretch",
            )
    elif user.role == "counsellor":
        st.info("No open cases yet: open your first one here.", icon=":material/info:")
        st.page_link("pages/new_case.py", label="New case", icon=":material/add:")
    else:  # a supervisor opens no cases: they show here as the counsellors open them
        st.info(
            "No open cases in the practice yet. Each case a counsellor opens shows here.",
            icon=":material/info:",
        )

with right:
    upcoming = shown.upcoming
    st.subheader("Upcoming sessions", anchor=False)
    if not upcoming:
        st.caption("No sessions booked in the next 14 days.")
    for item in upcoming[:LISTED]:
        st.page_link(
            "pages/session_prep.py",
            query_params={"case": item.case_id},
            icon=":material/event:",
            label=f"{item.on:%a %d %b} · {common.md(item.label)}{whose(item.case_id)}",
        )
    if len(upcoming) > LISTED:
        with st.expander(f"{len(upcoming) - LISTED} more"):
            st.dataframe(
                pd.DataFrame(
                    [(u.on, u.label, u.case_id) for u in upcoming[LISTED:]],
                    columns=["On", "Case", "Case #"],
                ),
                hide_index=True,
                width="stretch",
            )
    st.subheader("Homework due this week", anchor=False)
    if not work.due_this_week:  # said, as the sessions are: a list missing says nothing
        st.caption("Nothing due this week.")
    for a in work.due_this_week[:LISTED]:
        st.page_link(
            "pages/assignment.py",
            query_params={"assignment": a.id},
            icon=":material/assignment:",
            label=f"{a.due_on:%a %d %b} · {common.md(a.template_title)} · "
            f"{common.md(a.client_name)}{whose(a.case_id)}",
        )
    if work.totals["due_this_week"] > LISTED:
        st.page_link(
            "pages/homework.py",
            icon=":material/more_horiz:",
            label=f"{work.totals['due_this_week'] - LISTED} more on the Homework page",
        )
    st.subheader("Recent stage changes", anchor=False)
    st.caption("The last 30 days")
    moves = shown.moves
    if not moves:
        st.caption("No client changed stage in the last 30 days.")
    for move in moves[:LISTED]:
        with st.container(border=True):
            st.page_link(
                "pages/case.py",
                label=f"**{common.md(move.client_name)}** · case #{move.case_id}"
                + whose(move.case_id),
                query_params={"case": move.case_id},
                icon=":material/arrow_forward:",
            )
            direction = "back to" if move.from_stage and move.to_stage < move.from_stage else "to"
            st.caption(
                f"{move.moved_on:%d %b %Y} · {common.stage_label(move.from_stage)} "
                f"{direction} {common.stage_label(move.to_stage)}"
            )
    if len(moves) > LISTED:
        with st.expander(f"{len(moves) - LISTED} more"):
            st.dataframe(
                pd.DataFrame(
                    [
                        (
                            m.moved_on,
                            m.client_name,
                            m.case_id,
                            common.stage_label(m.from_stage),
                            common.stage_label(m.to_stage),
                        )
                        for m in moves[LISTED:]
                    ],
                    columns=["On", "Client", "Case #", "From", "To"],
                ),
                hide_index=True,
                width="stretch",
            )
