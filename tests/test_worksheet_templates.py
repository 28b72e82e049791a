"""The shipped worksheet library, and how malformed templates are refused."""

from __future__ import annotations

import pytest

from worksheets.stages import stages
from worksheets.templates import (
    KINDS,
    MAX_TEXT,
    Template,
    TemplateError,
    load_template,
    paragraphs,
    parse_template_text,
    shipped_templates,
)

CONTACT_STAGES = {4, 7}


def _reached(template: Template) -> set[str]:
    return {
        title
        for f in template.fields
        for title in f.reaches + tuple(t for c in f.columns for t in c.reaches)
    }


def _kinds(template: Template) -> set[str]:
    return {f.kind for f in template.fields} | {c.kind for f in template.fields for c in f.columns}


# --- the shipped library -------------------------------------------------------------------


def test_every_shipped_template_loads():
    library = shipped_templates()
    assert library and all(isinstance(t, Template) for t in library)


def test_shipped_template_keys_are_unique():
    keys = [t.key for t in shipped_templates()]
    assert len(keys) == len(set(keys))


def test_every_stage_has_at_least_one_template():
    assert {t.stage for t in shipped_templates()} == {s.number for s in stages()}


@pytest.mark.parametrize("template", shipped_templates(), ids=lambda t: t.key)
def test_only_the_contact_stages_ask_for_contact(template):
    assert template.contact is (template.stage in CONTACT_STAGES)


@pytest.mark.parametrize(
    "template", [t for t in shipped_templates() if t.contact], ids=lambda t: t.key
)
def test_contact_templates_say_they_are_for_when_contact_is_safe_and_welcome(template):
    assert "safe and welcome" in template.intro


def test_every_ask_of_the_guide_is_reached_by_some_prompt():
    reached = set().union(*(_reached(t) for t in shipped_templates()))
    missing = [f"{s.number}: {a.title}" for s in stages() for a in s.asks if a.title not in reached]
    assert missing == []


def test_every_field_kind_is_used_in_the_library():
    used = set().union(*(_kinds(t) for t in shipped_templates()))
    assert set(KINDS) - used == set()


def test_paragraphs_join_a_files_wrapped_lines_and_part_at_blank_lines():
    text = "\n One line\nwrapped   here.\n  \n\nNext\tone.\n"
    assert paragraphs(text) == ["One line wrapped here.", "Next one."]
    assert paragraphs(" \n ") == []


# --- malformed templates -------------------------------------------------------------------

HEAD = """\
key = "custom"
version = 1
stage = 1
title = "Custom sheet"
intro = "A sheet made by a practice."
"""

FIRST = """
[[field]]
id = "mood"
kind = "short_text"
prompt = "How are you today?"
"""

CHOICE = """
[[field]]
id = "feeling"
kind = "choice"
prompt = "How do you feel?"
options = ["Calm", "Upset"]
"""

ROWS = """
[[field]]
id = "plan"
kind = "rows"
prompt = "What will you do?"

  [[field.columns]]
  id = "step"
  kind = "short_text"
  prompt = "Which step?"
"""

COLUMN = """
  [[field.columns]]
  id = "by_when"
  kind = "date"
  prompt = "By when?"
"""


@pytest.mark.parametrize("text", [HEAD + FIRST + CHOICE, HEAD + FIRST + ROWS + COLUMN])
def test_the_well_formed_base_for_the_malformed_cases_parses(text):
    assert parse_template_text(text, "custom.toml").key == "custom"


MALFORMED = [
    pytest.param('key = "custom\n', "not valid TOML", id="not-toml"),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"Upset"', '"' + "Upset " * 40 + '"'),
        "field 2 (feeling).options each must be at most 200 characters",
        id="option-a-page-long",
    ),
    pytest.param(HEAD.replace('key = "custom"\n', "") + FIRST, "key is required", id="no-key"),
    pytest.param(
        HEAD.replace('"custom"', '"My-Sheet"') + FIRST, "key must be lower-case", id="bad-key"
    ),
    pytest.param(
        HEAD.replace("version = 1", "version = 0") + FIRST,
        "version must be a whole number from 1 to",
        id="version-0",
    ),
    pytest.param(
        HEAD.replace("version = 1", 'version = "one"') + FIRST,
        "version must be a whole number from 1 to",
        id="version-text",
    ),
    pytest.param(
        HEAD.replace("version = 1", "version = true") + FIRST,
        "version must be a whole number from 1 to",
        id="version-bool",
    ),
    pytest.param(
        HEAD.replace("stage = 1", "stage = 9") + FIRST,
        "stage must be a whole number from 1 to 8",
        id="stage-9",
    ),
    pytest.param(
        HEAD.replace("stage = 1", "stage = 0") + FIRST,
        "stage must be a whole number from 1 to 8",
        id="stage-0",
    ),
    pytest.param(
        HEAD.replace('title = "Custom sheet"\n', "") + FIRST, "title is required", id="no-title"
    ),
    pytest.param(
        HEAD.replace('intro = "A sheet made by a practice."\n', "") + FIRST,
        "intro is required",
        id="no-intro",
    ),
    pytest.param(
        HEAD + 'contact = "yes"\n' + FIRST, "contact must be true or false", id="contact-text"
    ),
    pytest.param(HEAD, "field must be 1 to", id="no-fields"),
    pytest.param(
        HEAD + 'author = "me"\n' + FIRST, "author is not a known setting", id="unknown-setting"
    ),
    pytest.param(
        HEAD + FIRST + CHOICE + 'colour = "red"\n',
        "field 2.colour is not a known setting",
        id="unknown-field-setting",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"feeling"', '"Feeling!"'),
        "field 2.id must be lower-case",
        id="bad-field-id",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"feeling"', '"mood"'),
        "fields repeat the id 'mood'",
        id="repeated-field-id",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"choice"', '"essay"'),
        "field 2 (feeling).kind must be one of: short_text",
        id="unknown-kind",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('prompt = "How do you feel?"\n', ""),
        "field 2 (feeling).prompt is required",
        id="no-prompt",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('["Calm", "Upset"]', '["Calm"]'),
        "field 2 (feeling).options must list 2 to",
        id="one-option",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('["Calm", "Upset"]', '["Calm", "Upset", "Calm"]'),
        "field 2 (feeling).options must not repeat a choice",
        id="repeated-option",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"choice"', '"long_text"'),
        "field 2 (feeling).options only belong to choice and checklist fields, not long_text",
        id="options-on-text",
    ),
    pytest.param(
        HEAD + FIRST + ROWS.split("  [[field.columns]]")[0],
        "field 2 (plan).columns must list 1 to 8 columns",
        id="rows-without-columns",
    ),
    pytest.param(
        HEAD + FIRST + ROWS.replace('"short_text"', '"rows"'),
        "field 2 (plan).columns[1] (step).kind must be one of:",
        id="column-of-kind-rows",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE + COLUMN,
        "field 2 (feeling).columns only belong to rows fields, not choice",
        id="columns-on-choice",
    ),
    pytest.param(
        HEAD + FIRST + ROWS + COLUMN.replace('"by_when"', '"step"'),
        "field 2 (plan).columns repeat the id 'step'",
        id="repeated-column-id",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE + 'reaches = ["Be patient"]\n',
        "field 2 (feeling).reaches names 'Be patient', which is not a point of the guide",
        id="reaches-not-in-guide",
    ),
    pytest.param(
        HEAD + FIRST + ROWS + '  reaches = ["Be patient"]\n',
        "field 2 (plan).columns[1] (step).reaches names 'Be patient'",
        id="column-reaches-not-in-guide",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE.replace('"How do you feel?"', '"' + "x" * (MAX_TEXT + 1) + '"'),
        f"field 2 (feeling).prompt is longer than {MAX_TEXT} characters",
        id="prompt-too-long",
    ),
    pytest.param(
        HEAD + FIRST + CHOICE + 'required = "yes"\n',
        "field 2 (feeling).required must be true or false",
        id="required-text",
    ),
    pytest.param(HEAD + "field = [1]\n", "field 1 must be a table", id="field-not-a-table"),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_malformed_template_is_refused_naming_file_and_field(text, expected):
    with pytest.raises(TemplateError) as err:
        parse_template_text(text, "custom.toml")
    assert str(err.value).startswith(f"custom.toml: {expected}"), str(err.value)


# --- reading files ---------------------------------------------------------------------------


def test_missing_template_file_is_refused_naming_the_file(tmp_path):
    with pytest.raises(TemplateError, match=r"^missing\.toml: cannot be read"):
        load_template(tmp_path / "missing.toml")


def test_non_utf8_template_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "latin.toml"
    path.write_bytes(b'key = "caf\xe9"\n')
    with pytest.raises(TemplateError, match=r"^latin\.toml: is not UTF-8 text"):
        load_template(path)
