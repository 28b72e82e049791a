"""Worksheet templates: data files (TOML) validated on load, with messages naming file and field.

A template has a key, a version, a stage, a title, an intro, whether it asks for contact
with the partner, and fields. Field kinds:

    short_text  long_text  scale (0-10)  yes_no  choice (options)  checklist (options)
    date  rows (a small table whose `columns` are fields of the other kinds)

Each field has an `id` (unique in the template), a `prompt` written as a question the client
can answer, and optionally `help`, `required`, and `reaches`: the titles of the guide's
points (worksheets/stages.toml `asks`) that the prompt works on.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from worksheets.stages import stages

TEMPLATES_DIR = Path(__file__).with_name("templates")
KINDS = ("short_text", "long_text", "scale", "yes_no", "choice", "checklist", "date", "rows")
COLUMN_KINDS = tuple(k for k in KINDS if k != "rows")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
SCALE_MIN, SCALE_MAX = 0, 10
MAX_FIELDS, MAX_OPTIONS, MAX_TEXT = 60, 30, 2000
MAX_OPTION_TEXT = 200  # an option is a line or two by a tick box, not a page


class TemplateError(ValueError):
    """A template is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Field:
    id: str
    kind: str
    prompt: str
    help: str = ""
    required: bool = False
    options: tuple[str, ...] = ()
    columns: tuple[Field, ...] = ()
    reaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    key: str
    version: int
    stage: int
    title: str
    intro: str
    contact: bool
    fields: tuple[Field, ...]

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"

    def field(self, field_id: str) -> Field:
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)


class _Reader:
    """Reads one table of the file, naming `where` in every complaint."""

    def __init__(self, source: str, where: str, table: object) -> None:
        if not isinstance(table, dict):
            raise TemplateError(f"{source}: {where.rstrip('.') or 'the template'} must be a table")
        self.source, self.where, self.table = source, where, table

    def fail(self, name: str, problem: str) -> TemplateError:
        return TemplateError(f"{self.source}: {self.where}{name} {problem}")

    def text(self, name: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
        value = self.table.get(name, "")
        if not isinstance(value, str):
            raise self.fail(name, "must be text")
        value = value.strip()
        if required and not value:
            raise self.fail(name, "is required")
        if len(value) > max_len:
            raise self.fail(name, f"is longer than {max_len} characters")
        return value

    def boolean(self, name: str) -> bool:
        value = self.table.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def whole(self, name: str, low: int, high: int) -> int:
        value = self.table.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(name, f"must be a whole number from {low} to {high}")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, "must be a list of non-empty texts")
        if any(len(v.strip()) > MAX_OPTION_TEXT for v in value):
            raise self.fail(name, f"each must be at most {MAX_OPTION_TEXT} characters")
        return tuple(v.strip() for v in value)

    def unknown(self, allowed: set[str]) -> None:
        extra = sorted(set(self.table) - allowed)
        if extra:
            raise self.fail(extra[0], "is not a known setting")


FIELD_KEYS = {"id", "kind", "prompt", "help", "required", "options", "columns", "reaches"}
TEMPLATE_KEYS = {"key", "version", "stage", "title", "intro", "contact", "field"}


def _field(source: str, where: str, table: object, kinds: tuple[str, ...]) -> Field:
    r = _Reader(source, where, table)
    r.unknown(FIELD_KEYS)
    field_id = r.text("id", max_len=48)
    if not KEY.match(field_id):
        raise r.fail("id", "must be lower-case letters, digits and _ , starting with a letter")
    r.where = f"{where[:-1]} ({field_id})."
    kind = r.text("kind")
    if kind not in kinds:
        raise r.fail("kind", f"must be one of: {', '.join(kinds)}")
    options = r.texts("options")
    if kind in ("choice", "checklist"):
        if not 2 <= len(options) <= MAX_OPTIONS:
            raise r.fail("options", f"must list 2 to {MAX_OPTIONS} choices")
        if len(set(options)) != len(options):
            raise r.fail("options", "must not repeat a choice")
    elif options:
        raise r.fail("options", f"only belong to choice and checklist fields, not {kind}")
    columns: tuple[Field, ...] = ()
    raw_columns = r.table.get("columns", [])
    if kind == "rows":
        if not isinstance(raw_columns, list) or not 1 <= len(raw_columns) <= 8:
            raise r.fail("columns", "must list 1 to 8 columns")
        columns = tuple(
            _field(source, f"{r.where}columns[{i}].", c, COLUMN_KINDS)
            for i, c in enumerate(raw_columns, start=1)
        )
        _unique(source, f"{r.where}columns", [c.id for c in columns])
    elif raw_columns:
        raise r.fail("columns", f"only belong to rows fields, not {kind}")
    reaches = r.texts("reaches")
    asks = {a.title for s in stages() for a in s.asks}
    for title in reaches:
        if title not in asks:
            raise r.fail("reaches", f"names '{title}', which is not a point of the guide")
    return Field(
        id=field_id,
        kind=kind,
        prompt=r.text("prompt"),
        help=r.text("help", required=False),
        required=r.boolean("required"),
        options=options,
        columns=columns,
        reaches=reaches,
    )


def _unique(source: str, where: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for field_id in ids:
        if field_id in seen:
            raise TemplateError(f"{source}: {where} repeat the id '{field_id}'")
        seen.add(field_id)


def parse_template(data: object, source: str) -> Template:
    """Validate parsed template data; raises TemplateError naming `source` and the field."""
    r = _Reader(source, "", data)
    r.unknown(TEMPLATE_KEYS)
    key = r.text("key", max_len=48)
    if not KEY.match(key):
        raise r.fail("key", "must be lower-case letters, digits and _ , starting with a letter")
    numbers = [s.number for s in stages()]
    raw_fields = r.table.get("field")
    if not isinstance(raw_fields, list) or not 1 <= len(raw_fields) <= MAX_FIELDS:
        raise r.fail("field", f"must be 1 to {MAX_FIELDS} [[field]] tables")
    fields = tuple(
        _field(source, f"field {i}.", f, KINDS) for i, f in enumerate(raw_fields, start=1)
    )
    _unique(source, "fields", [f.id for f in fields])
    return Template(
        key=key,
        version=r.whole("version", 1, 10_000),
        stage=r.whole("stage", numbers[0], numbers[-1]),
        title=r.text("title", max_len=120),
        intro=r.text("intro"),
        contact=r.boolean("contact"),
        fields=fields,
    )


def paragraphs(text: str) -> list[str]:
    """Prose from a data file as paragraphs: a blank line parts two, and the file's own line
    breaks within one are only wrapping, joined with a space."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def parse_template_text(text: str, source: str) -> Template:
    """A template from TOML text; raises TemplateError naming `source` and the field."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark is no error
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{source}: not valid TOML ({exc})") from exc
    return parse_template(data, source)


def load_template(path: Path) -> Template:
    """Read and validate one template file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path.name}: is not UTF-8 text") from None
    except OSError as exc:
        raise TemplateError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    return parse_template_text(text, path.name)


def shipped_sources() -> list[tuple[Template, str]]:
    """The library that ships with Casebook, each template with its TOML text."""
    found = []
    for path in sorted(TEMPLATES_DIR.glob("*.toml")):
        found.append((load_template(path), path.read_text(encoding="utf-8")))
    if not found:
        raise TemplateError(f"{TEMPLATES_DIR}: no worksheet templates (a broken install?)")
    return sorted(found, key=lambda pair: (pair[0].stage, pair[0].title))


def shipped_templates() -> list[Template]:
    """The library that ships with Casebook, by stage then title."""
    return [t for t, _ in shipped_sources()]
