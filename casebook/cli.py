"""The `casebook` command line."""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from casebook import accounts
from casebook.db import Database
from casebook.errors import CasebookError
from casebook.models import ROLES, Base
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
    script = APP_ROOT / "streamlit_app.py"
    if not script.exists():
        raise CommandError("streamlit_app.py is missing: install Casebook from its source folder.")
    db = _open(settings)
    if db.is_empty():
        _load_demo(db)
        _print_demo_login()
    db.dispose()
    port = args.port or _free_port(DEFAULT_PORT)
    print(f"Casebook is at http://127.0.0.1:{port}  (data: {settings.home})", flush=True)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
    env = dict(os.environ, CASEBOOK_HOME=str(settings.home))
    # Run from the app folder so Streamlit reads its .streamlit/config.toml.
    return subprocess.call(cmd, cwd=APP_ROOT, env=env)


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


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
        with db.engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.upgrade()
    _load_demo(db)
    _print_demo_login()
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: use --password-stdin.")
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
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


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CommandError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="casebook", description="Casebook for reconciliation counselling.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="start the app (loads the demo practice on a first run)")
    run.add_argument("--port", type=int, help=f"port to serve on (default {DEFAULT_PORT})")
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
