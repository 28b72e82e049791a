"""The frames the attention list needs, read through the repositories for one actor."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis import measures as scoring
from analysis.attention import attention_list
from casebook import cases, homework, measures, notes, safety
from casebook.access import Actor
from casebook.db import Database


def for_actor(db: Database, actor: Actor, *, today: date | None = None) -> pd.DataFrame:
    """Everything needing the actor's attention in their open cases, most urgent first."""
    today = today or date.today()
    labels = {c.id: c.label for c in cases.list_cases(db, actor, status="open")}
    overdue = pd.DataFrame(
        [
            (
                a.client_id,
                a.stage,
                a.due_on,
                a.completed_on,
                a.status,
                a.case_id,
                a.client_name,
                a.template_title,
                a.id,
            )
            for a in homework.caseload_homework(db, actor, today=today).overdue
        ],
        columns=[
            "client_id",
            "stage",
            "due_on",
            "completed_on",
            "status",
            "case_id",
            "client_name",
            "template_title",
            "id",
        ],
    )
    quiet = notes.cases_without_session(db, actor)
    sessions = pd.DataFrame(
        [(q.case_id, q.label, q.on, q.on) for q in quiet],
        columns=["case_id", "case_label", "last_session", "opened_on"],
    )
    unsigned = pd.DataFrame(
        [
            (u.note_id, u.case_id, u.session_at, labels.get(u.case_id, ""))
            for u in notes.unsigned_notes(db, actor)
        ],
        columns=["note_id", "case_id", "session_at", "case_label"],
    )
    flags = pd.DataFrame(
        [(f.client_id, f.client_name, f.case_id) for f in safety.flagged_clients(db, actor)],
        columns=["client_id", "client_name", "case_id"],
    )
    positions = pd.DataFrame(
        [
            (u.client_id, u.client_name, u.case_id, u.stage, False)
            for u in safety.unscreened_before_contact(db, actor)
        ],
        columns=["client_id", "client_name", "case_id", "stage", "screened"],
    )
    return attention_list(
        overdue=overdue,
        sessions=sessions,
        unsigned=unsigned,
        deterioration=_deterioration(db, actor),
        flags=flags,
        positions=positions,
        today=today,
    )


def _deterioration(db: Database, actor: Actor) -> pd.DataFrame:
    columns = ["client_id", "client_name", "case_id", "measure_name", "category"]
    scores = measures.caseload_scores(db, actor)
    if not scores:
        return pd.DataFrame(columns=columns)
    every = measures.definitions(db)
    frame = pd.DataFrame([vars(s) for s in scores])
    frame["key"] = frame["measure_id"].map(lambda i: every[i].key)
    rows = []
    for _, group in frame.groupby("key"):
        latest = every[group["measure_id"].iloc[-1]].measure
        summary = scoring.progress(group[["client_id", "scored_on", "total"]], latest)
        who = group.drop_duplicates("client_id").set_index("client_id")
        for client_id, category in zip(summary["client_id"], summary["category"], strict=True):
            rows.append(
                (
                    client_id,
                    who.at[client_id, "client_name"],
                    who.at[client_id, "case_id"],
                    latest.name,
                    category,
                )
            )
    return pd.DataFrame(rows, columns=columns)
