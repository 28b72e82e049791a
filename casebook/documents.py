"""Handouts for clients, read through the repositories (access checked, every one audited),
and filled worksheets read back from PDF."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select

from analysis import homework_stats
from casebook import audit, cases, homework, measures, notes, practice, validation
from casebook.access import Actor, case_for_reading, case_for_writing, unseen, visible_cases
from casebook.db import Database
from casebook.errors import AccessDenied, NotFound, ValidationError
from casebook.models import Case, SessionNote
from casebook.validation import MAX_NUMBER
from handouts.document import Letterhead, Part, TooLarge, render_all, render_part
from handouts.guide import stage_guide
from handouts.note import session_note_pdf
from handouts.progress import (
    ClientProgress,
    HomeworkRow,
    Measure,
    ProgressReport,
    progress_report,
)
from handouts.readback import NotAWorksheet, read_filled
from handouts.session_sheet import after_session_part
from handouts.worksheet import answer_text, completed_worksheet, worksheet_part
from worksheets.stages import stage, stages
from worksheets.templates import Field, Template

OPEN = ("assigned", "in_progress")
SUMMARY_MAX = 5000  # a progress report's summary: a page at most
BATCH_TITLE = "Casebook handouts"


def laid_out(render: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
    """render(*args, **kwargs): a PDF, or a plain ValidationError where part of it is too
    large for a page."""
    try:
        return render(*args, **kwargs)
    except TooLarge as exc:
        raise ValidationError(str(exc)) from None


@dataclass(frozen=True)
class Document:
    file_name: str
    pdf: bytes


BeforeAudit = Callable[[str], None]
"""Called with a handout's file name once it is made and before it is audited as printed;
what it raises refuses the handout unrecorded (the command line refuses a file that exists)."""


def _letterhead(db: Database, case: cases.CaseView, client_name: str) -> Letterhead:
    settings = practice.load(db)
    return Letterhead(
        settings.practice_name,
        case.counsellor_name,
        client_name,
        date.today(),
        settings.crisis_line,
    )


def _logged(
    db: Database,
    actor: Actor,
    doc: Document,
    case_id: int,
    client_id: int | None,
    kind: str,
    before_audit: BeforeAudit | None = None,
) -> Document:
    if before_audit is not None:
        before_audit(doc.file_name)
    audit.log(db, actor, "handout", case_id=case_id, client_id=client_id, detail=kind)
    return doc


@dataclass(frozen=True)
class _Handout:
    """A handout ready to render, alone or in a batch, and what the audit trail records."""

    file_name: str
    part: Part
    case_id: int
    client_id: int | None
    kind: str


def _printed(
    db: Database,
    actor: Actor,
    handouts: list[_Handout],
    file_name: str,
    *,
    title: str = "",
    progress: Callable[[int, int], None] | None = None,
    before_audit: BeforeAudit | None = None,
) -> Document:
    """The handouts as one PDF, each on pages of its own (one alone keeps its own title and
    metadata); each printing audited."""
    parts = [h.part for h in handouts]
    if len(parts) == 1 and not title:
        pdf = laid_out(render_part, parts[0])
    else:
        pdf = laid_out(render_all, parts, title=title or parts[0].title, progress=progress)
    if before_audit is not None:
        before_audit(file_name)
    for h in handouts:
        audit.log(db, actor, "handout", case_id=h.case_id, client_id=h.client_id, detail=h.kind)
    return Document(file_name, pdf)


def _worksheet(db: Database, actor: Actor, assignment_id: int) -> _Handout:
    detail = homework.get(db, actor, assignment_id)
    a = detail.assignment
    case = cases.get_case(db, actor, a.case_id)
    part = worksheet_part(
        detail.template,
        _letterhead(db, case, a.client_name),
        assignment_id=a.id,
        stage_intro=stage(a.stage).summary,
        due_on=a.due_on,
        instructions=detail.instructions,
    )
    file_name = f"worksheet-{a.id}-{detail.template.key}.pdf"
    return _Handout(file_name, part, a.case_id, a.client_id, f"worksheet #{a.id}")


def worksheet(
    db: Database, actor: Actor, assignment_id: int, *, before_audit: BeforeAudit | None = None
) -> Document:
    """The fillable handout of an assignment, to fill in by hand or in a PDF reader."""
    handout = _worksheet(db, actor, assignment_id)
    return _printed(db, actor, [handout], handout.file_name, before_audit=before_audit)


def completed(
    db: Database,
    actor: Actor,
    assignment_id: int,
    *,
    for_client_id: int,
    before_audit: BeforeAudit | None = None,
) -> Document:
    """The answers of a worksheet for one of the case's clients: all of them for the client
    who answered; only the shared ones for their partner."""
    detail = homework.get(db, actor, assignment_id)
    a = detail.assignment
    case = cases.get_case(db, actor, a.case_id)
    reader = next((c for c in case.clients if c.id == for_client_id), None)
    if reader is None:
        raise ValidationError("That client is not in this case.")
    for_partner = reader.id != a.client_id
    pdf = laid_out(
        completed_worksheet,
        detail.template,
        _letterhead(db, case, reader.name),
        answers=detail.answers,
        assignment_id=a.id,
        for_partner=for_partner,
        answered_by=a.client_name,
    )
    doc = Document(f"answers-{a.id}-for-client-{reader.id}.pdf", pdf)
    kind = f"answers #{a.id} for {'partner' if for_partner else 'client'}"
    return _logged(db, actor, doc, a.case_id, reader.id, kind, before_audit)


def guide(
    db: Database,
    actor: Actor,
    client_id: int,
    stage_number: int | None = None,
    *,
    before_audit: BeforeAudit | None = None,
) -> Document:
    """A page or two on one stage (the client's current one unless given), for the client."""
    case, client = _case_of_client(db, actor, client_id)
    number = client.stage if stage_number is None else stage_number
    if number not in {s.number for s in stages()}:
        raise ValidationError("Stage must be one of the guide's stages.")
    pdf = stage_guide(stage(number), _letterhead(db, case, client.name))
    return _logged(
        db,
        actor,
        Document(f"stage-{number}-guide.pdf", pdf),
        case.id,
        client.id,
        f"stage guide {number}",
        before_audit,
    )


def _case_of_client(db: Database, actor: Actor, client_id: int):  # type: ignore[no-untyped-def]
    from casebook.models import Client

    with db.read() as s:
        case_id = s.scalar(select(Client.case_id).where(Client.id == client_id))
        if case_id is None:
            raise NotFound(unseen("client", client_id))
        case_for_reading(s, actor, case_id, asked=("client", client_id))
    case = cases.get_case(db, actor, case_id)
    return case, next(c for c in case.clients if c.id == client_id)


def progress_report_data(
    db: Database, actor: Actor, case_id: int, summary: str = ""
) -> tuple[ProgressReport, Letterhead]:
    """What a case's progress report shows, read through the repositories (not audited)."""
    case = cases.get_case(db, actor, case_id)
    every = measures.definitions(db)
    # Not a score on a measure whose definition does not read (the progress page says so).
    scores = [s for s in measures.scores_for_case(db, actor, case_id) if s.measure_id in every]
    # A section per measure scored (the CSI-4 when none is), on the version of each client's
    # latest score on it: versions differ in items and range, so their totals are not one
    # series, and partners may answer different versions (each is shown, not just the newer).
    latest: dict[tuple[int, str], int] = {}
    for s in scores:  # oldest first: each client's last one of each measure wins
        latest[(s.client_id, every[s.measure_id].key)] = s.measure_id
    keys = list(dict.fromkeys(key for _, key in latest))
    shown = sorted(set(latest.values()), key=lambda i: (keys.index(every[i].key), every[i].version))
    if not shown:
        shown = [k for k, d in measures.current_measures(db).items() if d.key == "csi4"]
    versions = Counter(every[i].key for i in shown)
    work = homework.for_case(db, actor, case_id)
    frame = pd.DataFrame(
        [(a.client_id, a.stage, a.due_on, a.completed_on, a.status) for a in work],
        columns=["client_id", "stage", "due_on", "completed_on", "status"],
    )
    # A closed case ended on its closing day: its stages stop there, and work still open
    # then is not overdue for ever after.
    until = case.closed_on or date.today()
    done = homework_stats.completion(frame, until, by="client_id")
    names = {c.id: c.name for c in case.clients}
    report = ProgressReport(
        clients=tuple(
            ClientProgress(c.name, tuple((m.moved_on, m.stage) for m in c.history))
            for c in case.clients
        ),
        stage_names=tuple(s.name for s in stages()),
        measures=tuple(
            Measure(
                every[measure_id].name
                + (
                    f" (version {every[measure_id].version})"
                    if versions[every[measure_id].key] > 1
                    else ""
                ),
                every[measure_id].total_range,
                tuple(
                    tuple(
                        (s.scored_on, s.total)
                        for s in scores
                        if s.client_id == c.id and s.measure_id == measure_id
                    )
                    for c in case.clients
                ),
                every[measure_id].measure.cutoff,
                every[measure_id].measure.higher_is_better,
            )
            for measure_id in shown
        ),
        homework=tuple(
            HomeworkRow(names[r.client_id], r.assigned, r.on_time, r.late, r.overdue, r.open)
            for r in done.itertuples()
        ),
        summary=summary,
        until=case.closed_on,
    )
    return report, _letterhead(db, case, case.label)


def progress(
    db: Database,
    actor: Actor,
    case_id: int,
    summary: str = "",
    *,
    before_audit: BeforeAudit | None = None,
) -> Document:
    """A progress report for a client or a couple: stages, a measure, homework, a summary."""
    summary = validation.text(summary, "The summary", max_len=SUMMARY_MAX, multiline=True)
    report, letterhead = progress_report_data(db, actor, case_id, summary)
    pdf = laid_out(progress_report, report, letterhead)
    doc = Document(f"progress-case-{case_id}.pdf", pdf)
    return _logged(db, actor, doc, case_id, None, "progress report", before_audit)


def _after_session(
    db: Database, actor: Actor, note_id: int
) -> tuple[list[_Handout], list[homework.AssignmentView]]:
    """A sheet for each client who came, listing only their own open worksheets (a partner's
    homework is theirs to share), and those worksheets."""
    note = notes.get_note(db, actor, note_id)
    case = cases.get_case(db, actor, note.case_id)
    due = [
        a
        for a in homework.for_case(db, actor, case.id)
        if a.client_id in note.attendees and a.status in OPEN
    ]
    # The session booked now (a client may have rescheduled since the note booked one), and
    # none when that has passed: never a day gone by, printed as the next session.
    booked = case.next_session_on
    if booked is not None and booked < date.today():
        booked = None
    sheets = [
        _Handout(
            f"after-session-{note.id}.pdf",
            after_session_part(
                _letterhead(db, case, client.name),
                homework=[(a.template_title, a.due_on) for a in due if a.client_id == client.id],
                next_session=booked,
                session_on=note.session_at.date(),
            ),
            case.id,
            client.id,
            f"after-session sheet #{note.id}",
        )
        for client in case.clients
        if client.id in note.attendees
    ]
    return sheets, due


def after_session(
    db: Database, actor: Actor, note_id: int, *, before_audit: BeforeAudit | None = None
) -> Document:
    """The sheets clients take home, one each: their homework with due dates, the next
    session."""
    sheets, _ = _after_session(db, actor, note_id)
    return _printed(db, actor, sheets, sheets[0].file_name, before_audit=before_audit)


def note(db: Database, actor: Actor, note_id: int) -> Document:
    """A session note as a plain PDF to print (never its psychotherapy note)."""
    printable = notes.printable(db, actor, note_id)
    pdf = laid_out(session_note_pdf, printable, practice.load(db).practice_name)
    return Document(f"note-{note_id}.pdf", pdf)


def sessions_between(db: Database, actor: Actor, start: date, end: date) -> list[int]:
    """The notes (sessions) of the actor's open cases from `start` to `end`, in time order."""
    if end < start or (end - start).days > 31:
        raise ValidationError("Choose a day or a week (at most 31 days).")
    with db.read() as s:
        return list(
            s.scalars(
                select(SessionNote.id)
                .join(Case, Case.id == SessionNote.case_id)
                .where(visible_cases(actor), Case.archived_at.is_(None))
                .where(
                    SessionNote.session_at >= datetime.combine(start, time.min),
                    SessionNote.session_at < datetime.combine(end + timedelta(days=1), time.min),
                )
                .order_by(SessionNote.session_at, SessionNote.id)
            )
        )


def batch_for(
    db: Database,
    actor: Actor,
    start: date,
    end: date,
    progress_to: Callable[[int, int], None] | None = None,
    *,
    before_audit: BeforeAudit | None = None,
) -> Document:
    """Every handout for the sessions from `start` to `end` as one PDF: each session's
    after-session sheet and the worksheets open for the clients who came, each worksheet
    once."""
    note_ids = sessions_between(db, actor, start, end)
    if not note_ids:
        raise ValidationError(f"There are no sessions from {start:%d %b %Y} to {end:%d %b %Y}.")
    handouts: list[_Handout] = []
    printed: set[int] = set()
    for note_id in note_ids:
        sheets, due = _after_session(db, actor, note_id)
        # A client seen twice in the days chosen has the worksheet once, after the first.
        fresh = [a for a in due if a.id not in printed]
        printed |= {a.id for a in fresh}
        handouts += [*sheets, *(_worksheet(db, actor, a.id) for a in fresh)]
    name = f"handouts-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.pdf"
    return _printed(
        db,
        actor,
        handouts,
        name,
        title=BATCH_TITLE,
        progress=progress_to,
        before_audit=before_audit,
    )


@dataclass(frozen=True)
class ImportPreview:
    assignment: homework.AssignmentView
    template: Template
    answers: dict[str, Any]
    changes: list[tuple[Field, Any, Any]]  # (question, now, from the PDF)
    kept: int  # saved answers to questions the PDF leaves empty: they stay as they are

    def kept_in_words(self) -> str | None:
        """A handout prints blank, so an empty box is a question not answered on paper, not
        an answer to clear: say that such saved answers stay, where there are any."""
        if not self.kept:
            return None
        many = self.kept > 1
        return (
            f"{self.kept} saved answer{'s' if many else ''} "
            f"{'are' if many else 'is'} left empty in the PDF and "
            f"{'stay' if many else 'stays'} as {'they are' if many else 'it is'}."
        )

    def in_words(self) -> list[tuple[str, str, str]]:
        """The changes as the counsellor reads them: (question, answer now, answer from the
        PDF), a 0 or a No shown as such, not as nothing."""
        return [
            (f.prompt, answer_text(f, now), answer_text(f, new)) for f, now, new in self.changes
        ]


def preview_import(db: Database, actor: Actor, pdf: bytes) -> ImportPreview:
    """What a filled worksheet PDF would change; refuses (ValidationError) and changes nothing
    for a file that is not a PDF, not a Casebook worksheet, another worksheet or an old
    version, or an assignment this user does not know; and (AccessDenied, ValidationError)
    when this user may not change its answers (a supervisor, an archived case)."""
    try:
        filled = read_filled(pdf)
    except NotAWorksheet as exc:
        raise ValidationError(str(exc)) from None
    try:
        if filled.assignment_id > MAX_NUMBER:
            raise NotFound("No such assignment.")
        detail = homework.get(db, actor, filled.assignment_id)
    except (NotFound, AccessDenied):
        raise ValidationError(
            f"This PDF is for assignment #{filled.assignment_id}, which is not in your cases."
        ) from None
    try:
        answers = filled.answers(detail.template)
    except ValueError as exc:
        raise ValidationError(f"{exc} Nothing was changed.") from None
    if detail.assignment.status == "cancelled":
        raise ValidationError("That worksheet is cancelled: restore it on its page first.")
    if detail.assignment.status not in (*OPEN, "completed"):
        raise ValidationError(
            f"That worksheet is {detail.assignment.status}: its answers cannot change now."
        )
    with db.read() as s:  # refused before its answers are shown and a save is asked for
        case_for_writing(s, actor, detail.assignment.case_id)
    saved = {k: v for k, (v, _shared) in detail.answers.items()}
    changes = [
        (f, saved.get(f.id), answers[f.id])
        for f in detail.template.fields
        if f.id in answers and answers[f.id] != saved.get(f.id)
    ]
    kept = sum(f.id not in answers and f.id in saved for f in detail.template.fields)
    return ImportPreview(detail.assignment, detail.template, answers, changes, kept)


def apply_import(db: Database, actor: Actor, preview: ImportPreview) -> homework.AssignmentView:
    """Save the answers of a previewed PDF (keeping each answer's shared/private choice)."""
    current = homework.get(db, actor, preview.assignment.id)
    shared = {k: s for k, (_, s) in current.answers.items()}
    merged = {k: v for k, (v, _) in current.answers.items()} | preview.answers
    return homework.save_answers(
        db, actor, preview.assignment.id, preview.assignment.version, merged, shared
    )
