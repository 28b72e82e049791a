"""Outcome measures: scoring, reliable change and clinical significance (Jacobson & Truax).

Every clinical number (SD, reliability, cut-off, item ranges) comes from a `Measure`;
only the 95% criterion of reliable change is fixed here. Plain Python, no pandas: reading a
measure's definition, which every start of Casebook does, loads no data frames. Frames of
many clients' scores are analysis.progress.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

# |RC| above this is change unlikely (p < .05) to be measurement error alone.
RELIABLE_Z = 1.96

CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")


@dataclass(frozen=True)
class Item:
    """One question of a measure, answered with a whole number from low to high."""

    id: str
    text: str
    low: int
    high: int
    reverse: bool = False


@dataclass(frozen=True)
class Measure:
    """A questionnaire with what is needed to judge change in its total."""

    key: str
    name: str
    items: tuple[Item, ...]
    higher_is_better: bool
    cutoff: float | None
    sd: float
    reliability: float


def total_score(measure: Measure, answers: Mapping[str, int]) -> int:
    """Sum of item scores, reverse-scored items counted as low + high - value.

    Raises ValueError naming the question, as the counsellor reads it, when an answer is
    missing, not a whole number or out of range; and for an item the measure does not have.
    """
    known = {item.id for item in measure.items}
    unknown = [key for key in answers if key not in known]
    if unknown:
        raise ValueError(f"{measure.name} has no item called {unknown[0]!r}.")
    total = 0
    for item in measure.items:
        if item.id not in answers:
            raise ValueError(f"Answer every question: '{item.text}' has no answer.")
        value = answers[item.id]
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise ValueError(f"'{item.text}' must be answered with a whole number.")
        if not item.low <= value <= item.high:
            raise ValueError(f"'{item.text}' must be from {item.low} to {item.high}, not {value}.")
        total += int(item.low + item.high - value if item.reverse else value)
    return total


def _check(sd: float, r: float) -> None:
    if not sd > 0:
        raise ValueError(f"The standard deviation must be more than 0, not {sd}.")
    if not 0 <= r < 1:
        raise ValueError(f"The reliability must be from 0 up to (not including) 1, not {r}.")


def standard_error(sd: float, r: float) -> float:
    """Standard error of measurement: SD * sqrt(1 - r). Raises ValueError on bad sd or r."""
    _check(sd, r)
    return sd * math.sqrt(1 - r)


def s_diff(sd: float, r: float) -> float:
    """Standard error of the difference of two scores: sqrt(2 * SE^2)."""
    return math.sqrt(2 * standard_error(sd, r) ** 2)


def min_reliable_change(sd: float, r: float) -> float:
    """Smallest raw change that is reliable at 95%: 1.96 * S_diff."""
    return RELIABLE_Z * s_diff(sd, r)


def smallest_reliable_change(sd: float, r: float) -> int:
    """The fewest whole points a total must move to change reliably (|RC| above 1.96).

    Totals are whole numbers, so this is what a counsellor compares a change with; worked
    out by the RC itself, so that it never disagrees with `classify` at the boundary.
    """
    points = max(math.floor(min_reliable_change(sd, r)), 1)
    while abs(reliable_change_index(0, points, sd, r)) <= RELIABLE_Z:
        points += 1
    return points


def reliable_change_index(x1: float, x2: float, sd: float, r: float) -> float:
    """Jacobson-Truax RC from score x1 to score x2: (x2 - x1) / S_diff."""
    return (x2 - x1) / s_diff(sd, r)


def clinical_cutoff(m_clin: float, sd_clin: float, m_func: float, sd_func: float) -> float:
    """Jacobson-Truax cut-off c between clinical and functional populations.

    Raises ValueError when either standard deviation is not more than 0.
    """
    if not (sd_clin > 0 and sd_func > 0):
        raise ValueError("Both standard deviations must be more than 0.")
    return (sd_clin * m_func + sd_func * m_clin) / (sd_clin + sd_func)


def _functional(score: float, cutoff: float, higher_is_better: bool) -> bool:
    """Whether a score lies on the functional side of the cut-off."""
    return score >= cutoff if higher_is_better else score <= cutoff


def classify(baseline: float, latest: float, measure: Measure) -> str:
    """One of "recovered", "improved", "unchanged" or "deteriorated" (Jacobson & Truax)."""
    rc = reliable_change_index(baseline, latest, measure.sd, measure.reliability)
    if abs(rc) <= RELIABLE_Z:
        return "unchanged"
    better = rc > 0 if measure.higher_is_better else rc < 0
    if not better:
        return "deteriorated"
    if measure.cutoff is None:
        return "improved"
    cutoff, up = measure.cutoff, measure.higher_is_better
    crossed = not _functional(baseline, cutoff, up) and _functional(latest, cutoff, up)
    return "recovered" if crossed else "improved"
