"""Stage timelines: how long clients stayed in each stage of the guide.

Input `moves` has one row per stage move, each client's moves in move order:
    client_id (int), stage (int), moved_on (date).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

MOVE_COLUMNS = ["client_id", "stage", "moved_on"]
TIMELINE_DTYPES = {
    "client_id": "int64",
    "stage": "int64",
    "entered": object,
    "left": object,
    "days": "int64",
    "moved_back": "bool",
    "current": "bool",
}
TIMELINE_COLUMNS = list(TIMELINE_DTYPES)
DAYS_DTYPES = {"client_id": "int64", "stage": "int64", "days": "int64"}


def _in_client_order(moves: pd.DataFrame) -> pd.DataFrame:
    """Moves grouped by client, each client's moves kept in the order given."""
    return moves.sort_values("client_id", kind="stable").reset_index(drop=True)


def stage_timeline(moves: pd.DataFrame, today: date) -> pd.DataFrame:
    """One row per stay in a stage; the current stay has `left` None and counts to `today`.

    Columns: client_id, stage, entered, left, days, moved_back, current.
    """
    if moves.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS).astype(TIMELINE_DTYPES)
    ordered = _in_client_order(moves)
    by_client = ordered.groupby("client_id", sort=False)
    next_move = by_client["moved_on"].shift(-1)
    previous_stage = by_client["stage"].shift(1)
    current = next_move.isna()
    left = [None if last else moved for moved, last in zip(next_move, current, strict=True)]
    entered = list(ordered["moved_on"])
    days = [
        ((end if end is not None else today) - start).days
        for start, end in zip(entered, left, strict=True)
    ]
    timeline = pd.DataFrame(
        {
            "client_id": ordered["client_id"],
            "stage": ordered["stage"],
            "entered": entered,
            "left": pd.Series(left, dtype=object),
            "days": days,
            # The first stay has no previous stage; NaN compares False.
            "moved_back": ordered["stage"] < previous_stage,
            "current": current,
        }
    )
    return timeline.astype(TIMELINE_DTYPES)


def days_in_stage(timeline: pd.DataFrame) -> pd.DataFrame:
    """Total days per client and stage, adding up returns to a stage.

    Columns: client_id, stage, days; sorted by client_id and stage.
    """
    if timeline.empty:
        return pd.DataFrame(columns=list(DAYS_DTYPES)).astype(DAYS_DTYPES)
    totals = timeline.groupby(["client_id", "stage"], sort=True)["days"].sum().reset_index()
    return totals.astype(DAYS_DTYPES)


def funnel_at(moves: pd.DataFrame, on: date, stage_count: int) -> pd.DataFrame:
    """Clients standing in each stage on `on` (by their latest move on or before it).

    Clients with no move yet are not counted. Columns: stage (1..stage_count), clients.
    """
    counts: dict[int, int] = {}
    if not moves.empty:
        ordered = _in_client_order(moves)
        before = ordered[ordered["moved_on"] <= on]
        latest = before.drop_duplicates("client_id", keep="last")
        counts = latest["stage"].value_counts().to_dict()
    stages = list(range(1, stage_count + 1))
    return pd.DataFrame(
        {"stage": stages, "clients": [int(counts.get(s, 0)) for s in stages]}
    ).astype({"stage": "int64", "clients": "int64"})
