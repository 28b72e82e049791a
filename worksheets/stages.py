"""The guide's eight stages, loaded from a data file and validated on load."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STAGES_FILE = Path(__file__).with_name("stages.toml")


class StageDataError(ValueError):
    """A stages data file is malformed; the message names the file and field."""


@dataclass(frozen=True)
class Ask:
    title: str
    text: str


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    summary: str
    asks: tuple[Ask, ...]
    contact: bool = False  # asks the client to contact their partner (CLINICAL.md, safety)

    @property
    def label(self) -> str:
        return f"{self.number}. {self.name}"


def _text(value: object, where: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StageDataError(f"{path.name}: {where} must be non-empty text")
    return value.strip()


def parse_stages(data: dict, path: Path) -> tuple[Stage, ...]:
    """Validate parsed stage data; raises StageDataError naming file and field."""
    rows = data.get("stage")
    if not isinstance(rows, list) or not rows:
        raise StageDataError(f"{path.name}: no [[stage]] entries")
    stages = []
    for i, row in enumerate(rows, start=1):
        where = f"stage {i}"
        if not isinstance(row, dict):
            raise StageDataError(f"{path.name}: {where} must be a table")
        number = row.get("number")
        if number != i or isinstance(number, bool):
            raise StageDataError(f"{path.name}: {where}.number must be {i}, found {number!r}")
        asks_raw = row.get("asks")
        if not isinstance(asks_raw, list) or not asks_raw:
            raise StageDataError(f"{path.name}: {where}.asks must be a non-empty list")
        asks = []
        for j, ask in enumerate(asks_raw, start=1):
            if not isinstance(ask, dict):
                raise StageDataError(f"{path.name}: {where}.asks[{j}] must be a table")
            asks.append(
                Ask(
                    title=_text(ask.get("title"), f"{where}.asks[{j}].title", path),
                    text=_text(ask.get("text"), f"{where}.asks[{j}].text", path),
                )
            )
        contact = row.get("contact", False)
        if not isinstance(contact, bool):
            raise StageDataError(f"{path.name}: {where}.contact must be true or false")
        stages.append(
            Stage(
                number=i,
                name=_text(row.get("name"), f"{where}.name", path),
                summary=_text(row.get("summary"), f"{where}.summary", path),
                asks=tuple(asks),
                contact=contact,
            )
        )
    return tuple(stages)


def load_stages(path: Path = STAGES_FILE) -> tuple[Stage, ...]:
    """Read and validate a stages file; raises StageDataError naming file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StageDataError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise StageDataError(f"{path.name}: not valid TOML ({exc})") from exc
    return parse_stages(data, path)


@cache
def stages() -> tuple[Stage, ...]:
    """The guide's stages from the shipped data file."""
    return load_stages()


def stage(number: int) -> Stage:
    """One stage by its number (1-8); raises KeyError for an unknown number."""
    for s in stages():
        if s.number == number:
            return s
    raise KeyError(number)
