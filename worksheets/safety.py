"""The private safety screen: questions from a data file, and which answers flag a client."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCREEN_FILE = Path(__file__).with_name("safety_screen.toml")
ANSWERS = ("yes", "no", "unsure")


class ScreenDataError(ValueError):
    """The safety screen file is malformed; the message names the file and field."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    concern: str  # the answer that flags


@dataclass(frozen=True)
class Screen:
    title: str
    notice: str
    questions: tuple[Question, ...]

    def flags(self, answers: dict[str, str]) -> bool:
        """True when any answer is the concerning one, or unsure."""
        return any(answers.get(q.id) in (q.concern, "unsure") for q in self.questions)

    def check(self, answers: dict[str, str]) -> dict[str, str]:
        """Every question answered yes, no or unsure; raises ValueError naming the question."""
        checked = {}
        for q in self.questions:
            if answers.get(q.id) not in ANSWERS:
                raise ValueError(f"Answer every question: '{q.text}' has no answer.")
            checked[q.id] = answers[q.id]
        return checked


def load_screen(path: Path = SCREEN_FILE) -> Screen:
    """Read and validate the screen file; raises ScreenDataError naming file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScreenDataError(f"{path.name}: cannot be read as TOML ({exc})") from exc
    questions = []
    for i, q in enumerate(data.get("question", []), start=1):
        for name in ("id", "text", "concern"):
            if not isinstance(q.get(name), str) or not q[name].strip():
                raise ScreenDataError(f"{path.name}: question {i}.{name} must be non-empty text")
        if q["concern"] not in ("yes", "no"):
            raise ScreenDataError(f"{path.name}: question {i}.concern must be yes or no")
        questions.append(Question(q["id"], q["text"].strip(), q["concern"]))
    if not questions:
        raise ScreenDataError(f"{path.name}: no [[question]] entries")
    for name in ("title", "notice"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ScreenDataError(f"{path.name}: {name} must be non-empty text")
    return Screen(data["title"].strip(), " ".join(data["notice"].split()), tuple(questions))


@cache
def screen() -> Screen:
    """The shipped safety screen."""
    return load_screen()
