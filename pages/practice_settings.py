import streamlit as st

from casebook import measures, practice
from pages import common

user = common.require_user("admin")
db = common.database()

st.title("Practice settings")
common.show_flash()
seen = practice.version(db)  # read first: a save in between is then refused, not missed
current = practice.load(db)
# The settings as this page first showed them: a save made from them after another admin's
# (or tab's) would quietly undo it, so it is refused, as a case's stale save is. The boxes
# are keyed by a generation: a reload (or a save) draws them afresh from the record.
version_key = "settings_version"
g, (expected, shown) = common.drawn(version_key, (seen, current), lambda g: f"set_name_g{g}")
common.stale_banner(
    expected,
    seen,
    what="settings page",
    key="settings_reload",
    forget=lambda k: k == version_key,
    typed=[  # the text changed here, not what the boxes were drawn with
        key
        for key, was in (
            (f"set_name_g{g}", shown.practice_name),
            (f"set_crisis_g{g}", shown.crisis_line),
        )
        if st.session_state.get(key, was) != was
    ],
)

with st.form("practice_settings"):
    name = st.text_input("Practice name", value=current.practice_name, key=f"set_name_g{g}")
    crisis = st.text_input(
        "Crisis line printed on every handout (optional)",
        value=current.crisis_line,
        key=f"set_crisis_g{g}",
        placeholder="e.g. In an emergency call 999; Samaritans 116 123",
    )
    left, right = st.columns(2)
    idle = left.number_input(
        "Log off after this many idle minutes",
        1,
        24 * 60,
        current.idle_logoff_minutes,
        key=f"set_idle_g{g}",
    )
    kept = right.number_input(
        "Daily backups to keep", 1, 3650, current.backups_kept, key=f"set_backups_g{g}"
    )
    attempts = left.number_input(
        "Failed logins before an account locks",
        1,
        100,
        current.lockout_attempts,
        key=f"set_attempts_g{g}",
    )
    minutes = right.number_input(
        "Minutes an account stays locked", 1, 24 * 60, current.lockout_minutes, key=f"set_lock_g{g}"
    )
    if st.form_submit_button("Save settings", type="primary"):
        saved = common.attempt(
            lambda: practice.update(
                db,
                user,
                expected_version=expected,
                practice_name=name,
                crisis_line=crisis.strip(),
                idle_logoff_minutes=int(idle),
                backups_kept=int(kept),
                lockout_attempts=int(attempts),
                lockout_minutes=int(minutes),
            )
        )
        if saved is not None:
            common.saved(version_key, "Settings saved.")

st.subheader("Measures", anchor=False)
st.caption(
    "Reliable change uses each measure's SD and reliability. The defaults come from the "
    "measure's file; set your own from your practice's population. They are kept per "
    "version: a measure's next version starts from its own file, and scores on an earlier "
    "version keep what was set for it."
)
current = measures.current_measures(db)
params = dict(practice.load(db).measure_params)
with st.form("measure_params"):
    chosen = {}
    for definition in current.values():
        m = definition.measure
        a, b, c = st.columns([3, 1, 1])
        a.markdown(
            f"**{common.md(m.name)}** · v{definition.version} · cut-off "
            f"{m.cutoff if m.cutoff is not None else 'none'}"
        )
        chosen[m.key] = {
            "sd": b.number_input("SD", *practice.SD_RANGE, float(m.sd), key=f"sd_{m.key}_g{g}"),
            "reliability": c.number_input(
                "Reliability",
                *practice.RELIABILITY_RANGE,
                float(m.reliability),
                step=0.01,
                format="%.3f",  # 0.995 is not 1.00
                key=f"r_{m.key}_g{g}",
            ),
        }
    if st.form_submit_button("Save measure settings"):
        if common.attempt(lambda: measures.save_params(db, user, chosen, expected)):
            common.saved(version_key, "Measure settings saved.")

with st.expander("Add a measure of your own (a definition file)"):
    st.markdown(
        "A TOML file like `worksheets/measures/csi4.toml`: key, version, name, source, "
        "higher_is_better, cutoff, sd, reliability and `[[item]]` tables (id, text, low, "
        "high, optional reverse and labels). Licensed measures need their authors' licence."
    )
    upload = st.file_uploader("Measure file (.toml)", type=["toml"], key="measure_upload")
    if upload is not None and st.button("Add measure", key="measure_add"):
        try:
            text = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error("That file is not UTF-8 text.", icon=":material/error:")
        else:
            if common.attempt(lambda: measures.save_custom(db, user, text, upload.name)):
                common.saved(version_key, f"Added the measure from {common.md(upload.name)}.")
