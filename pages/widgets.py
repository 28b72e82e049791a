"""Small form pieces shared by pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from casebook.cases import ClientInput, ClientView


def client_fields(title: str, *, key: str, client: ClientView | None = None) -> ClientInput:
    """Name, pronouns and optional contact details of one client, inside a form."""
    st.markdown(f"**{title}**")
    name = st.text_input("Name", value=client.name if client else "", key=f"{key}_name")
    pronouns = st.text_input(
        "Pronouns (optional)",
        value=client.pronouns if client else "",
        key=f"{key}_pronouns",
        placeholder="e.g. she/her",
    )
    email = st.text_input(
        "Email (optional)", value=client.email if client else "", key=f"{key}_email"
    )
    phone = st.text_input(
        "Phone (optional)", value=client.phone if client else "", key=f"{key}_phone"
    )
    return ClientInput(name, pronouns, email, phone)


def pdf_download(
    label: str, *, key: str, make: Callable[[], Any], made_from: object = None
) -> None:
    """A button that makes a PDF only when asked (and audits it), then offers the download.

    `made_from` is what the PDF shows (a version, the chosen dates, the typed summary): once
    it changes, the PDF made before is no longer offered, since it no longer holds true."""
    from pages import common

    ready = f"{key}_pdf"
    if st.button(label, key=key, icon=":material/picture_as_pdf:"):
        st.session_state[ready] = (made_from, common.attempt(make))
    kept_from, doc = st.session_state.get(ready, (None, None))
    if doc is not None and kept_from == made_from:
        st.download_button(
            f"Download {doc.file_name}",
            doc.pdf,
            file_name=doc.file_name,
            mime="application/pdf",
            key=f"{key}_download",
            on_click="ignore",
            icon=":material/download:",
        )
