"""The worksheet library in the database: shipped templates and a practice's own versions."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from sqlalchemy import func, select

from casebook import audit, validation
from casebook.access import Actor, require_role
from casebook.db import Database
from casebook.errors import NotFound, ValidationError
from casebook.models import WorksheetTemplate
from worksheets.templates import Template, TemplateError, parse_template_text, shipped_sources


@dataclass(frozen=True)
class TemplateInfo:
    id: int
    key: str
    version: int
    stage: int
    title: str
    contact: bool
    custom: bool

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"


def _info(t: WorksheetTemplate) -> TemplateInfo:
    return TemplateInfo(t.id, t.key, t.version, t.stage, t.title, t.contact, t.custom)


def sync_shipped(db: Database) -> int:
    """Add shipped template versions not yet in the database; returns how many were added."""
    added = 0
    with db.write() as s:
        known = set(s.execute(select(WorksheetTemplate.key, WorksheetTemplate.version)).all())
        for t, source in shipped_sources():
            if (t.key, t.version) not in known:
                s.add(_row(t, source, custom=False, created_by=None))
                added += 1
    return added


def _row(t: Template, source: str, *, custom: bool, created_by: int | None) -> WorksheetTemplate:
    return WorksheetTemplate(
        key=t.key,
        version=t.version,
        stage=t.stage,
        title=t.title,
        contact=t.contact,
        source=source,
        custom=custom,
        created_by=created_by,
    )


def list_templates(db: Database, actor: Actor, *, stage: int | None = None) -> list[TemplateInfo]:
    """The latest version of every template, by stage then title."""
    require_role(actor, "counsellor", "supervisor")
    latest = (
        select(WorksheetTemplate.key, func.max(WorksheetTemplate.version).label("v"))
        .group_by(WorksheetTemplate.key)
        .subquery()
    )
    query = select(WorksheetTemplate).join(
        latest,
        (WorksheetTemplate.key == latest.c.key) & (WorksheetTemplate.version == latest.c.v),
    )
    if stage is not None:
        query = query.where(WorksheetTemplate.stage == stage)
    with db.read() as s:
        rows = s.scalars(query.order_by(WorksheetTemplate.stage, WorksheetTemplate.title)).all()
        return [_info(t) for t in rows]


def get_template(db: Database, actor: Actor, template_id: int) -> tuple[TemplateInfo, Template]:
    """One template version with its parsed content; raises NotFound."""
    require_role(actor, "counsellor", "supervisor")
    with db.read() as s:
        row = s.get(WorksheetTemplate, template_id)
        if row is None:
            raise NotFound(f"There is no worksheet #{template_id}.")
        return _info(row), parse_template_text(row.source, f"{row.key} v{row.version}")


def template_source(db: Database, actor: Actor, template_id: int) -> str:
    """The TOML text of one template version, to start a new version from."""
    require_role(actor, "counsellor", "supervisor")
    with db.read() as s:
        row = s.get(WorksheetTemplate, template_id)
        if row is None:
            raise NotFound(f"There is no worksheet #{template_id}.")
        return row.source


def check_custom(source: str, name: str = "your worksheet") -> Template:
    """Parse a custom template; raises ValidationError naming the field."""
    try:
        template = parse_template_text(source, name)
    except TemplateError as exc:
        raise ValidationError(str(exc)) from None
    # A NUL (from a \u0000 escape) PostgreSQL refuses to store; other controls garble a page.
    if where := validation.control_character_in(tomllib.loads(source)):
        raise ValidationError(f"{name}: {where} contains a control character; please retype it.")
    return template


def save_custom(
    db: Database, actor: Actor, source: str, name: str = "your worksheet"
) -> TemplateInfo:
    """Add a practice's own template, or a new version of one (version = latest + 1).

    Raises ValidationError naming the field, or when the key belongs to the shipped library.
    """
    require_role(actor, "counsellor")
    if len(source) > 200_000:
        raise ValidationError("A worksheet file is at most 200,000 characters.")
    template = check_custom(source, name)
    with db.write() as s:
        rows = s.scalars(
            select(WorksheetTemplate).where(WorksheetTemplate.key == template.key)
        ).all()
        if any(not r.custom for r in rows):
            raise ValidationError(
                f"{name}: key '{template.key}' belongs to the shipped library; choose another key."
            )
        latest = max((r.version for r in rows), default=0)
        if template.version != latest + 1:
            raise ValidationError(
                f"{name}: version must be {latest + 1}"
                + (f" (version {latest} of '{template.key}' exists)." if latest else ".")
            )
        row = _row(template, source, custom=True, created_by=actor.id)
        s.add(row)
        s.flush()
        audit.record(s, actor, "template_save", detail=f"{template.key} v{template.version}")
        return _info(row)
