"""Getting records out: one client's record (JSON and PDF), the practice's cases as CSV.

Exports go through the repositories, so the usual rules hold: a counsellor exports their
own clients, a supervisor any, an admin none. Every export is audited. Files are created
new, readable by their owner only, and never overwrite a file that is already there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from casebook import audit, cases, measures, notes, practice
from casebook.access import Actor, case_for_reading, require_role, unseen
from casebook.cases import CaseView
from casebook.db import Database
from casebook.documents import laid_out
from casebook.errors import NotFound, ValidationError
from casebook.models import Client
from handouts.record import (
    ClientRecord,
    Closing,
    ScoreEntry,
    StageEntry,
    client_record_pdf,
    not_included,
)
from worksheets.stages import stage as stage_info

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "case_id",
    "client_id",
    "client_name",
    "pronouns",
    "partner_name",
    "stage",
    "stage_name",
    "stage_since",
    "case_status",
    "outcome",
    "opened_on",
    "counsellor",
)


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


def _stage_name(number: int) -> str:
    try:
        return stage_info(number).name
    except KeyError:  # a stage the shipped guide no longer has: show the number alone
        return ""


def record_of_client(case: CaseView, client_id: int, *, exported_by: str) -> ClientRecord:
    """One client's record from their case (as `cases.get_case` returns it, with histories).

    Of a partner in a couple only the name is taken, never their contact details.
    """
    me = next((c for c in case.clients if c.id == client_id), None)
    if me is None:
        raise NotFound(f"There is no client #{client_id} in case #{case.id}.")
    partner = next((c for c in case.clients if c.id != client_id), None)
    return ClientRecord(
        client_id=me.id,
        name=me.name,
        pronouns=me.pronouns,
        email=me.email,
        phone=me.phone,
        stage=me.stage,
        stage_name=_stage_name(me.stage),
        stage_since=me.stage_since,
        case_id=case.id,
        kind=case.kind,
        partner_name=partner.name if partner else None,
        counsellor=case.counsellor_name,
        status=case.status,
        outcome=case.outcome,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        presenting_concern=case.presenting_concern,
        closing_note=case.closing_note,
        earlier_closings=tuple(Closing(**asdict(c)) for c in case.earlier_closings),
        history=tuple(
            StageEntry(m.stage, _stage_name(m.stage), m.moved_on, m.moved_by, m.reason)
            for m in me.history
        ),
        exported_on=date.today(),
        exported_by=exported_by,
    )


def client_record(db: Database, actor: Actor, client_id: int) -> ClientRecord:
    """A client's record, read through the repositories (the read is audited as a case view).

    Raises NotFound, or AccessDenied (another counsellor's client; any admin).
    """
    require_role(actor, "counsellor", "supervisor")
    with db.read() as s:
        case_id = s.scalar(select(Client.case_id).where(Client.id == client_id))
        if case_id is None:
            raise NotFound(unseen("client", client_id))
        case_for_reading(s, actor, case_id, asked=("client", client_id))
    case = cases.get_case(db, actor, case_id)
    record = record_of_client(case, client_id, exported_by=actor.display_name)
    return replace(
        record,
        notes=tuple(notes.signed_notes_of_client(db, actor, case, client_id)),
        scores=_scores_of_client(db, actor, case.id, client_id),
    )


def _scores_of_client(
    db: Database, actor: Actor, case_id: int, client_id: int
) -> tuple[ScoreEntry, ...]:
    """The client's own scores, each named by its measure (and version, where the client
    answered more than one), item by item in the measure's order."""
    every = measures.definitions(db)
    mine = [
        s
        for s in measures.scores_for_case(db, actor, case_id)
        if s.client_id == client_id and s.measure_id in every
    ]
    versions: dict[str, set[int]] = {}
    for s in mine:
        versions.setdefault(s.measure_key, set()).add(s.measure_id)
    entries = []
    for s in mine:
        definition = every[s.measure_id]
        name = definition.name
        if len(versions[s.measure_key]) > 1:
            name += f" (version {definition.version})"
        items = [item.id for item in definition.measure.items]
        answers = tuple((item, s.answers[item]) for item in items if item in s.answers)
        entries.append(ScoreEntry(name, s.scored_on, s.total, answers))
    return tuple(entries)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def record_json(record: ClientRecord, practice_name: str) -> bytes:
    """The record as indented UTF-8 JSON, non-ASCII characters kept as they are."""
    data: dict[str, Any] = {
        "record": "Casebook client record",
        "practice": practice_name,
        "exported_on": _iso(record.exported_on),
        "exported_by": record.exported_by,
        "client": {
            "id": record.client_id,
            "name": record.name,
            "pronouns": record.pronouns,
            "email": record.email,
            "phone": record.phone,
            "stage": record.stage,
            "stage_name": record.stage_name,
            "stage_since": _iso(record.stage_since),
        },
        "case": {
            "id": record.case_id,
            "kind": record.kind,
            "partner": {"name": record.partner_name} if record.partner_name else None,
            "counsellor": record.counsellor,
            "status": record.status,
            "outcome": record.outcome,
            "opened_on": _iso(record.opened_on),
            "closed_on": _iso(record.closed_on),
            "presenting_concern": record.presenting_concern,
            "closing_note": record.closing_note,
            "earlier_closings": [
                {**asdict(c), "closed_on": _iso(c.closed_on), "reopened_on": _iso(c.reopened_on)}
                for c in record.earlier_closings
            ],
        },
        "stage_history": [
            {**asdict(entry), "moved_on": _iso(entry.moved_on)} for entry in record.history
        ],
        "measure_scores": [
            {
                "measure": e.measure,
                "scored_on": _iso(e.scored_on),
                "total": e.total,
                "answers": dict(e.answers),
            }
            for e in record.scores
        ],
        "session_notes": [
            {
                "session_at": n.session_at.isoformat(timespec="minutes"),
                "duration_minutes": n.duration_minutes,
                "attendance": n.attendance,
                "format": n.note_format,
                "stage_in_focus": dict(n.focus),
                "sections": dict(n.sections),
                "risk": n.risk_level,
                "risk_notes": n.risk_notes,
                "signed": n.signed,
                "addenda": [
                    {"written_at": w.isoformat(timespec="minutes"), "by": a, "text": t}
                    for w, a, t in n.addenda
                ],
            }
            for n in record.notes
        ],
        "not_included": not_included(record),
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _prepare_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ValidationError(f"{folder} is a file, not a folder: name a folder to export into.")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Cannot create the folder {folder}: {exc.strerror or exc}.") from exc


def _refuse_existing(paths: list[Path]) -> None:
    for path in paths:
        try:
            taken = path.exists() or path.is_symlink()
        except OSError as exc:
            raise ValidationError(f"Cannot look at {path}: {exc.strerror or exc}.") from exc
        if taken:
            raise ValidationError(
                f"{path} already exists: Casebook does not overwrite files. "
                "Move it away or choose another place."
            )


def write_new_files(files: Mapping[Path, bytes]) -> None:
    """Create every file, owner-readable only; on any failure remove those already written."""
    written: list[Path] = []
    try:
        for path, data in files.items():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                _refuse_existing([path])
                raise
            written.append(path)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise ValidationError(
            f"Cannot write {exc.filename or 'the export'}: {exc.strerror or exc}."
        ) from exc
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _write_audited(
    db: Database,
    actor: Actor,
    files: Mapping[Path, bytes],
    *,
    detail: str,
    case_id: int | None = None,
    client_id: int | None = None,
) -> None:
    """Write the files and audit the export together: both happen, or neither does."""
    written = False
    try:
        with db.write() as s:
            audit.record(s, actor, "export", case_id=case_id, client_id=client_id, detail=detail)
            write_new_files(files)
            written = True
    except BaseException:
        if written:  # the audit entry did not commit: take the files back
            for path in files:
                path.unlink(missing_ok=True)
        raise


def export_client(db: Database, actor: Actor, client_id: int, out_dir: Path) -> list[Path]:
    """Write one client's record as client-<id>.json and client-<id>.pdf into `out_dir`.

    The record holds the client's details, their case, their stage history and their
    measure scores; for a couple, the partner's name only. Psychotherapy notes are never
    part of an export. The folder is created if missing; existing files are never
    overwritten.

    Raises NotFound, AccessDenied (another counsellor's client; any admin) or
    ValidationError (a file already exists, the folder cannot be written).
    """
    require_role(actor, "counsellor", "supervisor")
    out_dir = Path(out_dir)
    json_path, pdf_path = out_dir / f"client-{client_id}.json", out_dir / f"client-{client_id}.pdf"
    _refuse_existing([json_path, pdf_path])  # before reading the record: nothing is read in vain
    record = client_record(db, actor, client_id)
    practice_name = practice.load(db).practice_name
    files = {
        json_path: record_json(record, practice_name),
        pdf_path: laid_out(client_record_pdf, record, practice_name),
    }
    _prepare_folder(out_dir)
    _write_audited(db, actor, files, case_id=record.case_id, client_id=client_id, detail="json+pdf")
    return list(files)


def practice_frame(db: Database, actor: Actor) -> pd.DataFrame:
    """One row per client of every case the actor may see (admins: AccessDenied)."""
    rows = []
    for case in cases.list_cases(db, actor, status=None):
        for client in case.clients:
            partner = next((c.name for c in case.clients if c.id != client.id), "")
            rows.append(
                (
                    case.id,
                    client.id,
                    client.name,
                    client.pronouns,
                    partner,
                    client.stage,
                    _stage_name(client.stage),
                    client.stage_since.isoformat(),
                    case.status,
                    case.outcome or "",
                    case.opened_on.isoformat(),
                    case.counsellor_name,
                )
            )
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def export_practice_csv(db: Database, actor: Actor, out: Path) -> Path:
    """Write every case the actor may see as CSV, one row per client, to the new file `out`.

    Raises AccessDenied (admins) or ValidationError (the file exists or cannot be written).
    """
    out = Path(out)
    if out.is_dir():
        raise ValidationError(f"{out} is a folder: name the file to write, such as cases.csv.")
    _refuse_existing([out])
    data = csv_bytes(practice_frame(db, actor))
    _prepare_folder(out.parent)
    _write_audited(db, actor, {out: data}, detail="cases csv")
    return out
