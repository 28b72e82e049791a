"""Worksheet assignments: assign (behind the safety gate), answer, complete, review, cancel."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from casebook import audit, safety, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    client_row,
    open_cases,
    unseen,
)
from casebook.db import Database
from casebook.errors import Conflict, NotFound, ValidationError
from casebook.models import Assignment, Case, Client, Response, WorksheetTemplate, utcnow
from worksheets.answers import check_answers, missing_required
from worksheets.templates import Template, parse_template_text

OPEN = ("assigned", "in_progress")


@dataclass(frozen=True)
class AssignmentView:
    id: int
    case_id: int
    client_id: int
    client_name: str
    template_id: int
    template_title: str
    template_version: int
    stage: int
    contact: bool
    due_on: date
    status: str
    assigned_on: date
    completed_on: date | None
    reviewed_on: date | None
    version: int

    def overdue(self, today: date) -> bool:
        """Derived from the due date, never stored."""
        return self.status in OPEN and self.due_on < today


@dataclass(frozen=True)
class AssignmentDetail:
    """One assignment as its page shows it: with the counsellor's words and the answers."""

    assignment: AssignmentView
    template: Template
    instructions: str
    review_comment: str | None
    answers: dict[str, tuple[Any, bool]] = field(default_factory=dict)  # value, shared
    safety_override: str | None = None  # why contact work was assigned despite the gate


class SafetyGate(ValidationError):
    """A contact-oriented worksheet for a flagged client, without a recorded override."""


def _view(a: Assignment, client: Client, t: WorksheetTemplate) -> AssignmentView:
    return AssignmentView(
        a.id,
        client.case_id,
        client.id,
        client.name,
        t.id,
        t.title,
        t.version,
        t.stage,
        t.contact,
        a.due_on,
        a.status,
        a.assigned_on,
        a.completed_on,
        a.reviewed_on,
        a.version,
    )


def _joined():  # type: ignore[no-untyped-def]
    return (
        select(Assignment, Client, WorksheetTemplate)
        .join(Client, Client.id == Assignment.client_id)
        .join(WorksheetTemplate, WorksheetTemplate.id == Assignment.template_id)
    )


def _listed():  # type: ignore[no-untyped-def]
    """The columns of AssignmentView, in its order: no worksheet source, nothing encrypted."""
    return (
        select(
            Assignment.id,
            Client.case_id,
            Client.id,
            Client.name,
            WorksheetTemplate.id,
            WorksheetTemplate.title,
            WorksheetTemplate.version,
            WorksheetTemplate.stage,
            WorksheetTemplate.contact,
            Assignment.due_on,
            Assignment.status,
            Assignment.assigned_on,
            Assignment.completed_on,
            Assignment.reviewed_on,
            Assignment.version,
        )
        .join(Client, Client.id == Assignment.client_id)
        .join(WorksheetTemplate, WorksheetTemplate.id == Assignment.template_id)
    )


def _check_due(due_on: date | None, today: date) -> None:
    if due_on is None or not today - timedelta(days=366) <= due_on <= today + timedelta(
        days=5 * 366
    ):
        raise ValidationError("The due date must be within a year ago and five years ahead.")


def assign(
    db: Database,
    actor: Actor,
    client_ids: Sequence[int],
    template_id: int,
    *,
    due_on: date,
    instructions: str = "",
    override_reason: str = "",
) -> list[AssignmentView]:
    """Give a worksheet to one client, or to both partners (one assignment each).

    A contact-oriented worksheet cannot go to a client when they or their partner is flagged
    by a safety screen or not yet screened, unless `override_reason` is given: the reason is
    kept (encrypted) with each assignment, and the audit trail records that it was given.
    Raises SafetyGate, ValidationError, NotFound or AccessDenied.
    """
    if not client_ids or len(set(client_ids)) != len(client_ids):
        raise ValidationError("Choose who the worksheet is for.")
    instructions = validation.text(instructions, "Instructions", max_len=5000, multiline=True)
    override_reason = validation.text(
        override_reason, "Override reason", max_len=2000, multiline=True
    )
    today = date.today()
    _check_due(due_on, today)
    with db.write() as s:
        template = s.get(WorksheetTemplate, template_id)
        if template is None:
            raise NotFound(f"There is no worksheet #{template_id}.")
        clients = [client_row(s, i) for i in client_ids]
        case_ids = {c.case_id for c in clients}
        if len(case_ids) != 1:
            raise ValidationError("Both assignments must be in the same case.")
        case = case_for_writing(s, actor, case_ids.pop(), asked=("client", client_ids[0]))
        if case.closed_on is not None:
            raise ValidationError("This case is closed: reopen it to assign work.")
        if template.contact and not override_reason:
            if problem := safety.contact_concern(s, case):
                raise SafetyGate(
                    f"{problem} '{template.title}' asks for contact with the partner. Record an "
                    f"override with a reason to assign it anyway."
                )
        # The same worksheet, still open and due the same day: a second click, not new work.
        twins = s.scalars(
            select(Assignment.client_id).where(
                Assignment.client_id.in_([c.id for c in clients]),
                Assignment.template_id == template.id,
                Assignment.due_on == due_on,
                Assignment.status.in_(OPEN),
            )
        ).all()
        if twins:
            who = " and ".join(c.name for c in clients if c.id in twins)
            raise ValidationError(
                f"{who} already {'has' if len(set(twins)) == 1 else 'have'} "
                f"'{template.title}' due on {due_on:%d %b %Y}: it is on the case's Worksheets tab."
            )
        views = []
        for client in clients:
            a = Assignment(
                client_id=client.id,
                template_id=template.id,
                due_on=due_on,
                instructions=instructions,
                status="assigned",
                assigned_by=actor.id,
                assigned_on=today,
                version=1,
                safety_override=override_reason or None,
            )
            s.add(a)
            s.flush()
            audit.record(
                s,
                actor,
                "assign",
                case_id=case.id,
                client_id=client.id,
                detail=f"{template.key} v{template.version} #{a.id}",
            )
            if template.contact and override_reason:
                audit.record(
                    s,
                    actor,
                    "safety_override",
                    case_id=case.id,
                    client_id=client.id,
                    detail=f"#{a.id}",  # the reason is clinical: kept, encrypted, on the assignment
                )
            views.append(_view(a, client, template))
        return views


def for_case(db: Database, actor: Actor, case_id: int) -> list[AssignmentView]:
    """Every assignment of a case's clients: those still in play (open, or completed and
    awaiting review), soonest due first; then the reviewed and cancelled, latest first (a
    long case's oldest worksheets last)."""
    in_play = (*OPEN, "completed")
    with db.read() as s:
        case_for_reading(s, actor, case_id)
        rows = s.execute(_listed().where(Client.case_id == case_id))
        views = sorted((AssignmentView(*row) for row in rows), key=lambda v: (v.due_on, v.id))
    return [v for v in views if v.status in in_play] + [
        v for v in reversed(views) if v.status not in in_play
    ]


def _load(s: Session, actor: Actor, assignment_id: int, *, write: bool):  # type: ignore[no-untyped-def]
    row = s.execute(_joined().where(Assignment.id == assignment_id)).first()
    if row is None:
        raise NotFound(unseen("assignment", assignment_id))
    a, client, template = row
    (case_for_writing if write else case_for_reading)(
        s, actor, client.case_id, asked=("assignment", assignment_id)
    )
    return a, client, template


def get(db: Database, actor: Actor, assignment_id: int) -> AssignmentDetail:
    """An assignment with its worksheet and answers; the view is audited."""
    with db.write() as s:
        a, client, t = _load(s, actor, assignment_id, write=False)
        audit.record(
            s,
            actor,
            "assignment_view",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id}",
        )
        answers = {
            r.field_id: (json.loads(r.value), r.shared)
            for r in s.scalars(select(Response).where(Response.assignment_id == a.id))
        }
        template = parse_template_text(t.source, f"{t.key} v{t.version}")
        return AssignmentDetail(
            _view(a, client, t),
            template,
            a.instructions,
            a.review_comment,
            answers,
            a.safety_override,
        )


def _editable(s: Session, actor: Actor, assignment_id: int, expected_version: int, *states: str):  # type: ignore[no-untyped-def]
    a, client, t = _load(s, actor, assignment_id, write=True)
    if a.version != expected_version:
        raise Conflict(
            "This worksheet was changed in another tab or by someone else since you opened it. "
            "Your answers are still on screen: copy them, reload, and apply them again."
        )
    if a.status not in states:
        raise ValidationError(
            f"This worksheet is {a.status.replace('_', ' ')}: it cannot change now."
        )
    a.version += 1
    return a, client, t


def _store(
    s: Session,
    a: Assignment,
    t: WorksheetTemplate,
    answers: dict[str, Any],
    shared: dict[str, bool],
) -> tuple[Template, dict[str, Any]]:
    """Check the answers and write them over the stored ones; an emptied answer is removed."""
    template = parse_template_text(t.source, f"{t.key} v{t.version}")
    try:
        checked = check_answers(template, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    existing = {
        r.field_id: r for r in s.scalars(select(Response).where(Response.assignment_id == a.id))
    }
    for field_id, value in checked.items():
        row = existing.get(field_id)
        if value is None:
            if row is not None:
                s.delete(row)
            continue
        if row is None:
            row = Response(assignment_id=a.id, field_id=field_id)
            s.add(row)
        row.value = json.dumps(value, ensure_ascii=False)
        row.shared = bool(shared.get(field_id, False))
    s.flush()
    return template, checked


def _require_answers(s: Session, a: Assignment, template: Template) -> None:
    """Refuse a completed worksheet (or one being completed) without its required answers."""
    stored = {
        r.field_id: json.loads(r.value)
        for r in s.scalars(select(Response).where(Response.assignment_id == a.id))
    }
    if missing := missing_required(template, stored):
        raise ValidationError(
            f"Answer '{missing[0].prompt}' before marking complete."
            if a.status != "completed"
            else f"'{missing[0].prompt}' needs an answer: a completed worksheet keeps one."
        )


def save_answers(
    db: Database,
    actor: Actor,
    assignment_id: int,
    expected_version: int,
    answers: dict[str, Any],
    shared: dict[str, bool],
    *,
    complete: bool = False,
) -> AssignmentView:
    """Save answers (a draft, or complete); each answer is shared with the partner or private.

    Raises ValidationError (in plain words, naming the question), Conflict (stale version).
    """
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, *OPEN, "completed")
        template, checked = _store(s, a, t, answers, shared)
        if complete or a.status == "completed":
            _require_answers(s, a, template)
        if complete and a.status != "completed":
            a.status, a.completed_on = "completed", date.today()
        elif a.status == "assigned":
            a.status = "in_progress"
        a.updated_at = utcnow()
        audit.record(
            s,
            actor,
            "answers_save",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id} {len(checked)} fields" + (" complete" if complete else ""),
        )
        return _view(a, client, t)


def review(
    db: Database,
    actor: Actor,
    assignment_id: int,
    expected_version: int,
    comment: str,
    *,
    answers: dict[str, Any] | None = None,
    shared: dict[str, bool] | None = None,
) -> AssignmentView:
    """Review a completed worksheet with a comment; with `answers` (and `shared`), the
    answers as last corrected on screen are saved with the review, in one step."""
    comment = validation.text(comment, "Review comment", max_len=5000, multiline=True)
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, "completed")
        if answers is not None:
            template, checked = _store(s, a, t, answers, shared or {})
            _require_answers(s, a, template)
            audit.record(
                s,
                actor,
                "answers_save",
                case_id=client.case_id,
                client_id=client.id,
                detail=f"#{a.id} {len(checked)} fields",
            )
        a.status, a.reviewed_on, a.review_comment = "reviewed", date.today(), comment
        audit.record(
            s, actor, "review", case_id=client.case_id, client_id=client.id, detail=f"#{a.id}"
        )
        return _view(a, client, t)


def undo_review(
    db: Database, actor: Actor, assignment_id: int, expected_version: int
) -> AssignmentView:
    """Take back a review marked by mistake (the wrong worksheet, or before a correction):
    the worksheet is completed again, to correct and review anew, and the review's comment
    goes with the review. Raises ValidationError (not reviewed), Conflict."""
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, "reviewed")
        a.status, a.reviewed_on, a.review_comment = "completed", None, None
        a.updated_at = utcnow()
        audit.record(
            s,
            actor,
            "review_undo",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id}",
        )
        return _view(a, client, t)


def reschedule(
    db: Database,
    actor: Actor,
    assignment_id: int,
    expected_version: int,
    *,
    due_on: date,
    instructions: str,
) -> AssignmentView:
    """Change the due date and the instructions of a worksheet not yet completed (more time
    agreed in a session, a clearer instruction); its answers are untouched.

    Raises ValidationError (a finished worksheet, a due date out of range), Conflict.
    """
    instructions = validation.text(instructions, "Instructions", max_len=5000, multiline=True)
    _check_due(due_on, date.today())
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, *OPEN)
        changed = [
            what
            for what, old, new in (
                ("due date", a.due_on, due_on),
                ("instructions", a.instructions, instructions),
            )
            if old != new
        ]
        if not changed:
            raise ValidationError("The due date and the instructions are as they were.")
        a.due_on, a.instructions = due_on, instructions
        a.updated_at = utcnow()
        audit.record(
            s,
            actor,
            "assignment_change",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id} " + " and ".join(changed),
        )
        return _view(a, client, t)


def cancel(db: Database, actor: Actor, assignment_id: int, expected_version: int) -> AssignmentView:
    """Cancel an assignment that is not yet reviewed; its answers are kept."""
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, *OPEN, "completed")
        a.status = "cancelled"
        audit.record(
            s,
            actor,
            "assignment_cancel",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id}",
        )
        return _view(a, client, t)


def restore(
    db: Database, actor: Actor, assignment_id: int, expected_version: int
) -> AssignmentView:
    """Undo a cancel: the worksheet is back as it was, completed if it had been, in progress
    if it has answers, else assigned. Refused while the same worksheet is open for the client
    with the same due date (assigned again since), which it would repeat."""
    with db.write() as s:
        a, client, t = _editable(s, actor, assignment_id, expected_version, "cancelled")
        twin = s.scalar(
            select(Assignment.id).where(
                Assignment.client_id == client.id,
                Assignment.template_id == t.id,
                Assignment.due_on == a.due_on,
                Assignment.status.in_(OPEN),
            )
        )
        if twin is not None:
            raise ValidationError(
                f"{client.name} already has '{t.title}' due on {a.due_on:%d %b %Y} "
                f"(#{twin}): change that one instead."
            )
        answered = s.scalar(select(Response.id).where(Response.assignment_id == a.id).limit(1))
        if a.completed_on is not None:
            a.status = "completed"
        else:
            a.status = "in_progress" if answered is not None else "assigned"
        a.updated_at = utcnow()
        audit.record(
            s,
            actor,
            "assignment_restore",
            case_id=client.case_id,
            client_id=client.id,
            detail=f"#{a.id}",
        )
        return _view(a, client, t)


@dataclass(frozen=True)
class Homework:
    """A caseload's worksheets in three lists, each in due-date order (most overdue first).
    Read with limits, each list holds only its first few: `totals` says how many each
    has in all."""

    due_this_week: list[AssignmentView]
    overdue: list[AssignmentView]
    awaiting_review: list[AssignmentView]
    totals: dict[str, int]  # by list name: {"due_this_week": 31, "overdue": 263, ...}


LISTS = ("due_this_week", "overdue", "awaiting_review")
CHUNK = 500  # ids in one IN (...): well under any database's limit on parameters


def caseload_homework(
    db: Database,
    actor: Actor,
    *,
    today: date | None = None,
    limits: Mapping[str, int] | None = None,
) -> Homework:
    """Across the actor's open cases: due in the next 7 days, overdue, awaiting review; with
    `limits` ({list name: n} for each of LISTS), the first n of each. Which worksheet is in
    which list is read as ids and dates alone; the lists' rows are then read only for the
    worksheets kept, so a page reads no more than it shows, however large the practice."""
    today = today or date.today()
    ids: dict[str, list[int]] = {name: [] for name in LISTS}
    with db.read() as s:
        candidates = s.execute(
            select(Assignment.id, Assignment.status, Assignment.due_on)
            .join(Client, Client.id == Assignment.client_id)
            .join(Case, Case.id == Client.case_id)
            .where(open_cases(actor))
            .where(
                or_(
                    and_(Assignment.status.in_(OPEN), Assignment.due_on <= today + timedelta(7)),
                    Assignment.status == "completed",
                )
            )
            .order_by(Assignment.due_on, Assignment.id)
        )
        for assignment_id, status, due_on in candidates:
            if status == "completed":
                ids["awaiting_review"].append(assignment_id)
            else:
                ids["overdue" if due_on < today else "due_this_week"].append(assignment_id)
        totals = {name: len(listed) for name, listed in ids.items()}
        if limits is not None:
            ids = {name: listed[: limits[name]] for name, listed in ids.items()}
        kept = [i for listed in ids.values() for i in listed]
        views: dict[int, AssignmentView] = {}
        for start in range(0, len(kept), CHUNK):
            chunk = _listed().where(Assignment.id.in_(kept[start : start + CHUNK]))
            views |= {row[0]: AssignmentView(*row) for row in s.execute(chunk)}
    return Homework(
        # (A worksheet whose case was deleted between the two reads is left out.)
        **{name: [views[i] for i in listed if i in views] for name, listed in ids.items()},
        totals=totals,
    )
