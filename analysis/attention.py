"""What needs a counsellor's attention today, most urgent first.

Inputs (keyword-only, one frame each):
    overdue: client_id, stage, due_on (date), completed_on (date or None), status,
        case_id, client_name, template_title, id (the assignment's id).
        Rows that are cancelled, completed or not yet overdue on `today` are skipped.
    sessions: case_id, case_label, last_session (date or None), opened_on (date).
    unsigned: note_id, case_id, session_at (datetime), case_label.
    deterioration: client_id, client_name, case_id, measure_name, category
        (only rows with category "deteriorated" are listed).
    flags: client_id, client_name, case_id (clients with a safety flag raised).
    positions: client_id, client_name, case_id, stage (int), screened (bool).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd

from analysis import homework_stats

PRIORITIES = {
    "safety flag": 1,
    "reliable deterioration": 2,
    "not screened": 3,
    "overdue homework": 4,
    "unsigned note": 5,
    "no recent session": 6,
}
ATTENTION_DTYPES: dict[str, object] = {
    "priority": "int64",
    "kind": str,
    "case_id": "int64",
    "client_name": str,
    "detail": str,
    "link": object,
}


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _row(kind: str, case_id: int, name: str, detail: str, link: dict[str, int]) -> dict:
    return {
        "priority": PRIORITIES[kind],
        "kind": kind,
        "case_id": case_id,
        "client_name": name,
        "detail": detail,
        "link": link,
    }


def _safety_flags(flags: pd.DataFrame) -> Iterator[dict]:
    for r in flags.itertuples(index=False):
        detail = "Safety flag raised: review the screening before any joint or contact work."
        yield _row("safety flag", r.case_id, r.client_name, detail, {"case": r.case_id})


def _deteriorations(deterioration: pd.DataFrame) -> Iterator[dict]:
    if deterioration.empty:
        return
    worse = deterioration[deterioration["category"] == "deteriorated"]
    for r in worse.itertuples(index=False):
        detail = f"{r.measure_name} shows reliable deterioration."
        yield _row("reliable deterioration", r.case_id, r.client_name, detail, {"case": r.case_id})


def _unscreened(positions: pd.DataFrame, screen_before_stage: int) -> Iterator[dict]:
    if positions.empty:
        return
    screened = positions["screened"].fillna(False).astype(bool)
    near = positions[(positions["stage"] >= screen_before_stage - 1) & ~screened]
    for r in near.itertuples(index=False):
        detail = (
            f"At stage {r.stage} and not yet screened for safety; "
            f"screen before stage {screen_before_stage}."
        )
        yield _row("not screened", r.case_id, r.client_name, detail, {"case": r.case_id})


def _overdue_homework(overdue: pd.DataFrame, today: date) -> Iterator[dict]:
    if overdue.empty:
        return
    active = overdue[overdue["status"] != "cancelled"]
    late = active[homework_stats.outcomes(active, today) == "overdue"]
    for r in late.itertuples(index=False):
        detail = f"{r.template_title} was due {_days((today - r.due_on).days)} ago."
        yield _row("overdue homework", r.case_id, r.client_name, detail, {"assignment": r.id})


def _unsigned_notes(unsigned: pd.DataFrame, today: date, unsigned_days: int) -> Iterator[dict]:
    for r in unsigned.itertuples(index=False):
        held = r.session_at.date()
        age = (today - held).days
        if age >= unsigned_days:
            detail = (
                f"The note on the session of {_long_date(held)} is unsigned after {_days(age)}."
            )
            yield _row("unsigned note", r.case_id, r.case_label, detail, {"note": r.note_id})


def _quiet_cases(sessions: pd.DataFrame, today: date, no_session_days: int) -> Iterator[dict]:
    for r in sessions.itertuples(index=False):
        had_session = r.last_session is not None and not pd.isna(r.last_session)
        since = (today - (r.last_session if had_session else r.opened_on)).days
        if since < no_session_days:
            continue
        if had_session:
            detail = f"No session for {_days(since)}."
        else:
            detail = f"No session yet; the case opened {_days(since)} ago."
        yield _row("no recent session", r.case_id, r.case_label, detail, {"case": r.case_id})


def attention_list(
    *,
    overdue: pd.DataFrame,
    sessions: pd.DataFrame,
    unsigned: pd.DataFrame,
    deterioration: pd.DataFrame,
    flags: pd.DataFrame,
    positions: pd.DataFrame,
    today: date,
    no_session_days: int = 30,
    unsigned_days: int = 7,
    screen_before_stage: int = 4,
) -> pd.DataFrame:
    """Everything needing attention, sorted by priority (1 = most urgent) then case.

    Notes are listed once `unsigned_days` old and cases once `no_session_days` have passed
    since the last session (or the opening, when none). Columns: priority, kind, case_id,
    client_name, detail, link.
    """
    rows = [
        *_safety_flags(flags),
        *_deteriorations(deterioration),
        *_unscreened(positions, screen_before_stage),
        *_overdue_homework(overdue, today),
        *_unsigned_notes(unsigned, today, unsigned_days),
        *_quiet_cases(sessions, today, no_session_days),
    ]
    frame = pd.DataFrame(rows, columns=list(ATTENTION_DTYPES)).astype(ATTENTION_DTYPES)
    ordered = frame.sort_values(["priority", "case_id"], kind="stable")
    return ordered.reset_index(drop=True)
