"""Measures (the CSI-4 and a practice's own) and clients' scores, item by item."""

from __future__ import annotations

import json
import logging
import tomllib
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Row, func, select
from sqlalchemy.orm import aliased

from analysis.measures import total_score
from casebook import audit, practice, validation
from casebook.access import (
    Actor,
    case_for_reading,
    case_for_writing,
    client_row,
    open_cases,
    require_role,
    unseen,
)
from casebook.db import Database
from casebook.errors import NotFound, ValidationError
from casebook.models import (
    Case,
    Client,
    MeasureDefinitionRow,
    MeasureScore,
    SessionNote,
    StruckScore,
    User,
    strike_out,
)
from worksheets.measure_files import (
    MeasureDefinition,
    MeasureError,
    parse_measure_text,
    shipped_measures,
)

MEASURE_NAME_MAX = 200  # what its column holds
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreView:
    id: int
    client_id: int
    measure_key: str
    measure_id: int
    scored_on: date
    total: int
    answers: dict[str, int]
    note_id: int | None


def sync_shipped(db: Database) -> None:
    """Add shipped measure versions not yet in the database."""
    with db.write() as s:
        known = set(s.execute(select(MeasureDefinitionRow.key, MeasureDefinitionRow.version)))
        for definition, text in shipped_measures():
            if (definition.key, definition.version) not in known:
                s.add(
                    MeasureDefinitionRow(
                        key=definition.key,
                        version=definition.version,
                        name=definition.name,
                        source=text,
                        custom=False,
                    )
                )


@lru_cache(maxsize=64)
def _parsed(source: str, name: str) -> MeasureDefinition:
    """A stored definition's text, parsed once: a stored version never changes."""
    return parse_measure_text(source, name)


def _definition(row: Row, params: dict[str, dict[str, dict[str, float]]]) -> MeasureDefinition:
    definition = _parsed(row.source, f"{row.key} v{row.version}")
    override = params.get(row.key, {}).get(str(row.version))
    if override:
        definition = replace(definition, measure=replace(definition.measure, **override))
    return definition


def definitions(db: Database) -> dict[int, MeasureDefinition]:
    """Every measure version by id, with the practice's SD and reliability where it set them.

    A stored definition that no longer reads (changed in the database, or saved by a newer
    Casebook sharing the server) is left out, and said in the log: its scores are kept and
    pages leave them out (`unreadable`), rather than every page that scores fail.
    """
    params = practice.load(db).measure_params
    with db.read() as s:
        rows = s.execute(
            select(
                MeasureDefinitionRow.id,
                MeasureDefinitionRow.key,
                MeasureDefinitionRow.version,
                MeasureDefinitionRow.source,
            ).order_by(MeasureDefinitionRow.id)
        ).all()
    found = {}
    for row in rows:
        try:
            found[row.id] = _definition(row, params)
        except MeasureError as exc:
            log.warning(
                "Measure #%s is left out: its stored definition does not read: %s", row.id, exc
            )
    return found


def unreadable(scores: list[ScoreView], every: dict[int, MeasureDefinition]) -> str | None:
    """What to tell a user of scores left out because their measure's definition does not
    read (see `definitions`), or None when there are none."""
    names = sorted({s.measure_key for s in scores if s.measure_id not in every})
    if not names:
        return None
    count = sum(s.measure_id not in every for s in scores)
    return (
        f"{count} {'score' if count == 1 else 'scores'} on {', '.join(names)} "
        f"{'is' if count == 1 else 'are'} not shown: that measure's stored definition cannot be "
        "read by this version of Casebook. The scores are kept; tell whoever looks after "
        "your Casebook."
    )


def current_measures(db: Database) -> dict[int, MeasureDefinition]:
    """The latest version of each measure, by id."""
    every = definitions(db)
    latest: dict[str, int] = {}
    for measure_id, d in every.items():
        if d.key not in latest or every[latest[d.key]].version < d.version:
            latest[d.key] = measure_id
    return {i: every[i] for i in latest.values()}


def save_params(
    db: Database,
    actor: Actor,
    chosen: dict[str, dict[str, float]],
    expected_version: int | None = None,
) -> practice.PracticeSettings:
    """An admin sets the SD and reliability of measures' latest versions (by measure key).

    A value the same as the version's file gives is not stored, so that the version goes on
    following its file. What was set for a measure not in `chosen`, or for an earlier version
    (its scores are still compared with it), is kept. Raises ValidationError naming the
    measure, or Conflict as practice.update does.
    """
    require_role(actor, "admin")
    files = {}
    with db.read() as s:
        rows = s.execute(
            select(
                MeasureDefinitionRow.key, MeasureDefinitionRow.version, MeasureDefinitionRow.source
            ).order_by(MeasureDefinitionRow.version)
        ).all()
    for row in rows:  # the latest version of each measure last
        with suppress(MeasureError):
            files[row.key] = (str(row.version), _parsed(row.source, f"{row.key} v{row.version}"))
    params = {k: dict(v) for k, v in practice.load(db).measure_params.items()}
    for key, value in chosen.items():
        if key not in files:
            raise ValidationError(f"There is no measure '{key}'.")
        version, definition = files[key]
        m = definition.measure
        versions = params.setdefault(key, {})
        if value == {"sd": m.sd, "reliability": m.reliability}:
            versions.pop(version, None)
        else:
            versions[version] = value
        if not versions:
            del params[key]
    return practice.update(db, actor, expected_version=expected_version, measure_params=params)


def save_custom(db: Database, actor: Actor, text: str, name: str = "your measure") -> int:
    """Add a practice's own measure or its next version; ValidationError names the field."""
    require_role(actor, "admin")  # a practice-wide definition, no clinical content
    text = text.removeprefix("\ufeff")  # a byte-order mark (Windows Notepad) is no error
    if len(text) > 100_000:
        raise ValidationError("A measure file is at most 100,000 characters.")
    try:
        definition = parse_measure_text(text, name)
    except MeasureError as exc:
        raise ValidationError(str(exc)) from None
    # What PostgreSQL would refuse to store: a NUL (from a \u0000 escape), a name past its column.
    if where := validation.control_character_in(tomllib.loads(text)):
        raise ValidationError(f"{name}: {where} contains a control character; please retype it.")
    if len(definition.name) > MEASURE_NAME_MAX:
        raise ValidationError(f"{name}: name is longer than {MEASURE_NAME_MAX} characters.")
    m = definition.measure
    try:  # what the settings page can show and change
        practice.check_sd_and_reliability(f"'{m.key}'", {"sd": m.sd, "reliability": m.reliability})
    except ValidationError as exc:
        raise ValidationError(f"{name}: {exc}") from None
    with db.write() as s:
        rows = s.scalars(
            select(MeasureDefinitionRow).where(MeasureDefinitionRow.key == definition.key)
        ).all()
        if any(not r.custom for r in rows):
            raise ValidationError(f"{name}: key '{definition.key}' is a shipped measure.")
        latest = max((r.version for r in rows), default=0)
        if definition.version != latest + 1:
            raise ValidationError(f"{name}: version must be {latest + 1}.")
        row = MeasureDefinitionRow(
            key=definition.key,
            version=definition.version,
            name=definition.name,
            source=text,
            custom=True,
            created_by=actor.id,
        )
        s.add(row)
        s.flush()
        practice.bump_version(s)  # the settings page's boxes now stand for this version
        audit.record(s, actor, "measure_save", detail=f"{definition.key} v{definition.version}")
        return row.id


def record_score(
    db: Database,
    actor: Actor,
    client_id: int,
    measure_id: int,
    answers: dict[str, int],
    *,
    scored_on: date,
    note_id: int | None = None,
) -> ScoreView:
    """Record a client's answers, item by item; the total is computed.

    An out-of-range or missing item is refused (ValidationError naming the item).
    """
    every = definitions(db)
    if measure_id not in every:
        raise NotFound(f"There is no measure #{measure_id}.")
    definition = every[measure_id]
    try:
        total = total_score(definition.measure, answers)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    scored_on = validation.past_date(scored_on, "Date of the score", today=date.today())
    with db.write() as s:
        client = client_row(s, client_id)
        case = case_for_writing(s, actor, client.case_id, asked=("client", client.id))
        validation.not_before_opening(scored_on, "Date of the score", opened_on=case.opened_on)
        if note_id is not None:
            note = s.get(SessionNote, note_id)
            if note is None or note.case_id != case.id:
                raise ValidationError("That session note is not of this case.")
        row = MeasureScore(
            client_id=client_id,
            measure_id=measure_id,
            scored_on=scored_on,
            answers=json.dumps(answers),
            total=total,
            note_id=note_id,
            recorded_by=actor.id,
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            actor,
            "score_record",
            case_id=case.id,
            client_id=client_id,
            detail=f"{definition.key} #{row.id}",
        )
        return ScoreView(
            row.id, client_id, definition.key, measure_id, scored_on, total, dict(answers), note_id
        )


def scores_for_case(db: Database, actor: Actor, case_id: int) -> list[ScoreView]:
    """Every score of a case's clients, oldest first."""
    with db.read() as s:
        case = case_for_reading(s, actor, case_id)
        ids = [c.id for c in case.clients]
        rows = s.execute(
            select(MeasureScore, MeasureDefinitionRow.key)
            .join(MeasureDefinitionRow, MeasureDefinitionRow.id == MeasureScore.measure_id)
            .where(MeasureScore.client_id.in_(ids))
            .order_by(MeasureScore.scored_on, MeasureScore.id)
        ).all()
        return [_score_view(r, key) for r, key in rows]


def _score_view(row: MeasureScore | StruckScore, key: str) -> ScoreView:
    """A stored score (or a struck-out one, which keeps the same columns) as pages see it."""
    return ScoreView(
        row.id,
        row.client_id,
        key,
        row.measure_id,
        row.scored_on,
        row.total,
        json.loads(row.answers),
        row.note_id,
    )


@dataclass(frozen=True)
class StruckView:
    """A score struck out as recorded in error, with who struck it out, when and why."""

    score: ScoreView
    struck_at: datetime
    struck_by: str
    reason: str


def strike_score(db: Database, actor: Actor, score_id: int, reason: str) -> StruckView:
    """The case's counsellor strikes out a score recorded in error (the wrong client, a slip):
    it leaves every chart, change and report, and is kept apart with the reason.

    Raises ValidationError (no reason), NotFound, or AccessDenied (not their case, or archived).
    """
    reason = validation.text(reason, "Why it is struck out", max_len=500, required=True)
    with db.write() as s:
        score = s.get(MeasureScore, score_id)
        if score is None:
            raise NotFound(unseen("score", score_id))
        case_id = client_row(s, score.client_id).case_id
        case = case_for_writing(s, actor, case_id, asked=("score", score_id))
        key = s.get(MeasureDefinitionRow, score.measure_id).key
        # Its number given here (writes are one at a time): the table was made without a
        # sequence, and a struck-out score's own number is the one SQLite gives next.
        struck = strike_out(
            s,
            score,
            StruckScore,
            id=(s.scalar(select(func.max(StruckScore.id))) or 0) + 1,
            struck_by=actor.id,
            reason=reason,
        )
        audit.record(
            s,
            actor,
            "score_strike",
            case_id=case.id,
            client_id=struck.client_id,
            detail=f"{key} #{score_id}",
        )
        return _struck_view(struck, key, actor.display_name)


def _struck_view(row: StruckScore, key: str, by: str) -> StruckView:
    return StruckView(_score_view(row, key), row.struck_at, by, row.reason)


def struck_for_case(db: Database, actor: Actor, case_id: int) -> list[StruckView]:
    """The scores of a case's clients struck out as recorded in error, oldest first."""
    with db.read() as s:
        case = case_for_reading(s, actor, case_id)
        rows = s.execute(
            select(StruckScore, MeasureDefinitionRow.key, User.display_name)
            .join(MeasureDefinitionRow, MeasureDefinitionRow.id == StruckScore.measure_id)
            .join(User, User.id == StruckScore.struck_by)
            .where(StruckScore.client_id.in_([c.id for c in case.clients]))
            .order_by(StruckScore.scored_on, StruckScore.id)
        ).all()
        return [_struck_view(row, key, by) for row, key, by in rows]


@dataclass(frozen=True)
class ScoreChange:
    """A client's first and latest total on one measure, both on the version of their latest
    score: versions may differ in items and range, so change is measured within one."""

    client_id: int
    client_name: str
    case_id: int
    measure_id: int  # the version compared
    baseline: int
    latest: int
    scores: int


def caseload_changes(db: Database, actor: Actor) -> list[ScoreChange]:
    """First and latest total per client and measure in the actor's open cases.

    A grouped count finds each client's measure versions; each first and latest score is
    then one look-up in that client's scores (by the scores' client index), so the cost
    follows the number of clients, not of scores. The answers stay encrypted, unread.
    """
    groups = (
        select(
            MeasureScore.client_id,
            MeasureScore.measure_id,
            MeasureDefinitionRow.key,
            func.count().label("n"),
            func.max(MeasureScore.scored_on).label("last_on"),
        )
        .join(MeasureDefinitionRow, MeasureDefinitionRow.id == MeasureScore.measure_id)
        .join(Client, Client.id == MeasureScore.client_id)
        .join(Case, Case.id == Client.case_id)
        .where(open_cases(actor))
        .group_by(MeasureScore.client_id, MeasureScore.measure_id, MeasureDefinitionRow.key)
        .subquery()
    )

    def end(order, column="total"):  # type: ignore[no-untyped-def]
        score = aliased(MeasureScore)
        return (
            select(getattr(score, column))
            .where(score.client_id == groups.c.client_id, score.measure_id == groups.c.measure_id)
            .order_by(*order(score))
            .limit(1)
            .scalar_subquery()
        )

    first = end(lambda score: (score.scored_on, score.id))
    latest = end(lambda score: (score.scored_on.desc(), score.id.desc()))
    # Which score is the latest, by date and then the order recorded (as everywhere else):
    # not the highest id of the version, which may be a score typed in later for an earlier day.
    latest_id = end(lambda score: (score.scored_on.desc(), score.id.desc()), "id")
    with db.read() as s:
        rows = s.execute(
            select(
                groups.c.client_id,
                Client.name,
                Client.case_id,
                groups.c.measure_id,
                first,
                latest,
                groups.c.n,
                groups.c.key,
                groups.c.last_on,
                latest_id.label("last_id"),
            )
            .join(Client, Client.id == groups.c.client_id)
            .order_by(Client.case_id, Client.position, groups.c.measure_id)
        ).all()
    # Of a client's versions of one measure, only the one their latest score is on.
    newest = {
        (row.client_id, row.key): row.measure_id
        for row in sorted(rows, key=lambda r: (r.last_on, r.last_id))
    }
    return [
        ScoreChange(*row[:7]) for row in rows if newest[(row.client_id, row.key)] == row.measure_id
    ]
