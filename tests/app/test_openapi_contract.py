"""The API answers as its OpenAPI document says: schemathesis draws requests from /openapi.json (valid ones, invalid
ones, unsupported methods), sends them to the app in-process and runs all its default checks on every answer: status
documented, content type, body and SSE events against their schemas, headers (Allow on a 405), valid data accepted.

Everything in the document is exercised, the live-event stream too (the fake grader finishes at once, so a stream
ends after its report). LTI routes are not in the document unless LTI is configured, which needs a platform."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from argon2 import PasswordHasher
from fastapi import FastAPI
from hypothesis import strategies as st
from schemathesis.python import asgi

from app.accounts import Accounts, Role
from app.config import Settings
from app.csrf import CSRF_HEADER
from app.main import create_app
from app.routes.deps import AppState
from tests.app.helpers import LSTM, SECOND, FakeGrader

# Seeded and derandomized: a failure here is the same failure on the next run and in CI. 25 examples per operation
# and phase keep the whole run near 30 s on 2 cores.
CONFIG = schemathesis.Config.from_dict({
    "seed": 20261203,
    "cache": {"enabled": False},
    "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
})
TEACHER = "teacher@example.org"
PASSWORD = "correct horse battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # the real parameters are tested elsewhere
# Path parameters that name something real: random ones only ever reach the 404 branch. Submission 1 is the
# learner's graded one (learner 1), so its report, its event stream and the reference solution all answer 200.
KNOWN: dict[str, list[Any]] = {"slug": [LSTM, SECOND], "name": ["gru.svg"], "submission_id": [1],
                               "learner_id": [1], "regrade_id": [1]}


@dataclass
class Browsers:
    """Two browsers that read a page first, as the site's JS does (so they hold the CSRF cookie and send the page's
    token): an anonymous learner with a passed submission, and a signed-in instructor for /api/instructor."""

    learner: requests.Session
    instructor: requests.Session
    statuses: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def for_case(self, case: schemathesis.Case) -> requests.Session:
        return self.instructor if case.operation.path.startswith("/api/instructor/") else self.learner


def _page_token(session: requests.Session) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]*)">', session.get("/").text)
    assert found and found.group(1), "the page carries no CSRF token"
    return found.group(1)


def flatmap_path_parameters(context: schemathesis.HookContext, parameters: Any) -> Any:
    """Each path parameter is either the generated value or a real one (KNOWN), so handlers run past their 404."""
    if not isinstance(parameters, dict) or not parameters:
        return st.just(parameters)
    return st.fixed_dictionaries({name: st.sampled_from([value, *KNOWN.get(name, [])])
                                  for name, value in parameters.items()})


@pytest.fixture
def contract_app(settings: Settings, fake_grader: FakeGrader) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    # schemathesis started the app's lifespan (queue, pool) when it read the schema, and keeps it for the process.
    asgi.shutdown_lifespans()


@pytest.fixture
def api_schema(request: pytest.FixtureRequest, contract_app: FastAPI) -> schemathesis.BaseSchema:
    # schemathesis 4.32's from_fixture() reads and rewrites `node._nodeid`, which pytest 9.2 no longer has: give it
    # the attribute (it only labels the subtests).
    request.node._nodeid = request.node.nodeid
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract_app, config=CONFIG)
    schema.hook(flatmap_path_parameters)
    return schema


@pytest.fixture
def browsers(api_schema: schemathesis.BaseSchema, contract_app: FastAPI) -> Iterator[Browsers]:
    state: AppState = contract_app.state.rnnlab
    learner = asgi.get_client(contract_app)  # the lifespan is already running: these sessions do not start another
    learner.headers[CSRF_HEADER] = _page_token(learner)
    first = learner.post(f"/api/lessons/{LSTM}/submissions", json={"code": "# PASS\n"})
    assert first.status_code == 202 and first.json()["id"] == 1, first.text
    state.accounts = Accounts(state.store.database, state.store, hasher=CHEAP)
    state.accounts.create(TEACHER, PASSWORD, Role.instructor)
    instructor = asgi.get_client(contract_app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', instructor.get("/login").text)
    assert token
    signed_in = instructor.post("/login", data={"csrf_token": token.group(1), "email": TEACHER, "password": PASSWORD},
                                allow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    instructor.headers[CSRF_HEADER] = _page_token(instructor)
    found = Browsers(learner=learner, instructor=instructor)
    yield found
    # The run proves something only if the handlers ran: every operation answered a 2xx at least once, none a 403
    # (a state-changing request without the CSRF token, which would hide everything behind it).
    assert set(found.statuses) == {operation.ok().label for operation in api_schema.get_all_operations()}
    for label, codes in found.statuses.items():
        assert any(200 <= code < 300 for code in codes), f"{label} never succeeded: {sorted(codes)}"
        assert 403 not in codes or label == "GET /api/lessons/{slug}/solution", f"{label}: {sorted(codes)}"


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_answer_matches_the_openapi_document(case: schemathesis.Case, browsers: Browsers) -> None:
    response = case.call_and_validate(session=browsers.for_case(case))
    browsers.statuses[case.operation.label].add(response.status_code)
