"""The `casebook` command line."""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sqlite3
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from casebook import accounts, audit, backup, crypto, keys, practice, validation
from casebook.access import Actor
from casebook.db import Database
from casebook.errors import CasebookError
from casebook.models import ROLES
from casebook.settings import Settings, settings_from_env

APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8501


class CommandError(Exception):
    """A plain one-line message for the user; the command exits non-zero."""


def _open(settings: Settings) -> Database:
    try:
        return Database.open(settings)
    except CasebookError:
        raise
    except Exception as exc:  # the database cannot be reached or migrated
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise CommandError(f"Cannot open the database: {reason}") from exc


def _load_demo(db: Database) -> None:
    from sample_data.demo import load_demo

    load_demo(db)


def _print_demo_login() -> None:
    from sample_data.demo import DEMO_PASSWORD, DEMO_USERS

    names = ", ".join(u for u, _, _ in DEMO_USERS)
    print(f"Demo practice loaded. Log in as one of {names} with password '{DEMO_PASSWORD}'.")


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port and _free_port(args.port) != args.port:
        raise CommandError(f"Port {args.port} is in use: choose another, or leave --port out.")
    script = APP_ROOT / "streamlit_app.py"
    if not script.exists():
        raise CommandError("streamlit_app.py is missing: install Casebook from its source folder.")
    db = _open(settings)
    if db.is_empty():
        _load_demo(db)
        _print_demo_login()
    try:
        made = backup.daily_backup(db, settings, practice.load(db).backups_kept)
    except (CasebookError, OSError, sqlite3.Error) as exc:
        # The records are as they were: the practice works on, and the admins are told.
        print(f"casebook: {backup.daily_problem(exc)}", file=sys.stderr)
    else:
        if made:
            print(f"Today's backup: {made}")
    db.dispose()
    port = args.port or _free_port(DEFAULT_PORT)
    print(f"Casebook is at http://127.0.0.1:{port}  (data: {settings.home})", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    env = dict(os.environ, CASEBOOK_HOME=str(settings.home), **{backup.DAILY_ENV: "1"})
    # Streamlit takes this process's place: a signal to `casebook run` reaches the server
    # (nothing is left running without its parent), and the memory of this command (the
    # demo loader, the backup) is given back. From the app folder, so that Streamlit reads
    # its .streamlit/config.toml.
    sys.stdout.flush()
    os.chdir(APP_ROOT)
    os.execve(sys.executable, cmd, env)


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def _number(text: str) -> int:
    number = validation.record_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not a record number")
    return number


def _port(text: str) -> int:
    number = validation.record_number(text)
    if number is None or number > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port (1 to 65535)")
    return number


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    if not db.is_empty():
        if not args.reset:
            raise CommandError(
                "The database already holds accounts; use 'casebook demo --reset' to replace "
                "everything in it with the demo practice."
            )
        if not args.yes:
            if not sys.stdin.isatty():
                raise CommandError("--reset deletes every record: add --yes to confirm.")
            answer = input("This deletes every record in the database. Type 'reset' to go on: ")
            if answer.strip() != "reset":
                raise CommandError("Nothing was changed.")
        kept = backup.copy_aside(settings, "before-reset")
        db.reset()
        if kept:
            print(f"The records as they were before are kept in {kept}.")
    _load_demo(db)
    _print_demo_login()
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args)
    if not args.password_stdin and getpass.getpass("Again: ") != password:
        raise CommandError("The two passwords differ.")
    db = _open(settings)
    account = accounts.create_user(
        db, None, args.name, args.role, password, display_name=args.display_name or ""
    )
    print(f"Created {account.role} '{account.username}'.")
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    _open(settings)
    print("The database is up to date.")
    return 0


def _read_password(args: argparse.Namespace, prompt: str = "Password: ") -> str:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for a password: use --password-stdin.")
    return getpass.getpass(prompt)


def _acting_user(args: argparse.Namespace, db: Database) -> Actor:
    """Commands that read clinical records act as a user, who must log in."""
    if not args.user:
        raise CommandError("Say who is acting: --user NAME (the password is asked for).")
    actor = accounts.authenticate(
        db, args.user, _read_password(args, f"Password for {args.user}: ")
    )
    if actor.must_change_password:
        # A password an admin set (a reset) is known to the admin: as in the app, it opens
        # nothing until its owner has chosen their own.
        raise CommandError(
            f"{args.user} must choose a new password first: log in to the app to set it."
        )
    return actor


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    result = audit.verify(_open(settings))
    if not result.ok:
        raise CommandError(
            f"The audit trail is broken at entry #{result.first_broken}: it {result.problem} "
            f"({result.entries} entries before it are intact)."
        )
    print(f"The audit trail is intact: {result.entries} entries.")
    if result.unkeyed and result.unkeyed_until is not None:
        print(
            f"Its first {result.unkeyed} entries, to {result.unkeyed_until:%d %b %Y %H:%M} UTC, "
            "were written before this version of Casebook keyed its hashes. Every entry since "
            "is keyed: if that date is later than your upgrade, the trail was rewritten."
        )
    return 0


def cmd_key_rotate(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    count = keys.rotate(db, settings)
    print(f"Re-encrypted {count} values under a new key, kept in {crypto.key_path(settings.home)}.")
    print(
        "Copy the new key file to where you keep the key's backup. The old key is kept beside "
        "it (casebook.key.retired-<date>): backups made before now open only with that one, "
        "which 'casebook restore' finds there. "
        "Restart every other Casebook process on this database with the new key: until then "
        "they refuse to save."
    )
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    db = _open(settings)
    try:
        path = backup.backup_to(db, settings, Path(args.file))
    finally:
        db.dispose()
    print(f"Backed up to {path}.")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        backup.first_look(settings, Path(args.file))  # a file that cannot be one: say so now
        if not sys.stdin.isatty():
            raise CommandError("Restoring replaces every record: add --yes to confirm.")
        print(_how_recent("The backup", Path(args.file)))
        if settings.sqlite_path is not None and settings.sqlite_path.exists():
            print(_how_recent("The records now", settings.sqlite_path))
        answer = input(
            "This replaces every record with the backup (the records as they are now are "
            "copied to the backups folder first). Type 'restore' to go on: "
        )
        if answer.strip() != "restore":
            raise CommandError("Nothing was changed.")
    kept = backup.restore_from(settings, Path(args.file))
    print(f"Restored from {args.file}.")
    if kept:
        print(f"The records as they were before are kept in {kept}.")
    return 0


def _how_recent(what: str, path: Path) -> str:
    newest = backup.newest_entry(path)
    if newest is None:
        return f"{what}: no date of its newest entry."
    return f"{what}: newest entry {newest:%d %b %Y, %H:%M} UTC."


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from casebook import exports

    db = _open(settings)
    actor = _acting_user(args, db)
    if args.client is not None:
        written = exports.export_client(db, actor, args.client, Path(args.out))
    else:
        written = [exports.export_practice_csv(db, actor, Path(args.out))]
    for path in written:
        print(f"Wrote {path}")
    return 0


def cmd_import_clients(args: argparse.Namespace, settings: Settings) -> int:
    from casebook import imports

    db = _open(settings)
    actor = _acting_user(args, db)
    created = imports.import_clients(db, actor, Path(args.file), allow_repeats=args.allow_repeats)
    print(f"Imported {len(created)} case{'s' if len(created) != 1 else ''}.")
    return 0


def cmd_worksheets_list(args: argparse.Namespace, settings: Settings) -> int:
    from worksheets.templates import shipped_templates

    for t in shipped_templates():
        print(f"{t.key}\tv{t.version}\tstage {t.stage}\t{t.title}")
    return 0


def cmd_worksheets_check(args: argparse.Namespace, settings: Settings) -> int:
    from worksheets.templates import TemplateError, load_template

    try:
        template = load_template(Path(args.file))
    except TemplateError as exc:
        raise CommandError(str(exc)) from None
    print(
        f"{args.file}: fine: '{template.title}' v{template.version}, stage {template.stage}, "
        f"{len(template.fields)} fields."
    )
    return 0


def cmd_handout(args: argparse.Namespace, settings: Settings) -> int:
    from casebook import documents, exports

    given = args.day or args.week_ending
    day = _date(given) if given else None  # before logging in

    def refuse_existing(file_name: str) -> None:
        # --out or the handout's own name: refused before it is audited as printed.
        if Path(args.out or file_name).exists():
            raise CommandError(
                f"{args.out or file_name} already exists: Casebook does not overwrite files."
            )
        folder = Path(args.out or file_name).absolute().parent
        if not folder.is_dir():
            raise CommandError(f"The folder {folder} does not exist: create it first.")

    db = _open(settings)
    actor = _acting_user(args, db)
    if args.assignment is not None:
        doc = (
            documents.completed(
                db,
                actor,
                args.assignment,
                for_client_id=args.answers_for,
                before_audit=refuse_existing,
            )
            if args.answers_for is not None
            else documents.worksheet(db, actor, args.assignment, before_audit=refuse_existing)
        )
    elif args.stage is not None:
        if args.client is None:
            raise CommandError("A stage guide is for a client: add --client ID.")
        doc = documents.guide(db, actor, args.client, args.stage, before_audit=refuse_existing)
    elif args.progress is not None:
        doc = documents.progress(
            db, actor, args.progress, args.summary or "", before_audit=refuse_existing
        )
    elif args.after_session is not None:
        doc = documents.after_session(db, actor, args.after_session, before_audit=refuse_existing)
    elif day is not None:
        # A week ends on the day given, as on the Handouts page: notes are written for sessions
        # held, so the week to print is the one just gone.
        start, end = (day, day) if args.day else (day - timedelta(days=6), day)

        def bar(done: int, total: int) -> None:
            filled = round(30 * done / total)
            print(
                f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}",
                end="\n" if done == total else "",  # a refusal after it starts a line of its own
                file=sys.stderr,
                flush=True,
            )

        doc = documents.batch_for(db, actor, start, end, bar, before_audit=refuse_existing)
    else:
        raise CommandError("Say which handout: see 'casebook handout --help'.")
    out = Path(args.out or doc.file_name)
    # Owner-only, never over an existing file, and no cut-short PDF left if the disk fills.
    exports.write_new_files({out: doc.pdf})
    print(f"Wrote {out}")
    return 0


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date: write it as YYYY-MM-DD.") from None
    if not 1900 <= day.year <= 9000:
        raise CommandError(f"{text} is too far from today for a session.")
    return day


def cmd_import_pdf(args: argparse.Namespace, settings: Settings) -> int:
    from casebook import documents

    path = Path(args.file)
    try:
        pdf = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
    db = _open(settings)
    actor = _acting_user(args, db)
    preview = documents.preview_import(db, actor, pdf)
    a = preview.assignment
    print(f"'{a.template_title}' for {a.client_name} (assignment {a.id}):")
    if kept := preview.kept_in_words():
        print(kept)
    if not preview.changes:
        print("Nothing would change.")
        return 0
    for question, *answers in preview.in_words():
        print(f"  {question}")
        for label, text in zip(("now", "new"), answers, strict=True):
            print(f"    {label}: " + "\n         ".join(text.splitlines()))
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("Add --yes to save these answers.")
        if input("Save these answers? [y/N] ").strip().lower() != "y":
            raise CommandError("Nothing was changed.")
    documents.apply_import(db, actor, preview)
    print(f"Saved {len(preview.changes)} answer(s).")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="casebook", description="Casebook for reconciliation counselling.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="start the app (loads the demo practice on a first run)")
    run.add_argument("--port", type=_port, help=f"port to serve on (default {DEFAULT_PORT})")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="load the demo practice")
    demo.add_argument("--reset", action="store_true", help="delete every record first")
    demo.add_argument("--yes", action="store_true", help="confirm --reset without a prompt")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, parser_class=_Parser)
    add = user_sub.add_parser("add", help="create an account")
    add.add_argument("name", help="the user name to log in with")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", help="the name shown in the app")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=cmd_user_add)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    audit_p = sub.add_parser("audit", help="the audit trail")
    audit_sub = audit_p.add_subparsers(dest="audit_command", required=True, parser_class=_Parser)
    audit_sub.add_parser("verify", help="check the whole hash chain").set_defaults(
        func=cmd_audit_verify
    )

    key = sub.add_parser("key", help="the encryption key")
    key_sub = key.add_subparsers(dest="key_command", required=True, parser_class=_Parser)
    key_sub.add_parser("rotate", help="re-encrypt everything under a new key").set_defaults(
        func=cmd_key_rotate
    )

    backup_p = sub.add_parser("backup", help="copy the database to FILE (safe while running)")
    backup_p.add_argument("file")
    backup_p.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="replace every record with a backup FILE")
    restore.add_argument("file")
    restore.add_argument("--yes", action="store_true", help="confirm without a prompt")
    restore.set_defaults(func=cmd_restore)

    def acting(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", help="the counsellor or supervisor acting (logs in)")
        p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    export = sub.add_parser("export", help="one client's record, or the practice's cases as CSV")
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("--client", type=_number, help="client number: JSON and PDF into --out DIR")
    what.add_argument("--cases", action="store_true", help="every visible case: CSV at --out FILE")
    export.add_argument("--out", required=True)
    acting(export)
    export.set_defaults(func=cmd_export)

    ws = sub.add_parser("worksheets", help="the worksheet library")
    ws_sub = ws.add_subparsers(dest="ws_command", required=True, parser_class=_Parser)
    ws_sub.add_parser("list", help="key, version, stage and title, one per line").set_defaults(
        func=cmd_worksheets_list
    )
    check = ws_sub.add_parser("check", help="validate a worksheet file")
    check.add_argument("file")
    check.set_defaults(func=cmd_worksheets_check)

    handout = sub.add_parser(
        "handout",
        help="a PDF handout",
        description="Make a PDF handout. Choose one: a worksheet by --assignment (add "
        "--answers-for CLIENT for the completed answers as that client may see them), a stage "
        "guide by --stage N --client ID, a progress report by --progress CASE, an "
        "after-session sheet by --after-session NOTE, or every handout for the sessions of a "
        "--day DATE or of the week ending on a day (--week-ending DATE).",
        allow_abbrev=False,  # --week, once a week from its day, must not be taken as --week-ending
    )
    which = handout.add_mutually_exclusive_group(required=True)
    which.add_argument("--assignment", type=_number, help="worksheet handout of this assignment")
    which.add_argument("--stage", type=int, help="stage guide (with --client)")
    which.add_argument("--progress", type=_number, metavar="CASE", help="progress report")
    which.add_argument("--after-session", type=_number, metavar="NOTE", help="after-session sheet")
    which.add_argument("--day", metavar="YYYY-MM-DD", help="every handout for a day's sessions")
    which.add_argument(
        "--week-ending", metavar="YYYY-MM-DD", help="... for the seven days ending on this day"
    )
    handout.add_argument("--client", type=_number, help="the client (for --stage)")
    handout.add_argument(
        "--answers-for",
        type=_number,
        metavar="CLIENT",
        help="with --assignment: the completed answers, for this client",
    )
    handout.add_argument("--summary", help="with --progress: the counsellor's summary")
    handout.add_argument("--out", help="the PDF to write (default: a name of its own)")
    acting(handout)
    handout.set_defaults(func=cmd_handout)

    imp_pdf = sub.add_parser("import-pdf", help="read a filled worksheet PDF back")
    imp_pdf.add_argument("file")
    imp_pdf.add_argument("--yes", action="store_true", help="save without asking")
    acting(imp_pdf)
    imp_pdf.set_defaults(func=cmd_import_pdf)

    imp = sub.add_parser("import-clients", help="open cases from a CSV file, all rows or none")
    imp.add_argument("file")
    imp.add_argument(
        "--allow-repeats",
        action="store_true",
        help="import clients already in your cases, or twice in the file, all the same",
    )
    acting(imp)
    imp.set_defaults(func=cmd_import_clients)
    return parser


def main(argv: Sequence[str] | None = None, settings: Settings | None = None) -> int:
    """Run a command; every failure is one plain line on stderr and a non-zero exit."""
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            args = build_parser().parse_args(["run"])
        return args.func(args, settings or settings_from_env())
    except (CommandError, CasebookError) as exc:
        print(f"casebook: {exc}", file=sys.stderr)
        return 2
    except EOFError:  # end of input (Ctrl-D) at a question: taken as no
        print("casebook: Nothing was changed.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OperationalError as exc:  # the database stopped answering part way (locked, down)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(
            f"casebook: The database did not answer ({reason}), so this step may not have "
            "been done. Try again in a moment.",
            file=sys.stderr,
        )
        return 2
    except BrokenPipeError:
        # The reader of the output stopped reading (`| head`, a pager closed): no traceback,
        # and none again when Python flushes the output on its way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        # A path the commands could not even look at (a folder this account may not open,
        # a name too long): the operating system's reason, in one line.
        where = f" {exc.filename}" if exc.filename else ""
        print(f"casebook: Cannot use{where}: {exc.strerror or exc}.", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
