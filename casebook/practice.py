"""Practice-wide settings, stored in the database; defaults here, documented in the README."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace

from sqlalchemy.orm import Session

from casebook import audit
from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.errors import Conflict, ValidationError
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
    crisis_line: str = ""  # printed on every handout when set
    # Per measure key and version, the SD and reliability for reliable change where the
    # practice set its own ({"csi4": {"1": {"sd": 5.0, "reliability": 0.9}}}); otherwise the
    # version's data file gives them. A measure's new version starts from its own file.
    measure_params: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


# What a measure's SD and reliability may be, here and in a measure file alike, so that every
# value in force fits the settings page's boxes.
SD_RANGE = (0.01, 10_000.0)
RELIABILITY_RANGE = (0.0, 0.999)

LIMITS = {
    "idle_logoff_minutes": (1, 24 * 60),
    "lockout_attempts": (1, 100),
    "lockout_minutes": (1, 24 * 60),
    "backups_kept": (1, 3650),
}


VERSION_KEY = "settings_version"  # counts the saves that changed a setting


def load(db: Database) -> PracticeSettings:
    """The practice's settings, defaults where none is stored."""
    with db.read() as s:
        return _load(s)


def _load(s: Session) -> PracticeSettings:
    names = {f.name for f in fields(PracticeSettings)}
    stored = {
        row.key: json.loads(row.value)
        for row in s.query(PracticeSetting).filter(PracticeSetting.key.in_(names))
    }
    return replace(PracticeSettings(), **stored)


def version(db: Database) -> int:
    """How many times the settings have changed: a page keeps the number it showed, and its
    save is refused once another has changed them since (as a case's version does)."""
    with db.read() as s:
        return _version(s)


def _version(s: Session) -> int:
    row = s.get(PracticeSetting, VERSION_KEY)
    return int(row.value) if row else 0


def bump_version(s: Session) -> None:
    """Count a change to what the settings page shows (a setting, or a measure's version)."""
    s.merge(PracticeSetting(key=VERSION_KEY, value=str(_version(s) + 1)))


def update(
    db: Database, actor: Actor, *, expected_version: int | None = None, **changes: object
) -> PracticeSettings:
    """An admin changes settings, audited by name where a value differs; raises
    ValidationError naming the setting, or Conflict where `expected_version` is given and
    another save changed the settings since."""
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
        elif name == "crisis_line":
            if not isinstance(value, str) or len(value) > 200 or "\n" in value:
                raise ValidationError("Crisis line must be one line of at most 200 characters.")
            from handouts.document import crisis_fits, crisis_lines, handout_fonts

            size, lines = crisis_lines(value)  # reportlab, imported only when this changes
            if not crisis_fits(lines, handout_fonts().bold, size):
                raise ValidationError(
                    "Crisis line is too long to print in full at the foot of a handout: shorten it."
                )
        elif name == "measure_params":
            check_measure_params(value)
        elif name == "default_note_format":
            if value not in formats():
                raise ValidationError(
                    f"Default note format must be one of: {', '.join(formats())}."
                )
        elif not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise ValidationError(
                f"{name.replace('_', ' ').capitalize()} must be 1-200 characters."
            )
    # The page saves every setting at once: the trail names only those that changed, and a
    # save that changes nothing is no change.
    with db.write() as s:
        if expected_version is not None and _version(s) != expected_version:
            raise Conflict(
                "Another admin (or another tab) changed the settings since you opened this "
                "page, and saving yours would undo that. What you chose is still here: "
                "reload the settings, then make your change again."
            )
        before = asdict(_load(s))
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if changed:
            for name, value in changed.items():
                s.merge(PracticeSetting(key=name, value=json.dumps(value)))
            bump_version(s)
            audit.record(s, actor, "settings_change", detail=", ".join(sorted(changed)))
    return load(db)


def check_measure_params(value: object) -> None:
    """Per measure key and version, an SD and a reliability in range; raises ValidationError
    naming the measure."""
    if not isinstance(value, dict):
        raise ValidationError("Measure settings must name a measure.")
    for key, versions in value.items():
        if not isinstance(versions, dict) or not versions:
            raise ValidationError(f"Settings of '{key}' must name a version.")
        for version, params in versions.items():
            if not (isinstance(version, str) and version.isascii() and version.isdigit()):
                raise ValidationError(f"Settings of '{key}' name no version: {version!r}.")
            check_sd_and_reliability(f"'{key}'", params)


def check_sd_and_reliability(name: str, params: object) -> None:
    """An SD and a reliability in range, as the settings page can hold them."""
    if not isinstance(params, dict) or set(params) != {"sd", "reliability"}:
        raise ValidationError(f"Settings of {name} need an SD and a reliability.")
    sd, r = params["sd"], params["reliability"]
    (sd_low, sd_high), (r_low, r_high) = SD_RANGE, RELIABILITY_RANGE
    if isinstance(sd, bool) or not isinstance(sd, int | float) or not sd_low <= sd <= sd_high:
        raise ValidationError(f"The SD of {name} must be from {sd_low:g} to {sd_high:,g}.")
    if isinstance(r, bool) or not isinstance(r, int | float) or not r_low <= r <= r_high:
        raise ValidationError(f"The reliability of {name} must be from {r_low:g} to {r_high:g}.")
