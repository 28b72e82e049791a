"""A worksheet as a form: one widget per field kind, with a shared/private choice per answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from pages.common import accessible_name, md
from worksheets.templates import SCALE_MAX, SCALE_MIN, Field, Template

NOT_ANSWERED = "Not answered"


def _scale(f: Field, value: Any, key: str, disabled: bool) -> Any:
    options = [None, *range(SCALE_MIN, SCALE_MAX + 1)]
    # A slider's label is its accessible name as given, unrendered: the prompt as typed,
    # hidden, and shown escaped above it.
    st.markdown(f":small[{md(f.prompt)}]")  # the size of the other fields' labels
    return st.select_slider(
        accessible_name(f.prompt),
        options,
        value=value,
        key=key,
        disabled=disabled,
        format_func=lambda v: NOT_ANSWERED if v is None else str(v),
        label_visibility="collapsed",
    )


def _yes_no(f: Field, value: Any, key: str, disabled: bool) -> Any:
    choice = st.radio(
        md(f.prompt),
        ["Yes", "No"],
        index=None if value is None else (0 if value else 1),
        key=key,
        disabled=disabled,
        horizontal=True,
    )
    return None if choice is None else choice == "Yes"


def _checklist(f: Field, value: Any, key: str, disabled: bool) -> list[str]:
    st.markdown(md(f.prompt))
    ticked = set(value or [])
    return [
        option
        for i, option in enumerate(f.options)
        if st.checkbox(md(option), value=option in ticked, key=f"{key}_{i}", disabled=disabled)
    ]


def _column_config(c: Field) -> Any:
    label = c.prompt
    if c.kind == "date":
        return st.column_config.DateColumn(label, format="DD/MM/YYYY")
    if c.kind == "yes_no":
        return st.column_config.CheckboxColumn(label)
    if c.kind == "scale":
        return st.column_config.NumberColumn(
            label, min_value=SCALE_MIN, max_value=SCALE_MAX, step=1
        )
    if c.kind == "choice":
        return st.column_config.SelectboxColumn(label, options=list(c.options))
    if c.kind == "checklist":  # the ticked options of the row, chosen from the list
        return st.column_config.MultiselectColumn(label, options=list(c.options))
    return st.column_config.TextColumn(label)


def _rows(f: Field, value: Any, key: str, disabled: bool) -> list[dict[str, Any]]:
    st.markdown(md(f.prompt))
    rows = [
        {
            c.id: (date.fromisoformat(r[c.id]) if c.kind == "date" and r.get(c.id) else r.get(c.id))
            for c in f.columns
        }
        for r in (value or [])
    ]
    frame = pd.DataFrame(rows, columns=[c.id for c in f.columns])
    for c in f.columns:
        if c.kind == "date":
            frame[c.id] = pd.to_datetime(frame[c.id]).dt.date if len(frame) else frame[c.id]
    edited = st.data_editor(
        frame,
        key=key,
        disabled=disabled,
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={c.id: _column_config(c) for c in f.columns},
    )
    result = []
    for record in edited.to_dict("records"):
        clean = {
            k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v)
            for k, v in record.items()
        }
        for c in f.columns:
            v = clean.get(c.id)
            if c.kind == "scale" and v is not None:
                clean[c.id] = int(v)
            if c.kind == "yes_no" and v is not None:
                clean[c.id] = bool(v)
            if c.kind == "checklist" and v is not None:
                clean[c.id] = [str(option) for option in v]
        result.append(clean)
    return result


def show(
    template: Template,
    answers: dict[str, tuple[Any, bool]],
    *,
    key: str,
    disabled: bool = False,
    sharing: bool = True,
) -> tuple[dict[str, Any], dict[str, bool]]:
    """The worksheet's fields as widgets; returns (answers, shared) as typed."""
    values: dict[str, Any] = {}
    shared: dict[str, bool] = {}
    for f in template.fields:
        value, is_shared = answers.get(f.id, (None, False))
        k = f"{key}_{f.id}"
        with st.container(border=True):
            if f.kind == "short_text":
                values[f.id] = st.text_input(
                    md(f.prompt), value=value or "", key=k, disabled=disabled
                )
            elif f.kind == "long_text":
                values[f.id] = st.text_area(
                    md(f.prompt), value=value or "", key=k, disabled=disabled, height=110
                )
            elif f.kind == "scale":
                values[f.id] = _scale(f, value, k, disabled)
            elif f.kind == "yes_no":
                values[f.id] = _yes_no(f, value, k, disabled)
            elif f.kind == "choice":
                values[f.id] = st.radio(
                    md(f.prompt),
                    f.options,
                    key=k,
                    disabled=disabled,
                    index=f.options.index(value) if value in f.options else None,
                )
            elif f.kind == "checklist":
                values[f.id] = _checklist(f, value, k, disabled)
            elif f.kind == "date":
                values[f.id] = st.date_input(
                    md(f.prompt),
                    value=date.fromisoformat(value) if value else None,
                    key=k,
                    disabled=disabled,
                    format="DD/MM/YYYY",
                    min_value=date(1900, 1, 1),
                    max_value=date(2100, 12, 31),
                )
            elif f.kind == "rows":
                values[f.id] = _rows(f, value, k, disabled)
            if f.help:
                st.caption(md(f.help))
            if f.required:
                st.caption("Needed before the worksheet can be marked complete.")
            if sharing:
                shared[f.id] = st.toggle(
                    "Share this answer with my partner",
                    value=is_shared,
                    key=f"{k}_shared",
                    disabled=disabled,
                    help="Off: only the counsellor sees it. On: the partner may see it too.",
                )
    return values, shared
