"""Helpers for the instructor tests: cheap accounts, logging in through the form, a seeded class."""

from __future__ import annotations

import re
from datetime import datetime

import httpx
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import update

from app.accounts import Accounts, Role
from app.csrf import CSRF_HEADER
from app.routes.deps import AppState
from app.store import SubmissionStatus
from app.tables import SubmissionRow
from graders import Check, Failure, GradeReport, Status

PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
TEACHER = "teacher@example.org"


def state_of(client: TestClient) -> AppState:
    state: AppState = client.app.state.rnnlab  # type: ignore[attr-defined]
    return state


def cheap_accounts(client: TestClient) -> Accounts:
    """Accounts hashed with cheap argon2 parameters (the real ones are tested elsewhere): seeding stays fast."""
    state = state_of(client)
    state.accounts = Accounts(state.store.database, state.store, hasher=CHEAP)
    return state.accounts


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    response = client.post("/login", data={"csrf_token": token.group(1), "email": email, "password": password},
                           follow_redirects=False, headers={CSRF_HEADER: ""})
    assert response.status_code == 303, response.text
    return response


def log_in_as(client: TestClient, role: Role, email: str = TEACHER) -> None:
    cheap_accounts(client).create(email, PASSWORD, role)
    log_in(client, email)


def report(status: str, score: float, failed: tuple[str, ...] = ()) -> dict[str, object]:
    """A stored GradeReport of the given outcome: checks named in `failed` fail; not_gradable has a failure class."""
    if status == "not_gradable":
        return GradeReport.not_gradable(Failure.syntax_error, "Syntax error on line 1").model_dump(mode="json")
    checks = [Check(id="contract", title="Module meets the contract", passed=True, points=1.0)]
    checks += [Check(id=c, title=c.replace("_", " "), passed=False, points=0.0, max_points=1.0) for c in failed]
    graded = GradeReport.from_checks(checks, timings={"build": 0.4, "evaluate": 9.5})
    return graded.model_copy(update={"status": Status(status), "score": score}).model_dump(mode="json")


def add_graded(client: TestClient, learner_id: int, lesson: str, status: str, score: float,
               created: datetime | None = None, failed: tuple[str, ...] = (), code: str = "# seeded\n") -> int:
    """A finished submission straight into the store (no grading), optionally dated."""
    store = state_of(client).store
    submission = store.add_submission(learner_id, lesson, code)
    store.finish(submission.id, SubmissionStatus(status), score, report(status, score, failed),
                 grader_version="test+000", lesson_version="v1")
    if created is not None:
        with store.database.session() as session:
            session.execute(update(SubmissionRow).where(SubmissionRow.id == submission.id).values(created=created))
    return submission.id


def new_learner(client: TestClient, email: str | None) -> int:
    """A learner of the class: an account's (role learner) or an anonymous browser's."""
    if email is None:
        return state_of(client).store.create_learner()
    return cheap_accounts(client).create(email, PASSWORD, Role.learner).learner_id
