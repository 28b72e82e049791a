"""Small form pieces shared by pages."""

from __future__ import annotations

import streamlit as st

from casebook.cases import ClientInput, ClientView


def client_fields(title: str, *, key: str, client: ClientView | None = None) -> ClientInput:
    """Name, pronouns and optional contact details of one client, inside a form."""
    st.markdown(f"**{title}**")
    name = st.text_input("Name", value=client.name if client else "", key=f"{key}_name")
    pronouns = st.text_input(
        "Pronouns",
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
