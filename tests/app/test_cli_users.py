"""`rnnlab users create | reset-password | list`: passwords from the terminal (twice) or stdin, clear refusals."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from app import cli, cli_admin
from app.accounts import Accounts
from app.database import Database
from app.sessions import Sessions
from app.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RNNLAB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def stdin(monkeypatch: pytest.MonkeyPatch, text: str, tty: bool = False) -> None:
    stream = io.StringIO(text)
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stream)


def run(*argv: str) -> int:
    return cli.main(list(argv))


def accounts(env: Path) -> tuple[Accounts, Sessions]:
    database = Database(f"sqlite:///{(env / 'rnnlab.sqlite3').resolve()}")
    return Accounts(database, Store(database)), Sessions(database, timedelta(days=1))


def test_create_from_stdin_then_list(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                     env: Path) -> None:
    stdin(monkeypatch, PASSWORD + "\n")
    assert run("users", "create", "Teacher@Example.org", "--role", "instructor") == 0  # migrates SQLite first
    assert "created instructor teacher@example.org" in capsys.readouterr().out
    stdin(monkeypatch, PASSWORD + "\n")
    assert run("users", "create", "student@example.org") == 0
    capsys.readouterr()
    assert run("users", "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["email", "role", "created", "last", "login"]
    assert lines[1].split()[:2] == ["teacher@example.org", "instructor"] and lines[1].endswith("never")
    assert lines[2].split()[:2] == ["student@example.org", "learner"]
    assert lines[-1] == "2 account(s)"
    found, _ = accounts(env)
    assert found.authenticate("teacher@example.org", PASSWORD) is not None


def test_create_asks_twice_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, "", tty=True)
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(cli_admin.getpass, "getpass", lambda prompt: next(answers))
    assert run("users", "create", "a@example.org") == 2
    assert "the two passwords differ" in capsys.readouterr().err
    answers = iter([PASSWORD, PASSWORD])
    assert run("users", "create", "a@example.org", "--role", "admin") == 0


@pytest.mark.parametrize(("email", "password", "message"), [
    ("not-an-email", PASSWORD, "does not look like an email"),
    ("a@example.org", "short", "at least 10 characters"),
])
def test_bad_input_is_refused_with_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          email: str, password: str, message: str) -> None:
    stdin(monkeypatch, password + "\n")
    assert run("users", "create", email) == 2
    assert message in capsys.readouterr().err


def test_duplicate_and_unknown_role_are_refused(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    stdin(monkeypatch, PASSWORD + "\n")
    assert run("users", "create", "a@example.org") == 0
    stdin(monkeypatch, PASSWORD + "\n")
    assert run("users", "create", "A@example.org") == 2
    assert "already exists" in capsys.readouterr().err
    assert run("users", "create", "b@example.org", "--role", "root") == 2


def test_reset_password_logs_the_account_out_everywhere(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], env: Path) -> None:
    stdin(monkeypatch, PASSWORD + "\n")
    run("users", "create", "a@example.org")
    found, sessions = accounts(env)
    user = found.find("a@example.org")
    assert user is not None
    tokens = [sessions.start(user), sessions.start(user)]
    stdin(monkeypatch, "a new long passphrase\n")
    assert run("users", "reset-password", "a@example.org") == 0
    assert "2 session(s) logged out" in capsys.readouterr().out
    assert all(sessions.user_for(token) is None for token in tokens)
    assert found.authenticate("a@example.org", "a new long passphrase") is not None
    stdin(monkeypatch, "a new long passphrase\n")
    assert run("users", "reset-password", "nobody@example.org") == 2
    assert "no account" in capsys.readouterr().err


def test_users_commands_refuse_an_unmigrated_database_when_told_not_to_migrate(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RNNLAB_MIGRATE_ON_START", "false")
    assert run("users", "list") == 2
    assert "rnnlab db upgrade" in capsys.readouterr().err
