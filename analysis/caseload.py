"""Caseload summaries over a frame of client positions (one row per client)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

POSITION_COLUMNS = [
    "case_id",
    "client_id",
    "client_name",
    "stage",
    "since",
    "case_status",
    "couple",
]


def open_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Only the clients whose case is open."""
    return positions[positions["case_status"] == "open"]


def caseload_by_stage(positions: pd.DataFrame, stage_names: Sequence[str]) -> pd.DataFrame:
    """Clients in open cases per stage, every stage listed (zero where empty).

    `stage_names[i]` names stage i + 1. Columns: stage, stage_name, clients.
    """
    counts = open_positions(positions)["stage"].value_counts()
    return stage_table({int(n): int(c) for n, c in counts.items()}, stage_names)


def stage_table(clients: Mapping[int, int], stage_names: Sequence[str]) -> pd.DataFrame:
    """Clients per stage from counts already made ({stage: clients}), every stage listed."""
    numbers = range(1, len(stage_names) + 1)
    return pd.DataFrame(
        {
            "stage": list(numbers),
            "stage_name": list(stage_names),
            "clients": [clients.get(n, 0) for n in numbers],
        }
    )


def case_counts(positions: pd.DataFrame) -> dict[str, int]:
    """Open cases in all, individual and couple, and the clients in them."""
    open_ = open_positions(positions)
    per_case = open_.drop_duplicates("case_id")
    couples = int(per_case["couple"].sum())
    return {
        "open_cases": len(per_case),
        "individual": len(per_case) - couples,
        "couple": couples,
        "clients": len(open_),
    }
