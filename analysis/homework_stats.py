"""Homework completion: on time, late, overdue and open, overall or grouped.

Input `assignments` has one row per assignment:
    client_id (int), stage (int), due_on (date), completed_on (date or None),
    status (assigned, in_progress, completed, reviewed or cancelled).
An assignment counts as completed when it has a `completed_on` date; cancelled ones are
left out of every count.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

ASSIGNMENT_COLUMNS = ["client_id", "stage", "due_on", "completed_on", "status"]
OUTCOMES = ("on_time", "late", "overdue", "open")
COUNT_COLUMNS = ["assigned", *OUTCOMES]
KEY_DTYPES: dict[str, object] = {"client_id": "int64", "stage": "int64", "month": str}


def outcome(due_on: date, completed_on: date | None, today: date) -> str:
    """How one assignment stands: "on_time", "late", "overdue" or "open"."""
    if completed_on is not None and not pd.isna(completed_on):
        return "on_time" if completed_on <= due_on else "late"
    return "overdue" if due_on < today else "open"


def outcomes(assignments: pd.DataFrame, today: date) -> pd.Series:
    """The outcome of each assignment, aligned with the frame's rows."""
    values = [
        outcome(due, done, today)
        for due, done in zip(assignments["due_on"], assignments["completed_on"], strict=True)
    ]
    return pd.Series(values, index=assignments.index, dtype=object)


def _group_keys(assignments: pd.DataFrame, by: str) -> pd.Series:
    if by == "month":
        months = [due.strftime("%Y-%m") for due in assignments["due_on"]]
        return pd.Series(months, index=assignments.index, name="month").astype(str)
    return assignments[by]


def completion(assignments: pd.DataFrame, today: date, by: str | None = None) -> pd.DataFrame:
    """Counts per outcome and the completion rate, overall or per client, stage or month.

    Columns: [by] assigned, on_time, late, overdue, open, completion_rate. With `by` None
    there is always exactly one row (zeros when nothing was assigned). Raises ValueError
    for any other `by`.
    """
    if by not in (None, *KEY_DTYPES):
        raise ValueError(f"Homework cannot be grouped by {by!r}: use client_id, stage or month.")
    active = assignments
    if not assignments.empty:
        active = assignments[assignments["status"] != "cancelled"]
    if active.empty:
        return _empty(by)
    result = outcomes(active, today)
    flags = pd.DataFrame({name: (result == name).astype("int64") for name in OUTCOMES})
    if by is None:
        counts = flags.sum().to_frame().T.reset_index(drop=True)
    else:
        counts = flags.groupby(_group_keys(active, by), sort=True).sum().reset_index()
        counts = counts.astype({by: KEY_DTYPES[by]})
    return _with_rate(counts)


def _with_rate(counts: pd.DataFrame) -> pd.DataFrame:
    counts = counts.astype({name: "int64" for name in OUTCOMES})
    assigned = counts[list(OUTCOMES)].sum(axis=1)
    counts.insert(counts.columns.get_loc("on_time"), "assigned", assigned.astype("int64"))
    done = counts["on_time"] + counts["late"]
    # 0 / 0 is NaN: nothing assigned means a rate of 0.0.
    counts["completion_rate"] = (done / counts["assigned"]).fillna(0.0).astype("float64")
    return counts


def _empty(by: str | None) -> pd.DataFrame:
    if by is None:
        return _with_rate(pd.DataFrame({name: [0] for name in OUTCOMES}))
    dtypes = {by: KEY_DTYPES[by], **{name: "int64" for name in COUNT_COLUMNS}}
    empty = pd.DataFrame(columns=list(dtypes)).astype(dtypes)
    return empty.assign(completion_rate=pd.Series(dtype="float64"))
