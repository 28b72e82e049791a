"""What every page shares: the database, the logged-in user, plain error messages."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from streamlit.errors import StreamlitAPIException

from casebook import accounts, backup, practice, validation
from casebook.access import Actor
from casebook.crypto import KeyProblem
from casebook.db import Database
from casebook.errors import CasebookError
from casebook.settings import settings_from_env
from worksheets import templates
from worksheets.stages import stage

USER_KEY = "casebook_user"
ACTIVE_KEY = "casebook_last_active"
LOGGED_OUT_KEY = "casebook_logged_out_because"
FRONT_KEY = "casebook_logged_out_by_choice"
ROUTED_KEY = "casebook_routed"  # set by the router on each run, before the page runs
WANTED_KEY = "casebook_wanted"  # a page's address and query, met before the router ran
T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _database(url: str) -> Database:
    return Database.open(settings_from_env())


_KEPT: OrderedDict[tuple, Any] = OrderedDict()  # this process's results, newest last
_KEPT_MAX = 200
_KEPT_LOCK = threading.Lock()


def kept(name: str, user: Actor, compute: Callable[[], T]) -> T:
    """`compute()` for this user of this database, reused until anyone writes to it (or the
    day changes). For a result that costs more than it is worth recomputing on every rerun;
    the caller must not change what it gets back."""
    db = database()
    key = (name, str(db.engine.url), user, date.today(), db.generation())
    with _KEPT_LOCK:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    value = compute()
    with _KEPT_LOCK:
        _KEPT[key] = value
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return value


def forget_kept() -> None:
    """Drop every kept result, as a write does (benchmarks time pages read afresh)."""
    with _KEPT_LOCK:
        _KEPT.clear()


DAILY = backup.DailyBackups()


def database() -> Database:
    """The process's one Database for the configured URL; a key problem stops the app.

    In a server `casebook run` started, the first call of each day starts the day's backup.
    """
    settings = settings_from_env()
    try:
        db = _database(settings.database_url)
    except KeyProblem as exc:
        st.error(f"Casebook cannot start. {exc}", icon=":material/key_off:")
        st.stop()
    if os.environ.get(backup.DAILY_ENV):
        DAILY.ensure(db, settings, lambda: practice.load(db).backups_kept)
    return db


def database_unreachable() -> None:
    """Say plainly that the database did not answer; the details go to the server's log."""
    logging.getLogger("casebook").exception("The database did not answer")
    st.error(
        "Casebook's database did not answer in time (it may be busy, restarting or out of "
        "reach), so this step may not have been done. Try again in a moment; if this goes "
        "on, tell your administrator.",
        icon=":material/cloud_off:",
    )


def _idle_limit() -> timedelta:
    return timedelta(minutes=practice.load(database()).idle_logoff_minutes)


IDLE_WARNING = timedelta(minutes=2)  # before the log-off, or half the limit if less


def _stay() -> None:
    st.session_state[ACTIVE_KEY] = datetime.now()


def idle_warning(idle: timedelta, limit: timedelta) -> str | None:
    """What to tell a user idle this long, shortly before the log-off; None until then."""
    if idle <= limit - min(IDLE_WARNING, limit / 2):
        return None
    left = max(1, round((limit - idle).total_seconds() / 60))
    return f"You will be logged off in about {left} minute{'s' if left > 1 else ''}."


@st.fragment(run_every=timedelta(seconds=30))
def _idle_watch() -> None:
    """Log off an idle browser even when nobody touches it (a fragment rerun is no activity).

    Text being typed reaches Casebook only when the box is left, so a counsellor writing
    one long section looks idle: before the log-off they are warned, and can stay.

    An account deactivated, or whose password was reset or changed, since this session
    logged in is logged off too: a page left open stayed on screen until someone touched it.
    """
    last, user = st.session_state.get(ACTIVE_KEY), current_user()
    if last is None or user is None:
        return
    limit = _idle_limit()
    idle = datetime.now() - last
    if idle > limit or not account_current(user):
        st.rerun(scope="app")  # the page's require_user logs off, saying why
    if warning := idle_warning(idle, limit):
        st.toast(warning + " Press **Stay logged in** on the left.", icon=":material/timer:")
        st.warning(warning, icon=":material/timer:")
        st.button("Stay logged in", key="stay", on_click=_stay, type="primary")


IDLE_GRACE = timedelta(minutes=1)  # the server's log-off comes first, when it can

# The server's idle watch cannot run while the server or the network is down, and the page
# would keep showing what it showed: this runs in the browser, and wipes the page once
# nobody has touched it for the idle limit and a minute. Installed once per browser tab; it
# does nothing while no page carries its marker (the login page carries none).
_BROWSER_GUARD = """<span data-casebook-idle-ms="%d" hidden></span><script>
(() => {
  if (window.casebookIdleGuard) return;
  window.casebookIdleGuard = true;
  let last = Date.now();
  const seen = () => { last = Date.now(); };
  for (const kind of ["keydown", "pointerdown", "wheel", "touchstart", "input"]) {
    window.addEventListener(kind, seen, { capture: true, passive: true });
  }
  setInterval(() => {
    const marker = document.querySelector("[data-casebook-idle-ms]");
    if (!marker) return seen();
    if (Date.now() - last < Number(marker.dataset.casebookIdleMs)) return;
    const note = document.createElement("main");
    note.style.cssText = "font-family: sans-serif; max-width: 36rem; margin: 15vh auto; "
      + "padding: 0 1rem; line-height: 1.5; color: #31333f";
    const heading = document.createElement("h1");
    heading.textContent = "Casebook hid this page";
    const text = document.createElement("p");
    text.textContent = "Nobody used it for a while, and Casebook could not log you off, "
      + "so the page was cleared to keep clients' records private. Reload the page to log "
      + "in again.";
    note.append(heading, text);
    document.title = "Casebook";
    document.body.replaceChildren(note);
  }, 10000);
})();
</script>"""


def _browser_guard(limit: timedelta) -> None:
    ms = (limit + IDLE_GRACE).total_seconds() * 1000
    st.html(_BROWSER_GUARD % ms, unsafe_allow_javascript=True)


def current_user() -> Actor | None:
    return st.session_state.get(USER_KEY)


def log_in(actor: Actor) -> None:
    st.session_state.pop(LOGGED_OUT_KEY, None)
    st.session_state[USER_KEY] = actor
    st.session_state[ACTIVE_KEY] = datetime.now()


def log_out(*, by_choice: bool = False) -> None:
    """End the session. Logged out by choice, the next login starts at the first page; by
    the idle limit, it comes back to this page."""
    st.session_state.clear()
    if by_choice:
        st.session_state[FRONT_KEY] = True


def require_user(*roles: str) -> Actor:
    """The logged-in user, with their name and a log-out button in the sidebar.

    With `roles`, a user of any other role is told plainly that this page is not theirs.

    The router shows no page but the login page to a visitor; this also stops a page that is
    run on its own (as AppTest does after a widget change) when nobody is logged in.
    """
    user = current_user()
    if user is None:
        if not st.session_state.get(ROUTED_KEY):
            # Run without the router: until a session has run it once, a new server serves
            # a page's address (a tab the browser restores) straight from pages/, as a blank
            # page under a list of this folder's files. The router starts again at the front,
            # then comes back to this address, so that the login leads to this page.
            path = urlparse(st.context.url or "").path
            st.session_state[WANTED_KEY] = (path.rsplit("/", 1)[-1], st.query_params.to_dict())
            with suppress(StreamlitAPIException):  # no router here to go to (AppTest)
                st.switch_page("streamlit_app.py")
        st.stop()
    _apply_resets()
    fresh = accounts.current_actor(database(), user)
    if fresh is None:
        log_out()
        st.session_state[LOGGED_OUT_KEY] = (
            "You were logged out: your account was deactivated or its password changed. "
            "Log in again, or ask your administrator."
        )
        st.rerun()
    if fresh != user:  # renamed, or a new role: the session goes on as the account now is
        st.session_state[USER_KEY] = user = fresh
    last = st.session_state.get(ACTIVE_KEY)
    now = datetime.now()
    limit = _idle_limit()
    if last is not None and now - last > limit:
        minutes = int(limit.total_seconds() // 60)
        log_out()
        st.session_state[LOGGED_OUT_KEY] = (
            f"You were logged out after {minutes} minute{'s' if minutes > 1 else ''} "
            "without activity."
        )
        st.rerun()
    st.session_state[ACTIVE_KEY] = now
    with st.sidebar:
        st.caption(f"Signed in as **{md(user.display_name)}** · {user.role}")
        if st.button("Log out", icon=":material/logout:", key="logout"):
            log_out(by_choice=True)
            st.rerun()
        _idle_watch()
        _browser_guard(limit)
    if roles and user.role not in roles:
        st.error("Your account cannot open this page.", icon=":material/block:")
        st.stop()
    if user.role == "admin" and (problem := DAILY.problem):
        st.warning(problem, icon=":material/backup:")
    return user


def account_current(user: Actor) -> bool:
    """Whether the account behind this session may still act. For a widget's callback: it
    runs before the page, and so before require_user ends the session of an account
    deactivated, or whose password was reset or changed, since it logged in."""
    return accounts.current_actor(database(), user) is not None


def owns_case(user: Actor, case: Any) -> bool:
    """Whether the user is the case's own counsellor, the one who may change it."""
    return user.role == "counsellor" and case.counsellor_id == user.id


def may_change(user: Actor, case: Any) -> bool:
    """Whether the user may change this case's records: its own counsellor, while the case
    is not archived (says so when it is: an archived case is read-only until restored)."""
    if case.status == "archived":
        st.info(
            "This case is archived: restore it from its case page to change anything.",
            icon=":material/lock:",
        )
        return False
    return owns_case(user, case)


@contextmanager
def plain_errors() -> Iterator[None]:
    """Show a domain error as one plain sentence instead of a stack trace."""
    try:
        yield
    except CasebookError as exc:
        st.error(md(str(exc)), icon=":material/error:")


def attempt(action: Callable[[], Any]) -> Any | None:
    """Run an action; on a domain error show it plainly and return None."""
    try:
        return action()
    except CasebookError as exc:
        st.error(md(str(exc)), icon=":material/error:")
        return None


def stage_label(number: int) -> str:
    return stage(number).label


def flash(message: str) -> None:
    """A success message that survives the rerun after a save."""
    st.session_state["casebook_flash"] = message


RESET_KEY = "casebook_reset_widgets"


def reset_widgets(values: dict[str, Any]) -> None:
    """Give these widgets these values on the next run, as on a fresh form (after a save, so
    that a second click does not save the same thing twice). Removing a widget's key would
    not do: the browser keeps showing, and sends back, what was typed."""
    st.session_state.setdefault(RESET_KEY, {}).update(values)


def _apply_resets() -> None:
    # Before any widget of the run exists: a value set now reaches the browser.
    for key, value in st.session_state.pop(RESET_KEY, {}).items():
        st.session_state[key] = value


def saved(version_key: str, message: str, *, redraw: Iterable[str] = ()) -> None:
    """After a change: forget the version the page edited, say what happened, show it fresh.

    `redraw` names the session keys of the versions that forms were drawn from, where a
    page keys each form apart: those forms are drawn afresh from the record.
    """
    for key in (version_key, *redraw):
        st.session_state.pop(key, None)
    flash(message)
    st.rerun()


def show_flash() -> None:
    message = st.session_state.pop("casebook_flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")  # callers escape user text


def moment(at: datetime, fmt: str = "%d %b %Y %H:%M") -> str:
    """A moment stored in UTC (signed, saved, added) on the clock of the browser, with its
    zone's name; in UTC where the browser does not say its zone. The server's own clock is
    neither: a counsellor read a draft saved an hour before it was, or after."""
    zone: Any = UTC
    with suppress(ZoneInfoNotFoundError, ValueError, TypeError):
        zone = ZoneInfo(st.context.timezone)  # type: ignore[arg-type]
    local = at.replace(tzinfo=UTC).astimezone(zone)
    return f"{local:{fmt}} {local:%Z}"


_MARKDOWN_SPECIALS = "\\`*_{}[]<>()#+-.!|~$:"


def md(text: str | None) -> str:
    """User text made safe to embed in Markdown: it shows exactly as typed."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in (text or ""))


def accessible_name(text: str | None) -> str:
    """User text as a widget's label that is hidden (label_visibility="collapsed") and read
    out as typed: screen readers get the label raw, so md() would have them read its
    backslashes. Streamlit still draws a hidden label's Markdown, where an image would be
    fetched from its address, so "![" alone is escaped; show the text with md() instead."""
    return (text or "").replace("![", "!\\[")


def query_id(name: str, *, title: str, hint: str) -> int:
    """The record number in the URL's `name` parameter; otherwise a hint, and the page stops."""
    number = validation.record_number(st.query_params.get(name, ""))
    if number is None:
        st.title(title)
        st.info(hint, icon=":material/info:")
        st.stop()
    return number


def stale_banner(
    expected: object,
    actual: object,
    *,
    what: str,
    key: str,
    forget: Callable[[str], bool],
    typed: Iterable[str] = (),
) -> None:
    """Say that the record changed elsewhere; offer to reload, forgetting the typed values
    whose session keys `forget` picks (the version read first among them).

    The text typed into the widgets keyed `typed` is shown to copy: the change elsewhere
    (a case archived, a worksheet reviewed) may have taken away the form that held it.
    """
    if expected == actual:
        return
    st.warning(
        f"This {what} was changed in another tab or by someone else since you opened it. "
        "Copy anything you typed, then reload to see the latest version.",
        icon=":material/sync_problem:",
    )
    show_unsaved(st.session_state.get(k) for k in typed)
    if st.button("Reload the latest version", key=key):
        for name in [k for k in st.session_state if forget(str(k))]:
            del st.session_state[name]
        st.rerun()


def drawn(shown_key: str, record: Any, widget: Callable[[int], str]) -> tuple[int, Any]:
    """For a form whose save is refused over a change made elsewhere since it was drawn: the
    generation its widgets are keyed by, and the record as they were drawn from it (kept under
    `shown_key`). A new generation starts, drawn afresh from `record`, once `shown_key` is
    forgotten (a save, a reload) or the form's widget `widget(generation)` is gone (the page
    was left): with the same keys the browser would go on showing, and sending back, what was
    typed before."""
    generation_key = f"{shown_key}_generation"
    if (
        shown_key not in st.session_state
        or widget(st.session_state.get(generation_key, -1)) not in st.session_state
    ):
        st.session_state[generation_key] = st.session_state.get(generation_key, -1) + 1
        st.session_state[shown_key] = record
    return st.session_state[generation_key], st.session_state[shown_key]


def show_unsaved(values: Iterable[object]) -> None:
    """Text the user typed that was not saved, each piece with a copy button (blanks and
    anything but text are left out)."""
    unsaved = [v for v in values if isinstance(v, str) and v.strip()]
    if unsaved:
        with st.expander(f"What you typed and has not been saved ({len(unsaved)})"):
            for text in unsaved:
                st.code(text, language=None, wrap_lines=True)


def choice(
    where: Any, label: str, options: Sequence[Any], *, format_func: Callable[[Any], str], **kw: Any
) -> Any:
    """`where.selectbox` over options that hold None (any stage, any status, no note). The
    browser draws a chosen None as a cleared box, "Choose an option" with a button to clear
    it; here "" stands in for None, so "Any stage" reads "Any stage" after every rerun."""
    picked = where.selectbox(
        label,
        ["" if o is None else o for o in options],
        format_func=lambda o: format_func(None if o == "" else o),
        **kw,
    )
    return None if picked == "" else picked


def confirmed(key: str, label: str, question: str, *, yes: str, **button: Any) -> bool:
    """A button that asks before it acts: True on the run where the user says yes."""
    asking = f"{key}_asking"
    if st.button(label, key=key, **button):
        st.session_state[asking] = True
    if not st.session_state.get(asking):
        return False
    st.warning(question, icon=":material/help:")
    row = st.container(horizontal=True)  # each at its own width: in a narrow column too
    if row.button(yes, type="primary", key=f"{key}_yes"):
        del st.session_state[asking]
        return True
    if row.button("Cancel", key=f"{key}_no"):
        del st.session_state[asking]
        st.rerun()
    return False


def paragraphs(text: str) -> None:
    """Prose from a data file, shown paragraph by paragraph as typed (no Markdown)."""
    for block in templates.paragraphs(text):
        st.markdown(md(block))


STEP = 25  # rows a long list shows at first, and adds with each "Show more"


def shown_count(key: str) -> int:
    """How many rows of the long list `key` to show: STEP, more after each "Show more"."""
    return int(st.session_state.get(key, STEP))


def show_more(key: str, total: int) -> None:
    """Under the long list `key` of `total` rows: a button that shows STEP more."""
    shown = shown_count(key)
    if total > shown:
        more = min(STEP, total - shown)
        if st.button(f"Show {more} more of {total - shown:,}", key=f"{key}_more"):
            st.session_state[key] = shown + STEP
            st.rerun()
