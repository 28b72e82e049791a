"""Frames of outcome scores: each client's progress on a measure, and a couple's gap.

Input `scores` (for ONE measure) has one row per completed questionnaire:
    client_id (int), scored_on (date), total (number).
The scoring itself is analysis.measures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.measures import Measure, classify, reliable_change_index

SCORE_COLUMNS = ["client_id", "scored_on", "total"]
PROGRESS_DTYPES: dict[str, object] = {
    "client_id": "int64",
    "baseline": "float64",
    "latest": "float64",
    "change": "float64",
    "rci": "float64",
    "category": str,
    "n": "int64",
}
GAP_DTYPES: dict[str, object] = {
    "on": object,
    "a_total": "float64",
    "b_total": "float64",
    "gap": "float64",
}


def progress(scores: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """Per client: first and latest score, change, RC and category.

    Columns: client_id, baseline, latest, change, rci, category, n. A client with one
    score has rci NaN and category "unchanged".
    """
    if scores.empty:
        return pd.DataFrame(columns=list(PROGRESS_DTYPES)).astype(PROGRESS_DTYPES)
    ordered = scores.sort_values(["client_id", "scored_on"], kind="stable")
    # Each client's first and latest score and their count, in whole-column passes (all
    # three in client order) rather than a pandas group per client.
    first = ordered.drop_duplicates("client_id", keep="first")
    latest = ordered.drop_duplicates("client_id", keep="last")["total"]
    counts = ordered.groupby("client_id", sort=True).size()
    rows = [
        _client_progress(client_id, float(x1), float(x2), n, measure)
        for client_id, x1, x2, n in zip(
            first["client_id"].tolist(),
            first["total"].tolist(),
            latest.tolist(),
            counts.tolist(),
            strict=True,
        )
    ]
    return pd.DataFrame(rows, columns=list(PROGRESS_DTYPES)).astype(PROGRESS_DTYPES)


def _client_progress(
    client_id: int, baseline: float, latest: float, n: int, measure: Measure
) -> tuple:
    if n < 2:
        rci, category = math.nan, "unchanged"
    else:
        rci = reliable_change_index(baseline, latest, measure.sd, measure.reliability)
        category = classify(baseline, latest, measure)
    return (client_id, baseline, latest, latest - baseline, rci, category, n)


def partner_gap(scores: pd.DataFrame, partners: tuple[int, int]) -> pd.DataFrame:
    """Each partner's latest total on every date either scored, and the gap between them.

    Columns: on, a_total, b_total, gap (NaN until both partners have a score).
    """
    if scores.empty:
        return _empty_gap()
    pair = scores[scores["client_id"].isin(partners)]
    if pair.empty:
        return _empty_gap()
    days = sorted(set(pair["scored_on"]))
    a_total, b_total = (_running_total(pair, client, days) for client in partners)
    return pd.DataFrame(
        {
            "on": days,
            "a_total": a_total,
            "b_total": b_total,
            "gap": np.abs(a_total - b_total),
        }
    ).astype(GAP_DTYPES)


def _running_total(pair: pd.DataFrame, client_id: int, days: list) -> np.ndarray:
    own = pair[pair["client_id"] == client_id].sort_values("scored_on", kind="stable")
    by_day = own.drop_duplicates("scored_on", keep="last").set_index("scored_on")["total"]
    return by_day.astype("float64").reindex(days).ffill().to_numpy()


def _empty_gap() -> pd.DataFrame:
    return pd.DataFrame(columns=list(GAP_DTYPES)).astype(GAP_DTYPES)
