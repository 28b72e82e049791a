"""Practice-wide settings, stored in the database; defaults here, documented in the README."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

from casebook import audit
from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.errors import ValidationError
from casebook.models import PracticeSetting
from worksheets.note_formats import formats


@dataclass(frozen=True)
class PracticeSettings:
    practice_name: str = "Casebook practice"
    idle_logoff_minutes: int = 15
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    backups_kept: int = 14
    default_note_format: str = "SOAP"


LIMITS = {
    "idle_logoff_minutes": (1, 24 * 60),
    "lockout_attempts": (1, 100),
    "lockout_minutes": (1, 24 * 60),
    "backups_kept": (1, 3650),
}


def load(db: Database) -> PracticeSettings:
    """The practice's settings, defaults where none is stored."""
    names = {f.name for f in fields(PracticeSettings)}
    with db.read() as s:
        stored = {
            row.key: json.loads(row.value)
            for row in s.query(PracticeSetting).filter(PracticeSetting.key.in_(names))
        }
    return replace(PracticeSettings(), **stored)


def update(db: Database, actor: Actor, **changes: object) -> PracticeSettings:
    """An admin changes settings; raises ValidationError naming the setting."""
    require_role(actor, "admin")
    current = asdict(PracticeSettings())
    for name, value in changes.items():
        if name not in current:
            raise ValidationError(f"There is no setting called '{name}'.")
        if name in LIMITS:
            low, high = LIMITS[name]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValidationError(
                    f"{name.replace('_', ' ').capitalize()} must be {low}-{high}."
                )
        elif name == "default_note_format":
            if value not in formats():
                raise ValidationError(
                    f"Default note format must be one of: {', '.join(formats())}."
                )
        elif not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ValidationError(
                f"{name.replace('_', ' ').capitalize()} must be 1-200 characters."
            )
    with db.write() as s:
        for name, value in changes.items():
            s.merge(PracticeSetting(key=name, value=json.dumps(value)))
        audit.record(s, actor, "settings_change", detail=", ".join(sorted(changes)))
    return load(db)
