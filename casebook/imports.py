"""Bringing clients over from another system: a CSV file opens one case per row, all or none.

The file is UTF-8 text (with or without the byte-order mark that spreadsheets write when
saving "CSV UTF-8"), its values separated by commas, or by the semicolons or tabs that
spreadsheets write in some countries. Its first line is a header naming the columns, in
any order and in any letter case; only these columns are read:

    name                 required: the client's name
    pronouns             the client's pronouns
    email                the client's email address
    phone                the client's phone number
    partner_name         for a couple, the partner's name (needed when any partner_ column
                         has a value; leave every partner_ column blank for an individual)
    partner_pronouns
    partner_email
    partner_phone
    opened_on            the day the case opened, as YYYY-MM-DD; blank means today
    stage                the stage (1-8) where the client, and partner, start; blank means 1
    presenting_concern   free text; may span lines inside a quoted value

Rows whose cells are all blank are skipped, and so are columns the header leaves unnamed
while every value in them is blank (spreadsheets add such columns). Every row is checked
first, by the same rules as opening a case by hand; if any row has a problem, nothing is
imported and the message lists every bad line with its line number. A client already in
the counsellor's cases, or twice in the file (the same name, and the same email or else
phone), is refused the same way unless repeats are allowed: a file imported twice would
open every case twice. Otherwise every case is opened in a single transaction, and each
belongs to the counsellor who imports it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casebook import audit, cases, validation
from casebook.access import Actor
from casebook.cases import CaseView, ClientInput
from casebook.db import Database
from casebook.errors import AccessDenied, ValidationError
from casebook.models import Case, Client

COLUMNS = (
    "name",
    "pronouns",
    "email",
    "phone",
    "partner_name",
    "partner_pronouns",
    "partner_email",
    "partner_phone",
    "opened_on",
    "stage",
    "presenting_concern",
)
PARTNER_COLUMNS = ("partner_name", "partner_pronouns", "partner_email", "partner_phone")
MAX_ROWS = 10_000
SEPARATORS = (",", ";", "\t")
HEADER_LOOK = 64 * 1024  # characters of the first line read to find its separator
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


class ImportRefused(ValidationError):
    """The file cannot be imported as it is, and nothing was imported.

    The message is one line; `problems` holds each bad line's message for a list on screen.
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class ImportRow:
    """One checked row of an import file, ready to open a case."""

    line: int
    clients: tuple[ClientInput, ...]
    opened_on: date
    presenting_concern: str
    start_stage: int


def _shown(value: str, limit: int = 40) -> str:
    """A value of the file, safe to quote in a one-line message."""
    value = "".join("?" if unicodedata.category(ch) == "Cc" else ch for ch in value)
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def _read(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows, each with the line it starts on."""
    if not path.exists():
        raise ImportRefused(f"There is no file {path}.")
    if not path.is_file():
        raise ImportRefused(f"{path} is not a file: name the CSV file to import.")
    if path.suffix.lower() in SPREADSHEETS:
        raise ImportRefused(
            f"{path.name} is a spreadsheet: save it as 'CSV UTF-8' and import that file."
        )
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            delimiter = _delimiter(f.readline(HEADER_LOOK))
            f.seek(0)
            reader = csv.reader(f, delimiter=delimiter, strict=True)
            while True:
                start = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if "field limit" in str(exc):  # Python's words are no help to a user
                        raise ImportRefused(
                            f"line {start} has a value longer than "
                            f"{csv.field_size_limit():,} characters: a quote left open "
                            "runs on to the end of the file."
                        ) from exc
                    raise ImportRefused(f"line {start} is not valid CSV: {exc}.") from exc
                if not any(cell.strip() for cell in record):
                    continue
                if header is None:
                    header = record
                elif len(rows) == MAX_ROWS:
                    raise ImportRefused(
                        f"The file has more than {MAX_ROWS:,} rows: split it into smaller files."
                    )
                else:
                    rows.append((start, record))
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            f"{path.name} is not UTF-8 text: save it as 'CSV UTF-8' and import that file."
        ) from exc
    except OSError as exc:
        raise ImportRefused(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if header is None:
        raise ImportRefused(f"{path.name} is empty: there is nothing to import.")
    return header, rows


def _delimiter(first_line: str) -> str:
    """The comma, or the semicolon or tab that a spreadsheet set for a comma-decimal locale
    (Excel in much of Europe) writes between values instead: whichever finds the name column."""
    for delimiter in SEPARATORS:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        if "name" in (cell.strip().lower() for cell in cells):
            return delimiter
    return ","


def _columns(header: list[str]) -> list[str]:
    """The header's column names, lower case; raises ImportRefused if any is amiss."""
    names = [h.strip().lower() for h in header]
    if "name" not in names:
        raise ImportRefused(
            "The file has no 'name' column: its first line must name the columns, "
            "for example name,email,phone."
        )
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        listed = ", ".join(f"'{_shown(n)}'" for n in unknown)
        raise ImportRefused(
            f"Unknown column{'s' if len(unknown) > 1 else ''} {listed}: "
            f"the columns Casebook reads are {', '.join(COLUMNS)}."
        )
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise ImportRefused(f"The header names the column '{twice[0]}' more than once.")
    return names


def _opening_date(raw: str, today: date) -> date:
    raw = raw.strip()
    if not raw:
        return today
    if not ISO_DATE.fullmatch(raw):
        raise ValidationError(f"Opening date '{_shown(raw)}' is not written as YYYY-MM-DD.")
    try:
        value = date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"Opening date '{raw}' is not a day of the calendar.") from exc
    return validation.past_date(value, "Opening date", today=today)


def _start_stage(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return 1
    if not WHOLE_NUMBER.fullmatch(raw):
        raise ValidationError(f"Stage '{_shown(raw)}' is not a whole number.")
    return cases.stage_number(int(raw))


def _check_row(line: int, cells: dict[str, str], today: date) -> ImportRow | list[str]:
    """The row ready to import, or every problem found in it (the same rules as by hand)."""
    clients = [ClientInput(cells["name"], *(cells.get(c, "") for c in COLUMNS[1:4]))]
    if any(cells.get(c, "").strip() for c in PARTNER_COLUMNS):
        clients.append(ClientInput(*(cells.get(c, "") for c in PARTNER_COLUMNS)))
    checks: dict[str, Callable[[], object]] = {
        "clients": lambda: tuple(cases.clean_clients(clients)),
        "opened_on": lambda: _opening_date(cells.get("opened_on", ""), today),
        "stage": lambda: _start_stage(cells.get("stage", "")),
        "concern": lambda: validation.text(
            cells.get("presenting_concern", ""), "Presenting concern", max_len=5000, multiline=True
        ),
    }
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, check in checks.items():
        try:
            values[key] = check()
        except ValidationError as exc:
            problems.append(str(exc))
    if problems:
        return problems
    return ImportRow(
        line, values["clients"], values["opened_on"], values["concern"], values["stage"]
    )


def _refusal(bad: list[str]) -> ImportRefused:
    count = f"{len(bad)} line{'s have' if len(bad) > 1 else ' has'} problems"
    return ImportRefused(f"Nothing was imported: {count}. {' '.join(bad)}", bad)


def checked_rows(path: Path, *, today: date | None = None) -> list[ImportRow]:
    """Every row of an import file, checked; raises ImportRefused listing every bad line."""
    today = today or date.today()
    path = Path(path)
    header, records = _read(path)
    names = _columns(header)
    if not records:
        raise ImportRefused(f"{path.name} has a header but no rows of clients below it.")
    rows: list[ImportRow] = []
    bad: list[str] = []
    for line, record in records:
        if len(record) != len(names):
            bad.append(
                f"line {line}: has {len(record)} values but the header names {len(names)} columns."
            )
            continue
        # A column without a name (a spreadsheet writes the blank ones it once touched) is
        # fine while it stays blank; a value there is a column nobody named.
        pairs = enumerate(zip(names, record, strict=True), 1)
        stray = [n for n, (name, value) in pairs if not name and value.strip()]
        if stray:
            bad.append(
                f"line {line}: column {stray[0]} holds '{_shown(record[stray[0] - 1])}' but the "
                "header gives that column no name: name it (or delete the column)."
            )
            continue
        cells = {name: value for name, value in zip(names, record, strict=True) if name}
        checked = _check_row(line, cells, today)
        if isinstance(checked, ImportRow):
            rows.append(checked)
        else:
            bad.append(f"line {line}: {' '.join(checked)}")
    if bad:
        raise _refusal(bad)
    return rows


def _identity(name: str, email: str, phone: str) -> tuple[str, str]:
    """Who a client is, for spotting the same client twice: the name, with the email, or
    failing that the phone number's digits."""
    contact = email.casefold() or "".join(ch for ch in phone if ch.isdigit())
    return " ".join(name.casefold().split()), contact


def _repeated(s: Session, actor: Actor, rows: list[ImportRow]) -> list[str]:
    """A line for each row with a client already in the counsellor's cases, or on an earlier
    line of the file (the same file imported twice, say)."""
    seen = {
        _identity(name, email, phone): f"already in your case #{case_id}"
        for name, email, phone, case_id in s.execute(
            select(Client.name, Client.email, Client.phone, Client.case_id)
            .join(Case, Case.id == Client.case_id)
            .where(Case.counsellor_id == actor.id)
        )
    }
    repeated = []
    for row in rows:
        for client in row.clients:
            key = _identity(client.name, client.email, client.phone)
            if key in seen:
                repeated.append(f"line {row.line}: {client.name} is {seen[key]}.")
            seen.setdefault(key, f"on line {row.line} too")
    return repeated


def import_clients(
    db: Database, actor: Actor, path: Path, *, allow_repeats: bool = False
) -> list[CaseView]:
    """Open a case for each row of a CSV file, all in one transaction, or none at all.

    The cases belong to the importing counsellor. Raises AccessDenied for anyone else, or
    ImportRefused (a ValidationError) naming every problem, when nothing is imported. A
    client already in the counsellor's cases, or twice in the file, is such a problem unless
    `allow_repeats`.
    """
    if actor.role != "counsellor":
        raise AccessDenied("Only counsellors import clients: the cases opened become theirs.")
    rows = checked_rows(Path(path))
    with db.write() as s:
        if not allow_repeats and (repeated := _repeated(s, actor, rows)):
            raise ImportRefused(
                f"Nothing was imported: {len(repeated)} client"
                f"{'s are' if len(repeated) > 1 else ' is'} there already. "
                f"{' '.join(repeated)} To import them all the same, add --allow-repeats.",
                repeated,
            )
        created = []
        for row in rows:
            try:
                created.append(
                    cases.insert_case(
                        s,
                        actor,
                        row.clients,
                        opened_on=row.opened_on,
                        presenting_concern=row.presenting_concern,
                        start_stage=row.start_stage,
                    )
                )
            except ValidationError as exc:  # the rules of a case changed since the check
                raise _refusal([f"line {row.line}: {exc}"]) from exc
        audit.record(s, actor, "import_clients", detail=f"{len(created)} rows")
        return cases._views(s, created)
