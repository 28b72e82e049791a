"""Checks on what users type, with messages that say what to fix."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from casebook.errors import ValidationError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+()\-. ]{3,40}$")
EARLIEST = date(1900, 1, 1)
# Invisible marks that turn the text after them around (a name shown reversed in lists, CSV
# and PDFs). The plain left-to-right and right-to-left marks, which RTL names use, are fine.
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


MAX_NUMBER = 2**31 - 1  # the largest number an INTEGER column holds on PostgreSQL


def record_number(text: str) -> int | None:
    """`text` as a record's number (a case, client, note, assignment), or None where it is
    none: ASCII digits only, from 1 to what a database column holds (a bigger number would
    not be refused by the database but make it fail)."""
    text = text.strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_NUMBER:
        return int(text)
    return None


def text(
    value: str | None, field: str, *, max_len: int, required: bool = False, multiline: bool = False
) -> str:
    """The value stripped of surrounding white space; raises ValidationError if unfit."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"{field} is required.")
    if len(value) > max_len:
        raise ValidationError(f"{field} is too long: at most {max_len:,} characters.")
    allowed = {"\n", "\t", "\r"} if multiline else set()
    for ch in value:
        # Free text may hold what a chat app pasted around a name; a name or a title may not.
        direction = ch in DIRECTION_CONTROLS and not multiline
        if (unicodedata.category(ch) == "Cc" and ch not in allowed) or direction:
            raise ValidationError(f"{field} contains a control character; please retype it.")
    return value


def folded(value: str) -> str:
    """`value` as a search compares it, with case and accents set aside, so that a name or a
    word is found as a person types it: "lucia" finds "Lucía", "YILDIZ" finds "Yıldız".
    Done in Python, not by the database, whose lower() follows its locale (under PostgreSQL's
    C locale it folds A to Z only)."""
    decomposed = unicodedata.normalize("NFKD", value.casefold().replace("ı", "i"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def control_character_in(data: object, where: str = "") -> str | None:
    """Where in a parsed file (a worksheet, a measure) a text holds a control character other
    than a line break or a tab, as "field 2.prompt"; None where none does. Checked when a file
    is saved, not each time a stored one is read: a file saved before must still open."""
    if isinstance(data, str):
        controls = (c for c in data if unicodedata.category(c) == "Cc" and c not in "\n\r\t")
        return (where or "the file") if any(controls) else None
    if isinstance(data, dict):
        inner = [(f"{where}.{k}" if where else str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        inner = [(f"{where} {n}", v) for n, v in enumerate(data, start=1)]
    else:
        return None
    return next(filter(None, (control_character_in(v, at) for at, v in inner)), None)


def email(value: str | None) -> str:
    value = text(value, "Email", max_len=254)
    if value and not EMAIL.match(value):
        raise ValidationError(f"Email '{value}' does not look like an email address.")
    return value


def phone(value: str | None) -> str:
    value = text(value, "Phone", max_len=40)
    if value and not PHONE.match(value):
        raise ValidationError("Phone may hold only digits, spaces and + ( ) - .")
    return value


def not_before_opening(value: date, field: str, *, opened_on: date) -> date:
    """A date of a case's work (a session, a screen, a score): not before the day the case
    opened, which a reopening keeps."""
    if value < opened_on:
        raise ValidationError(
            f"{field} cannot be before the case opened on {opened_on:%d %b %Y}. If it began "
            "earlier, change its opening date under Details first."
        )
    return value


def past_date(value: date | None, field: str, *, today: date) -> date:
    """A date that is set, not in the future and not absurdly old."""
    if value is None:
        raise ValidationError(f"{field} is required.")
    if value > today:
        raise ValidationError(f"{field} cannot be in the future.")
    if value < EARLIEST:
        raise ValidationError(f"{field} is too far in the past.")
    return value
