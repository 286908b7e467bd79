"""`rnnlab db upgrade | current`, `rnnlab users create | reset-password | list` and `rnnlab lti ...`: schema,
accounts and LMS platforms, thin."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from app.accounts import AccountError, Accounts, Role
from app.config import Settings
from app.database import Database, display_url
from app.lti.commands import add_lti_commands, run_lti_command
from app.migrate import SchemaError, ensure_schema, schema_state, upgrade
from app.store import Store
from graders.textsafe import display_text

USAGE_ERROR = 2


def _fail(message: str) -> int:
    print(f"rnnlab: {display_text(message, multiline=True)}", file=sys.stderr)
    return USAGE_ERROR


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.resolved_database_url())
    try:
        before = schema_state(database.engine)
        after = upgrade(database.engine)
    except SchemaError as exc:
        return _fail(str(exc))
    finally:
        database.close()
    where = display_url(database.url)
    if before.up_to_date:
        print(f"{where}: already at revision {after.current} (head)")
    else:
        start = "a database made before migrations" if before.pre_alembic else before.current or "an empty database"
        print(f"{where}: upgraded from {start} to revision {after.current} (head)")
    return 0


def cmd_db_current(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.resolved_database_url())
    try:
        state = schema_state(database.engine)
    except SchemaError as exc:
        return _fail(str(exc))
    finally:
        database.close()
    print(f"{display_url(database.url)}: {state.describe()}")
    return 0 if state.up_to_date else 1


def _accounts(settings: Settings) -> Accounts:
    database = Database(settings.resolved_database_url())
    try:
        ensure_schema(database.engine, migrate=settings.should_migrate_on_start())
    except SchemaError:
        database.close()
        raise
    return Accounts(database, Store(database))


def read_password() -> str:
    """Asked twice (not echoed) on a terminal; otherwise the first line of stdin, for scripts."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise AccountError("the two passwords differ; nothing was changed")
    return first


def cmd_users_create(settings: Settings, args: argparse.Namespace) -> int:
    try:
        accounts = _accounts(settings)
        user = accounts.create(args.email, read_password(), Role(args.role))
    except (SchemaError, AccountError) as exc:
        return _fail(str(exc))
    print(f"created {user.role.value} {user.email}")
    return 0


def cmd_users_reset_password(settings: Settings, args: argparse.Namespace) -> int:
    try:
        accounts = _accounts(settings)
        if accounts.find(args.email) is None:
            return _fail(f"there is no account for {args.email!r}")
        revoked = accounts.set_password(args.email, read_password())
    except (SchemaError, AccountError) as exc:
        return _fail(str(exc))
    print(f"new password set for {args.email.strip().lower()}; {revoked} session(s) logged out")
    return 0


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def cmd_users_list(settings: Settings, args: argparse.Namespace) -> int:
    try:
        users = _accounts(settings).list()
    except SchemaError as exc:
        return _fail(str(exc))
    rows = [("email", "role", "created", "last login")]
    rows += [(display_text(u.email), u.role.value, _when(u.created), _when(u.last_login)) for u in users]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{len(users)} account(s)")
    return 0


def cmd_lti(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(settings.resolved_database_url())
    try:
        ensure_schema(database.engine, migrate=settings.should_migrate_on_start())
        return run_lti_command(args, engine=database.engine, data_dir=settings.data_dir,
                               tool_url=settings.lti_tool_url, allow_loopback_http=settings.lti_allow_loopback_http)
    except SchemaError as exc:
        return _fail(str(exc))
    finally:
        database.close()


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="database schema migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every pending migration").set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser("current", help="the database's revision and the code's (exit 1 if behind)").set_defaults(
        func=cmd_db_current)

    users = sub.add_parser("users", help="accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="make an account (password from the terminal, twice, or stdin)")
    create.add_argument("email")
    create.add_argument("--role", choices=[role.value for role in Role], default=Role.learner.value)
    create.set_defaults(func=cmd_users_create)
    reset = users_sub.add_parser("reset-password", help="set a new password and log the account out everywhere")
    reset.add_argument("email")
    reset.set_defaults(func=cmd_users_reset_password)
    users_sub.add_parser("list", help="email, role, created, last login").set_defaults(func=cmd_users_list)

    add_lti_commands(sub)
    sub.choices["lti"].set_defaults(func=cmd_lti)
