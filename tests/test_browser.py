"""End to end in the system Chromium against a real `casebook run`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from casebook import accounts, cases, stage_history
from casebook.db import Database
from casebook.settings import Settings

CHROMIUM = os.environ.get("CASEBOOK_CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (install Debian's 'chromium' package)",
)
playwright_api.expect.set_options(timeout=30_000)  # generous: CI machines are shared
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"casebook run exited early:\n{server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)  # polling a server that is starting, not waiting for a result
    raise RuntimeError("casebook run did not become healthy in time")


@pytest.fixture
def cheap_password_hashing() -> None:
    """Here the app's own hasher: the server made the accounts with it, and a login from a
    test with a cheaper one would rehash the password, which ends the browser's session."""


@pytest.fixture
def app(tmp_path) -> Iterator[tuple[str, Path]]:
    """A real `casebook run` on a free port, first run: it creates the demo practice."""
    port = _free_port()
    env = {**os.environ, "CASEBOOK_HOME": str(tmp_path)}
    env.pop("CASEBOOK_DATABASE_URL", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("casebook")), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, server, time.monotonic() + 90)
        yield url, tmp_path
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def page(app):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Far from UTC, in which times are stored: a time shown unconverted would not pass.
        page = browser.new_page(
            viewport={"width": 1400, "height": 1000}, timezone_id="Pacific/Auckland"
        )
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def settled(page) -> None:
    """Wait until the app has finished its current run (after a click that reruns it)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for()


def still(page) -> None:
    """Wait until nothing on the page is animating. A click on a button in an expander still
    sliding open was lost under load: the browser sent no rerun (CI, twice; here about one
    run in six with the machine busy), though Playwright had found the button visible."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")


def open_case(page, client_name: str) -> None:
    """From anywhere: the case list, then the case of this client."""
    page.get_by_role("link", name="Cases").first.click()
    playwright_api.expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    page.get_by_role("link", name=client_name).first.click()


def log_in(page, url: str, username: str, password: str = "rekindle-demo") -> None:
    page.goto(url)
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_new_servers_first_request_logs_in_to_its_page_and_visitors_see_only_login(app, page):
    url, _ = app
    # The server's first request, at a page's address (a tab the browser restores): it was
    # served straight from pages/, a blank page under a list of that folder's files.
    page.goto(f"{url}/case?case=1")
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()
    playwright_api.expect(page.get_by_text("widgets")).to_have_count(0)
    # The login then leads to that page (it led to the dashboard: the address was lost).
    page.get_by_label("User name").fill("morgan")
    page.get_by_label("Password", exact=True).fill("rekindle-demo")
    page.get_by_role("button", name="Log in").click()
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()
    assert page.url == f"{url}/case?case=1"
    page.get_by_role("button", name="Log out").click()
    log_in(page, url, "morgan", "not the password")
    playwright_api.expect(page.get_by_text("Wrong user name or password.")).to_be_visible()
    page.goto(f"{url}/case?case=1")
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()
    playwright_api.expect(page.get_by_text("Jordan Reyes")).to_have_count(0)


def test_a_reload_asks_for_the_login_then_opens_the_same_page(app, page):
    # A reload starts a new session. It used to show "Page not found" over the login form
    # (which it made inert), then the dashboard: the case open before was lost.
    url, _ = app
    log_in(page, url, "morgan")
    open_case(page, "Jordan Reyes")
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()
    page.reload()
    page.get_by_label("User name").fill("morgan")
    page.get_by_label("Password", exact=True).fill("rekindle-demo")
    page.get_by_role("button", name="Log in").click()
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()
    playwright_api.expect(page.get_by_text("Page not found")).to_have_count(0)

    # Logged out by choice, the next login (another counsellor's, say) starts afresh.
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name").fill("riley")
    page.get_by_label("Password", exact=True).fill("rekindle-demo")
    page.get_by_role("button", name="Log in").click()
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.url.rstrip("/") == url


def test_a_page_left_idle_is_wiped_in_the_browser_when_the_server_cannot_log_it_off(app, page):
    # The idle log-off runs on the server. With the network (or the server) down it cannot
    # run, and a case stayed on screen for anyone passing by, however long it was left.
    url, _ = app
    page.clock.install()  # the browser's clock, moved on below; the demo's limit is 15 min
    log_in(page, url, "morgan")
    open_case(page, "Jordan Reyes")
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()
    settled(page)
    page.context.set_offline(True)
    jordan = page.get_by_text("Jordan Reyes").first
    page.clock.fast_forward("10:00")
    page.keyboard.press("Shift")  # someone is there: the count starts again
    page.clock.fast_forward("10:00")
    playwright_api.expect(jordan).to_be_visible()
    page.clock.fast_forward("07:00")  # 17 minutes untouched: the limit and its minute passed
    playwright_api.expect(
        page.get_by_role("heading", name="Casebook hid this page")
    ).to_be_visible()
    playwright_api.expect(page.get_by_text("Jordan Reyes")).to_have_count(0)

    # Back online, a reload asks for the login; the login page itself is never wiped.
    page.context.set_offline(False)
    page.reload()
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.clock.fast_forward("30:00")
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_counsellor_moves_a_client_to_the_next_stage(app, page):
    url, home = app
    assert len(list((home / "backups").glob("casebook-*.db"))) == 1  # made on start
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    open_case(page, "Jordan Reyes")
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()

    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    morgan = accounts.authenticate(db, "morgan", "rekindle-demo")
    client = cases.get_case(db, morgan, 1).clients[0]
    assert client.name == "Jordan Reyes"
    jordan = page.locator(f".st-key-client_{client.id}")
    playwright_api.expect(jordan.get_by_text("Stage 5. Address past issues")).to_be_visible()
    jordan.get_by_label("Reason").fill("Agreed solutions; ready to rebuild trust")
    jordan.get_by_role("button", name="Record move").click()

    playwright_api.expect(page.get_by_text("moved to stage 6. Rebuild trust")).to_be_visible()
    playwright_api.expect(jordan.get_by_text("Stage 6. Rebuild trust")).to_be_visible()
    history = jordan.get_by_test_id("stTable")
    playwright_api.expect(history).to_contain_text("Agreed solutions; ready to rebuild trust")
    # The form is fresh again: a second click must not record the same move twice.
    playwright_api.expect(jordan.get_by_label("Reason")).to_have_value("")

    assert cases.get_case(db, morgan, 1).clients[0].stage == 6
    assert stage_history.history(db, morgan, client.id)[-1].reason == (
        "Agreed solutions; ready to rebuild trust"
    )
    db.dispose()

    page.get_by_role("button", name="Log out").click()
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_hostile_text_is_shown_exactly_as_typed(app, page):
    url, _ = app
    name = "<script>alert('x')</script> **O'Brien** _Σοφία_ Дмитрий 🙂"
    concern = "=1+1 [link](http://example.org) # not a heading"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("link", name="New case").click()
    playwright_api.expect(page.get_by_role("heading", name="New case")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Presenting concern").fill(concern)
    page.get_by_role("button", name="Open case").click()
    heading = page.get_by_role("heading", level=1)
    playwright_api.expect(heading).to_have_text(f"Case #13 · {name}", timeout=20_000)
    playwright_api.expect(page.get_by_test_id("stText").get_by_text(concern)).to_be_visible()
    assert page.locator("a[href='http://example.org']").count() == 0
    assert page.locator("strong", has_text="O'Brien").count() == 0
    assert dialogs == []


def _open_priyas_worksheets(page):
    open_case(page, "Priya Nair")
    playwright_api.expect(page.get_by_role("heading", name="Case #2")).to_be_visible()
    page.get_by_role("tab", name="Worksheets").click()
    playwright_api.expect(page.get_by_label("Worksheet", exact=True)).to_be_visible()
    settled(page)


def _assign_priya_a_trust_plan(page, url: str) -> None:
    """Log in as morgan and give Priya the trust plan, from her case's Worksheets tab."""
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _open_priyas_worksheets(page)
    page.get_by_label("Worksheet", exact=True).click()
    page.get_by_role("option", name="Stage 6 · Trust plan").click()
    page.get_by_role("button", name="Assign", exact=True).click()
    playwright_api.expect(page.get_by_text("Assigned 'Trust plan'.")).to_be_visible()


def test_assign_a_trust_plan_fill_it_in_over_two_visits_and_review_it(app, page):
    url, home = app
    _assign_priya_a_trust_plan(page, url)

    # First visit: a draft, part-way.
    page.get_by_role("link", name="Trust plan · Priya Nair").click()
    secret = page.get_by_label("Is there anything you are tempted to keep secret?", exact=False)
    secret.fill("Late-night messages to an old friend")
    page.get_by_role("button", name="Save draft").click()
    playwright_api.expect(page.get_by_text("Draft saved.", exact=True)).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # Second visit: the draft is there; finish, complete, review.
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _open_priyas_worksheets(page)
    page.get_by_role("link", name="Trust plan · Priya Nair").click()
    playwright_api.expect(
        page.get_by_label("Is there anything you are tempted to keep secret?", exact=False)
    ).to_have_value("Late-night messages to an old friend")
    page.get_by_label("What will you do this week", exact=False).fill("Phone home at nine")
    page.get_by_role("button", name="Save and mark complete").click()
    playwright_api.expect(page.get_by_text("Marked complete.", exact=True)).to_be_visible()
    page.get_by_label("Comment for the record").fill("Specific and kind")
    page.get_by_role("button", name="Mark reviewed").click()
    playwright_api.expect(page.get_by_text("Reviewed.", exact=True)).to_be_visible()

    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    morgan = accounts.authenticate(db, "morgan", "rekindle-demo")
    from casebook import homework

    [done] = [a for a in homework.for_case(db, morgan, 2) if a.template_title == "Trust plan"]
    answers = homework.get(db, morgan, done.id).answers
    assert done.status == "reviewed"
    assert homework.get(db, morgan, done.id).review_comment == "Specific and kind"
    assert answers["hiding"][0] == "Late-night messages to an old friend"
    assert answers["actions"][0] == "Phone home at nine"
    db.dispose()


def test_answers_typed_but_not_saved_outlive_a_change_of_due_date(app, page):
    url, home = app
    _assign_priya_a_trust_plan(page, url)
    page.get_by_role("link", name="Trust plan · Priya Nair").click()
    secret = page.get_by_label("Is there anything you are tempted to keep secret?", exact=False)
    secret.fill("Late-night messages to an old friend")

    # Before saving the answers, the instructions change in the other form on the page.
    page.get_by_text("Change the due date or the instructions").click()
    still(page)
    page.get_by_label("Instructions (optional)").fill("Bring it on Thursday")
    page.get_by_role("button", name="Save the due date and instructions").click()
    playwright_api.expect(page.get_by_text("Now due", exact=False)).to_be_visible()
    settled(page)
    playwright_api.expect(secret).to_have_value("Late-night messages to an old friend")

    page.get_by_role("button", name="Save draft").click()
    playwright_api.expect(page.get_by_text("Draft saved.", exact=True)).to_be_visible()
    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    morgan = accounts.authenticate(db, "morgan", "rekindle-demo")
    from casebook import homework

    [plan] = [a for a in homework.for_case(db, morgan, 2) if a.template_title == "Trust plan"]
    saved = homework.get(db, morgan, plan.id)
    assert saved.answers["hiding"][0] == "Late-night messages to an old friend"
    assert saved.instructions == "Bring it on Thursday"
    db.dispose()


def test_write_a_soap_note_mark_homework_reviewed_sign_it_and_see_it_locked(app, page):
    url, home = app
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    open_case(page, "Sam O'Connor")
    playwright_api.expect(page.get_by_role("heading", name="Case #3")).to_be_visible()
    page.get_by_role("tab", name="Notes").click()
    expander = page.get_by_text("Write a note for a session")
    expander.wait_for()  # the tab's run has begun; let it end before opening the expander
    settled(page)
    expander.click()
    playwright_api.expect(page.get_by_role("button", name="Start the note")).to_be_visible()
    still(page)
    page.get_by_role("button", name="Start the note").click()
    playwright_api.expect(page.get_by_role("heading", name="Session note")).to_be_visible()
    page.get_by_label("Subjective").fill("Both felt heard this week")
    page.get_by_label("Plan").fill("Keep the Sunday check-in")
    page.get_by_label("Objective").click()  # leaving a field saves the draft
    # On the counsellor's clock (the browser's), not the server's.
    playwright_api.expect(
        page.get_by_text(re.compile(r"Draft saved at [\d:]{8} NZ[DS]T\."))
    ).to_be_visible()

    page.get_by_label("Review comment").first.fill("Promises kept")
    page.get_by_role("button", name="Mark reviewed").first.click()
    playwright_api.expect(page.get_by_text("Reviewed 'Trust plan'.")).to_be_visible()

    page.get_by_role("button", name="Sign note").click()
    page.get_by_role("button", name="Yes, sign it").click()
    playwright_api.expect(page.get_by_text("Note signed and locked.")).to_be_visible()
    playwright_api.expect(page.get_by_text("Signed", exact=True)).to_be_visible()
    playwright_api.expect(page.get_by_label("Subjective")).to_have_count(0)
    playwright_api.expect(page.get_by_text("Both felt heard this week")).to_be_visible()
    addendum = page.get_by_label("Add a dated addendum (the note itself stays as signed)")
    addendum.fill("Sam rang: the check-in moves to Mondays")
    page.get_by_role("button", name="Add addendum").click()
    playwright_api.expect(page.get_by_text("Addendum added.")).to_be_visible()
    settled(page)
    stamp = r"\d\d \w{3} \d{4} \d\d:\d\d NZ[DS]T"
    playwright_api.expect(page.get_by_text(re.compile(f"signed by .* on {stamp}"))).to_be_visible()
    playwright_api.expect(page.get_by_text(re.compile(f"^{stamp} · "))).to_be_visible()
    playwright_api.expect(addendum).to_have_value("")  # so a second click adds nothing

    from casebook import homework, notes

    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    morgan = accounts.authenticate(db, "morgan", "rekindle-demo")
    newest = notes.notes_for_case(db, morgan, 3)[0]
    assert newest.signed and newest.sections["subjective"] == "Both felt heard this week"
    addenda = notes.get_note(db, morgan, newest.id).addenda
    assert [a.text for a in addenda] == ["Sam rang: the check-in moves to Mondays"]
    assert "reviewed" in {a.status for a in homework.for_case(db, morgan, 3)}
    db.dispose()


def _charts_drawn(page, count: int) -> None:
    charts = page.get_by_test_id("stPlotlyChart")
    playwright_api.expect(charts).to_have_count(count)
    for i in range(count):
        # plotly has drawn it: an SVG with at least one trace or annotation in it
        playwright_api.expect(charts.nth(i).locator("svg.main-svg").first).to_be_visible()


def test_every_chart_page_renders_its_charts(app, page):
    url, _ = app
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    _charts_drawn(page, 1)
    open_case(page, "Sam O'Connor")
    page.get_by_role("link", name="Progress charts").click()
    playwright_api.expect(page.get_by_role("heading", name="Progress", level=1)).to_be_visible()
    _charts_drawn(page, 3)
    playwright_api.expect(page.get_by_text("Stages over time")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, url, "casey")
    page.get_by_role("link", name="Practice").first.click()
    playwright_api.expect(page.get_by_role("heading", name="Practice", level=1)).to_be_visible()
    _charts_drawn(page, 3)


def _cut_off(page, test_id: str) -> list[str]:
    """The labels of these elements that do not fit their box (cut off, or ending in '…')."""
    return page.get_by_test_id(test_id).evaluate_all(
        """links => links.filter(link => [...link.querySelectorAll('*')].some(
            e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible'
        )).map(link => link.innerText)"""
    )


def test_labels_wrap_in_a_window_1024_pixels_wide(app, page):
    url, _ = app
    page.set_viewport_size({"width": 1024, "height": 900})
    log_in(page, url, "morgan")
    playwright_api.expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    links = page.get_by_test_id("stPageLink-NavLink")
    playwright_api.expect(links.filter(has_text="Unsigned note").first).to_be_visible()
    settled(page)
    assert _cut_off(page, "stPageLink-NavLink") == []
    assert _cut_off(page, "stMetricLabel") == []
    open_case(page, "Sam O'Connor")
    page.get_by_role("tab", name="Worksheets").click()
    playwright_api.expect(links.filter(has_text="Trust plan").first).to_be_visible()
    settled(page)
    assert _cut_off(page, "stPageLink-NavLink") == []


def test_settings_saved_from_a_stale_page_are_refused_and_a_reload_shows_the_others(app, page):
    url, home = app
    log_in(page, url, "admin")
    page.get_by_role("link", name="Settings").click()
    name = page.get_by_label("Practice name")
    name.fill("Our own name")
    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    from casebook import practice

    other = accounts.authenticate(db, "admin", "rekindle-demo")
    practice.update(db, other, practice_name="Harbour Counselling")  # another admin's save
    page.get_by_role("button", name="Save settings").click()
    playwright_api.expect(page.get_by_text("changed the settings since you opened")).to_be_visible()
    playwright_api.expect(name).to_have_value("Our own name")  # what was typed stays
    page.get_by_role("button", name="Reload the latest version").click()
    playwright_api.expect(page.get_by_text("changed in another tab")).to_have_count(0)
    settled(page)
    # Drawn afresh from the record: the box showing the typed name would save it over theirs.
    playwright_api.expect(page.get_by_label("Practice name")).to_have_value("Harbour Counselling")
    assert practice.load(db).practice_name == "Harbour Counselling"
    db.dispose()


def test_a_page_left_open_is_closed_soon_after_its_account_is_deactivated(app, page):
    """An admin deactivates an account (someone leaves; a session that may not be its owner's):
    a case left open in that account's browser stayed on screen until someone touched it or
    the idle limit passed, 15 minutes on."""
    url, home = app
    page.clock.install()
    log_in(page, url, "morgan")
    open_case(page, "Jordan Reyes")
    playwright_api.expect(page.get_by_role("heading", name="Case #1")).to_be_visible()
    settled(page)
    db = Database.open(Settings(home, f"sqlite:///{home / 'casebook.db'}"))
    admin = accounts.authenticate(db, "admin", "rekindle-demo")
    accounts.set_active(db, admin, accounts.authenticate(db, "morgan", "rekindle-demo").id, False)
    db.dispose()
    page.clock.fast_forward("00:31")  # the server's idle watch looks every 30 seconds
    playwright_api.expect(page.get_by_role("button", name="Log in")).to_be_visible()
    playwright_api.expect(page.get_by_text("your account was deactivated")).to_be_visible()
    playwright_api.expect(page.get_by_text("Jordan Reyes")).to_have_count(0)


def test_a_case_offers_no_way_out_of_its_records_but_the_audited_ones(app, page):
    """Streamlit's own ways out, none audited: a heading's link put its text in the address
    (case?case=3#case-3-sam-o-connor...), into the browser's history and any link copied for
    a colleague; a table's "Download as CSV" saved clinical rows with formulas left live (a
    name typed as =HYPERLINK(...) runs in a spreadsheet); a chart's "Download plot as a PNG"
    saved a client's stages and scores under their name. Search, full screen and zoom stay;
    Casebook's own exports and the progress report are audited."""
    url, _ = app
    log_in(page, url, "morgan")
    open_case(page, "Sam O'Connor")
    heading = page.get_by_role("heading", name="Case #3")
    playwright_api.expect(heading).to_be_visible()
    settled(page)
    heading.hover()
    playwright_api.expect(page.get_by_role("link", name="Link to heading")).to_have_count(0)
    assert "#" not in page.url

    page.get_by_role("link", name="Progress charts").click()
    _charts_drawn(page, 3)
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.hover()
    playwright_api.expect(chart.locator('.modebar-btn[data-title="Zoom"]')).to_be_visible()
    playwright_api.expect(chart.locator('.modebar-btn[data-title^="Download"]')).to_be_hidden()

    table = page.locator('[data-testid="stDataFrame"]:visible').first
    table.hover()
    toolbar = page.get_by_test_id("stElementToolbarButton")
    playwright_api.expect(toolbar.get_by_role("button", name=re.compile("^Search"))).to_be_visible()
    playwright_api.expect(
        toolbar.get_by_role("button", name=re.compile("^Fullscreen"))
    ).to_be_visible()
    playwright_api.expect(
        page.get_by_role("button", name=re.compile("^Download as CSV"))
    ).to_have_count(0)
