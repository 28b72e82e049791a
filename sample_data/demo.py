"""The demo practice: loaded through the same repositories the app uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from casebook import accounts, cases, homework, library, measures, notes, safety, stage_history
from casebook.access import Actor
from casebook.cases import ClientInput
from casebook.db import Database

DEMO_PASSWORD = "rekindle-demo"
DEMO_USERS = (
    ("morgan", "Morgan Ellis", "counsellor"),
    ("riley", "Riley Chen", "counsellor"),
    ("casey", "Casey Okafor", "supervisor"),
    ("admin", "Practice Admin", "admin"),
)


@dataclass(frozen=True)
class DemoCase:
    counsellor: str
    clients: tuple[ClientInput, ...]
    opened_days_ago: int
    concern: str
    # Each client's moves after opening at stage 1: (days ago, stage, reason).
    moves: tuple[tuple[tuple[int, int, str], ...], ...]
    close: tuple[int, str, str] | None = None  # (days ago, outcome, note)
    archived: bool = False


def _c(name: str, pronouns: str, email: str = "", phone: str = "") -> ClientInput:
    return ClientInput(name, pronouns, email, phone)


DEMO_CASES = (
    DemoCase(
        "morgan",
        (_c("Jordan Reyes", "he/him", "jordan.reyes@example.org"), _c("Alex Reyes", "they/them")),
        150,
        "Separated four months ago after repeated arguments about money; both want to try again.",
        (
            (
                (120, 2, "Agreed to a month without discussing the relationship"),
                (90, 3, "Working on anger when finances come up"),
                (55, 4, "Ready for casual contact"),
                (20, 5, "Started talking about the money arguments"),
            ),
            (
                (118, 2, "Needs time before any contact"),
                (80, 3, "Joined a running club; evening course"),
                (40, 4, "Open to short messages"),
                (12, 5, "Wants to discuss what went wrong"),
            ),
        ),
    ),
    DemoCase(
        "morgan",
        (_c("Priya Nair", "she/her", "", "+44 20 7946 0123"),),
        60,
        "Ended a six-year relationship; unsure whether she wants it back or fears being alone.",
        (
            (
                (45, 2, "Reflection shows mixed motives; taking time"),
                (10, 1, "Back to reflection after a nostalgic relapse"),
            ),
        ),
    ),
    DemoCase(
        "morgan",
        (_c("Sam O'Connor", "he/him"), _c("Taylor O'Connor", "she/her")),
        200,
        "Trust broken by a hidden debt; rebuilding with a transparency agreement.",
        (
            (
                (170, 3, "Budgeting course"),
                (130, 4, "Weekly calls"),
                (95, 5, "Apology given"),
                (50, 6, "Shared finances visible to both"),
                (8, 7, "Planning time together"),
            ),
            (
                (168, 2, "Needed space"),
                (140, 3, "Therapy for anxiety"),
                (100, 5, "Named the hurt"),
                (45, 6, "Check-ins every Sunday"),
            ),
        ),
    ),
    DemoCase(
        "morgan",
        (_c("Mei Lin", "she/her", "mei.lin@example.org"),),
        30,
        "Recent breakup after partner moved abroad for work.",
        (((25, 2, "No contact for now, by agreement"),),),
    ),
    DemoCase(
        "morgan",
        (_c("Dmitri Volkov", "he/him"), _c("Elena Volkova", "she/her")),
        240,
        "Long-distance strain; reconnected and now working on romance and routine.",
        (
            ((210, 3, ""), (180, 4, ""), (150, 5, ""), (120, 6, ""), (70, 7, "")),
            ((205, 3, ""), (175, 4, ""), (145, 5, ""), (115, 6, ""), (65, 7, "")),
        ),
        close=(
            14,
            "reconciled",
            "Both report steady satisfaction; agreed to a check-in in three months.",
        ),
    ),
    DemoCase(
        "morgan",
        (_c("Chris Walker", "he/him"),),
        100,
        "Anger in arguments ended the relationship; individual work first.",
        (
            (
                (80, 3, "Anger-management group"),
                (26, 8, "Referred for individual therapy alongside"),
            ),
        ),
    ),
    DemoCase(
        "morgan",
        (_c("Fatima Haddad", "she/her"), _c("Omar Haddad", "he/him")),
        300,
        "Decided together to separate amicably after working through past issues.",
        (((270, 2, ""), (230, 5, "")), ((268, 2, ""), (228, 5, ""))),
        close=(150, "separated well", "Parted with agreed co-parenting plan."),
        archived=True,
    ),
    DemoCase(
        "riley",
        (_c("Noah Kim", "he/him"), _c("Ava Kim", "she/her")),
        120,
        "Drifted apart after a new baby; re-establishing communication.",
        (
            ((100, 2, "Time to settle"), (70, 3, "Sleep and exercise plan")),
            ((98, 2, "Time to settle"), (60, 4, "Ready to talk")),
        ),
    ),
    DemoCase(
        "riley",
        (_c("Lucía Fernández", "she/her", "lucia.f@example.org"),),
        45,
        "Wants to understand why the relationship ended before deciding anything.",
        (),
    ),
    DemoCase(
        "riley",
        (_c("Ben Adeyemi", "he/him"), _c("Grace Adeyemi", "she/her")),
        180,
        "Rebuilding after an affair; both committed to the process.",
        (
            (
                (150, 2, ""),
                (120, 4, ""),
                (80, 5, "Apology and questions answered"),
                (18, 6, "Keeping promises log"),
            ),
            (
                (149, 2, ""),
                (110, 3, "Own counselling"),
                (75, 5, "Discussed boundaries"),
                (16, 6, "Trust plan agreed"),
            ),
        ),
    ),
    DemoCase(
        "riley",
        (_c("Hannah Schmidt", "she/her"),),
        90,
        "Paused: moving city for work; will resume in spring.",
        (((70, 2, "Space agreed"),),),
        close=(20, "paused", "Client relocating; plans to resume in spring."),
    ),
    DemoCase(
        "riley",
        (_c("Kwame Mensah", "he/him"), _c("Jess Mensah", "she/her")),
        75,
        "Recurring conflict about in-laws; both want structured help.",
        (
            (
                (60, 3, "Communication skills practice"),
                (5, 8, "Couples therapy referral discussed"),
            ),
            ((58, 3, "Stress management"), (4, 8, "Agreed to couples therapy")),
        ),
    ),
)


def load_demo(db: Database, *, today: date | None = None) -> None:
    """Create the demo accounts and cases in an empty database."""
    today = today or date.today()
    actors: dict[str, Actor] = {}
    for username, display_name, role in DEMO_USERS:
        account = accounts.create_user(
            db, None, username, role, DEMO_PASSWORD, display_name=display_name
        )
        actors[username] = Actor(account.id, username, display_name, role)
    for demo in DEMO_CASES:
        actor = actors[demo.counsellor]
        case = cases.create_case(
            db,
            actor,
            demo.clients,
            opened_on=today - timedelta(days=demo.opened_days_ago),
            presenting_concern=demo.concern,
        )
        for client, moves in zip(case.clients, demo.moves, strict=False):
            for days_ago, stage, reason in moves:
                stage_history.move_client(
                    db,
                    actor,
                    client.id,
                    stage,
                    reason=reason or "Progress reviewed in session",
                    moved_on=today - timedelta(days=days_ago),
                )
        if demo.close:
            days_ago, outcome, note = demo.close
            case = cases.close_case(
                db,
                actor,
                case.id,
                cases.get_case(db, actor, case.id).version,
                outcome=outcome,
                closed_on=today - timedelta(days=days_ago),
                note=note,
            )
        if demo.archived:
            cases.set_archived(db, actor, case.id, case.version, True)
    _load_worksheets(db, actors, today)
    _load_notes(db, actors, today)
    _load_scores(db, actors, today)


CLEAR_SCREEN = {
    "fear": "no",
    "threats": "no",
    "physical_harm": "no",
    "control": "no",
    "protective_order": "no",
    "safe_together": "yes",
}
# Client names never screened (early in their work), and the one client with a flag.
UNSCREENED = {"Mei Lin", "Lucía Fernández"}
FLAGGED = {"Jess Mensah": {"control": "yes", "safe_together": "unsure"}}


def _load_worksheets(db: Database, actors: dict[str, Actor], today: date) -> None:
    """Safety screens for most clients, and worksheets in every status."""
    by_name = {}
    for username in ("morgan", "riley"):
        actor = actors[username]
        for case in cases.list_cases(db, actor, status="open"):
            for client in case.clients:
                by_name[client.name] = (actor, client.id)
                if client.name in UNSCREENED:
                    continue
                answers = {**CLEAR_SCREEN, **FLAGGED.get(client.name, {})}
                safety.record_screen(
                    db, actor, client.id, answers, screened_on=today - timedelta(days=20)
                )
    templates = {t.key: t.id for t in library.list_templates(db, actors["morgan"])}

    def give(name: str, key: str, due_in: int, instructions: str = "") -> homework.AssignmentView:
        actor, client_id = by_name[name]
        [made] = homework.assign(
            db,
            actor,
            [client_id],
            templates[key],
            due_on=today + timedelta(days=due_in),
            instructions=instructions,
        )
        return made

    def answer(a: homework.AssignmentView, values: dict, shared: dict, complete: bool):
        actor = by_name[a.client_name][0]
        return homework.save_answers(db, actor, a.id, a.version, values, shared, complete=complete)

    solutions = {
        "apology": "I am sorry I kept the credit card statements from you.",
        "problems": [
            {
                "problem": "Money secrets",
                "solution": "Monthly budget night",
                "who": "Both of us",
                "by_when": (today + timedelta(days=30)).isoformat(),
            }
        ],
        "ready_to_forgive": 7,
    }
    done = answer(
        give("Jordan Reyes", "solutions", -10, "Bring it to the next session."),
        solutions,
        {"apology": True},
        complete=True,
    )
    homework.review(
        db,
        by_name["Jordan Reyes"][0],
        done.id,
        done.version,
        "Apology owned fully; budget night agreed.",
    )
    answer(give("Alex Reyes", "solutions", 4), {"apology": "Working on it."}, {}, complete=False)
    trust = {
        "actions": "Cook together on Sundays.",
        "reliability": 7,
        "transparency": ["No secret accounts or messages"],
    }
    answer(give("Sam O'Connor", "trust_plan", -2), trust, {"actions": True}, complete=True)
    give("Taylor O'Connor", "trust_plan", -5, "Fill in the promises table first.")
    give("Priya Nair", "reflection", 3)
    cancelled = give("Chris Walker", "self_improvement", 10)
    homework.cancel(db, by_name["Chris Walker"][0], cancelled.id, cancelled.version)
    give("Chris Walker", "professional_help", 6)
    give("Noah Kim", "self_improvement", 2)
    give("Ava Kim", "communication_plan", 6, "Start with one casual message.")
    answer(
        give("Ben Adeyemi", "trust_plan", 1),
        {"reliability": 8},
        {"reliability": True},
        complete=False,
    )
    give("Grace Adeyemi", "trust_plan", 1)
    give("Kwame Mensah", "professional_help", 9)


SOAP_TEXT = {
    "subjective": "{names} reported a calmer fortnight; one argument about plans at the weekend.",
    "objective": "Engaged and reflective; turn-taking was respectful for most of the session.",
    "assessment": "Steady work in stage {stage}; the homework is being used between sessions.",
    "plan": "Continue the current worksheet; review it next session.",
}
DAP_TEXT = {
    "data": "{names} described the week and the homework; brought notes from home.",
    "assessment": "Within stage {stage}; motivation good, some avoidance of the hard topic.",
    "plan": "Keep the focus on stage {stage}; next session in two weeks.",
}


def _stage_on(moves: tuple[tuple[int, int, str], ...], days_ago: int) -> int:
    """The stage a client was at `days_ago`, from their demo moves (stage 1 before any)."""
    return next((stage for ago, stage, _ in reversed(moves) if ago >= days_ago), 1)


def _load_notes(db: Database, actors: dict[str, Actor], today: date) -> None:
    """A note every two weeks for each open case: signed, but for the latest drafts."""
    moves_of = {
        client.name: moves
        for demo in DEMO_CASES
        for client, moves in zip(demo.clients, demo.moves, strict=False)
    }
    for username in ("morgan", "riley"):
        actor = actors[username]
        for case in cases.list_cases(db, actor, status="open"):
            attendees = [c.id for c in case.clients]
            names = " and ".join(c.name.split()[0] for c in case.clients)
            days_ago = (today - case.opened_on).days - 3
            number = 0
            while days_ago > 2:
                number += 1
                session_day = today - timedelta(days=days_ago)
                note_format = "SOAP" if number % 3 else "DAP"
                draft = notes.create_draft(
                    db,
                    actor,
                    case.id,
                    session_at=datetime.combine(session_day, time(10 + number % 6, 0)),
                    duration_minutes=50,
                    attendance="together" if len(attendees) == 2 else "one",
                    attendees=attendees,
                    note_format=note_format,
                )
                text = SOAP_TEXT if note_format == "SOAP" else DAP_TEXT
                # Each client's stage on the session's day, not today's: a note of May on a
                # couple now at stage 7 was about the stage they were at in May.
                focus = {c.id: _stage_on(moves_of.get(c.name, ()), days_ago) for c in case.clients}
                stage_now = max(focus.values())
                last = days_ago <= 16
                saved = notes.save_draft(
                    db,
                    actor,
                    draft.id,
                    draft.version,
                    sections={k: v.format(names=names, stage=stage_now) for k, v in text.items()},
                    focus=focus,
                    next_session_on=today + timedelta(days=2 + case.id % 9) if last else None,
                )
                # Leave the newest note of a few cases unsigned, one of them for over a week.
                if not (last and case.id % 3 == 0):
                    notes.sign(db, actor, saved.id, saved.version)
                days_ago -= 14


# CSI-4 totals (0-21), oldest first, a month apart: recovery, improvement, no change, and
# one reliable deterioration.
CSI4_TOTALS = {
    "Jordan Reyes": (8, 11, 15),
    "Alex Reyes": (9, 10, 12),
    "Sam O'Connor": (10, 14, 17),
    "Taylor O'Connor": (12, 13, 14),
    "Priya Nair": (11, 6),
    "Noah Kim": (7, 12),
    "Ava Kim": (9, 10),
    "Ben Adeyemi": (6, 10, 13),
    "Grace Adeyemi": (8, 9, 14),
}


def _csi4_answers(total: int) -> dict[str, int]:
    """Item answers that add up to `total` (happiness 0-6, the others 0-5)."""
    happiness = min(6, round(total * 6 / 21))
    rest = total - happiness
    items = [min(5, rest // 3 + (1 if i < rest % 3 else 0)) for i in range(3)]
    return dict(
        zip(("happiness", "warm", "rewarding", "satisfied"), [happiness, *items], strict=True)
    )


def _load_scores(db: Database, actors: dict[str, Actor], today: date) -> None:
    csi4 = next(i for i, d in measures.current_measures(db).items() if d.key == "csi4")
    for username in ("morgan", "riley"):
        actor = actors[username]
        for case in cases.list_cases(db, actor, status="open"):
            for client in case.clients:
                totals = CSI4_TOTALS.get(client.name, ())
                for n, total in enumerate(totals):
                    measures.record_score(
                        db,
                        actor,
                        client.id,
                        csi4,
                        _csi4_answers(total),
                        scored_on=today - timedelta(days=30 * (len(totals) - 1 - n) + 5),
                    )
