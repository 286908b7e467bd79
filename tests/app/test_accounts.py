"""Accounts, sessions and the log-in throttle as domain code on SQLite and PostgreSQL: input rules, hashing,
claiming, revocation, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app import throttle as throttle_module
from app.accounts import Accounts, EmailTaken, InvalidEmail, Role, UnknownAccount, WeakPassword, normalize_email
from app.database import Database
from app.sessions import Sessions
from app.store import Store, SubmissionStatus
from app.tables import LoginFailureRow
from app.throttle import LoginThrottle

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # the real parameters are tested over HTTP


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store.database, store, hasher=CHEAP)


@pytest.fixture
def sessions(store: Store) -> Sessions:
    return Sessions(store.database, timedelta(days=1))


@pytest.mark.parametrize("raw", ["", "   ", "plainaddress", "a@b", "a b@example.org", "@example.org", "a@.org",
                                 "x@" + "e" * 250 + ".org"])
def test_malformed_emails_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Ada.Lovelace@Example.ORG ") == "ada.lovelace@example.org"


def test_create_hashes_with_argon2id_and_refuses_duplicates_and_weak_passwords(accounts: Accounts) -> None:
    user = accounts.create("Ada@example.org", PASSWORD, Role.instructor)
    assert user.email == "ada@example.org" and user.role is Role.instructor and user.last_login is None
    assert accounts.store.learner_exists(user.learner_id)
    with accounts.database.session() as session:
        from app.tables import UserRow
        stored = session.get(UserRow, user.id)
        assert stored is not None and stored.password_hash.startswith("$argon2id$") and PASSWORD not in \
            stored.password_hash
    with pytest.raises(EmailTaken, match="already exists"):
        accounts.create(" ADA@example.org", PASSWORD)
    with pytest.raises(WeakPassword, match="at least 10 characters"):
        accounts.create("bob@example.org", "short")
    with pytest.raises(WeakPassword):
        accounts.create("bob@example.org", "x" * 2000)


def test_authenticate_checks_the_password_and_records_the_login(accounts: Accounts) -> None:
    accounts.create("ada@example.org", PASSWORD)
    assert accounts.authenticate("ada@example.org", "wrong password") is None
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert accounts.authenticate("not an email", PASSWORD) is None
    user = accounts.authenticate(" ADA@example.org ", PASSWORD)
    assert user is not None and user.last_login is not None


def test_roles_include_the_ones_below() -> None:
    assert Role.admin.rank > Role.instructor.rank > Role.learner.rank


def test_claim_moves_history_merges_and_is_idempotent(accounts: Accounts, store: Store) -> None:
    user = accounts.create("ada@example.org", PASSWORD)
    own = store.add_submission(user.learner_id, "a", "mine")
    anonymous = store.create_learner()
    theirs = [store.add_submission(anonymous, lesson, "anon").id for lesson in ("a", "b")]
    assert accounts.claim(user, anonymous) == 2
    assert accounts.claim(user, anonymous) == 0  # nothing left, nothing lost
    assert accounts.claim(user, None) == 0 and accounts.claim(user, user.learner_id) == 0
    assert store.all_submissions(anonymous) == []  # emptied, kept: its id must not go to the next learner
    assert [s.id for s in store.all_submissions(user.learner_id)] == sorted([own.id, *theirs])


def test_claim_never_takes_another_accounts_learner(accounts: Accounts, store: Store) -> None:
    ada, bob = accounts.create("ada@example.org", PASSWORD), accounts.create("bob@example.org", PASSWORD)
    store.add_submission(bob.learner_id, "a", "bob's")
    assert accounts.claim(ada, bob.learner_id) == 0
    assert len(store.all_submissions(bob.learner_id)) == 1


def test_sessions_resolve_until_revoked_or_expired(accounts: Accounts, sessions: Sessions, store: Store) -> None:
    user = accounts.create("ada@example.org", PASSWORD)
    token = sessions.start(user)
    found = sessions.user_for(token)
    assert found is not None and found.id == user.id
    assert sessions.user_for(token + "x") is None and sessions.user_for(None) is None
    assert sessions.user_for("") is None
    assert sessions.user_for("x" * 500) is None
    assert sessions.revoke(token) and not sessions.revoke(token)
    assert sessions.user_for(token) is None
    short = Sessions(store.database, timedelta(seconds=0))
    assert short.user_for(short.start(user)) is None


def test_a_new_password_revokes_every_session(accounts: Accounts, sessions: Sessions) -> None:
    user = accounts.create("ada@example.org", PASSWORD)
    tokens = [sessions.start(user) for _ in range(3)]
    assert accounts.set_password("ADA@example.org", "a brand new passphrase") == 3
    assert all(sessions.user_for(token) is None for token in tokens)
    assert accounts.authenticate("ada@example.org", PASSWORD) is None
    assert accounts.authenticate("ada@example.org", "a brand new passphrase") is not None
    with pytest.raises(UnknownAccount):
        accounts.set_password("nobody@example.org", "a brand new passphrase")
    with pytest.raises(WeakPassword):
        accounts.set_password("ada@example.org", "short")


def test_delete_removes_account_sessions_learner_and_submissions(accounts: Accounts, sessions: Sessions,
                                                                 store: Store) -> None:
    user = accounts.create("ada@example.org", PASSWORD)
    token = sessions.start(user)
    submission = store.add_submission(user.learner_id, "a", "x")
    store.claim_next()
    store.finish(submission.id, SubmissionStatus.passed, 1.0, {})
    accounts.delete(user)
    assert accounts.get(user.id) is None and sessions.user_for(token) is None
    assert not store.learner_exists(user.learner_id) and store.get_submission(submission.id) is None
    accounts.create("ada@example.org", PASSWORD)  # the email is free again


def test_throttle_counts_per_email_and_per_address(store: Store) -> None:
    throttle = LoginThrottle(store.database, per_email=3, per_ip=5, window_s=60)
    for _ in range(3):
        assert throttle.retry_after("ada@example.org", "10.0.0.1") is None
        throttle.record_failure("ADA@example.org", "10.0.0.1")
    wait = throttle.retry_after("ada@example.org", "10.0.0.2")
    assert wait is not None and 1 <= wait <= 60
    assert throttle.retry_after("bob@example.org", "10.0.0.1") is None  # 3 of the address's 5
    throttle.record_failure("bob@example.org", "10.0.0.1")
    throttle.record_failure("carol@example.org", "10.0.0.1")
    assert throttle.retry_after("dave@example.org", "10.0.0.1") is not None  # the address is used up
    throttle.forget("ada@example.org")
    assert throttle.retry_after("ada@example.org", "10.0.0.2") is None


def test_throttle_forgets_failures_older_than_the_window(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    monkeypatch.setattr(throttle_module, "now", lambda: clock[0])  # the window is compared in SQL, not slept through
    throttle = LoginThrottle(store.database, per_email=1, per_ip=10, window_s=60)
    throttle.record_failure("ada@example.org", "10.0.0.1")
    clock[0] += timedelta(seconds=59)
    assert throttle.retry_after("ada@example.org", "10.0.0.1") == 1
    clock[0] += timedelta(seconds=2)
    assert throttle.retry_after("ada@example.org", "10.0.0.1") is None
    throttle.record_failure("bob@example.org", "10.0.0.2")  # a write also deletes what the window has left behind
    with store.database.session() as session:
        assert session.scalars(select(LoginFailureRow.email)).all() == ["bob@example.org"]
