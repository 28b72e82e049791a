"""Answers to worksheet fields: checked by field kind, and what a partner may see."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from worksheets.templates import SCALE_MAX, SCALE_MIN, Field, Template

SHORT_MAX, LONG_MAX, MAX_ROWS = 500, 20_000, 50
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)


def _text(field: Field, value: Any, max_len: int, multiline: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"'{field.prompt}' needs text.")
    value = value.strip()
    if len(value) > max_len:
        raise ValueError(f"'{field.prompt}' is too long: at most {max_len:,} characters.")
    allowed = {"\n", "\t", "\r"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise ValueError(f"'{field.prompt}' contains a control character; please retype it.")
    return value


def check_value(field: Field, value: Any) -> Any:
    """The value in its stored form (JSON-ready), or ValueError in plain words.

    None means no answer. Dates are stored as ISO text.
    """
    if value is None or value == "" or value == []:
        return None
    kind = field.kind
    if kind == "short_text":
        return _text(field, value, SHORT_MAX, False) or None
    if kind == "long_text":
        return _text(field, value, LONG_MAX, True) or None
    if kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"'{field.prompt}' needs a whole number.")
        if not SCALE_MIN <= value <= SCALE_MAX:
            raise ValueError(f"'{field.prompt}' is from {SCALE_MIN} to {SCALE_MAX}.")
        return value
    if kind == "yes_no":
        if not isinstance(value, bool):
            raise ValueError(f"'{field.prompt}' is yes or no.")
        return value
    if kind == "choice":
        if value not in field.options:
            raise ValueError(f"'{field.prompt}': choose one of the options.")
        return value
    if kind == "checklist":
        if not isinstance(value, list | tuple) or any(v not in field.options for v in value):
            raise ValueError(f"'{field.prompt}': tick only the options shown.")
        return [o for o in field.options if o in value]
    if kind == "date":
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"'{field.prompt}' needs a date.") from None
        if not isinstance(value, date) or not EARLIEST <= value <= LATEST:
            raise ValueError(f"'{field.prompt}' needs a date between 1900 and 2100.")
        return value.isoformat()
    if kind == "rows":
        if not isinstance(value, list | tuple):
            raise ValueError(f"'{field.prompt}' needs rows.")
        if len(value) > MAX_ROWS:
            raise ValueError(f"'{field.prompt}' has more than {MAX_ROWS} rows.")
        rows = []
        for row in value:
            if not isinstance(row, dict):
                raise ValueError(f"'{field.prompt}' needs rows.")
            checked = {c.id: check_value(c, row.get(c.id)) for c in field.columns}
            if any(v is not None for v in checked.values()):
                rows.append(checked)
        return rows or None
    raise ValueError(f"Unknown field kind {kind}.")


def check_answers(template: Template, answers: dict[str, Any]) -> dict[str, Any]:
    """Every answer checked against its field; unknown fields are refused."""
    unknown = set(answers) - {f.id for f in template.fields}
    if unknown:
        raise ValueError(f"This worksheet has no question '{sorted(unknown)[0]}'.")
    return {f.id: check_value(f, answers[f.id]) for f in template.fields if f.id in answers}


def missing_required(template: Template, answers: dict[str, Any]) -> list[Field]:
    """Required fields still without an answer."""
    return [f for f in template.fields if f.required and answers.get(f.id) is None]


def visible_to_partner(answers: dict[str, tuple[Any, bool]]) -> dict[str, Any]:
    """Only the answers marked shared: what anything meant for the partner may hold."""
    return {field_id: value for field_id, (value, shared) in answers.items() if shared}
