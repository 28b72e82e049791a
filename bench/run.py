"""Benchmarks at practice scale: pages, handouts, analysis, memory and cold start.

    python -m bench.run [--scale 0.1] [--seed 1] [--runs 5] [--rebuild] [--no-browser]

Builds (or reuses) a generated practice and the demo practice in a cache folder under the
system temp dir, measures each row against its baseline in the same run, and prints a
Markdown table. See bench/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from analysis import attention as attention_analysis
from analysis import homework_stats, timeline
from analysis import progress as score_frames
from casebook import accounts, attention, documents, measures, practice, stage_history
from casebook.access import Actor
from casebook.db import Database
from casebook.models import Assignment, Case, Client, MeasureScore, SessionNote
from casebook.models import WorksheetTemplate as TemplateRow
from casebook.settings import Settings
from handouts.document import Letterhead, Part, render_all, render_part
from handouts.fonts import HandoutFonts, handout_fonts
from handouts.progress import ProgressReport, progress_report
from handouts.worksheet import HOW_TO, worksheet_part
from sample_data import demo as demo_module
from sample_data import generate as generate_module
from sample_data.demo import DEMO_PASSWORD, load_demo
from sample_data.generate import GENERATED_PASSWORD, generate
from worksheets.stages import stage, stages
from worksheets.templates import Template, paragraphs, parse_template_text

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "streamlit_app.py"
CACHE = Path(tempfile.gettempdir()) / "casebook-bench"
CHROMIUM = os.environ.get("CASEBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MARKER = "practice.json"
BATCH_SIZE = 100
SERVER_START_S = 180
PAGE_TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    what: str
    measured: str
    compared: str
    ratio: float | None
    target: str
    met: bool | None


@dataclass(frozen=True)
class Practice:
    """A practice folder with its database open, and whom to act as."""

    name: str
    home: Path
    db: Database
    counsellor: Actor
    supervisor: Actor
    password: str
    case_id: int  # one of the counsellor's open couple cases, the one with most notes


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def ratio_row(
    what: str, large: list[float], base: list[float], limit: float, unit: Callable = ms
) -> Row:
    """A row judged on the ratio of medians, measured / compared, against `limit`."""
    r = median(large) / median(base)
    return Row(what, unit(median(large)), unit(median(base)), r, f"ratio ≤ {limit:g}", r <= limit)


def report_row(what: str, large: list[float], base: list[float], unit: Callable = ms) -> Row:
    """A ratio of medians to report, with no target."""
    r = median(large) / median(base)
    return Row(what, unit(median(large)), unit(median(base)), r, "report", None)


def absolute_row(what: str, values: list[float], limit_s: float, compared: str = "") -> Row:
    """A row judged on the median alone, against `limit_s` seconds."""
    m = median(values)
    return Row(what, ms(m), compared or "—", None, f"≤ {ms(limit_s)}", m <= limit_s)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- the practices --------------------------------------------------------------------------


def _settings(home: Path) -> Settings:
    return Settings(home, f"sqlite:///{home / 'casebook.db'}")


def _build(
    home: Path, fill: Callable[[Database], dict[str, int] | None], rebuild: bool, made_by: Path
) -> dict:
    """The practice in `home`, made by `fill`, unless one made by the same `made_by` source
    is cached there already."""
    marker = home / MARKER
    source = hashlib.sha256(made_by.read_bytes()).hexdigest()[:16]
    if marker.exists() and not rebuild:
        cached = json.loads(marker.read_text())
        if cached.get("source") == source:
            return cached | {"reused": True}
        log(f"{made_by.name} changed since {home.name} was made: making it again")
    shutil.rmtree(home, ignore_errors=True)  # Database.open makes it again, owner-only
    db = Database.open(_settings(home))
    try:
        started = time.perf_counter()
        counts = fill(db) or {}
        took = time.perf_counter() - started
    finally:
        db.dispose()
    made = {
        "counts": counts,
        "seconds": took,
        "made_on": date.today().isoformat(),
        "source": source,
    }
    marker.write_text(json.dumps(made))
    return made | {"reused": False}


def _busiest_couple_case(db: Database, counsellor: Actor) -> int:
    couples = select(Client.case_id).group_by(Client.case_id).having(func.count() == 2)
    with db.read() as s:
        return s.scalar(
            select(Case.id)
            .join(SessionNote, SessionNote.case_id == Case.id)
            .where(Case.counsellor_id == counsellor.id, Case.closed_on.is_(None))
            .where(Case.archived_at.is_(None), Case.id.in_(couples))
            .group_by(Case.id)
            .order_by(func.count().desc(), Case.id)
            .limit(1)
        )


def open_practice(name: str, home: Path, counsellor: str, password: str) -> Practice:
    db = Database.open(_settings(home))
    c = accounts.authenticate(db, counsellor, password)
    casey = accounts.authenticate(db, "casey", password)
    return Practice(name, home, db, c, casey, password, _busiest_couple_case(db, c))


# --- pages through AppTest ------------------------------------------------------------------


@contextmanager
def app_home(home: Path) -> Iterator[None]:
    """Point the app (pages/common.database) at a practice folder."""
    before = os.environ.get("CASEBOOK_HOME")
    os.environ["CASEBOOK_HOME"] = str(home)
    os.environ.pop("CASEBOOK_DATABASE_URL", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CASEBOOK_HOME", None)
        else:
            os.environ["CASEBOOK_HOME"] = before


def _landed(p: Practice, actor: Actor):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from pages.common import USER_KEY

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state[USER_KEY] = actor
    at.run()
    _check(at)
    return at


def _check(at) -> None:  # type: ignore[no-untyped-def]
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].value}")


def page_render(p: Practice, actor: Actor, page: str, query: dict[str, Any]) -> float:
    """Seconds for one render of `page` in a fresh logged-in session (after landing), read
    afresh: nothing kept from earlier renders, as on the first view after anyone's write."""
    from pages.common import forget_kept

    with app_home(p.home):
        at = _landed(p, actor)
        at.switch_page(page)
        at.query_params.update({k: str(v) for k, v in query.items()})
        forget_kept()
        took = timed(at.run)
        _check(at)
    return took


def paired(
    runs: int, measure: Callable[[Practice], float], large: Practice, base: Practice
) -> tuple[list[float], list[float]]:
    """Alternate large and baseline measurements (after one warm-up of each)."""
    measure(base)
    measure(large)
    big, small = [], []
    for _ in range(runs):
        small.append(measure(base))
        big.append(measure(large))
    return big, small


PAGES = (
    ("dashboard (counsellor)", "pages/dashboard.py", "counsellor", False),
    ("case page (counsellor)", "pages/case.py", "counsellor", True),
    ("client progress page (counsellor)", "pages/progress.py", "counsellor", True),
    ("practice view (supervisor)", "pages/practice.py", "supervisor", False),
    ("dashboard (supervisor), beyond the brief", "pages/dashboard.py", "supervisor", False),
)


def page_rows(large: Practice, base: Practice, runs: int) -> list[Row]:
    rows = []
    for label, page, who, with_case in PAGES:
        log(f"page: {label}")

        def render(p: Practice, page: str = page, who: str = who, with_case: bool = with_case):
            actor = p.counsellor if who == "counsellor" else p.supervisor
            return page_render(p, actor, page, {"case": p.case_id} if with_case else {})

        big, small = paired(runs, render, large, base)
        rows.append(ratio_row(f"{label}: AppTest render", big, small, 1.5))
    return rows


SEARCHES = ("a", "e", "an", "o", "in", "ar", "el", "i", "u", "on", "er", "ma")


def search_rerun_seconds(p: Practice, actor: Actor, runs: int) -> list[float]:
    """Seconds of each rerun after typing into the case list's search box (first is warm-up)."""
    with app_home(p.home):
        at = _landed(p, actor)
        at.switch_page("pages/cases.py")
        at.run()
        _check(at)
        took = []
        for i in range(runs + 1):
            box = at.text_input(key="cases_search")
            box.input(SEARCHES[i % len(SEARCHES)])
            took.append(timed(at.run))
            _check(at)
    return took[1:]


def rerun_rows(large: Practice, base: Practice, runs: int) -> list[Row]:
    rows = []
    for who in ("counsellor", "supervisor"):
        log(f"rerun: case list search as {who}")
        actor = large.counsellor if who == "counsellor" else large.supervisor
        big = search_rerun_seconds(large, actor, runs)
        small_actor = base.counsellor if who == "counsellor" else base.supervisor
        small = search_rerun_seconds(base, small_actor, runs)
        rows.append(
            absolute_row(
                f"case list rerun after typing a search ({who})",
                big,
                0.25,
                compared=f"{ms(median(small))} (demo)",
            )
        )
    return rows


# --- handouts -------------------------------------------------------------------------------


def _bare_pdf(lines: list[tuple[str, str]], fonts: HandoutFonts | None = None) -> bytes:
    """The same text in a bare reportlab SimpleDocTemplate: (style name, text) per line; in
    reportlab's Helvetica, or with `fonts` in the handouts' embedded typeface."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    sheet = getSampleStyleSheet()
    if fonts is not None:
        for name in {s for s, _t in lines}:
            style = sheet[name]
            style.fontName = fonts.bold if "Bold" in style.fontName else fonts.regular
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4)
    doc.build([Paragraph(escape(t).replace("\n", "<br/>"), sheet[s]) for s, t in lines if t])
    return out.getvalue()


@dataclass(frozen=True)
class WorksheetJob:
    template: Template
    letterhead: Letterhead
    assignment_id: int
    stage_intro: str
    due_on: date
    instructions: str

    def pdf(self) -> bytes:
        return render_part(self.part())

    def part(self) -> Part:
        return worksheet_part(
            self.template,
            self.letterhead,
            assignment_id=self.assignment_id,
            stage_intro=self.stage_intro,
            due_on=self.due_on,
            instructions=self.instructions,
        )

    def bare(self, fonts: HandoutFonts | None = None) -> bytes:
        lh = self.letterhead
        lines = [
            ("Title", self.template.title),
            ("Heading2", lh.client_name),
            ("Normal", f"{lh.practice_name} · with {lh.counsellor} · {lh.on:%d %b %Y}"),
            ("Normal", f"Please complete by {self.due_on:%d %b %Y}"),
            ("Normal", HOW_TO),
            ("Heading3", "About this stage"),
            ("Normal", self.stage_intro),
            ("Heading3", "About this worksheet"),
            ("Normal", "\n\n".join(paragraphs(self.template.intro))),
            ("Heading3", f"A note from {lh.counsellor}"),
            ("Normal", self.instructions),
        ]
        for n, f in enumerate(self.template.fields, start=1):
            lines += [("Heading4", f"{n}. {f.prompt}"), ("Normal", f.help)]
            lines += [("Normal", "  ·  ".join(f.options))]
            lines += [("Normal", c.prompt) for c in f.columns]
        lines.append(("Normal", f"{lh.footer} · Page 1 of 1"))
        return _bare_pdf(lines, fonts)


def worksheet_jobs(p: Practice, n: int) -> list[WorksheetJob]:
    """Up to `n` open assignments of the practice's counsellor, ready to print."""
    settings = practice.load(p.db)
    with p.db.read() as s:
        rows = s.execute(
            select(Assignment, Client.name, TemplateRow)
            .join(Client, Client.id == Assignment.client_id)
            .join(Case, Case.id == Client.case_id)
            .join(TemplateRow, TemplateRow.id == Assignment.template_id)
            .where(Case.counsellor_id == p.counsellor.id)
            .where(Assignment.status.in_(("assigned", "in_progress")))
            .order_by(Assignment.instructions == "", Assignment.id.desc())
            .limit(n)
        ).all()
        parsed: dict[int, Template] = {}
        jobs = []
        for a, client_name, t in rows:
            if t.id not in parsed:
                parsed[t.id] = parse_template_text(t.source, f"{t.key} v{t.version}")
            letterhead = Letterhead(
                settings.practice_name,
                p.counsellor.display_name,
                client_name,
                date.today(),
                settings.crisis_line or "If you are in danger, call 999",
            )
            jobs.append(
                WorksheetJob(
                    parsed[t.id], letterhead, a.id, stage(t.stage).summary, a.due_on, a.instructions
                )
            )
    return jobs


def progress_job(p: Practice) -> tuple[ProgressReport, Letterhead]:
    """The progress report of the practice's chosen case, built as documents.progress does."""
    return documents.progress_report_data(
        p.db,
        p.counsellor,
        p.case_id,
        "Both of you have kept up the weekly check-ins and the trust plan. "
        "Scores are rising; the next step is the rekindling plan.",
    )


def _progress_bare(report: ProgressReport, lh: Letterhead) -> bytes:
    lines = [
        ("Title", "Progress report"),
        ("Heading2", lh.client_name),
        ("Normal", f"{lh.practice_name} · with {lh.counsellor} · {lh.on:%d %b %Y}"),
        ("Heading3", "Summary"),
        ("Normal", report.summary),
        ("Heading3", "Stages of the guide"),
    ]
    for c in report.clients:
        on, number = max(c.stage_steps)
        lines.append(("Normal", f"{c.name}: now at stage {number}, since {on:%d %b %Y}."))
        lines += [
            ("Normal", f"{d:%d %b %Y}: {report.stage_names[s - 1]}") for d, s in c.stage_steps
        ]
    for m in report.measures:
        lines.append(("Heading3", m.name))
        for c, scores in zip(report.clients, m.scores, strict=True):
            lines += [("Normal", f"{c.name} · {d:%d %b %Y} · {t:g}") for d, t in scores]
    lines.append(("Heading3", "Homework"))
    lines += [("Normal", " · ".join(str(v) for v in vars(h).values())) for h in report.homework]
    lines.append(("Normal", f"{lh.footer} · Page 1 of 1"))
    return _bare_pdf(lines)


def handout_rows(large: Practice, runs: int) -> list[Row]:
    log("handouts")
    jobs = worksheet_jobs(large, BATCH_SIZE)
    if not jobs:
        return [Row("handouts", "no open assignments", "—", None, "—", None)]
    one = jobs[0]
    report, letterhead = progress_job(large)
    fonts = handout_fonts()
    one.pdf(), one.bare(), one.bare(fonts)
    progress_report(report, letterhead), _progress_bare(report, letterhead)
    sheet, sheet_bare, sheet_bare_font, prog, prog_bare = [], [], [], [], []
    for _ in range(runs):
        sheet_bare.append(timed(one.bare))
        sheet_bare_font.append(timed(lambda: one.bare(fonts)))
        sheet.append(timed(one.pdf))
        prog_bare.append(timed(lambda: _progress_bare(report, letterhead)))
        prog.append(timed(lambda: progress_report(report, letterhead)))
    rows = [
        ratio_row("one worksheet handout vs bare SimpleDocTemplate", sheet, sheet_bare, 1.5),
        report_row(
            "the same bare document in the handouts' embedded font (DejaVu Sans) vs Helvetica",
            sheet_bare_font,
            sheet_bare,
        ),
        report_row(
            "one worksheet handout vs the bare document in its embedded font",
            sheet,
            sheet_bare_font,
        ),
        ratio_row("one progress report vs bare SimpleDocTemplate", prog, prog_bare, 1.5),
    ]
    log(f"handouts: batch of {len(jobs)}")
    one_by_one, together = [], []
    for _ in range(runs):
        one_by_one.append(timed(lambda: [job.pdf() for job in jobs]))
        together.append(
            timed(lambda: render_all([job.part() for job in jobs], title=documents.BATCH_TITLE))
        )
    n = len(jobs)
    rows.append(
        ratio_row(
            f"batch of {n} worksheet handouts in one PDF vs {n} × one",
            together,
            one_by_one,
            1.0,
            unit=_s,
        )
    )
    return rows


def _s(seconds: float) -> str:
    return f"{seconds:,.2f} s"


# --- analysis -------------------------------------------------------------------------------


def analysis_frames(p: Practice) -> dict[str, Any]:
    """The whole practice's data as the analysis functions take it (the supervisor's view)."""
    moves = pd.DataFrame(stage_history.all_moves(p.db, p.supervisor), columns=timeline.MOVE_COLUMNS)
    with p.db.read() as s:
        work = pd.DataFrame(
            s.execute(
                select(
                    Assignment.client_id,
                    TemplateRow.stage,
                    Assignment.due_on,
                    Assignment.completed_on,
                    Assignment.status,
                ).join(TemplateRow, TemplateRow.id == Assignment.template_id)
            ).all(),
            columns=homework_stats.ASSIGNMENT_COLUMNS,
        )
        scores = pd.DataFrame(
            s.execute(
                select(MeasureScore.client_id, MeasureScore.scored_on, MeasureScore.total)
            ).all(),
            columns=score_frames.SCORE_COLUMNS,
        )
    measure = next(d for d in measures.current_measures(p.db).values() if d.key == "csi4").measure
    captured: dict[str, Any] = {}
    original = attention.attention_list

    def capture(**frames: Any) -> pd.DataFrame:
        captured.update(frames)
        return original(**frames)

    attention.attention_list = capture  # type: ignore[assignment]
    try:
        attention.for_actor(p.db, p.supervisor)
    finally:
        attention.attention_list = original  # type: ignore[assignment]
    return {"moves": moves, "work": work, "scores": scores, "measure": measure, "attn": captured}


def analysis_rows(large: Practice, runs: int) -> list[Row]:
    log("analysis")
    f = analysis_frames(large)
    today = date.today()

    def completion(work: pd.DataFrame) -> pd.DataFrame:
        return homework_stats.completion(work, today, by="client_id")

    sizes = {
        "moves": len(f["moves"]),
        "work": len(f["work"]),
        "scores": len(f["scores"]),
        "attn": sum(len(v) for v in f["attn"].values() if isinstance(v, pd.DataFrame)),
    }
    jobs = {
        f"stage_timeline ({sizes['moves']:,} moves)": lambda: timeline.stage_timeline(
            f["moves"], today
        ),
        f"funnel_at, a year ago ({sizes['moves']:,} moves)": lambda: timeline.funnel_at(
            f["moves"], today - timedelta(days=365), len(stages())
        ),
        f"completion by client ({sizes['work']:,} assignments)": lambda: completion(f["work"]),
        f"progress, CSI-4 ({sizes['scores']:,} scores)": lambda: score_frames.progress(
            f["scores"], f["measure"]
        ),
        f"attention_list, whole practice ({sizes['attn']:,} input rows)": lambda: (
            attention_analysis.attention_list(**f["attn"])
        ),
    }
    rows = []
    for label, job in jobs.items():
        job()  # a warm-up
        rows.append(absolute_row(label, [timed(job) for _ in range(runs)], 0.2))
    return rows


# --- the app in a browser -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited early with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling a server that is starting
    raise RuntimeError("the server did not become healthy in time")


def _process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += parents.get(current, [])
    return tree


def peak_rss_mb(pid: int) -> list[tuple[str, float]]:
    """(command, VmHWM in MB) of a process and each of its descendants: their peak memory."""
    peaks = []
    for each in _process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text().splitlines()
            argv = Path(f"/proc/{each}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = " ".join(Path(a.decode()).name for a in argv[:3] if a)
        for line in status:
            if line.startswith("VmHWM:"):
                peaks.append((name, int(line.split()[1]) / 1024))
    return peaks


@contextmanager
def serving(cmd: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen]:
    """A server process (in its own process group), stopped on the way out."""
    server = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield server
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def _idle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector(
        "[data-test-script-state='notRunning']", state="attached", timeout=PAGE_TIMEOUT_MS
    )


@dataclass(frozen=True)
class Start:
    """One cold start: seconds to each milestone, and the server's peak memory."""

    healthy: float  # /_stcore/health answers
    login_form: float  # the login form is on screen
    done: float  # the page asked for is rendered and the script idle
    peaks: list[tuple[str, float]]


def app_start(browser, p: Practice) -> Start:  # type: ignore[no-untyped-def]
    """From launching `casebook run` to a logged-in, fully rendered dashboard."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CASEBOOK_HOME": str(p.home)}
    env.pop("CASEBOOK_DATABASE_URL", None)
    command = [str(Path(sys.executable).with_name("casebook")), "run", "--port", str(port)]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        started = time.perf_counter()
        with serving(command, env, ROOT) as server:
            _healthy(url, server, time.monotonic() + SERVER_START_S)
            healthy = time.perf_counter() - started
            page.goto(url)
            page.get_by_label("User name").fill(p.counsellor.username)
            login_form = time.perf_counter() - started
            page.get_by_label("Password", exact=True).fill(p.password)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Recent stage changes").wait_for()
            _idle(page)
            done = time.perf_counter() - started
            peaks = peak_rss_mb(server.pid)
    finally:
        page.close()
    return Start(healthy, login_form, done, peaks)


BARE_APP = 'import streamlit as st\n\nst.write("A bare Streamlit page.")\n'


def bare_start(browser, folder: Path) -> Start:  # type: ignore[no-untyped-def]
    """From launching a one-line Streamlit app to its text in the browser."""
    script = folder / "bare_app.py"
    script.write_text(BARE_APP)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        started = time.perf_counter()
        with serving(command, dict(os.environ), folder) as server:
            _healthy(url, server, time.monotonic() + SERVER_START_S)
            healthy = time.perf_counter() - started
            page.goto(url)
            page.get_by_text("A bare Streamlit page.").wait_for()
            _idle(page)
            done = time.perf_counter() - started
            peaks = peak_rss_mb(server.pid)
    finally:
        page.close()
    return Start(healthy, done, done, peaks)


def browser_rows(large: Practice, base: Practice, runs: int) -> list[Row]:
    if not Path(CHROMIUM).exists():
        line = f"skipped: no Chromium at {CHROMIUM} (install Debian's 'chromium' package)"
        return [Row("browser rows (peak memory, cold start)", line, "—", None, "—", None)]
    from playwright.sync_api import sync_playwright

    log("browser: cold starts and peak memory")
    big: list[Start] = []
    demo: list[Start] = []
    bare: list[Start] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(runs):
                log(f"browser run {i + 1} of {runs}")
                big.append(app_start(browser, large))
                demo.append(app_start(browser, base))
                bare.append(bare_start(browser, CACHE))
        finally:
            browser.close()
    totals = [_total(s.peaks) for s in big]
    mb = median(totals)
    typical = big[totals.index(sorted(totals)[(len(totals) - 1) // 2])].peaks
    parts = " + ".join(f"{name} {peak:,.0f}" for name, peak in typical)
    demo_mb = median([_total(s.peaks) for s in demo])
    bare_mb = median([_total(s.peaks) for s in bare])
    phases = (
        f"health {_s(median([s.healthy for s in big]))}, login form "
        f"{_s(median([s.login_form for s in big]))}; bare health "
        f"{_s(median([s.healthy for s in bare]))}; "
        f"demo practice {_s(median([s.done for s in demo]))}"
    )
    return [
        Row(
            f"peak RSS (VmHWM) of `casebook run` and its children, dashboard open: {parts} MB",
            f"{mb:,.0f} MB",
            f"{demo_mb:,.0f} MB (demo); bare Streamlit {bare_mb:,.0f} MB",
            mb / demo_mb,
            "≤ 400 MB",
            mb <= 400,
        ),
        report_row(
            f"cold start to a logged-in dashboard in Chromium vs a bare Streamlit page ({phases})",
            [s.done for s in big],
            [s.done for s in bare],
            unit=_s,
        ),
    ]


def _total(peaks: list[tuple[str, float]]) -> float:
    return sum(peak for _, peak in peaks)


# --- the report -----------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {cores} · {model} · Python {platform.python_version()} · "
        f"load average {load} (at the end)"
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| what | measured (median) | compared with (median) | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        lines.append(f"| {r.what} | {r.measured} | {r.compared} | {ratio} | {r.target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the practices, measure every row, print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true", help="generate the practices afresh")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium rows")
    args = parser.parse_args(argv)
    # AppTest runs pages outside a server; Streamlit warns about that on every call.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage()
    )
    if args.runs < 1 or not args.scale > 0:
        parser.error("--runs must be 1 or more and --scale more than 0")

    large_home = CACHE / f"scale-{args.scale:g}-seed-{args.seed}"
    log(f"generated practice in {large_home}")
    made = _build(
        large_home,
        lambda db: generate(db, scale=args.scale, seed=args.seed),
        args.rebuild,
        Path(generate_module.__file__),
    )
    demo = _build(CACHE / "demo", load_demo, args.rebuild, Path(demo_module.__file__))
    how = "reused, generated" if made["reused"] else "generated"
    large = open_practice("large", large_home, "c01", GENERATED_PASSWORD)
    base = open_practice("demo", CACHE / "demo", "morgan", DEMO_PASSWORD)
    rows: list[Row] = []
    try:
        rows += page_rows(large, base, args.runs)
        rows += rerun_rows(large, base, args.runs)
        rows += handout_rows(large, args.runs)
        rows += analysis_rows(large, args.runs)
        if args.no_browser:
            rows.append(Row("browser rows", "skipped (--no-browser)", "—", None, "—", None))
        else:
            rows += browser_rows(large, base, args.runs)
    finally:
        large.db.dispose()
        base.db.dispose()

    counts = ", ".join(f"{k} {v:,}" for k, v in made["counts"].items())
    print(f"## Casebook benchmarks: scale {args.scale:g}, seed {args.seed}, {args.runs} runs\n")
    print(f"Large practice ({how} on {made['made_on']} in {made['seconds']:.1f} s): {counts}.")
    print(f"Demo practice: {'reused' if demo['reused'] else 'loaded'}, {demo['seconds']:.1f} s.")
    print(f"Case pages: large #{large.case_id} (c01), demo #{base.case_id} (morgan).\n")
    print(table(rows))
    print(f"\nMachine: {machine()}")
    missed = [r.what for r in rows if r.met is False]
    print(f"\nMissed targets: {len(missed)}" + (": " + "; ".join(missed) if missed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
