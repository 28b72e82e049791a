"""Getting records out: CSV that spreadsheets cannot execute."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a byte-order mark for spreadsheets), formulas neutralised."""
    safe = frame.map(neutralise)
    safe.columns = [neutralise(c) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")
