"""Session-note formats (SOAP, DAP, BIRP, GIRP) and their sections, from a data file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FORMATS_FILE = Path(__file__).with_name("note_formats.toml")


class FormatDataError(ValueError):
    """The note formats file is malformed; the message names the file and field."""


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    hint: str


@dataclass(frozen=True)
class NoteFormat:
    key: str
    sections: tuple[Section, ...]


def load_formats(path: Path = FORMATS_FILE) -> dict[str, NoteFormat]:
    """Read and validate the formats file; raises FormatDataError naming file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FormatDataError(f"{path.name}: cannot be read as TOML ({exc})") from exc
    formats = {}
    for i, raw in enumerate(data.get("format", []), start=1):
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            raise FormatDataError(f"{path.name}: format {i}.key must be non-empty text")
        sections = []
        for j, sec in enumerate(raw.get("sections", []), start=1):
            for name in ("id", "title", "hint"):
                if not isinstance(sec.get(name), str) or not sec[name].strip():
                    raise FormatDataError(
                        f"{path.name}: format {i} ({key}).sections[{j}].{name} must be text"
                    )
            sections.append(Section(sec["id"], sec["title"], sec["hint"]))
        if not sections:
            raise FormatDataError(f"{path.name}: format {i} ({key}).sections is empty")
        formats[key] = NoteFormat(key, tuple(sections))
    if not formats:
        raise FormatDataError(f"{path.name}: no [[format]] entries")
    return formats


@cache
def formats() -> dict[str, NoteFormat]:
    """The shipped note formats by key."""
    return load_formats()
