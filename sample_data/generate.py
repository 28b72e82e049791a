"""A group practice at scale, made deterministically from a seed, for benchmarks and load tests.

At scale 1.0: 25 counsellors (c01..c25), a supervisor (casey) and an admin, 2,500 clients in
cases (couples and individuals; open, closed and archived), 75,000 session notes (mostly
signed), 100,000 worksheet assignments in every status with their answers, 40,000 CSI-4
scores, safety screens and each client's stage history. Every count scales with `scale`.

Rows go in through the models in bulk (`session.execute(insert(Model), rows)`), so every
EncryptedText column is encrypted exactly as the repositories store it. No audit entries
are written for generated rows. Run `python -m sample_data.generate --scale 0.1 --home DIR`
for a SQLite practice in DIR.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time as clock
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from casebook import accounts
from casebook.db import Database
from casebook.models import (
    OUTCOMES,
    Assignment,
    Base,
    Case,
    Client,
    MeasureDefinitionRow,
    MeasureScore,
    Response,
    SafetyScreen,
    SessionNote,
    StageEvent,
    User,
    WorksheetTemplate,
    utcnow,
)
from casebook.settings import Settings
from sample_data.demo import CLEAR_SCREEN
from worksheets.answers import check_value
from worksheets.note_formats import formats
from worksheets.templates import Field, Template, parse_template_text

GENERATED_PASSWORD = "practice-at-scale"
SUPERVISOR = ("casey", "Casey Okafor", "supervisor")
ADMIN = ("admin", "Practice Admin", "admin")
# Counts at scale 1.0.
FULL_SCALE = {
    "counsellors": 25,
    "clients": 2_500,
    "session_notes": 75_000,
    "assignments": 100_000,
    "measure_scores": 40_000,
}
STAGE_COUNT = 8
CHUNK = 5_000
COUPLE_SHARE = 0.6


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Aaliyah Aarav Abel Ada Aiden Aisha Alba Alejandro Amara Amir Ana Anders Anika Arjun Astrid "
    "Ayesha Beatriz Ben Bianca Bongani Bruno Camila Carmen Chidi Chloe Chris Dana Daniel Dara "
    "Deepa Diego Dmitri Eero Elena Eli Emeka Emma Esra Ewa Farah Felix Fatima Femi Freya "
    "Gabriel Grace Hana Hannah Hassan Helga Hugo Ines Ingrid Isaac Ivan Jada Jamal Jana Javier "
    "Jin Joao Jonas Jordan Jun Kai Kamala Karim Kate Kenji Kofi Laila Lars Leila Leo Lin Lucía "
    "Luca Maya Mehmet Mei Mila Mohammed Nadia Naomi Nia Nikos Noah Nour Olga Omar Oskar Pablo "
    "Priya Rafael Rania Ravi Rosa Ruth Sam Sanjay Sara Selin Sofia Tariq Tess Theo Tomás Uma "
    "Valentina Victor Yara Yusuf Zara Zoë Zoltan"
)
SURNAMES = _words(
    "Abara Adeyemi Ahmed Alvarez Andersen Bauer Becker Bianchi Brown Campbell Chen Costa Cruz "
    "Dang Das Demir Dubois Eriksson Fernández Fischer Fontaine Garcia Gomez Haddad Hansen Hughes "
    "Ibrahim Ito Jansen Jensen Kaplan Khan Kim Kowalski Kuznetsova Larsen Le Lopez Mahlangu "
    "Martin Mensah Moreau Müller Murphy Nakamura Nair Navarro Nguyen Novak Nowak O'Brien Okafor "
    "Okoro Olsen Ortiz Park Patel Pereira Petrov Popescu Quinn Rahman Reyes Rossi Russo Santos "
    "Schmidt Silva Singh Sokolov Suzuki Tanaka Thompson Torres Tran Varga Volkov Wagner Walker "
    "Wang Weber Williams Wilson Wójcik Yamamoto Yilmaz Zhang"
)
PRONOUNS = ("she/her", "he/him", "they/them", "she/they", "he/they")
CONCERNS = (
    "Separated after repeated arguments about money; both want to try again.",
    "Trust broken by a hidden debt; rebuilding with a transparency agreement.",
    "Drifted apart after a new baby; re-establishing communication.",
    "Rebuilding after an affair; both committed to the process.",
    "Long-distance strain; reconnecting and working on routine.",
    "Recurring conflict about in-laws; both want structured help.",
    "Ended a long relationship; unsure whether to seek it back or move on.",
    "Anger in arguments ended the relationship; individual work first.",
    "Partner moved out six weeks ago; wants to understand what went wrong.",
    "Constant criticism on both sides; want to learn to disagree without contempt.",
    "Grief after a loss pulled them apart; each coping alone.",
    "Different hopes about children; want to decide together and well.",
)
CLOSING_NOTES = {
    "reconciled": "Both report steady satisfaction; agreed to a check-in in three months.",
    "separated well": "Parted with an agreed plan; both felt heard.",
    "paused": "Client relocating for work; plans to resume later in the year.",
    "referred on": "Referred for specialist individual therapy; summary sent with consent.",
    "disengaged": "Stopped attending after several missed sessions; letter sent.",
    "other": "Closed by agreement after the goals set at the start were met.",
}
MOVE_REASONS = (
    "Progress reviewed in session",
    "Homework shows the stage's work is done",
    "Agreed together that it is time to move on",
    "Ready for the next step after a calm month",
    "A setback: back to earlier work for now",
    "Reflection shows mixed motives; taking time",
    "Keeping promises log for four weeks",
    "Started talking about the old arguments",
)
SECTION_TEXT = {
    "subjective": "{names} reported a calmer fortnight; one argument about plans at the weekend.",
    "objective": "Engaged and reflective; turn-taking was respectful for most of the session.",
    "assessment": "Steady work in stage {stage}; the homework is being used between sessions.",
    "plan": "Continue the current worksheet; review it next session.",
    "data": "{names} described the week and the homework; brought notes from home.",
    "behaviour": "{names} arrived on time, a little tense at first, warmer by the end.",
    "intervention": "Reviewed the worksheet; practised a structured conversation (stage {stage}).",
    "response": "Able to name one thing that went well; agreed to try the exercise at home.",
    "goal": "Consolidate the work of stage {stage} and agree the next small step.",
}
SECTION_EXTRA = (
    " Sleep has improved.",
    " Work stress came up again.",
    " Talked about the children's routine.",
    " Some avoidance of the hard topic.",
    " Noticed less defensiveness when money came up.",
    "",
    "",
)
RISK_NOTES = {
    "low": "Some raised voices reported during the week; no threats; plan reviewed.",
    "moderate": "Reported feeling intimidated once; rescreen privately before joint work.",
    "high": "Disclosed fear of partner; safety plan made and joint sessions paused.",
}
INSTRUCTIONS = (
    "Bring it to the next session.",
    "Start with one casual message.",
    "Fill in the table first, then the rest.",
    "Do this on your own; we will look at it together.",
    "Take your time: a little each evening is fine.",
)
REVIEW_COMMENTS = (
    "Thoughtful answers; we used them in the session.",
    "Good start; revisit the last question next time.",
    "Owned your part fully; well done.",
    "Talked it through; agreed the next step.",
)
FLAGGED_SCREEN = {**CLEAR_SCREEN, "control": "yes", "safe_together": "unsure"}


def _scaled(count: int, scale: float) -> int:
    return max(1, math.floor(count * scale + 0.5))


def planned_counts(scale: float) -> dict[str, int]:
    """How many counsellors, clients, notes, assignments and scores a scale asks for."""
    if not scale > 0:
        raise ValueError("The scale must be more than 0.")
    return {name: _scaled(count, scale) for name, count in FULL_SCALE.items()}


@dataclass
class _Client:
    id: int
    case: _Case
    name: str
    moves: list[tuple[date, int]] = field(default_factory=list)  # (moved on, stage), in order

    def stage_on(self, day: date) -> int:
        current = self.moves[0][1]
        for moved_on, stage in self.moves:
            if moved_on > day:
                break
            current = stage
        return current


@dataclass
class _Case:
    id: int
    counsellor_id: int
    opened_on: date
    end: date  # the closing date, or today for an open case
    status: str  # open, closed or archived
    clients: list[_Client] = field(default_factory=list)

    @property
    def days(self) -> int:
        return max(1, (self.end - self.opened_on).days)


def _next_ids(s: Session) -> dict[type[Base], int]:
    models = (
        User,
        Case,
        Client,
        StageEvent,
        SessionNote,
        Assignment,
        Response,
        MeasureScore,
        SafetyScreen,
    )
    return {m: (s.scalar(select(func.max(m.id))) or 0) + 1 for m in models}


def _put(s: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    for start in range(0, len(rows), CHUNK):
        s.execute(insert(model), rows[start : start + CHUNK])
    return len(rows)


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainders), summing exactly."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [math.floor(x) for x in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _spread(rng: random.Random, start: date, end: date, n: int) -> list[date]:
    """`n` dates from `start` to `end`, evenly spaced with a little jitter, in order."""
    span = max(0, (end - start).days)
    if n <= 0:
        return []
    step = span / n
    days = [
        min(span, max(0, int(step * (i + 0.5) + rng.uniform(-step / 3, step / 3))))
        for i in range(n)
    ]
    return [start + timedelta(days=d) for d in sorted(days)]


def _counsellors(
    rng: random.Random, n: int, first_id: int, password_hash: str
) -> list[dict[str, Any]]:
    people = [
        (f"c{i:02d}", f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", "counsellor")
        for i in range(1, n + 1)
    ]
    now = utcnow()
    return [
        {
            "id": first_id + i,
            "username": username,
            "display_name": display_name,
            "role": role,
            "password_hash": password_hash,
            "active": True,
            "created_at": now,
            "failed_logins": 0,
            "locked_until": None,
            "must_change_password": False,
        }
        for i, (username, display_name, role) in enumerate([*people, SUPERVISOR, ADMIN])
    ]


def _cases(
    rng: random.Random, counsellor_ids: list[int], clients: int, ids: dict, today: date
) -> list[_Case]:
    made: list[_Case] = []
    client_id = ids[Client]
    left = clients
    while left > 0:
        size = 2 if left > 1 and rng.random() < COUPLE_SHARE else 1
        opened_days_ago = rng.randint(14, 3 * 365)
        opened_on = today - timedelta(days=opened_days_ago)
        status, end = "open", today
        if opened_days_ago > 120 and rng.random() < 0.4:
            end = opened_on + timedelta(days=rng.randint(60, opened_days_ago - 1))
            status = "archived" if rng.random() < 0.3 else "closed"
        case = _Case(
            ids[Case] + len(made),
            counsellor_ids[len(made) % len(counsellor_ids)],
            opened_on,
            end,
            status,
        )
        surname = rng.choice(SURNAMES)
        for position in range(size):
            own = surname if position == 0 or rng.random() < 0.5 else rng.choice(SURNAMES)
            case.clients.append(_Client(client_id, case, f"{rng.choice(FIRST_NAMES)} {own}"))
            client_id += 1
        made.append(case)
        left -= size
    return made


def _case_rows(rng: random.Random, cases: list[_Case]) -> tuple[list[dict], list[dict]]:
    case_rows, client_rows = [], []
    for case in cases:
        outcome = closing_note = archived_at = None
        closed_on = None
        if case.status != "open":
            closed_on = case.end
            outcome = rng.choice(OUTCOMES)
            closing_note = CLOSING_NOTES[outcome]
        if case.status == "archived":
            archived_at = datetime.combine(case.end + timedelta(days=rng.randint(1, 30)), time(17))
            archived_at = min(archived_at, utcnow())
        opened_at = datetime.combine(case.opened_on, time(9))
        case_rows.append(
            {
                "id": case.id,
                "counsellor_id": case.counsellor_id,
                "opened_on": case.opened_on,
                "presenting_concern": rng.choice(CONCERNS),
                "closed_on": closed_on,
                "outcome": outcome,
                "closing_note": closing_note,
                "archived_at": archived_at,
                "created_at": opened_at,
                "updated_at": archived_at or opened_at,
                "version": 1 + (case.status != "open") + (case.status == "archived"),
            }
        )
        for position, client in enumerate(case.clients, start=1):
            first = client.name.split()[0].lower()
            client_rows.append(
                {
                    "id": client.id,
                    "case_id": case.id,
                    "position": position,
                    "name": client.name,
                    "pronouns": rng.choice(PRONOUNS),
                    "email": f"{first}{client.id}@example.org" if rng.random() < 0.5 else "",
                    "phone": f"+44 20 7946 {client.id % 10_000:04d}" if rng.random() < 0.3 else "",
                }
            )
    return case_rows, client_rows


def _stage_rows(rng: random.Random, cases: list[_Case], first_id: int) -> list[dict]:
    rows = []
    for case in cases:
        for client in case.clients:
            moves = [(case.opened_on, 1, "Case opened")]
            day, stage = case.opened_on, 1
            while True:
                day += timedelta(days=rng.randint(25, 110))
                if day > case.end:
                    break
                if stage > 1 and rng.random() < 0.12:
                    stage -= 1
                else:
                    stage = min(STAGE_COUNT, stage + (2 if rng.random() < 0.15 else 1))
                if stage == moves[-1][1]:
                    continue
                moves.append((day, stage, rng.choice(MOVE_REASONS)))
            client.moves = [(on, st) for on, st, _ in moves]
            for on, st, reason in moves:
                rows.append(
                    {
                        "id": first_id + len(rows),
                        "client_id": client.id,
                        "stage": st,
                        "moved_on": on,
                        "moved_by": case.counsellor_id,
                        "reason": reason,
                        "created_at": datetime.combine(on, time(12)),
                    }
                )
    return rows


FORMAT_WEIGHTS = {"SOAP": 50, "DAP": 25, "BIRP": 15, "GIRP": 10}
RISK_WEIGHTS = {"none": 85, "low": 10, "moderate": 4, "high": 1}


def _note_rows(
    rng: random.Random, cases: list[_Case], total: int, first_id: int, today: date
) -> list[dict]:
    sections_of = {key: [s.id for s in f.sections] for key, f in formats().items()}
    format_keys, format_weights = list(FORMAT_WEIGHTS), list(FORMAT_WEIGHTS.values())
    risk_keys, risk_weights = list(RISK_WEIGHTS), list(RISK_WEIGHTS.values())
    now = utcnow()
    rows: list[dict] = []
    for case, count in zip(cases, _apportion(total, [c.days for c in cases]), strict=True):
        last_day = min(case.end, today - timedelta(days=1))
        days = _spread(rng, case.opened_on + timedelta(days=3), last_day, count)
        couple = len(case.clients) == 2
        for number, day in enumerate(days):
            if couple:
                attendance = rng.choices(("together", "separately", "one"), (70, 20, 10))[0]
            else:
                attendance = "one"
            who = case.clients if attendance != "one" else [rng.choice(case.clients)]
            focus = {c.id: c.stage_on(day) for c in who}
            names = " and ".join(c.name.split()[0] for c in who)
            note_format = rng.choices(format_keys, format_weights)[0]
            sections = {
                sid: SECTION_TEXT[sid].format(names=names, stage=max(focus.values()))
                + rng.choice(SECTION_EXTRA)
                for sid in sections_of[note_format]
            }
            risk = rng.choices(risk_keys, risk_weights)[0]
            session_at = datetime.combine(day, time(rng.randint(9, 17), rng.choice((0, 30))))
            latest = number == len(days) - 1
            if not latest:
                next_on = days[number + 1]
            elif case.status == "open" and (today - day).days <= 21:
                next_on = today + timedelta(days=rng.randint(1, 14))
            else:
                next_on = None
            draft = (latest and case.status == "open" and rng.random() < 0.2) or (
                rng.random() < 0.005
            )
            signed_at = (
                None if draft else min(now, session_at + timedelta(hours=rng.randint(1, 48)))
            )
            rows.append(
                {
                    "id": first_id + len(rows),
                    "case_id": case.id,
                    "author_id": case.counsellor_id,
                    "session_at": session_at,
                    "duration_minutes": rng.choice((50, 50, 60, 80)) if couple else 50,
                    "attendance": attendance,
                    "attendees": json.dumps([c.id for c in who]),
                    "note_format": note_format,
                    "sections": json.dumps(sections, ensure_ascii=False),
                    "focus": json.dumps({str(k): v for k, v in focus.items()}),
                    "risk_level": risk,
                    "risk_notes": RISK_NOTES.get(risk, ""),
                    "rescreen": risk in ("moderate", "high"),
                    "next_session_on": next_on,
                    "status": "draft" if draft else "signed",
                    "signed_at": signed_at,
                    "signed_by": None if draft else case.counsellor_id,
                    "created_at": session_at,
                    "updated_at": signed_at or session_at,
                    "version": 2 if draft else 3,
                }
            )
    return rows


def _raw_answer(field: Field, rng: random.Random, day: date) -> Any:
    kind = field.kind
    if kind == "short_text":
        return rng.choice(("Cook together on Sundays", "A walk after work", "Money talk monthly"))
    if kind == "long_text":
        return rng.choice(
            (
                "I kept things from you that mattered, and I am sorry.",
                "We agreed to talk for ten minutes each evening, phones away.",
                "I want us to notice what goes well, not only what goes wrong.",
            )
        )
    if kind == "scale":
        return rng.randint(0, 10)
    if kind == "yes_no":
        return rng.random() < 0.7
    if kind == "choice":
        return rng.choice(field.options)
    if kind == "checklist":
        return rng.sample(list(field.options), k=min(len(field.options), rng.randint(1, 2)))
    if kind == "date":
        return (day + timedelta(days=rng.randint(7, 60))).isoformat()
    if kind == "rows":
        return [
            {c.id: _raw_answer(c, rng, day) for c in field.columns}
            for _ in range(rng.randint(1, 3))
        ]
    raise ValueError(f"Unknown field kind {kind}.")


# Work of the last month is in every state. Older work is mostly reviewed at the next session;
# a little is left open (overdue) or cancelled, and after four months a counsellor has reviewed
# or cancelled all but a few: open cases do not carry years-old overdue worksheets.
STATUS_RECENT = {"assigned": 40, "in_progress": 25, "completed": 20, "reviewed": 10, "cancelled": 5}
STATUS_OLD = {"reviewed": 78, "completed": 3, "cancelled": 14, "assigned": 3, "in_progress": 2}
STATUS_SETTLED = {"reviewed": 83, "completed": 1, "cancelled": 16}
STATUS_CLOSED = {"reviewed": 65, "completed": 10, "cancelled": 20, "assigned": 3, "in_progress": 2}
STATUS_VERSION = {"assigned": 1, "in_progress": 2, "completed": 3, "reviewed": 4, "cancelled": 2}


def _status(rng: random.Random, case: _Case, due_on: date, today: date) -> str:
    table = STATUS_CLOSED
    if case.status == "open":
        age = (today - due_on).days
        table = STATUS_RECENT if age <= 30 else STATUS_OLD if age <= 120 else STATUS_SETTLED
    return rng.choices(list(table), list(table.values()))[0]


def _assignment_rows(
    rng: random.Random,
    cases: list[_Case],
    templates: list[tuple[int, Template]],
    total: int,
    ids: dict,
    today: date,
) -> tuple[list[dict], list[dict]]:
    by_stage: dict[int, list[tuple[int, Template]]] = {}
    for template_id, template in templates:
        by_stage.setdefault(template.stage, []).append((template_id, template))
    clients = [c for case in cases for c in case.clients]
    rows: list[dict] = []
    responses: list[dict] = []
    for client, count in zip(
        clients, _apportion(total, [c.case.days for c in clients]), strict=True
    ):
        case = client.case
        for assigned_on in _spread(rng, case.opened_on, case.end, count):
            stage = client.stage_on(assigned_on)
            if stage in by_stage and rng.random() < 0.75:
                template_id, template = rng.choice(by_stage[stage])
            else:
                template_id, template = rng.choice(templates)
            due_on = assigned_on + timedelta(days=rng.randint(5, 21))
            status = _status(rng, case, due_on, today)
            completed_on = reviewed_on = None
            if status in ("completed", "reviewed"):
                completed_on = min(case.end, assigned_on + timedelta(days=rng.randint(1, 25)))
            if status == "reviewed":
                reviewed_on = min(today, completed_on + timedelta(days=rng.randint(0, 14)))
            changed = reviewed_on or completed_on or assigned_on
            assignment_id = ids[Assignment] + len(rows)
            rows.append(
                {
                    "id": assignment_id,
                    "client_id": client.id,
                    "template_id": template_id,
                    "due_on": due_on,
                    "instructions": rng.choice(INSTRUCTIONS) if rng.random() < 0.4 else "",
                    "status": status,
                    "assigned_by": case.counsellor_id,
                    "assigned_on": assigned_on,
                    "completed_on": completed_on,
                    "reviewed_on": reviewed_on,
                    "review_comment": rng.choice(REVIEW_COMMENTS) if reviewed_on else None,
                    "safety_override": None,
                    "updated_at": datetime.combine(changed, time(15)),
                    "version": STATUS_VERSION[status],
                }
            )
            if status == "assigned" or (status == "cancelled" and rng.random() < 0.7):
                continue
            if status in ("completed", "reviewed"):
                chosen = [f for f in template.fields if f.required or rng.random() < 0.3]
            else:
                chosen = [rng.choice(template.fields)]
            for f in chosen:
                value = check_value(f, _raw_answer(f, rng, assigned_on))
                if value is None:
                    continue
                responses.append(
                    {
                        "id": ids[Response] + len(responses),
                        "assignment_id": assignment_id,
                        "field_id": f.id,
                        "value": json.dumps(value, ensure_ascii=False),
                        "shared": rng.random() < 0.5,
                        "updated_at": datetime.combine(completed_on or assigned_on, time(20)),
                    }
                )
    return rows, responses


CSI4_HIGHS = {"happiness": 6, "warm": 5, "rewarding": 5, "satisfied": 5}


def csi4_answers(total: int) -> dict[str, int]:
    """CSI-4 item answers (happiness 0-6, the others 0-5) that add up to `total` (0-21)."""
    answers = dict.fromkeys(CSI4_HIGHS, 0)
    left = total
    while left > 0:
        for item, high in CSI4_HIGHS.items():
            if left > 0 and answers[item] < high:
                answers[item] += 1
                left -= 1
    return answers


def _score_rows(
    rng: random.Random, cases: list[_Case], measure_id: int, total: int, first_id: int
) -> list[dict]:
    clients = [c for case in cases for c in case.clients]
    rows: list[dict] = []
    for client, count in zip(
        clients, _apportion(total, [c.case.days for c in clients]), strict=True
    ):
        case = client.case
        score = rng.gauss(10, 3)
        trend = rng.choices((0.8, 0.0, -0.7), (50, 35, 15))[0]
        for day in _spread(rng, case.opened_on + timedelta(days=7), case.end, count):
            whole = min(21, max(0, round(score)))
            rows.append(
                {
                    "id": first_id + len(rows),
                    "client_id": client.id,
                    "measure_id": measure_id,
                    "scored_on": day,
                    "answers": json.dumps(csi4_answers(whole)),
                    "total": whole,
                    "note_id": None,
                    "recorded_by": case.counsellor_id,
                    "created_at": datetime.combine(day, time(16)),
                }
            )
            score += trend + rng.gauss(0, 1.2)
    return rows


def _screen_rows(rng: random.Random, cases: list[_Case], first_id: int) -> list[dict]:
    rows: list[dict] = []
    for case in cases:
        for client in case.clients:
            if rng.random() < 0.1:
                continue  # never screened: the dashboard reminds about these
            flagged = rng.random() < 0.03
            day = min(case.end, case.opened_on + timedelta(days=rng.randint(0, 21)))
            rows.append(
                {
                    "id": first_id + len(rows),
                    "client_id": client.id,
                    "screened_on": day,
                    "screened_by": case.counsellor_id,
                    "answers": json.dumps(FLAGGED_SCREEN if flagged else CLEAR_SCREEN),
                    "flagged": flagged,
                    "created_at": datetime.combine(day, time(11)),
                }
            )
    return rows


def _latest_templates(s: Session) -> list[tuple[int, Template]]:
    rows = s.scalars(select(WorksheetTemplate).order_by(WorksheetTemplate.id)).all()
    latest: dict[str, WorksheetTemplate] = {}
    for row in rows:
        if row.key not in latest or latest[row.key].version < row.version:
            latest[row.key] = row
    return [
        (row.id, parse_template_text(row.source, f"{row.key} v{row.version}"))
        for row in latest.values()
    ]


def _follow_sequences(s: Session, models: Iterable[type[Base]]) -> None:
    """On PostgreSQL, move each id sequence past the ids given explicitly."""
    if s.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        s.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def generate(
    db: Database, *, scale: float = 1.0, seed: int = 1, today: date | None = None
) -> dict[str, int]:
    """Add a generated group practice (see the module docstring); returns rows per table.

    Raises ValueError for a scale not above 0, or when one of the user names is taken.
    """
    plan = planned_counts(scale)
    today = today or date.today()
    rng = random.Random(seed)
    usernames = [f"c{i:02d}" for i in range(1, plan["counsellors"] + 1)]
    usernames += [SUPERVISOR[0], ADMIN[0]]
    password_hash = accounts._hasher.hash(GENERATED_PASSWORD)  # once, shared by every account
    with db.write() as s:
        taken = s.scalars(select(User.username).where(User.username.in_(usernames))).all()
        if taken:
            raise ValueError(f"The database already has a user called '{sorted(taken)[0]}'.")
        ids = _next_ids(s)
        measure_id = s.scalar(
            select(MeasureDefinitionRow.id)
            .where(MeasureDefinitionRow.key == "csi4")
            .order_by(MeasureDefinitionRow.version.desc())
        )
        if measure_id is None:
            raise ValueError("The CSI-4 measure is missing from the database.")
        templates = _latest_templates(s)
        counts: dict[str, int] = {}
        users = _counsellors(rng, plan["counsellors"], ids[User], password_hash)
        counts["users"] = _put(s, User, users)
        counsellor_ids = [u["id"] for u in users if u["role"] == "counsellor"]
        cases = _cases(rng, counsellor_ids, plan["clients"], ids, today)
        case_rows, client_rows = _case_rows(rng, cases)
        counts["cases"] = _put(s, Case, case_rows)
        counts["clients"] = _put(s, Client, client_rows)
        counts["stage_events"] = _put(s, StageEvent, _stage_rows(rng, cases, ids[StageEvent]))
        counts["safety_screens"] = _put(
            s, SafetyScreen, _screen_rows(rng, cases, ids[SafetyScreen])
        )
        notes = _note_rows(rng, cases, plan["session_notes"], ids[SessionNote], today)
        counts["session_notes"] = _put(s, SessionNote, notes)
        booked: dict[int, date] = {}  # each case's booking: the latest its notes made
        for n in notes:
            if n["next_session_on"] and n["next_session_on"] > booked.get(n["case_id"], date.min):
                booked[n["case_id"]] = n["next_session_on"]
        if booked:
            s.execute(update(Case), [{"id": c, "next_session_on": d} for c, d in booked.items()])
        del notes
        work, answers = _assignment_rows(rng, cases, templates, plan["assignments"], ids, today)
        counts["assignments"] = _put(s, Assignment, work)
        counts["responses"] = _put(s, Response, answers)
        del work, answers
        scores = _score_rows(rng, cases, measure_id, plan["measure_scores"], ids[MeasureScore])
        counts["measure_scores"] = _put(s, MeasureScore, scores)
        _follow_sequences(s, ids)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Write a generated practice into a SQLite database in --home."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate", description="Generate a group practice."
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 2,500 clients")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", type=Path, required=True, help="data folder to create")
    args = parser.parse_args(argv)
    home = args.home.resolve()
    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    try:
        started = clock.perf_counter()
        try:
            counts = generate(db, scale=args.scale, seed=args.seed)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        took = clock.perf_counter() - started
    finally:
        db.dispose()
    for table, n in counts.items():
        print(f"{table:>15}: {n:,}")
    print(f"Generated in {took:.1f} s into {home}.")
    print(f"Every account's password: {GENERATED_PASSWORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
