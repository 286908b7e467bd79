"""Red team, Check places: a client that drops its cookie is a new learner on every request, so the per-address
limit is what keeps one client from holding every place. An IPv6 subscriber has a whole /64 and can send each
request from a new address in it: the limit counts the /64."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from app.checks import CheckRunner, client_network
from app.config import Settings
from app.csrf import CSRF_HEADER
from app.main import create_app
from tests.app.helpers import LSTM, FakeGrader, csrf_token

URL = f"/api/lessons/{LSTM}/checks"


@pytest.mark.parametrize(("host", "counted"), [
    ("2001:db8:7:1::1", "2001:db8:7:1::/64"),
    ("2001:db8:7:1:ffff:1:2:3", "2001:db8:7:1::/64"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("203.0.113.9", "203.0.113.9"),
    ("testclient", "testclient"),
])
def test_the_client_a_limit_counts(host: str, counted: str) -> None:
    assert client_network(host) == counted


def test_new_addresses_of_one_ipv6_subscriber_share_its_places(settings: Settings, fake_grader: FakeGrader) -> None:
    app = create_app(settings)
    with TestClient(app, client=("2001:db8:7:1::1", 50000)) as first:
        first.headers[CSRF_HEADER] = csrf_token(first)
        state = first.app.state.rnnlab  # type: ignore[attr-defined]
        # two places, at most one from one client
        first.app.state.checks = CheckRunner(state.pool, state.settings.max_code_bytes, at_once=1,  # type: ignore[attr-defined]
                                             max_waiting=1)
        fake_grader.check_gate = threading.Event()
        fake_grader.checking.clear()
        answers: dict[str, int] = {}

        def post(name: str, client: TestClient) -> threading.Thread:
            thread = threading.Thread(target=lambda: answers.__setitem__(name, client.post(
                URL, json={"code": "# PASS\n"}).status_code))
            thread.start()
            return thread

        held = post("first", first)
        assert fake_grader.checking.wait(10)
        again = TestClient(app, client=("2001:db8:7:1:dead:beef:0:2", 50001))  # same /64, no cookie: a new learner
        again.headers[CSRF_HEADER] = csrf_token(again)
        refused = post("again", again)
        refused.join(5)
        try:
            assert answers.get("again") == 503, answers  # not queued behind the first: refused at once
        finally:
            fake_grader.check_gate.set()
            held.join(10)
            refused.join(10)
        assert answers["first"] == 200
