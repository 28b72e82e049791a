"""A filled-in worksheet PDF read back: which worksheet it is, and the answers typed into it.

`read_filled` finds the worksheet key, version and assignment in the document information
that handouts.worksheet wrote (or, if a PDF reader dropped those entries, in the keywords)
and returns the raw form field values; `answers_from_fields` turns those into answers in
the form the app stores, given the worksheet's Template.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject

from handouts.worksheet import BLANK_ROWS, INFO_ASSIGNMENT, INFO_KEY, INFO_VERSION, field_name
from worksheets.answers import check_value
from worksheets.templates import KEY, Field, Template

KEYWORDS = re.compile(r"Casebook worksheet ([a-z][a-z0-9_]*) v(\d+) assignment (\d+)")
WHOLE = re.compile(r"[0-9]+")  # digits as typed on a keyboard, not "٣" or "²"
RADIO = 1 << 15  # /Ff bit: the buttons form one radio group
OFF = ("", "Off")


class NotAWorksheet(ValueError):
    """The bytes are not a Casebook worksheet PDF; the message is one plain sentence."""


@dataclass(frozen=True)
class FilledWorksheet:
    """Which worksheet and assignment a PDF belongs to, and its raw form field values.

    `values` maps full field names (cb.<field_id>...) to text, True/False for check boxes,
    or the chosen value of a radio group (None when nothing is chosen).
    """

    key: str
    version: int
    assignment_id: int
    values: dict[str, Any]

    def answers(self, template: Template) -> dict[str, Any]:
        """The answers for `template`; raises ValueError if the PDF is another worksheet."""
        if (template.key, template.version) != (self.key, self.version):
            raise ValueError(
                f"This PDF is the worksheet '{self.key}' version {self.version}, "
                f"not '{template.key}' version {template.version}."
            )
        return answers_from_fields(template, self.values)


def _open(pdf: bytes) -> PdfReader:
    if not isinstance(pdf, bytes | bytearray) or b"%PDF-" not in bytes(pdf[:1024]):
        raise NotAWorksheet("This file is not a PDF.")
    reader = PdfReader(io.BytesIO(pdf))
    # A PDF locked only against editing opens with the empty password, as in any reader.
    if reader.is_encrypted and not reader.decrypt(""):
        raise NotAWorksheet("This PDF is locked with a password; save an unlocked copy.")
    _ = len(reader.pages)
    return reader


def _identity(reader: PdfReader) -> tuple[str, int, int]:
    """Which worksheet and assignment: from the document information, or failing that (a
    reader that rewrote it, or a damaged byte in it) from the keywords."""
    info = reader.metadata or {}
    try:
        key, version, assignment = (
            str(info[INFO_KEY]),
            int(info[INFO_VERSION]),
            int(info[INFO_ASSIGNMENT]),
        )
        if not KEY.match(key):
            raise ValueError(key)
    except (KeyError, ValueError, TypeError):
        found = KEYWORDS.search(str(info.get("/Keywords", "")))
        if not found:
            raise NotAWorksheet(
                "This PDF is not a Casebook worksheet: it does not say which worksheet it is."
            ) from None
        key, version, assignment = found[1], int(found[2]), int(found[3])
    return key, version, assignment


def _plain(value: Any) -> Any:
    if isinstance(value, ArrayObject | list):
        return [_plain(v) for v in value]
    return None if value is None else str(value)


def _value(field: Mapping[str, Any]) -> Any:
    value = _plain(field.get("/V"))
    if field.get("/FT") != "/Btn":
        return value if value is not None else ""
    state = (value or "").removeprefix("/")
    if int(field.get("/Ff", 0)) & RADIO:
        return None if state in OFF else state
    # A check box is ticked in its own "on" state; any other name (/No, /off) is not ticked.
    on = {str(s).removeprefix("/") for s in field.get("/_States_", ())} - set(OFF)
    return state not in OFF and (not on or state in on)


def _read(pdf: bytes) -> FilledWorksheet:
    reader = _open(pdf)
    key, version, assignment = _identity(reader)
    values = {
        name: _value(field)
        for name, field in (reader.get_fields() or {}).items()
        if name.startswith(field_name()) and "/FT" in field
    }
    if not values:
        raise NotAWorksheet(
            "This PDF has no form fields left to read: it was printed to PDF or flattened. "
            "Type the answers in on the worksheet's page instead."
        )
    return FilledWorksheet(key=key, version=version, assignment_id=assignment, values=values)


def read_filled(pdf: bytes) -> FilledWorksheet:
    """The worksheet, assignment and raw field values of a filled PDF; raises NotAWorksheet."""
    try:
        return _read(pdf)
    except NotAWorksheet:
        raise
    except Exception as exc:  # pypdf meets a damaged file with errors of many kinds
        raise NotAWorksheet("This PDF is damaged and cannot be read.") from exc


# --- raw field values to stored answers -----------------------------------------------------


def _text(raw: Any) -> str:
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    return str(raw).strip()


def _ticked(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return _text(raw).removeprefix("/") not in OFF


def _date(field: Field, text: str) -> str:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"'{field.prompt}': '{text}' is not a date; write it as DD/MM/YYYY.")


def _single(field: Field, raw: Any, *, cell: bool = False) -> Any:
    """One field's (or, with `cell`, a table cell's) raw value in its stored form; None when
    left empty. A choice question is a radio group, whose value is the option's position
    (even where an option is itself a number); a choice cell is a drop-down list, whose value
    is the option's text."""
    text = _text(raw).removeprefix("/") if field.kind in ("scale", "yes_no", "choice") else ""
    if field.kind in ("short_text", "long_text"):
        return _text(raw) or None
    if field.kind == "date":
        return _date(field, _text(raw)) if _text(raw) else None
    if field.kind == "scale":
        if not text or text == "Off":
            return None
        if not WHOLE.fullmatch(text):
            raise ValueError(f"'{field.prompt}' needs a whole number, not '{text}'.")
        return int(text)
    if field.kind == "yes_no":
        if isinstance(raw, bool):
            return raw
        if not text or text == "Off":
            return None
        if text.lower() in ("yes", "no"):
            return text.lower() == "yes"
        raise ValueError(f"'{field.prompt}' is yes or no, not '{text}'.")
    if field.kind == "choice":
        if not text or text == "Off":
            return None
        if not cell and WHOLE.fullmatch(text):
            if int(text) < len(field.options):
                return field.options[int(text)]
        elif text in field.options:
            return text
        raise ValueError(f"'{field.prompt}': '{text}' is not one of the options.")
    return None


def _checklist(field: Field, raw: Mapping[str, Any], *path: object) -> list[str] | None:
    ticked = [o for n, o in enumerate(field.options) if _ticked(raw.get(field_name(*path, n)))]
    return ticked or None


def _rows(field: Field, raw: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    prefix = field_name(field.id) + "."
    numbers = (n.removeprefix(prefix).split(".")[0] for n in raw if n.startswith(prefix))
    found = {int(n) for n in numbers if n.isdigit()} | set(range(BLANK_ROWS))
    rows = []
    for row in sorted(found):
        cells = {
            c.id: _checklist(c, raw, field.id, row, c.id)
            if c.kind == "checklist"
            else _single(c, raw.get(field_name(field.id, row, c.id)), cell=True)
            for c in field.columns
        }
        if any(v is not None for v in cells.values()):
            rows.append(cells)
    return rows or None


def answers_from_fields(template: Template, raw_fields: Mapping[str, Any]) -> dict[str, Any]:
    """Raw form values (cb.<field_id>...) as stored answers; empty ones left out.

    Text is stripped, scales are whole numbers, yes/no are True/False, choices are the option,
    checklists the ticked options, dates ISO text (from YYYY-MM-DD or DD/MM/YYYY), rows a list
    of dicts without the empty rows. Raises ValueError naming the question when a value does
    not fit it.
    """
    answers: dict[str, Any] = {}
    for field in template.fields:
        if field.kind == "checklist":
            value: Any = _checklist(field, raw_fields, field.id)
        elif field.kind == "rows":
            value = _rows(field, raw_fields)
        else:
            value = _single(field, raw_fields.get(field_name(field.id)))
        value = check_value(field, value)  # the same limits as answers typed into the app
        if value is not None:
            answers[field.id] = value
    return answers
