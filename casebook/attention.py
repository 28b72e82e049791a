"""The frames the attention list needs, read through the repositories for one actor."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analysis import measures as scoring
from analysis.attention import attention_list
from casebook import homework, measures, notes, safety
from casebook.access import Actor
from casebook.db import Database


def for_actor(
    db: Database,
    actor: Actor,
    *,
    today: date | None = None,
    work: homework.Homework | None = None,
) -> pd.DataFrame:
    """Everything needing the actor's attention in their open cases, most urgent first.

    `work` is the actor's caseload homework when the caller has read it already.
    """
    today = today or date.today()
    work = work or homework.caseload_homework(db, actor, today=today)
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
            for a in work.overdue
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
    quiet = notes.cases_without_session(db, actor, today=today)
    sessions = pd.DataFrame(
        [(q.case_id, q.label, q.last_session, q.opened_on) for q in quiet],
        columns=["case_id", "case_label", "last_session", "opened_on"],
    )
    unsigned = pd.DataFrame(
        [
            (u.note_id, u.case_id, u.session_at, u.case_label)
            for u in notes.unsigned_notes(db, actor, today=today)
        ],
        columns=["note_id", "case_id", "session_at", "case_label"],
    )
    screening = safety.caseload_safety(db, actor)
    flags = pd.DataFrame(
        [(f.client_id, f.client_name, f.case_id) for f in screening.flagged],
        columns=["client_id", "client_name", "case_id"],
    )
    positions = pd.DataFrame(
        [(u.client_id, u.client_name, u.case_id, u.stage, False) for u in screening.unscreened],
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
    """Each client's change from first to latest score, on the version of their latest."""
    every = measures.definitions(db)
    rows = [
        (
            c.client_id,
            c.client_name,
            c.case_id,
            every[c.measure_id].measure.name,
            scoring.classify(c.baseline, c.latest, every[c.measure_id].measure)
            if c.scores > 1
            else "unchanged",
        )
        for c in measures.caseload_changes(db, actor)
        if c.measure_id in every  # not one whose definition does not read
    ]
    return pd.DataFrame(
        rows, columns=["client_id", "client_name", "case_id", "measure_name", "category"]
    )
