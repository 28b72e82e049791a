"""Every page through AppTest, logged in as each demo user: what is shown, what is stored.

AppTest runs the router first; after a widget change it re-runs only the page's own file.
So every page gates itself (`common.require_user`) and the repositories enforce access.
"""

from __future__ import annotations

import os
import shutil
import socket
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from streamlit.testing.v1 import AppTest

from casebook import accounts, cases, homework, keys, library, notes, safety, stage_history
from casebook import db as db_module
from casebook.access import Actor
from casebook.db import Database
from casebook.settings import Settings, settings_from_env
from pages import common
from pages.common import USER_KEY, md, stage_label
from sample_data.demo import DEMO_PASSWORD

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture
def demo(tmp_path, monkeypatch, demo_files) -> Database:
    """A fresh copy of the demo practice in a SQLite file that the app will open."""
    for source in demo_files.glob("casebook.*"):
        shutil.copy2(source, tmp_path / source.name)
    monkeypatch.setenv("CASEBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    db = Database.open(Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}"))
    yield db
    db.dispose()


def actor(db: Database, username: str) -> Actor:
    return accounts.authenticate(db, username, DEMO_PASSWORD)


def app_as(db: Database, username: str | None, page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if username:
        at.session_state[USER_KEY] = actor(db, username)
    at.query_params.update({k: str(v) for k, v in query.items()})
    at.run()
    if page:
        at.switch_page(page)
        at.query_params.update({k: str(v) for k, v in query.items()})
        at.run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> str:
    """All the text on the page, to assert what a user would read."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.title] + [e.value for e in at.subheader]
    parts += (
        [e.value for e in at.error] + [e.value for e in at.info] + [e.value for e in at.success]
    )
    parts += [str(e.label) for e in at.get("page_link")] if at.get("page_link") else []
    return "\n".join(str(p) for p in parts)


def open_tab(at: AppTest, case_id: int, label: str) -> AppTest:
    """Select a tab of the case page (only the open tab runs)."""
    at.session_state[f"case_tab_{case_id}"] = label
    return at.run()


def page_links(at: AppTest) -> list[str]:
    return [e.proto.label for e in at.get("page_link")]


# --- login -------------------------------------------------------------------------------


def test_a_visitor_sees_only_the_login_page(demo):
    at = app_as(demo, None)
    assert [t.value for t in at.title] == ["Casebook"]
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert USER_KEY not in at.session_state


def test_a_visitor_asking_for_a_case_by_url_still_gets_the_login_page(demo):
    at = app_as(demo, None, case=1)
    assert [t.value for t in at.title] == ["Casebook"]
    assert "Jordan" not in shown(at)


def test_wrong_password_gets_a_plain_message(demo):
    at = app_as(demo, None)
    at.text_input[0].input("morgan")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [md("Wrong user name or password.")]
    assert USER_KEY not in at.session_state


def test_right_password_logs_in(demo):
    at = app_as(demo, None)
    at.text_input[0].input("morgan")
    at.text_input[1].input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert at.session_state[USER_KEY] == actor(demo, "morgan")


def test_log_out_forgets_the_user_and_shows_the_login_page(demo):
    at = app_as(demo, "morgan")
    at.sidebar.button(key="logout").click().run()
    assert USER_KEY not in at.session_state
    assert "Dashboard" not in [t.value for t in at.title]
    assert len(at.metric) == 0


# --- dashboard ---------------------------------------------------------------------------


def test_counsellor_dashboard_shows_their_caseload(demo):
    at = app_as(demo, "morgan")
    metrics = {m.label: m.value for m in at.metric}
    morgan = actor(demo, "morgan")
    open_cases = cases.list_cases(demo, morgan, status="open")
    assert metrics["Open cases"] == str(len(open_cases))
    assert metrics["Couple"] == str(sum(c.kind == "couple" for c in open_cases))
    assert len(at.get("plotly_chart")) == 1
    text = shown(at)
    recent = stage_history.recent_moves(demo, morgan)
    assert recent and all(md(m.client_name) in text for m in recent)
    assert "Noah" not in text  # riley's client


def test_recent_stage_changes_beyond_the_first_eight_are_tabled_without_reasons(demo):
    morgan = actor(demo, "morgan")
    client = cases.list_cases(demo, morgan, status="open")[0].clients[0]
    for n in range(10):
        stage_history.move_client(demo, morgan, client.id, 1 + n % 2 * 7, reason=f"Step {n}")
    at = app_as(demo, "morgan")
    table = next(d.value for d in at.dataframe if "From" in d.value.columns)
    recent = stage_history.recent_moves(demo, morgan)
    assert len(table) == len(recent) - 8
    assert list(table["To"]) == [stage_label(m.to_stage) for m in recent[8:]]
    # Reasons are clinical text: on the case page (audited), not in a caseload's list.
    assert "Step" not in shown(at) and "Reason" not in table.columns


def test_the_dashboard_attention_list_is_current_after_a_write(demo):
    morgan = actor(demo, "morgan")

    def attention_heading() -> str:
        at = app_as(demo, "morgan")
        return next(h.value for h in at.subheader if h.value.startswith("Needs attention"))

    before = attention_heading()
    assert attention_heading() == before  # the same list again (kept, nothing written)
    case = cases.list_cases(demo, morgan, status="open")[0]
    reflection = next(t.id for t in library.list_templates(demo, morgan) if t.key == "reflection")
    late = date.fromordinal(date.today().toordinal() - 3)
    homework.assign(demo, morgan, [case.clients[0].id], reflection, due_on=late)
    count = int(before.removeprefix("Needs attention (").rstrip(")"))
    assert attention_heading() == f"Needs attention ({count + 1})"


def test_supervisor_dashboard_covers_the_practice(demo):
    at = app_as(demo, "casey")
    metrics = {m.label: m.value for m in at.metric}
    casey = actor(demo, "casey")
    assert metrics["Open cases"] == str(len(cases.list_cases(demo, casey, status="open")))
    assert "read-only" in shown(at)
    # Every caseload in one list: each item says whose it is (a counsellor's do not).
    names = {c.counsellor_name for c in cases.list_cases(demo, casey, status="open")}
    assert len(names) > 1
    links = page_links(at)
    assert all(any(link.endswith(f" · {n}") for link in links) for n in names)
    mine = page_links(app_as(demo, "morgan"))
    assert mine and not any(link.endswith(" · Morgan Ellis") for link in mine)
    homework_lines = [c.value for c in app_as(demo, "casey", "pages/homework.py").caption]
    assert any(
        line.startswith("Case #") and line.endswith(" · Riley Chen") for line in homework_lines
    )


def test_empty_caseload_has_a_friendly_dashboard(demo):
    accounts.create_user(demo, None, "newbie", "counsellor", "a long passphrase")
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = accounts.authenticate(demo, "newbie", "a long passphrase")
    at.run()
    assert not at.exception
    assert "No open cases yet" in shown(at)
    assert len(at.get("plotly_chart")) == 0
    assert "New case" in page_links(at)  # what to do next, one step away
    # Each list of the dashboard says it is empty, rather than being missing.
    for heading, empty in [
        ("Upcoming sessions", "No sessions booked in the next 14 days."),
        ("Homework due this week", "Nothing due this week."),
        ("Recent stage changes", "No client changed stage in the last 30 days."),
    ]:
        assert heading in [h.value for h in at.subheader]
        assert empty in [c.value for c in at.caption]


@pytest.fixture
def new_practice(tmp_path, monkeypatch) -> Database:
    """A practice on its first day: a counsellor and a supervisor, no cases."""
    monkeypatch.setenv("CASEBOOK_HOME", str(tmp_path))
    monkeypatch.delenv("CASEBOOK_DATABASE_URL", raising=False)
    db = Database.open(Settings(tmp_path, f"sqlite:///{tmp_path / 'casebook.db'}"))
    for name, role in [("ada", "counsellor"), ("sue", "supervisor")]:
        accounts.create_user(db, None, name, role, DEMO_PASSWORD)
    yield db
    db.dispose()


@pytest.mark.parametrize(
    ("username", "page", "says", "links"),
    [
        ("ada", None, "No open cases yet", ["New case"]),
        ("ada", "pages/cases.py", "You have no open cases yet", ["New case"]),
        ("sue", None, "Each case a counsellor opens shows here", []),
        ("sue", "pages/cases.py", "each case a counsellor opens shows here", []),
        ("sue", "pages/practice.py", "Cases appear here as counsellors open them", []),
    ],
)
def test_a_new_practice_says_what_comes_next(new_practice, username, page, says, links):
    # A supervisor was told to open a case from New case, which they do not have.
    at = app_as(new_practice, username, page)
    assert says in shown(at)
    assert [link for link in page_links(at) if link == "New case"] == links
    if not links:  # a supervisor opens no cases
        assert "New case" not in shown(at)
    assert not [c for c in at.caption if c.value == "0 cases"]  # nor a count of nothing
    assert not [m for m in at.markdown if m.value == "**Stages**"]  # nor headings over no rows
    if page == "pages/practice.py":  # nor a chart of eight zeros
        assert not [c for c in at.get("plotly_chart") if "Clients by stage" in c.proto.spec]


def test_a_supervisor_is_not_told_the_review_is_theirs(demo):
    homework = {
        who: [h.value for h in app_as(demo, who, "pages/homework.py").subheader]
        for who in ("morgan", "casey")
    }
    assert any(h.startswith("Completed, awaiting your review") for h in homework["morgan"])
    assert any(
        h.startswith("Completed, awaiting the counsellor's review") for h in homework["casey"]
    )
    assert not any("your review" in h for h in homework["casey"])


# --- case list -----------------------------------------------------------------------------


def test_case_list_shows_only_own_cases_and_filters(demo):
    at = app_as(demo, "morgan", "pages/cases.py")
    links = page_links(at)
    assert any("Jordan Reyes" in link for link in links)
    assert not any("Noah Kim" in link for link in links)
    # Each row says the case's kind and opening date beneath its status.
    priya = next(c for c in cases.list_cases(demo, actor(demo, "morgan")) if "Priya" in c.label)
    assert f"Individual · opened {priya.opened_on:%d %b %Y}" in [c.value for c in at.caption]
    at.text_input(key="cases_search").input("priya").run()
    assert [link for link in page_links(at) if link.startswith("#")] == [
        next(link for link in links if "Priya" in link)
    ]
    at.text_input(key="cases_search").input("").run()
    at.selectbox(key="cases_status").set_value("archived").run()
    assert [link for link in page_links(at) if link.startswith("#")] == [
        link for link in page_links(at) if "Fatima" in link
    ]


def test_case_list_pages_through_many_cases_and_a_narrower_search_starts_again(demo):
    morgan = actor(demo, "morgan")
    for n in range(30):
        cases.create_case(demo, morgan, [cases.ClientInput(f"Paging Client {n:02}")])
    total = len(cases.list_cases(demo, morgan, status="open"))
    at = app_as(demo, "morgan", "pages/cases.py")
    assert f"{total} cases" in shown(at)
    first = [link for link in page_links(at) if link.startswith("#")]
    assert at.number_input(key="cases_page").label == "Page (of 2)"
    at.number_input(key="cases_page").set_value(2).run()
    second = [link for link in page_links(at) if link.startswith("#")]
    assert len(first) == 25 and len(second) == total - 25
    assert not set(first) & set(second)
    at.text_input(key="cases_search").input("paging client").run()
    assert [link for link in page_links(at) if link.startswith("#")] == [
        link for link in first + second if "Paging Client" in link
    ][:25]  # a new search starts on its first page
    at.number_input(key="cases_page").set_value(2).run()
    at.text_input(key="cases_search").input("paging client 07").run()
    assert not at.exception
    assert [link for link in page_links(at) if link.startswith("#")] == [
        link for link in first + second if "Paging Client 07" in link
    ]
    assert "1 case" in shown(at) and not at.number_input


def test_admin_has_no_clinical_pages(demo):
    at = app_as(demo, "admin")
    assert [t.value for t in at.title] == ["Accounts"]
    assert "Jordan" not in shown(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/cases.py")


CLINICAL_PAGES = ["pages/dashboard.py", "pages/cases.py", "pages/case.py", "pages/new_case.py"]


@pytest.mark.parametrize("page", CLINICAL_PAGES)
def test_clinical_pages_run_on_their_own_refuse_an_admin(demo, page):
    """Below the router, the repositories still refuse: no page leaks a client to an admin."""
    at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=30)
    at.session_state[USER_KEY] = actor(demo, "admin")
    at.query_params["case"] = "1"
    at.run()
    assert not at.exception
    assert "Jordan" not in shown(at) and len(at.metric) == 0 and len(at.table) == 0


@pytest.mark.parametrize("page", [*CLINICAL_PAGES, "pages/accounts.py", "pages/my_account.py"])
def test_every_page_run_on_its_own_shows_a_visitor_nothing(demo, page):
    at = AppTest.from_file(str(Path(APP).parent / page), default_timeout=30)
    at.query_params["case"] = "1"
    at.run()
    assert not at.exception
    assert len(at.main.children) == 0


# --- new case ------------------------------------------------------------------------------


def test_creating_a_couple_case_stores_both_clients(demo):
    at = app_as(demo, "morgan", "pages/new_case.py")
    at.radio(key="new_case_kind").set_value("couple").run()
    at.text_input(key="new_client1_name").input("Iris Novak")
    at.text_input(key="new_client1_pronouns").input("she/her")
    at.text_input(key="new_client2_name").input("Tom Novak")
    at.selectbox(key="new_case_stage").set_value(2)
    at.text_area(key="new_case_concern").input("Separated in spring")
    at.button[0].click().run()
    assert not at.exception
    morgan = actor(demo, "morgan")
    found = cases.list_cases(demo, morgan, search="Novak")
    assert len(found) == 1
    assert [(c.name, c.stage) for c in found[0].clients] == [("Iris Novak", 2), ("Tom Novak", 2)]
    assert found[0].presenting_concern == "Separated in spring"


def test_new_case_with_bad_input_keeps_what_was_typed(demo):
    at = app_as(demo, "morgan", "pages/new_case.py")
    at.text_input(key="new_client1_name").input("Iris")
    at.text_input(key="new_client1_email").input("not an email")
    at.text_area(key="new_case_concern").input("Long story")
    at.button[0].click().run()
    assert any("email" in e.value for e in at.error)
    assert at.text_input(key="new_client1_name").value == "Iris"
    assert at.text_area(key="new_case_concern").value == "Long story"
    assert cases.list_cases(demo, actor(demo, "morgan"), search="Iris") == []


# --- case page -----------------------------------------------------------------------------


def _case(demo, username, name):
    return cases.list_cases(demo, actor(demo, username), search=name, status=None)[0]


@pytest.mark.parametrize("page", ["pages/case.py", "pages/progress.py", "pages/session_prep.py"])
def test_after_a_key_rotation_elsewhere_a_page_says_to_restart_and_saves_nothing(demo, page):
    case = _case(demo, "morgan", "Jordan Reyes")
    at = app_as(demo, "morgan", page, case=case.id)  # started with the old key
    home = Path(os.environ["CASEBOOK_HOME"])
    keys.rotate(demo, Settings(home, f"sqlite:///{home / 'casebook.db'}"))  # from a terminal
    at.run()
    assert not at.exception
    assert "Restart Casebook" in " ".join(e.value for e in at.error)


@pytest.mark.parametrize("number", ["99999999999999999999", "-3", "\u0663"])
def test_a_case_number_no_database_holds_gets_the_pages_hint(demo, number):
    at = app_as(demo, "morgan", "pages/case.py", case=number)
    assert at.info and not at.error


def test_a_name_handouts_cannot_print_is_pointed_out_on_the_case_page(demo):
    morgan = actor(demo, "morgan")
    made = cases.create_case(demo, morgan, [cases.ClientInput("李雷"), cases.ClientInput("Zoë")])
    at = app_as(demo, "morgan", "pages/case.py", case=made.id)
    assert [w.value for w in at.warning if "cannot print" in w.value] == [
        "Handouts cannot print 李雷 in this name: each would show as an empty box. "
        "The font covers Latin, Greek and Cyrillic."
    ]


def test_case_page_shows_partners_side_by_side_with_history(demo):
    case = _case(demo, "morgan", "Jordan Reyes")
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    text = shown(at)
    assert f"Case #{case.id}" in text
    assert "Jordan Reyes" in text and "Alex Reyes" in text
    assert "Address past issues" in text
    assert len(at.table) == 2  # one history per partner


def test_moving_a_client_records_it_in_the_history(demo):
    case = _case(demo, "morgan", "Priya")
    client = case.clients[0]
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    at.selectbox(key=f"move_stage_{client.id}").set_value(2)
    at.text_input(key=f"move_reason_{client.id}").input("Settled after reflection")
    at.button(key=f"FormSubmitter:move_{client.id}-Record move").click().run()
    assert not at.exception
    moves = stage_history.history(demo, actor(demo, "morgan"), client.id)
    assert (moves[-1].stage, moves[-1].reason) == (2, "Settled after reflection")
    assert "moved to stage" in shown(at)
    # The form is fresh: the stage after the one moved to, and no reason.
    assert at.selectbox(key=f"move_stage_{client.id}").value == 3
    assert at.text_input(key=f"move_reason_{client.id}").value == ""


def test_a_move_recorded_in_error_is_struck_out_after_confirming(demo):
    case = _case(demo, "morgan", "Priya")
    client = case.clients[0]
    morgan = actor(demo, "morgan")
    before = stage_history.history(demo, morgan, client.id)
    wrong = stage_history.move_client(demo, morgan, client.id, 8, reason="Wrong client")
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    at.text_input(key=f"strike_move_why_{client.id}").input("Meant for another case")
    at.button(key=f"strike_move_{client.id}").click().run()
    assert any("go" in w.value and "back to stage" in w.value for w in at.warning)
    assert stage_history.history(demo, morgan, client.id)[-1] == wrong  # not before the yes
    at.button(key=f"strike_move_{client.id}_yes").click().run()
    assert not at.exception
    assert stage_history.history(demo, morgan, client.id) == before
    [struck] = stage_history.struck_moves(demo, morgan, case.id)
    assert (struck.move.stage, struck.why) == (8, "Meant for another case")
    assert "Struck out the move to stage" in shown(at)
    assert any("Meant for another case" in str(t.value) for t in at.table)


def test_a_contact_stage_is_cautioned_while_a_partner_is_flagged_or_unscreened(demo):
    morgan = actor(demo, "morgan")
    case = cases.create_case(
        demo,
        morgan,
        [cases.ClientInput("Ana Vidal"), cases.ClientInput("Ben Vidal")],
        start_stage=3,
    )
    ana, ben = (c.id for c in case.clients)
    stage_history.move_client(demo, morgan, ana, 4, reason="Ready to reach out")

    def cautions():
        at = app_as(demo, "morgan", "pages/case.py", case=case.id)
        assert not at.exception
        return [w.value for w in at.warning if "asks" in w.value]

    [caution] = cautions()  # Ana's card only: Ben, at stage 3, is asked for no contact
    assert "asks Ana Vidal to contact their partner" in caution
    assert "Ana Vidal and Ben Vidal have not been screened" in caution
    clear = {"fear": "no", "threats": "no", "physical_harm": "no", "control": "no"}
    clear |= {"protective_order": "no", "safe_together": "yes"}
    safety.record_screen(demo, morgan, ana, clear, screened_on=date.today())
    safety.record_screen(demo, morgan, ben, clear | {"fear": "yes"}, screened_on=date.today())
    [caution] = cautions()
    assert "Ben Vidal has a safety flag" in caution
    safety.record_screen(demo, morgan, ben, clear, screened_on=date.today())
    assert cautions() == []


def test_the_safety_tab_names_each_partner_as_typed_and_whose_screen_was_recorded(demo):
    morgan = actor(demo, "morgan")
    case = cases.create_case(
        demo, morgan, [cases.ClientInput("Ana *Vidal*"), cases.ClientInput("Ben <b>Vidal</b>")]
    )
    ben = case.clients[1].id
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Safety")
    who = at.radio(key=f"safety_who_{case.id}")
    assert who.options == [md("Ana *Vidal*"), md("Ben <b>Vidal</b>")]  # not Markdown
    who.set_value(ben).run()
    for q in ("fear", "threats", "physical_harm", "control", "protective_order"):
        at.radio(key=f"screen_{ben}_{q}").set_value("no")
    at.radio(key=f"screen_{ben}_safe_together").set_value("unsure")
    at.button(key=f"FormSubmitter:screen_{case.id}_{ben}-Record screen").click().run()
    assert [s.value for s in at.success] == [
        f"Screen of {md('Ben <b>Vidal</b>')} recorded: flagged."
    ]
    assert safety.case_status(demo, morgan, case.id)[ben].flagged


def test_a_screen_recorded_for_the_wrong_partner_is_struck_out_on_the_safety_tab(demo):
    morgan = actor(demo, "morgan")
    case = cases.create_case(
        demo, morgan, [cases.ClientInput("Ana Vidal"), cases.ClientInput("Ben Vidal")]
    )
    ana = case.clients[0].id
    clear = dict.fromkeys(("fear", "threats", "physical_harm", "control"), "no")
    clear |= {"protective_order": "no", "safe_together": "yes"}
    wrong = safety.record_screen(
        demo, morgan, ana, clear | {"fear": "yes"}, screened_on=date.today()
    )
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Safety")
    at.text_input(key=f"strike_screen_why_{ana}").input("Ben's answers")
    at.button(key=f"strike_screen_{ana}").click().run()
    assert safety.case_status(demo, morgan, case.id)[ana].flagged  # not before the yes
    at.button(key=f"strike_screen_{ana}_yes").click().run()
    assert not at.exception
    assert not safety.case_status(demo, morgan, case.id)[ana].screened
    assert safety.screens(demo, morgan, ana) == []
    [struck] = safety.struck_screens(demo, morgan, ana)
    assert (struck.screened_on, struck.flagged, struck.why) == (
        wrong.screened_on,
        True,
        "Ben's answers",
    )
    assert "Struck out a screen of Ana Vidal." in shown(at)
    assert any("Ben's answers" in m.value for m in at.markdown)


def test_a_client_at_the_last_stage_is_offered_a_move_to_another(demo):
    case = _case(demo, "morgan", "Chris Walker")  # at stage 8 in the demo
    client = case.clients[0]
    assert client.stage == 8
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    assert at.selectbox(key=f"move_stage_{client.id}").value == 7
    at.text_input(key=f"move_reason_{client.id}").input("Back to rebuilding warmth")
    at.button(key=f"FormSubmitter:move_{client.id}-Record move").click().run()
    assert not at.error
    assert stage_history.history(demo, actor(demo, "morgan"), client.id)[-1].stage == 7
    assert at.selectbox(key=f"move_stage_{client.id}").value == 8  # then the next, again


def test_a_move_without_a_reason_is_refused_and_nothing_stored(demo):
    case = _case(demo, "morgan", "Priya")
    client = case.clients[0]
    before = stage_history.history(demo, actor(demo, "morgan"), client.id)
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    at.button(key=f"FormSubmitter:move_{client.id}-Record move").click().run()
    assert [e.value for e in at.error] == [md("Reason is required.")]
    assert stage_history.history(demo, actor(demo, "morgan"), client.id) == before


def test_editing_details_is_stored(demo):
    case = _case(demo, "morgan", "Mei Lin")
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Details")
    at.text_input(key=f"edit_{case.id}_v{case.version}_1_pronouns").input("she/they")
    at.text_area(key=f"edit_concern_{case.id}_v{case.version}").input("Partner moved abroad")
    at.button(key=f"FormSubmitter:edit_{case.id}-Save details").click().run()
    stored = cases.get_case(demo, actor(demo, "morgan"), case.id)
    assert stored.clients[0].pronouns == "she/they"
    assert stored.presenting_concern == "Partner moved abroad"
    assert "Details saved." in shown(at)


def test_a_partner_added_on_the_details_tab_starts_where_and_when_chosen(demo):
    case = _case(demo, "morgan", "Mei Lin")
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Details")
    at.checkbox(key=f"add_partner_{case.id}").check().run()
    # Each headed by name ("Partner 1" said nothing), the one to add as new.
    assert {"**Mei Lin**", "**New partner**"} <= {m.value for m in at.markdown}
    # Offered where the first client stands, from today.
    assert at.selectbox(key=f"partner_stage_{case.id}").value == case.clients[0].stage
    joined = max(case.opened_on, date.today() - timedelta(days=7))
    at.text_input(key=f"edit_{case.id}_v{case.version}_2_name").input("Wen Lin")
    at.selectbox(key=f"partner_stage_{case.id}").set_value(3)
    at.date_input(key=f"partner_joined_{case.id}").set_value(joined)
    at.button(key=f"FormSubmitter:edit_{case.id}-Save details").click().run()
    assert not at.exception and not at.error
    wen = cases.get_case(demo, actor(demo, "morgan"), case.id).clients[1]
    assert (wen.name, wen.stage, wen.stage_since) == ("Wen Lin", 3, joined)


def test_the_opening_date_moves_earlier_on_the_details_tab(demo):
    case = _case(demo, "morgan", "Mei Lin")
    earlier = case.opened_on - timedelta(days=40)
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Details")
    at.date_input(key=f"edit_opened_{case.id}_v{case.version}").set_value(earlier)
    at.button(key=f"FormSubmitter:edit_{case.id}-Save details").click().run()
    assert not at.error
    assert cases.get_case(demo, actor(demo, "morgan"), case.id).opened_on == earlier


def test_a_stale_edit_is_refused_and_the_typed_text_stays(demo):
    case = _case(demo, "morgan", "Mei Lin")
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Details")
    morgan = actor(demo, "morgan")
    cases.update_case(  # someone else saves first, from another tab
        demo,
        morgan,
        case.id,
        case.version,
        clients=[cases.ClientInput("Mei Lin", "she/her")],
        presenting_concern="Other tab",
    )
    at.text_area(key=f"edit_concern_{case.id}_v{case.version}").input("My careful wording")
    at.button(key=f"FormSubmitter:edit_{case.id}-Save details").click().run()
    assert any("changed this case" in e.value for e in at.error)
    assert at.text_area(key=f"edit_concern_{case.id}_v{case.version}").value == "My careful wording"
    assert cases.get_case(demo, morgan, case.id).presenting_concern == "Other tab"
    at.button(key=f"reload_{case.id}").click().run()
    # Reloaded in the same tab, the form showing what the other tab saved.
    assert at.session_state[f"case_tab_{case.id}"] == "Details"
    fresh = cases.get_case(demo, morgan, case.id)
    assert at.text_area(key=f"edit_concern_{case.id}_v{fresh.version}").value == "Other tab"


def test_a_case_does_not_close_on_an_outcome_left_as_it_came(demo):
    case = _case(demo, "morgan", "Chris Walker")
    at = open_tab(
        app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Close or archive"
    )
    assert at.selectbox(key=f"close_outcome_{case.id}").value is None
    at.text_area(key=f"close_note_{case.id}").input("Agreed to pause until spring")
    at.button(key=f"FormSubmitter:close_{case.id}-Close case").click().run()
    assert [e.value for e in at.error] == [md("Choose the outcome the case closes with.")]
    assert cases.get_case(demo, actor(demo, "morgan"), case.id).status == "open"
    assert at.text_area(key=f"close_note_{case.id}").value == "Agreed to pause until spring"


def test_closing_and_archiving_a_case(demo):
    case = _case(demo, "morgan", "Chris Walker")
    booked = date.today() + timedelta(days=3)
    notes.book_next_session(demo, actor(demo, "morgan"), case.id, booked)
    at = app_as(demo, "morgan", "pages/case.py", case=case.id)
    at = open_tab(at, case.id, "Close or archive")
    at.selectbox(key=f"close_outcome_{case.id}").set_value("referred on")
    at.text_area(key=f"close_note_{case.id}").input("Referred to individual therapy")
    at.button(key=f"FormSubmitter:close_{case.id}-Close case").click().run()
    morgan = actor(demo, "morgan")
    closed = cases.get_case(demo, morgan, case.id)
    assert (closed.status, closed.outcome, closed.closed_on) == (
        "closed",
        "referred on",
        date.today(),
    )
    # Closed, its last session's note can still be written: the banner says so.
    assert any("notes can still be written" in i.value for i in at.info)
    assert "next session" not in at.caption[0].value  # none, once the case is closed
    # A mistyped phone is still corrected (it needed a reopen), but no partner joins.
    at = open_tab(at, case.id, "Details")
    assert not [c for c in at.checkbox if c.key == f"add_partner_{case.id}"]
    at.text_input(key=f"edit_{case.id}_v{closed.version}_1_phone").input("07700 900123")
    at.button(key=f"FormSubmitter:edit_{case.id}-Save details").click().run()
    assert cases.get_case(demo, morgan, case.id).clients[0].phone == "07700 900123"
    at = open_tab(at, case.id, "Close or archive")
    # The wrong outcome, corrected in place: shown as recorded, saved, drawn afresh.
    closed = cases.get_case(demo, morgan, case.id)
    key = f"{case.id}_v{closed.version}"
    assert at.selectbox(key=f"close_outcome_{key}").value == "referred on"
    assert at.text_area(key=f"close_note_{key}").value == "Referred to individual therapy"
    at.selectbox(key=f"close_outcome_{key}").set_value("paused")
    at.button(key=f"FormSubmitter:close_{key}-Save the correction").click().run()
    fixed = cases.get_case(demo, morgan, case.id)
    assert (fixed.status, fixed.outcome, fixed.earlier_closings) == ("closed", "paused", ())
    assert at.selectbox(key=f"close_outcome_{case.id}_v{fixed.version}").value == "paused"
    assert "Closing corrected: paused." in [s.value for s in at.success]
    at.button(key=f"archive_{case.id}").click().run()
    assert cases.get_case(demo, morgan, case.id).status == "closed"  # not until confirmed
    drafts = notes.drafts_in_case(demo, morgan, case.id)
    assert drafts and any(
        f"Its {drafts} unsigned note" in w.value and "cannot be signed" in w.value
        for w in at.warning
    )
    at.button(key=f"archive_{case.id}_yes").click().run()
    assert cases.get_case(demo, morgan, case.id).status == "archived"
    assert [i.value for i in at.info if "archived" in i.value] == [
        "This case is archived: restore it under **Close or archive** to change it."
    ]
    at.button(key=f"restore_{case.id}").click().run()
    at.button(key=f"restore_{case.id}_yes").click().run()
    assert cases.get_case(demo, morgan, case.id).status == "closed"
    at.button(key=f"reopen_{case.id}").click().run()
    assert cases.get_case(demo, morgan, case.id).status == "open"
    # The closing is kept, its note with it, under the reopened case.
    assert "as **paused**, reopened on" in shown(at)
    assert "Referred to individual therapy" in [t.value for t in at.text]


def test_text_typed_into_a_form_taken_away_by_a_change_elsewhere_is_shown_to_copy(demo):
    case = _case(demo, "morgan", "Chris Walker")
    morgan = actor(demo, "morgan")
    at = open_tab(
        app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Close or archive"
    )
    at.text_area(key=f"close_note_{case.id}").input("Three careful paragraphs")
    cases.set_archived(demo, morgan, case.id, case.version, True)  # from another tab
    at.button(key=f"FormSubmitter:close_{case.id}-Close case").click().run()
    assert cases.get_case(demo, morgan, case.id).closed_on is None
    assert any("changed in another tab" in w.value for w in at.warning)
    assert [c.value for c in at.code] == ["Three careful paragraphs"]


def test_a_closing_correction_typed_as_the_case_is_reopened_elsewhere_is_shown_to_copy(demo):
    case = _case(demo, "morgan", "Chris Walker")
    morgan = actor(demo, "morgan")
    closed = cases.close_case(
        demo, morgan, case.id, case.version, outcome="paused", closed_on=date.today()
    )
    at = open_tab(
        app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Close or archive"
    )
    key = f"{case.id}_v{closed.version}"
    at.text_area(key=f"close_note_{key}").input("Paused until the new year, as agreed")
    cases.reopen_case(demo, morgan, case.id, closed.version)  # from another tab
    at.button(key=f"FormSubmitter:close_{key}-Save the correction").click().run()
    assert cases.get_case(demo, morgan, case.id).status == "open"
    assert any("changed in another tab" in w.value for w in at.warning)
    assert [c.value for c in at.code] == ["Paused until the new year, as agreed"]


def test_a_yes_to_archive_never_restores_a_case_archived_meanwhile(demo):
    case = _case(demo, "morgan", "Chris Walker")
    morgan = actor(demo, "morgan")
    at = open_tab(
        app_as(demo, "morgan", "pages/case.py", case=case.id), case.id, "Close or archive"
    )
    at.button(key=f"archive_{case.id}").click().run()
    cases.set_archived(demo, morgan, case.id, case.version, True)  # from another tab
    at.button(key=f"archive_{case.id}_yes").click().run()  # still on screen: the user says yes
    assert not at.exception
    assert cases.get_case(demo, morgan, case.id).status == "archived"
    # No question asked on the user's behalf: the one on screen was to archive, not restore.
    assert not [w.value for w in at.warning if "Restore this case" in w.value]


def test_another_counsellors_case_is_denied_by_url(demo):
    theirs = _case(demo, "riley", "Noah Kim")
    at = app_as(demo, "morgan", "pages/case.py", case=theirs.id)
    assert [e.value for e in at.error] == [md(f"There is no case #{theirs.id} that you can open.")]
    assert "Noah" not in shown(at).replace("Noah Kim", "") and len(at.table) == 0


@pytest.mark.parametrize("value", ["abc", "", "99999"])
def test_a_bad_case_number_is_a_plain_message(demo, value):
    at = app_as(demo, "morgan", "pages/case.py", case=value)
    assert at.error or at.info
    assert len(at.table) == 0


def test_supervisor_reads_a_case_without_forms(demo):
    case = _case(demo, "riley", "Noah Kim")
    at = app_as(demo, "casey", "pages/case.py", case=case.id)
    assert "Noah Kim" in shown(at)
    assert "Supervisor view: read-only." in shown(at)
    assert at.get("form") == []
    assert not any("Record move" in str(b.label) for b in at.button)


# --- accounts ------------------------------------------------------------------------------


def test_admins_are_told_when_the_days_backup_failed_and_others_are_not(demo, monkeypatch):
    from pages import common

    monkeypatch.setattr(common.DAILY, "problem", "Today's automatic backup could not be made.")
    assert "Today's automatic backup could not be made." in [
        w.value for w in app_as(demo, "admin").warning
    ]
    assert not [w for w in app_as(demo, "morgan").warning if "backup" in w.value]


def test_admin_adds_an_account(demo):
    at = app_as(demo, "admin")
    at.text_input(key="acct_username").input("sky")
    at.text_input(key="acct_display").input("Sky Patel")
    at.text_input(key="acct_password").input("a long passphrase")
    at.button(key="FormSubmitter:add_account-Add account").click().run()
    assert accounts.authenticate(demo, "sky", "a long passphrase").display_name == "Sky Patel"


def test_admin_renames_an_account_and_its_open_session_shows_the_new_name(demo):
    riley = app_as(demo, "riley")
    riley.run()
    at = app_as(demo, "admin", "pages/accounts.py")
    riley_id = actor(demo, "riley").id
    at.selectbox(key="acct_chosen").set_value(riley_id).run()
    assert at.text_input(key=f"acct_name_{riley_id}_g0").value == "Riley Chen"
    at.text_input(key=f"acct_name_{riley_id}_g0").input("Riley Chen-Adeyemi")
    at.button(key=f"FormSubmitter:edit_account_{riley_id}-Save name and role").click().run()
    assert any("updated" in s.value for s in at.success)
    riley.run()
    assert riley.session_state[USER_KEY].display_name == "Riley Chen-Adeyemi"
    assert "Signed in as **Riley Chen\\-Adeyemi**" in " ".join(c.value for c in riley.caption)


def test_an_account_saved_from_a_stale_page_does_not_undo_another_admins_change(demo):
    # Another admin made casey an admin; this page, opened before, saved a corrected name
    # with the role it showed, and casey was a supervisor again.
    at = app_as(demo, "admin", "pages/accounts.py")
    casey_id, name = actor(demo, "casey").id, actor(demo, "casey").display_name
    at.selectbox(key="acct_chosen").set_value(casey_id).run()
    accounts.update_account(demo, actor(demo, "admin"), casey_id, display_name=name, role="admin")
    at.text_input(key=f"acct_name_{casey_id}_g0").input("Casey Morgan-Li")
    at.button(key=f"FormSubmitter:edit_account_{casey_id}-Save name and role").click().run()
    assert any("changed casey's name or role" in e.value for e in at.error)
    assert (actor(demo, "casey").role, actor(demo, "casey").display_name) == (
        "admin",
        name,
    )
    assert at.text_input(key=f"acct_name_{casey_id}_g0").value == "Casey Morgan-Li"
    assert [c.value for c in at.code] == ["Casey Morgan-Li"]
    at.button(key=f"acct_reload_{casey_id}").click().run()
    assert at.selectbox(key=f"acct_role_{casey_id}_g1").value == "admin"
    at.text_input(key=f"acct_name_{casey_id}_g1").input("Casey Morgan-Li")
    at.button(key=f"FormSubmitter:edit_account_{casey_id}-Save name and role").click().run()
    assert (actor(demo, "casey").role, actor(demo, "casey").display_name) == (
        "admin",
        "Casey Morgan-Li",
    )
    assert not at.warning  # its own save is no change elsewhere


def test_a_refused_account_save_lists_as_typed_only_a_name_typed(demo):
    at = app_as(demo, "admin", "pages/accounts.py")
    casey_id = actor(demo, "casey").id
    at.selectbox(key="acct_chosen").set_value(casey_id).run()
    accounts.update_account(
        demo, actor(demo, "admin"), casey_id, display_name="Casey Li", role="supervisor"
    )
    at.selectbox(key=f"acct_role_{casey_id}_g0").set_value("admin")
    at.button(key=f"FormSubmitter:edit_account_{casey_id}-Save name and role").click().run()
    assert at.error and actor(demo, "casey").role == "supervisor"
    assert not at.code  # the name as the page showed it was not typed


def test_admin_sees_a_locked_account_and_unlocks_it_and_deactivates_only_when_sure(demo):
    from casebook.errors import LoginFailed

    for _ in range(5):
        with pytest.raises(LoginFailed):
            accounts.authenticate(demo, "riley", "not the password")
    at = app_as(demo, "admin", "pages/accounts.py")
    riley_id = next(
        a.id for a in accounts.list_accounts(demo, actor(demo, "admin")) if a.username == "riley"
    )
    at.selectbox(key="acct_chosen").set_value(riley_id).run()
    assert any("Locked after too many failed logins" in w.value for w in at.warning)
    at.button(key="acct_unlock").click().run()
    assert accounts.authenticate(demo, "riley", DEMO_PASSWORD).username == "riley"
    at.button(key=f"acct_deactivate_{riley_id}").click().run()
    assert accounts.authenticate(demo, "riley", DEMO_PASSWORD)  # not until confirmed
    at.button(key=f"acct_deactivate_{riley_id}_yes").click().run()
    with pytest.raises(LoginFailed):
        accounts.authenticate(demo, "riley", DEMO_PASSWORD)
    at.text_input(key="acct_new_password").input("a temporary passphrase")
    at.button(key="FormSubmitter:reset_password-Reset password").click().run()
    # Cleared: one more click must not give the next account chosen the same password.
    assert at.text_input(key="acct_new_password").value == ""


def test_the_account_first_chosen_is_the_admins_own_and_offers_no_reset(demo):
    # A new password typed for riley, with the admin's own account still chosen, reset the
    # admin's: they were logged out and riley's password was as before.
    at = app_as(demo, "admin", "pages/accounts.py")
    assert at.selectbox(key="acct_chosen").value == actor(demo, "admin").id
    assert "acct_new_password" not in [t.key for t in at.text_input]
    assert "Your own password is changed on My account" in page_links(at)
    at.selectbox(key="acct_chosen").set_value(actor(demo, "riley").id).run()
    at.text_input(key="acct_new_password").input("a temporary passphrase")
    at.button(key="FormSubmitter:reset_password-Reset password").click().run()
    assert at.session_state[USER_KEY].username == "admin"
    assert accounts.authenticate(demo, "riley", "a temporary passphrase").must_change_password


def test_a_lock_into_the_next_day_shows_its_day(demo):
    # A lock may last up to a day: "until 09:30" did not say whether today or tomorrow.
    from casebook import practice
    from casebook.errors import LoginFailed

    admin = actor(demo, "admin")
    practice.update(demo, admin, lockout_attempts=1, lockout_minutes=24 * 60)
    with pytest.raises(LoginFailed):
        accounts.authenticate(demo, "riley", "not the password")
    [riley] = [a for a in accounts.list_accounts(demo, admin) if a.username == "riley"]
    at = app_as(demo, "admin", "pages/accounts.py")
    until = f"{riley.locked_until:%d %b %Y %H:%M} UTC"  # the browser's zone; here none
    assert until in set(at.dataframe[0].value["Locked until"])
    at.selectbox(key="acct_chosen").set_value(riley.id).run()
    assert f"until {until}." in " ".join(w.value for w in at.warning)


def test_admin_hands_a_departing_counsellors_cases_over_after_confirming(demo):
    admin, morgan, riley = (actor(demo, n) for n in ("admin", "morgan", "riley"))
    theirs = cases.list_cases(demo, morgan, status=None)
    riley_had = {c.id for c in cases.list_cases(demo, riley, status=None)}
    at = app_as(demo, "admin", "pages/accounts.py")
    # Deactivating a counsellor says what is left for them.
    at.selectbox(key="acct_chosen").set_value(morgan.id).run()
    at.button(key=f"acct_deactivate_{morgan.id}").click().run()
    at.button(key=f"acct_deactivate_{morgan.id}_yes").click().run()
    still = sum(c.status == "open" for c in theirs)
    assert f"Their {still} open cases stay theirs until handed over below" in shown(at)

    at.selectbox(key="handover_from").set_value(morgan.id)
    at.selectbox(key="handover_to").set_value(riley.id)
    at.radio(key="handover_which").set_value("chosen").run()
    first = theirs[0].id
    at.multiselect(key=f"handover_cases_{morgan.id}").set_value([first]).run()
    at.button(key="handover_go").click().run()
    assert {c.id for c in cases.list_cases(demo, riley, status=None)} == riley_had  # asked first
    at.button(key="handover_go_yes").click().run()
    assert "1 case of Morgan Ellis handed over to Riley Chen." in shown(at)
    assert first in {c.id for c in cases.list_cases(demo, riley, status=None)}

    at.radio(key="handover_which").set_value("all").run()
    at.button(key="handover_go").click().run()
    at.button(key="handover_go_yes").click().run()
    assert f"{len(theirs) - 1} cases of Morgan Ellis handed over" in shown(at)
    assert {c.id for c in cases.list_cases(demo, riley, status=None)} == riley_had | {
        c.id for c in theirs
    }
    # The admin saw case numbers, never a client's name.
    names = {c.name for case in theirs for c in case.clients}
    page = shown(at) + " ".join(str(o) for s in at.selectbox for o in s.options)
    assert not any(name in page for name in names)


def test_admin_short_password_is_refused(demo):
    at = app_as(demo, "admin")
    at.text_input(key="acct_username").input("sky")
    at.text_input(key="acct_password").input("short")
    at.button(key="FormSubmitter:add_account-Add account").click().run()
    assert any("at least 12 characters" in e.value for e in at.error)
    assert at.text_input(key="acct_username").value == "sky"
    assert "sky" not in [a.username for a in accounts.list_accounts(demo, actor(demo, "admin"))]


def test_user_changes_own_password(demo):
    at = app_as(demo, "riley", "pages/my_account.py")
    at.text_input(key="pw_current").input(DEMO_PASSWORD)
    at.text_input(key="pw_new").input("a fresh passphrase")
    at.text_input(key="pw_again").input("a fresh passphrase")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert accounts.authenticate(demo, "riley", "a fresh passphrase").username == "riley"


# --- security: audit trail, settings, idle log-off, forced password change -------------------


def test_admin_filters_the_audit_trail_and_exports_it(demo):
    app_as(demo, "morgan", "pages/case.py", case=1)  # a view to find
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.text_input(key="audit_user").input("morgan").run()
    frame = at.dataframe[0].value
    assert set(frame["User"]) == {"morgan"}
    assert "case view" in set(frame["Action"])
    # Case and client numbers as whole numbers, sorted as numbers.
    assert str(frame["Case"].dtype) == str(frame["Client"].dtype) == "Int64"
    assert 1 in set(frame["Case"].dropna())
    assert ",1," in frame.to_csv(index=False) and ".0," not in frame.to_csv(index=False)
    at.selectbox(key="audit_action").set_value("case_view").run()
    assert set(at.dataframe[0].value["Action"]) == {"case view"}


def test_the_audit_trail_says_when_it_lists_and_exports_only_the_newest_of_what_matches(demo):
    # A month of a busy practice matched more than the 1,000 listed: the table and its export
    # stopped there, and the page said only "1000 entries".
    from casebook import audit

    with demo.write() as s:
        for n in range(1000):
            audit.record(s, None, "backup", detail=f"casebook-{n}.db")
    admin = actor(demo, "admin")
    at = app_as(demo, "admin", "pages/audit_trail.py")
    total = audit.count_entries(demo, admin)
    assert total > 1000 and len(at.dataframe[0].value) == 1000
    assert f"{total:,} entries match: shown and exported here are the newest 1,000" in " ".join(
        w.value for w in at.warning
    )
    at.selectbox(key="audit_action").set_value("login").run()
    assert not at.warning
    logins = len(at.dataframe[0].value)
    assert f"{logins:,} entries, newest first" in shown(at)


@pytest.mark.parametrize("typed", ["1", "#1", " #1 "])
def test_the_audit_trail_finds_every_entry_of_one_case(demo, typed):
    # Who opened or changed a case is what an access review asks; the trail could be filtered
    # by a client's number, but not by the case number that every entry of a case carries.
    app_as(demo, "morgan", "pages/case.py", case=1)
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.text_input(key="audit_case").input(typed).run()
    frame = at.dataframe[0].value
    assert set(frame["Case"]) == {1}
    assert "case view" in set(frame["Action"])


def test_the_audit_trail_refuses_what_is_not_a_case_number_plainly(demo):
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.text_input(key="audit_case").input("12a").run()
    assert [e.value for e in at.error] == ["A case number is digits only, e.g. 12 or #12."]


def test_the_audit_trails_action_filter_keeps_saying_any_action(demo):
    # Its 'any' was None, which the browser shows, once another filter reruns the page, as
    # "Choose an option": an admin could not tell whether the actions were filtered.
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.text_input(key="audit_user").input("morgan").run()
    chosen = at.selectbox(key="audit_action")
    assert chosen.value is not None and chosen.format_func(chosen.value) == "Any action"
    assert len(set(at.dataframe[0].value["Action"])) > 1


@pytest.mark.parametrize(
    ("page", "keys"),
    [
        ("pages/cases.py", {"cases_stage": "Any stage", "cases_kind": "Any kind"}),
        ("pages/worksheets.py", {"library_stage": "Every stage", "custom_start": None}),
    ],
)
def test_an_any_choice_is_a_choice_the_browser_shows_not_a_cleared_box(demo, page, keys):
    # None chosen is drawn as "Choose an option" with a clear button: "" stands in for it.
    at = app_as(demo, "morgan", page)
    for key, says in keys.items():
        box = at.selectbox(key=key)
        assert box.value == "" and None not in box.options
        assert says is None or box.format_func(box.value) == says


def test_the_audit_trails_days_are_utc_days_as_its_entries_are(demo, monkeypatch):
    # On a server behind UTC, "To" defaulted to the local day: each evening (the next day in
    # UTC) the newest entries, this admin's own login among them, were left out.
    import time
    from datetime import UTC, datetime

    behind = datetime.now(UTC).hour < 12  # a zone where the local day is not the UTC day
    monkeypatch.setenv("TZ", "Etc/GMT+12" if behind else "Etc/GMT-14")
    time.tzset()
    try:
        at = app_as(demo, "admin", "pages/audit_trail.py")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert at.date_input(key="audit_until").value == datetime.now(UTC).date()
    newest = at.dataframe[0].value.iloc[0]
    assert (newest["User"], newest["Action"]) == ("admin", "login")


def test_the_audit_trail_says_when_from_is_after_to(demo):
    from datetime import date, timedelta

    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.date_input(key="audit_since").set_value(date.today() + timedelta(days=1)).run()
    assert [e.value for e in at.error] == [
        "'From' is after 'To': choose a From date on or before the To date."
    ]
    assert not at.dataframe and not at.info  # not "No entries match these filters."


def test_the_audit_trail_leaves_a_cell_empty_where_an_entry_names_no_case_or_client(demo):
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.selectbox(key="audit_action").set_value("login").run()
    table = at.dataframe[0]
    frame = table.value
    assert len(frame) > 0
    assert frame["Case"].isna().all() and frame["Client"].isna().all()
    # The table would show a missing value as the word None: a blank cell instead.
    assert table.proto.placeholder == ""


@pytest.mark.parametrize("typed", ["²", "99999999999", "12a"])
def test_the_audit_trail_refuses_what_is_not_a_client_number_plainly(demo, typed):
    at = app_as(demo, "admin", "pages/audit_trail.py")
    at.text_input(key="audit_client").input(typed).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["A client number is digits only, e.g. 12."]


def test_admin_saves_practice_settings(demo):
    at = app_as(demo, "admin", "pages/practice_settings.py")
    at.number_input(key="set_idle_g0").set_value(5)
    at.text_input(key="set_name_g0").input("Harbour Counselling")
    at.text_input(key="set_crisis_g0").input(" In an emergency call 999 ")
    at.button(key="FormSubmitter:practice_settings-Save settings").click().run()
    from casebook import practice

    stored = practice.load(demo)
    assert (stored.idle_logoff_minutes, stored.practice_name, stored.crisis_line) == (
        5,
        "Harbour Counselling",
        "In an emergency call 999",
    )


def test_a_settings_save_from_a_stale_page_is_refused_and_keeps_what_was_typed(demo):
    # Two admins on the settings page: the later save wrote back the name the page had
    # opened with, quietly undoing the earlier admin's new name.
    from casebook import practice

    first = app_as(demo, "admin", "pages/practice_settings.py")
    second = app_as(demo, "admin", "pages/practice_settings.py")
    first.text_input(key="set_name_g0").input("Harbour Counselling")
    first.button(key="FormSubmitter:practice_settings-Save settings").click().run()
    second.number_input(key="set_idle_g0").set_value(5)
    second.text_input(key="set_crisis_g0").input("Call 999")
    second.button(key="FormSubmitter:practice_settings-Save settings").click().run()
    assert not second.exception
    assert any("changed the settings since you opened" in e.value for e in second.error)
    stored = practice.load(demo)
    assert (stored.practice_name, stored.idle_logoff_minutes, stored.crisis_line) == (
        "Harbour Counselling",
        15,
        "",
    )
    assert second.number_input(key="set_idle_g0").value == 5  # what was typed stays
    assert second.text_input(key="set_crisis_g0").value == "Call 999"
    assert [c.value for c in second.code] == ["Call 999"]  # shown to copy, the name untouched
    second.button(key="settings_reload").click().run()
    assert second.text_input(key="set_name_g1").value == "Harbour Counselling"
    second.number_input(key="set_idle_g1").set_value(5)
    second.button(key="FormSubmitter:practice_settings-Save settings").click().run()
    stored = practice.load(demo)
    assert (stored.practice_name, stored.idle_logoff_minutes) == ("Harbour Counselling", 5)
    second.number_input(key="sd_csi4_g2").set_value(7.5)  # the page's own save is no conflict
    second.button(key="FormSubmitter:measure_params-Save measure settings").click().run()
    assert not second.error
    assert practice.load(demo).measure_params == {"csi4": {"1": {"sd": 7.5, "reliability": 0.85}}}


def test_measure_settings_from_a_stale_page_are_refused(demo):
    # A measure's next version, added in another tab, was given the SD and reliability typed
    # for the version this page showed.
    from casebook import measures, practice
    from tests.test_measures import CUSTOM

    admin = actor(demo, "admin")
    measures.save_custom(demo, admin, CUSTOM)
    at = app_as(demo, "admin", "pages/practice_settings.py")
    measures.save_custom(demo, admin, CUSTOM.replace("version = 1", "version = 2"))
    at.number_input(key="sd_weekly_mood_g0").set_value(4.0)
    at.button(key="FormSubmitter:measure_params-Save measure settings").click().run()
    assert any("changed the settings since you opened" in e.value for e in at.error)
    assert practice.load(demo).measure_params == {}
    assert at.number_input(key="sd_weekly_mood_g0").value == 4.0


def test_the_settings_page_opened_again_shows_no_stale_warning(demo):
    from casebook import practice

    at = app_as(demo, "admin", "pages/practice_settings.py")
    at.switch_page("pages/accounts.py").run()
    practice.update(demo, actor(demo, "admin"), practice_name="Harbour Counselling")
    at.switch_page("pages/practice_settings.py").run()
    assert not at.warning
    assert at.text_input(key="set_name_g1").value == "Harbour Counselling"
    at.number_input(key="set_idle_g1").set_value(5)
    at.button(key="FormSubmitter:practice_settings-Save settings").click().run()
    assert not at.error and practice.load(demo).idle_logoff_minutes == 5


def test_an_idle_session_is_logged_out_with_a_reason(demo):
    from datetime import datetime, timedelta

    from pages.common import ACTIVE_KEY, LOGGED_OUT_KEY

    at = app_as(demo, "morgan")
    at.session_state[ACTIVE_KEY] = datetime.now() - timedelta(minutes=16)
    at.run()
    assert USER_KEY not in at.session_state
    assert "15 minutes without activity" in at.session_state[LOGGED_OUT_KEY]
    assert len(at.metric) == 0


@pytest.mark.parametrize(
    ("idle", "limit", "warning"),
    [
        (12, 15, None),
        (13.5, 15, "You will be logged off in about 2 minutes."),
        (14.8, 15, "You will be logged off in about 1 minute."),
        (0.4, 1, None),
        (0.6, 1, "You will be logged off in about 1 minute."),
    ],
)
def test_a_user_is_warned_before_the_idle_log_off(idle, limit, warning):
    # The browser's own timer checks every 30 s; typing in a box is no activity until the
    # box is left, so a counsellor writing one long section is warned and can stay.
    from datetime import timedelta

    from pages.common import idle_warning

    assert idle_warning(timedelta(minutes=idle), timedelta(minutes=limit)) == warning


def test_a_recent_session_stays_logged_in(demo):
    from datetime import datetime, timedelta

    from pages.common import ACTIVE_KEY

    at = app_as(demo, "morgan")
    at.session_state[ACTIVE_KEY] = datetime.now() - timedelta(minutes=14)
    at.run()
    assert at.session_state[USER_KEY].username == "morgan"


@pytest.mark.parametrize("change", ["deactivated", "password reset"])
def test_an_open_session_ends_when_the_admin_changes_the_account(demo, change):
    from pages.common import LOGGED_OUT_KEY

    at = app_as(demo, "morgan", "pages/cases.py")
    at.run()
    assert [t.value for t in at.title] == ["Cases"]
    admin, morgan = actor(demo, "admin"), at.session_state[USER_KEY]
    if change == "deactivated":
        accounts.set_active(demo, admin, morgan.id, False)
    else:
        accounts.reset_password(demo, admin, morgan.id, "temporary passphrase")
    at.text_input(key="cases_search").input("Reyes").run()
    assert USER_KEY not in at.session_state
    assert "deactivated or its password changed" in at.session_state[LOGGED_OUT_KEY]
    assert not at.dataframe and "Reyes" not in " ".join(m.value for m in at.markdown)


def test_changing_my_password_keeps_this_session_and_ends_the_others(demo):
    at, other = app_as(demo, "riley", "pages/my_account.py"), app_as(demo, "riley")
    at.run()
    other.run()
    at.text_input(key="pw_current").input(DEMO_PASSWORD)
    at.text_input(key="pw_new").input("riley's own passphrase")
    at.text_input(key="pw_again").input("riley's own passphrase")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert any("password is changed" in s.value for s in at.success)
    at.switch_page("pages/dashboard.py").run()
    assert [t.value for t in at.title] == ["Dashboard"]
    other.run()
    assert USER_KEY not in other.session_state


def test_after_a_reset_only_my_account_is_open_until_the_password_changes(demo):
    admin = actor(demo, "admin")
    riley_id = actor(demo, "riley").id
    accounts.reset_password(demo, admin, riley_id, "temporary passphrase")
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = accounts.authenticate(demo, "riley", "temporary passphrase")
    at.run()
    assert [t.value for t in at.title] == ["My account"]
    assert any("reset by an administrator" in w.value for w in at.warning)
    with pytest.raises(ValueError):
        at.switch_page("pages/dashboard.py")
    at.text_input(key="pw_current").input("temporary passphrase")
    at.text_input(key="pw_new").input("riley's own passphrase")
    at.text_input(key="pw_again").input("riley's own passphrase")
    at.button(key="FormSubmitter:change_password-Change password").click().run()
    assert not at.session_state[USER_KEY].must_change_password


def test_admin_sets_a_measures_sd_and_reliability(demo):
    from casebook import practice

    at = app_as(demo, "admin", "pages/practice_settings.py")
    at.number_input(key="sd_csi4_g0").set_value(7.5)
    at.number_input(key="r_csi4_g0").set_value(0.8)
    at.button(key="FormSubmitter:measure_params-Save measure settings").click().run()
    assert practice.load(demo).measure_params == {"csi4": {"1": {"sd": 7.5, "reliability": 0.8}}}


def test_a_measure_left_as_its_file_says_follows_its_next_version(demo):
    # Saving the CSI-4's settings stored every measure's, which froze a measure left alone at
    # its file's values: its next version's new SD was then ignored, without a word.
    from casebook import measures, practice
    from tests.test_measures import CUSTOM

    admin = actor(demo, "admin")
    measures.save_custom(demo, admin, CUSTOM)  # SD 2, reliability 0.7
    at = app_as(demo, "admin", "pages/practice_settings.py")
    at.number_input(key="sd_csi4_g0").set_value(7.5)
    at.button(key="FormSubmitter:measure_params-Save measure settings").click().run()
    assert practice.load(demo).measure_params == {"csi4": {"1": {"sd": 7.5, "reliability": 0.85}}}
    newer = CUSTOM.replace("version = 1", "version = 2").replace("sd = 2", "sd = 3.5")
    v2 = measures.save_custom(demo, admin, newer)
    assert measures.definitions(demo)[v2].measure.sd == 3.5
    at = app_as(demo, "admin", "pages/practice_settings.py")
    assert at.number_input(key="sd_weekly_mood_g0").value == 3.5
    assert at.number_input(key="sd_csi4_g0").value == 7.5  # what the practice set stays


def test_a_measure_at_the_edge_of_its_settings_shows_and_saves_as_it_is(demo):
    # A reliability of 0.995 (allowed in a file) made the whole settings page a traceback.
    from casebook import measures, practice
    from tests.test_measures import CUSTOM

    text = CUSTOM.replace("reliability = 0.7", "reliability = 0.995").replace(
        "sd = 2", "sd = 10000"
    )
    measures.save_custom(demo, actor(demo, "admin"), text)
    at = app_as(demo, "admin", "pages/practice_settings.py")
    assert at.number_input(key="r_weekly_mood_g0").value == 0.995
    assert at.number_input(key="sd_weekly_mood_g0").value == 10000
    at.button(key="FormSubmitter:measure_params-Save measure settings").click().run()
    assert not at.exception and not at.error
    assert practice.load(demo).measure_params == {}  # as in the file: nothing to set


def test_login_after_a_key_rotation_elsewhere_says_to_restart_plainly(demo):
    app_as(demo, "morgan")  # the running app has opened the records with the old key
    at = app_as(demo, None)
    home = Path(os.environ["CASEBOOK_HOME"])
    keys.rotate(demo, Settings(home, f"sqlite:///{home / 'casebook.db'}"))  # from a terminal
    at.text_input[0].input("morgan")
    at.text_input[1].input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Restart Casebook" in " ".join(e.value for e in at.error)


def test_a_database_out_of_reach_is_said_plainly_not_shown_as_a_traceback(demo, monkeypatch):
    morgan = actor(demo, "morgan")
    with socket.socket() as s:  # a port that nothing listens on: a server down or unreachable
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("CASEBOOK_DATABASE_URL", f"postgresql+psycopg://casebook@127.0.0.1:{port}/x")
    at = AppTest.from_file(APP, default_timeout=30)  # each rerun in a browser runs the router
    at.session_state[USER_KEY] = morgan
    at.run()
    assert not at.exception
    assert "database did not answer in time" in " ".join(e.value for e in at.error)
    assert at.session_state[USER_KEY] == morgan  # still logged in for when it is back


def test_a_database_kept_busy_is_said_plainly_not_shown_as_a_traceback(demo, monkeypatch):
    """Reruns queue for the process's connections while writers hold them (a key rotation on
    a group practice's server, say); one that waits too long is told so, plainly."""
    monkeypatch.setattr(db_module, "POOL_WAIT_S", 0.2)
    app_db = common._database(settings_from_env().database_url)  # the app's, made now
    held = []
    with pytest.raises(PoolTimeout):
        while True:
            held.append(app_db.engine.connect())
    morgan = actor(demo, "morgan")
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state[USER_KEY] = morgan
    at.run()
    assert not at.exception
    assert "database did not answer in time" in " ".join(e.value for e in at.error)
    for connection in held:
        connection.close()
    at.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Dashboard"


def test_the_progress_report_pdf_is_not_offered_after_a_stage_move(demo):
    case = _case(demo, "morgan", "Jordan Reyes")
    at = app_as(demo, "morgan", "pages/progress.py", case=case.id)
    at.button(key=f"report_{case.id}").click().run()
    assert at.get("download_button")
    client = case.clients[0]
    stage_history.move_client(
        demo, actor(demo, "morgan"), client.id, 1 if client.stage != 1 else 2, reason="Moved"
    )
    at.run()
    assert not at.get("download_button")  # it no longer shows the case as it is


def test_a_deactivate_question_does_not_carry_over_to_another_account(demo):
    ids = {a.username: a.id for a in accounts.list_accounts(demo, actor(demo, "admin"))}
    at = app_as(demo, "admin", "pages/accounts.py")
    at.selectbox(key="acct_chosen").set_value(ids["riley"]).run()
    at.button(key=f"acct_deactivate_{ids['riley']}").click().run()
    at.selectbox(key="acct_chosen").set_value(ids["morgan"]).run()
    assert not [w for w in at.warning if "Deactivate 'morgan'" in w.value]


def test_the_safety_form_names_its_client_and_one_client_is_not_called_a_partner(demo):
    morgan = actor(demo, "morgan")
    one = cases.create_case(demo, morgan, [cases.ClientInput("Ana Vidal")])
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=one.id), one.id, "Safety")
    assert "Private safety screen · Ana Vidal" in shown(at)
    assert "one client at a time" not in shown(at).lower()  # said to a couple only
    two = cases.create_case(demo, morgan, [cases.ClientInput("Ana"), cases.ClientInput("Ben")])
    at = open_tab(app_as(demo, "morgan", "pages/case.py", case=two.id), two.id, "Safety")
    at.radio(key=f"safety_who_{two.id}").set_value(two.clients[1].id).run()
    assert "Private safety screen · Ben" in shown(at)
    assert "One client at a time" in shown(at)


def test_a_new_case_says_which_details_may_be_left_empty(demo):
    # Only the name is needed: pronouns unmarked read as required beside optional contacts.
    at = app_as(demo, "morgan", "pages/new_case.py")
    assert [t.label for t in at.text_input] == [
        "Name",
        "Pronouns (optional)",
        "Email (optional)",
        "Phone (optional)",
    ]


def test_a_password_reset_says_how_long_the_password_must_be(demo):
    # As the new account's box does: a short one was refused with no word of it beforehand.
    at = app_as(demo, "admin", "pages/accounts.py")
    at.selectbox(key="acct_chosen").set_value(actor(demo, "riley").id).run()  # not their own
    said = f"At least {accounts.MIN_PASSWORD_LENGTH} characters; a passphrase is fine."
    assert at.text_input(key="acct_new_password").help == said
    assert at.text_input(key="acct_password").help == said


def test_the_handouts_page_says_where_each_single_handout_is_printed(demo):
    # It makes a day's or a week's batch only: a counsellor looking for one stage guide or a
    # progress report there found nothing that said where it was.
    said = shown(app_as(demo, "morgan", "pages/handouts.py"))
    for where in ("a stage guide from the case's Stages tab", "a progress report from Progress"):
        assert where in said
