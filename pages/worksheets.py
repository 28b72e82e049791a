import streamlit as st

from casebook import library
from pages import common, worksheet_form
from worksheets.stages import stages

user = common.require_user("counsellor", "supervisor")
db = common.database()

st.title("Worksheets")
st.caption("The guide's worksheets, one or more per stage, and your practice's own.")
common.show_flash()
browse, custom = st.tabs(["Library", "Add or edit a worksheet"])

with browse:
    stage_choice = common.choice(
        st,
        "Stage",
        [None, *(s.number for s in stages())],
        key="library_stage",
        format_func=lambda n: "Every stage" if n is None else common.stage_label(n),
    )
    found = library.list_templates(db, user, stage=stage_choice)
    if not found:
        st.info("No worksheets for this stage yet.", icon=":material/info:")
        st.stop()
    chosen = st.radio(
        "Worksheet",
        [t.id for t in found],
        key="library_template",
        format_func=lambda i: next(
            f"Stage {t.stage} · {t.title} (v{t.version})"
            + (" · custom" if t.custom else "")
            + (" · asks for contact" if t.contact else "")
            for t in found
            if t.id == i
        ),
    )
    info, template = library.get_template(db, user, chosen)
    st.subheader(f"Preview: {common.md(template.title)}", anchor=False)
    st.caption("As the client will see it. Assign it from a case's Worksheets tab.")
    common.paragraphs(template.intro)
    worksheet_form.show(template, {}, key=f"preview_{info.id}", disabled=True, sharing=False)

with custom:
    if user.role != "counsellor":
        st.caption("Only counsellors add worksheets.")
        st.stop()
    st.markdown(
        "Write a worksheet in the same format as the library (TOML), upload a file, or start "
        "from an existing worksheet. Saving an existing key makes a new version; answers "
        "already given stay with the version they answered."
    )
    start = common.choice(
        st,
        "Start from",
        [None, *(t.id for t in library.list_templates(db, user))],
        key="custom_start",
        format_func=lambda i: (
            "A blank worksheet"
            if i is None
            else next(t.label for t in library.list_templates(db, user) if t.id == i)
        ),
    )
    upload = st.file_uploader(
        "Or upload a worksheet file (.toml)", type=["toml"], key="custom_upload"
    )
    source_key, loaded_key = "custom_source", "custom_loaded_text"
    wanted = None  # what to put in the box: (its name, the text, what marks it loaded)
    if upload is not None and st.session_state.get("custom_loaded") != upload.file_id:
        try:
            text = upload.getvalue().decode("utf-8")
            wanted = ("the uploaded file", text, {"custom_loaded": upload.file_id})
        except UnicodeDecodeError:
            st.error("That file is not UTF-8 text.", icon=":material/error:")
    elif start is not None and st.session_state.get("custom_started") != start:
        text = library.template_source(db, user, start)
        wanted = ("the worksheet chosen", text, {"custom_started": start})
    if wanted is not None:
        name, text, marks = wanted
        # Text written or changed in the box is replaced only when asked: a worksheet chosen
        # to look at, or a file picked, would otherwise take the place of an afternoon's work.
        typed = st.session_state.get(source_key) or ""
        if typed.strip() and typed != st.session_state.get(loaded_key):
            st.warning(
                f"The box below holds your own changes: they stay unless you replace them with "
                f"{name}.",
                icon=":material/edit_note:",
            )
            replace = st.button(f"Replace my text with {name}", key="custom_replace")
        else:
            replace = True
        if replace:
            st.session_state.update({source_key: text, loaded_key: text, **marks})
    source = st.text_area("Worksheet (TOML)", key=source_key, height=360)
    check, save = st.columns([1, 5])
    if check.button("Check and preview", key="custom_check") and source.strip():
        parsed = common.attempt(lambda: library.check_custom(source))
        if parsed is not None:
            st.success("It reads correctly.", icon=":material/check_circle:")
            worksheet_form.show(parsed, {}, key="custom_preview", disabled=True, sharing=False)
    if save.button("Save worksheet", type="primary", key="custom_save"):
        made = common.attempt(lambda: library.save_custom(db, user, source))
        if made is not None:
            common.flash(f"Saved '{common.md(made.title)}' version {made.version}.")
            st.rerun()
