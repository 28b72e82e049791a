"""The schema. Changes to it go through an Alembic migration in casebook/migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from casebook.crypto import EncryptedText

ROLES = ("counsellor", "supervisor", "admin")
OUTCOMES = ("reconciled", "separated well", "paused", "referred on", "disengaged", "other")


def utcnow() -> datetime:
    """Now in UTC, without tzinfo, as every timestamp is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="ck_users_role"),)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    presenting_concern: Mapped[str] = mapped_column(EncryptedText, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(40))
    closing_note: Mapped[str | None] = mapped_column(EncryptedText)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The session booked next: set from a note, and moved on the case page when a client
    # reschedules (a signed note, which booked it, cannot change).
    next_session_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    clients: Mapped[list[Client]] = relationship(
        back_populates="case", order_by="Client.position", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN {OUTCOMES!r}", name="ck_cases_outcome"),
    )


class CaseClosure(Base):
    """A closing of a case that was later reopened: reopening deletes nothing."""

    __tablename__ = "case_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    closed_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(40))
    closing_note: Mapped[str | None] = mapped_column(EncryptedText)
    reopened_on: Mapped[date] = mapped_column(Date)
    reopened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    case: Mapped[Case] = relationship(back_populates="clients")

    __table_args__ = (
        UniqueConstraint("case_id", "position", name="uq_clients_case_position"),
        CheckConstraint("position IN (1, 2)", name="ck_clients_position"),
    )


class StageEvent(Base):
    """One move of a client into a stage. Append-only: never updated but for the date of the
    move recorded by opening the case, which follows a corrected opening date; a client's
    latest move recorded in error is struck out, moved whole to struck_stage_events."""

    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    moved_on: Mapped[date] = mapped_column(Date)
    moved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StruckStageEvent(Base):
    """A stage move struck out as recorded in error (the wrong partner, the wrong stage or
    day): moved here whole, so that it leaves the client's stage, history and charts, yet is
    kept with who struck it out, when and why. Its own id: SQLite gives a struck-out move's
    id (the highest) to the next move recorded."""

    __tablename__ = "struck_stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    moved_on: Mapped[date] = mapped_column(Date)
    moved_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    struck_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    struck_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    struck_reason: Mapped[str] = mapped_column(EncryptedText)


class PracticeSetting(Base):
    """A practice-wide setting; values are JSON text, defaults live in casebook/practice.py."""

    __tablename__ = "practice_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEvent(Base):
    """One entry of the append-only audit trail; each carries the hash of the one before."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every column stored encrypted."""
    return [
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


def strike_out(session: Session, row: Base, into: type[Base], **struck: object) -> Base:
    """Move `row`, recorded in error, whole into its struck-out table `into` (under a number
    of that table's own), with `struck` (who, when, why); returns the struck-out row."""
    kept = {c.name: getattr(row, c.name) for c in row.__table__.columns if c.name != "id"}
    aside = into(**kept, **struck)
    session.delete(row)
    session.add(aside)
    session.flush()
    return aside


class WorksheetTemplate(Base):
    """One version of a worksheet template; its TOML source is the truth, the rest indexes it."""

    __tablename__ = "worksheet_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48))
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    contact: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("key", "version", name="uq_templates_key_version"),)


ASSIGNMENT_STATUSES = ("assigned", "in_progress", "completed", "reviewed", "cancelled")


class Assignment(Base):
    """A worksheet given to one client, with a due date. Overdue is derived, never stored."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("worksheet_templates.id"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    instructions: Mapped[str] = mapped_column(EncryptedText, default="")
    status: Mapped[str] = mapped_column(String(20), default="assigned", index=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_on: Mapped[date] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    review_comment: Mapped[str | None] = mapped_column(EncryptedText)
    safety_override: Mapped[str | None] = mapped_column(EncryptedText)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint(f"status IN {ASSIGNMENT_STATUSES!r}", name="ck_assignments_status"),
    )


class Response(Base):
    """A client's answer to one field: JSON, encrypted; shared with the partner or private."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), index=True)
    field_id: Mapped[str] = mapped_column(String(48))
    value: Mapped[str] = mapped_column(EncryptedText)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("assignment_id", "field_id", name="uq_responses_assignment_field"),
    )


class SafetyScreen(Base):
    """A private safety screen of one client. `flagged` is computed from the answers on save."""

    __tablename__ = "safety_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    screened_on: Mapped[date] = mapped_column(Date)
    screened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[str] = mapped_column(EncryptedText)
    flagged: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StruckSafetyScreen(Base):
    """A safety screen struck out as recorded in error (the other partner's answers, a slip):
    moved here whole, so that it no longer sets the client's flag nor shows as theirs, yet is
    kept with who struck it out, when and why."""

    __tablename__ = "struck_safety_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    screened_on: Mapped[date] = mapped_column(Date)
    screened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answers: Mapped[str] = mapped_column(EncryptedText)
    flagged: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    struck_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    struck_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    why: Mapped[str] = mapped_column(EncryptedText)


NOTE_STATUSES = ("draft", "signed")
RISK_LEVELS = ("none", "low", "moderate", "high")


class SessionNote(Base):
    """A progress note of one session. Signed notes are locked; corrections are addenda."""

    __tablename__ = "session_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    session_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    attendance: Mapped[str] = mapped_column(String(20))  # together, separately, one
    attendees: Mapped[str] = mapped_column(Text)  # JSON list of client ids
    note_format: Mapped[str] = mapped_column(String(10))
    sections: Mapped[str] = mapped_column(EncryptedText, default="{}")  # JSON {section: text}
    focus: Mapped[str] = mapped_column(Text, default="{}")  # JSON {client id: stage}
    risk_level: Mapped[str] = mapped_column(String(10), default="none")
    risk_notes: Mapped[str] = mapped_column(EncryptedText, default="")
    rescreen: Mapped[bool] = mapped_column(Boolean, default=False)
    next_session_on: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        CheckConstraint(f"status IN {NOTE_STATUSES!r}", name="ck_notes_status"),
        CheckConstraint(f"risk_level IN {RISK_LEVELS!r}", name="ck_notes_risk"),
        # each case's latest session and latest booked session, read by index alone
        Index("ix_session_notes_case_session", "case_id", "session_at"),
        Index("ix_session_notes_case_next", "case_id", "next_session_on"),
    )


class NoteAddendum(Base):
    """A dated correction or addition to a signed note."""

    __tablename__ = "note_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    text: Mapped[str] = mapped_column(EncryptedText)


class PsychotherapyNote(Base):
    """The author's private notes on a session: apart from the record, never exported."""

    __tablename__ = "psychotherapy_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(EncryptedText)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MeasureDefinitionRow(Base):
    """One version of a measure definition (shipped or the practice's own); TOML is the truth."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    custom: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("key", "version", name="uq_measures_key_version"),)


class MeasureScore(Base):
    """A client's answers to a measure on a day; the total is computed from the items."""

    __tablename__ = "measure_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    scored_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[str] = mapped_column(EncryptedText)
    total: Mapped[int] = mapped_column(Integer)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("session_notes.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # each client's scores in date order: a first or latest score is one step, read by index
    __table_args__ = (
        Index(
            "ix_measure_scores_client_order", "client_id", "scored_on", "id", "measure_id", "total"
        ),
    )


class StruckScore(Base):
    """A score struck out as recorded in error (the wrong client, a slip of the pen): moved here
    whole, so that it leaves every chart, change and report, yet is kept with who struck it
    out, when and why."""

    __tablename__ = "struck_scores"

    # Given by strike_score (the column was made without a sequence of its own)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    scored_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[str] = mapped_column(EncryptedText)
    total: Mapped[int] = mapped_column(Integer)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("session_notes.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    struck_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    struck_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(EncryptedText)
