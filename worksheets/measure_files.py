"""Measure definitions (CSI-4 and a practice's own) as data files, validated on load.

A definition: key, version, name, source, higher_is_better, cutoff (optional), sd and
reliability (for reliable change), and items, each with id, text, low, high, optional
`reverse = true` and optional `labels` (one per value from low to high). An item is answered
by choosing one of its values, so it has at most 101 (0 to 100, say), none beyond 10,000.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from analysis.measures import Item, Measure

MEASURES_DIR = Path(__file__).with_name("measures")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
TOP_KEYS = {
    "key",
    "version",
    "name",
    "source",
    "higher_is_better",
    "cutoff",
    "sd",
    "reliability",
    "item",
}
ITEM_KEYS = {"id", "text", "low", "high", "reverse", "labels"}
# Each value is a choice on the form (a million of them made a page no browser could show),
# and totals stay well within a database's integer column.
MOST_VALUES = 101
VALUE_LIMIT = 10_000


class MeasureError(ValueError):
    """A measure definition is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class MeasureDefinition:
    key: str
    version: int
    name: str
    source: str
    measure: Measure
    labels: dict[str, tuple[str, ...]]

    @property
    def total_range(self) -> tuple[int, int]:
        return (sum(i.low for i in self.measure.items), sum(i.high for i in self.measure.items))


def _number(data: dict, name: str, where: str, *, whole: bool = False) -> float:
    value = data.get(name)
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not math.isfinite(value):
        kind = "a whole number" if whole else "a number"
        raise MeasureError(f"{where}{name} must be {kind}")
    return value


def _text(data: dict, name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise MeasureError(f"{where}{name} must be non-empty text")
    return value.strip()


def parse_measure(data: object, source: str) -> MeasureDefinition:
    """Validate parsed definition data; raises MeasureError naming `source` and the field."""
    where = f"{source}: "
    if not isinstance(data, dict):
        raise MeasureError(f"{where}must be a table")
    extra = sorted(set(data) - TOP_KEYS)
    if extra:
        raise MeasureError(f"{where}{extra[0]} is not a known setting")
    key = _text(data, "key", where)
    if not KEY.match(key):
        raise MeasureError(f"{where}key must be lower-case letters, digits and _")
    version = int(_number(data, "version", where, whole=True))
    if version < 1:
        raise MeasureError(f"{where}version must be 1 or more")
    if not isinstance(data.get("higher_is_better"), bool):
        raise MeasureError(f"{where}higher_is_better must be true or false")
    sd = _number(data, "sd", where)
    reliability = _number(data, "reliability", where)
    if sd <= 0:
        raise MeasureError(f"{where}sd must be more than 0")
    if not 0 <= reliability < 1:
        raise MeasureError(f"{where}reliability must be from 0 up to (not including) 1")
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= 100:
        raise MeasureError(f"{where}item must be 1 to 100 [[item]] tables")
    items, labels, seen = [], {}, set()
    for i, raw in enumerate(raw_items, start=1):
        at = f"{where}item {i}."
        if not isinstance(raw, dict):
            raise MeasureError(f"{where}item {i} must be a table")
        extra = sorted(set(raw) - ITEM_KEYS)
        if extra:
            raise MeasureError(f"{at}{extra[0]} is not a known setting")
        item_id = _text(raw, "id", at)
        if not KEY.match(item_id) or item_id in seen:
            raise MeasureError(f"{at}id must be unique lower-case letters, digits and _")
        seen.add(item_id)
        at = f"{where}item {i} ({item_id})."
        low = int(_number(raw, "low", at, whole=True))
        high = int(_number(raw, "high", at, whole=True))
        if not low < high:
            raise MeasureError(f"{at}high must be more than low")
        if not -VALUE_LIMIT <= low < high <= VALUE_LIMIT:
            raise MeasureError(f"{at}low and high must be from {-VALUE_LIMIT:,} to {VALUE_LIMIT:,}")
        if high - low + 1 > MOST_VALUES:
            raise MeasureError(
                f"{at}high must be at most {MOST_VALUES - 1} more than low "
                "(each value is a choice on the form)"
            )
        reverse = raw.get("reverse", False)
        if not isinstance(reverse, bool):
            raise MeasureError(f"{at}reverse must be true or false")
        item_labels = raw.get("labels", [])
        if item_labels and (
            not isinstance(item_labels, list)
            or len(item_labels) != high - low + 1
            or not all(isinstance(x, str) and x.strip() for x in item_labels)
        ):
            raise MeasureError(f"{at}labels must name every value from low to high")
        items.append(Item(item_id, _text(raw, "text", at), low, high, reverse))
        labels[item_id] = tuple(item_labels)
    low_total, high_total = sum(i.low for i in items), sum(i.high for i in items)
    cutoff = data.get("cutoff")
    if cutoff is not None:
        cutoff = _number(data, "cutoff", where)
        if not low_total <= cutoff <= high_total:
            raise MeasureError(f"{where}cutoff must lie within the total's range")
    measure = Measure(
        key=key,
        name=_text(data, "name", where),
        items=tuple(items),
        higher_is_better=data["higher_is_better"],
        cutoff=cutoff,
        sd=sd,
        reliability=reliability,
    )
    return MeasureDefinition(
        key, version, measure.name, _text(data, "source", where), measure, labels
    )


def parse_measure_text(text: str, source: str) -> MeasureDefinition:
    """A definition from TOML text; raises MeasureError naming `source` and the field."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark is no error
    except tomllib.TOMLDecodeError as exc:
        raise MeasureError(f"{source}: not valid TOML ({exc})") from exc
    return parse_measure(data, source)


def shipped_measures() -> list[tuple[MeasureDefinition, str]]:
    """The measures that ship with Casebook, each with its TOML text."""
    found = []
    for path in sorted(MEASURES_DIR.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        found.append((parse_measure_text(text, path.name), text))
    return found
