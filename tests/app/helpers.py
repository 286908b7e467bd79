"""Helpers shared by the HTTP tests: a fake grader and small request shortcuts."""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from app.database import Database
from app.migrate import upgrade
from app.store import Store
from graders import Check, Failure, GradeReport
from graders.check import CheckReport, CheckStatus
from graders.protocol import ReportEvent, parse_event
from graders.report import Epoch

LSTM = "lstm-sequence-prediction"
SECOND = "gru-sequence-prediction"


class FakeGrader:
    """Stands in for graders.grade: emits the same events, returns a report chosen by a marker in the code.

    `# PASS` -> passed, `# FAIL` -> failed, `# CRASH` -> raises (a bug of ours), anything else -> not_gradable.
    Set `gate` to hold a grading in the training phase until the test releases it.
    """

    def __init__(self) -> None:
        self.gate: threading.Event | None = None
        self.training = threading.Event()
        self.codes: list[str] = []
        self.checked: list[str] = []  # codes given to check() (app.checks.check), never graded
        self.check_gate: threading.Event | None = None
        self.checking = threading.Event()

    def __call__(self, grading: Any, code: str, pool: Any, on_event: Any = None, **options: Any) -> GradeReport:
        self.codes.append(code)
        sink = on_event or (lambda event: None)

        def emit(raw: dict[str, Any]) -> None:  # as the pool does: raw messages from the sandbox become typed events
            event = parse_event(raw) if raw.get("event") != "report" else ReportEvent(raw["status"], raw["score"])
            if event is not None:
                sink(event)

        emit({"event": "phase", "phase": "train"})
        emit({"event": "phase", "phase": "train", "epochs": 3})
        for epoch in (1, 2):
            emit({"event": "epoch", "epoch": epoch, "epochs": 3, "loss": 1.0 / epoch, "val_loss": 1.5 / epoch})
        self.training.set()
        if self.gate is not None:
            self.gate.wait(20)
        emit({"event": "epoch", "epoch": 3, "epochs": 3, "loss": 0.3, "val_loss": float("nan")})
        emit({"event": "epoch", "epoch": "<script>", "loss": "x"})  # forged by learner code: dropped
        emit({"event": "phase", "phase": "evaluate"})
        if "# CRASH" in code:
            raise RuntimeError("grader bug")
        history = [{"epoch": 1, "loss": 1.0, "val_loss": 1.5}]
        if "# PASS" in code or "# FAIL" in code:
            ok = "# PASS" in code
            checks = [Check(id="contract", title="Module meets the contract", passed=True, points=1.0),
                      Check(id="beats_baseline", title="Beats the naive baseline", passed=ok, points=4.0 if ok else 0,
                            max_points=4.0, message="Held-out RMSE 0.33 vs 0.63 <b>baseline</b>")]
            report = GradeReport.from_checks(checks, metrics={"heldout_rmse": 0.33, "baseline_rmse": 0.63},
                                             history=history, log="<script>alert(1)</script>")
        else:
            report = GradeReport.not_gradable(Failure.syntax_error, "Syntax error on line 1: '(' was never closed")
        emit({"event": "report", "status": report.status.value, "score": report.score})
        return report

    def check(self, grading: Any, code: str, pool: Any, **options: Any) -> CheckReport:
        """Stands in for graders.check: `# PASS` -> ok with a loss history, anything else -> a problem."""
        self.checked.append(code)
        self.checking.set()
        if self.check_gate is not None:
            self.check_gate.wait(20)
        if "# PASS" not in code:
            return CheckReport(status=CheckStatus.problem, summary="1 check(s) to fix: Uses LSTM.", checks=[
                Check(id="layers", title="Uses LSTM", passed=False, max_points=0, message="Add an LSTM.")])
        history = [Epoch(epoch=1, loss=0.9, val_loss=1.1), Epoch(epoch=2, loss=0.5, val_loss=0.7)]
        return CheckReport(status=CheckStatus.ok, summary="Your model builds, has the right shapes and trains.",
                           history=history, checks=[Check(id="contract", title="Module meets the contract",
                                                          passed=True, max_points=0)])


def wait_for(client: TestClient, submission_id: int, done: tuple[str, ...] = ("passed", "failed", "not_gradable",
             "error"), timeout: float = 10.0) -> dict[str, Any]:
    """Poll a submission until its status is one of `done`."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/submissions/{submission_id}").json()
        if body["status"] in done or time.monotonic() > deadline:
            return dict(body)
        time.sleep(0.02)


def submit(client: TestClient, code: str = "# PASS\n", slug: str = LSTM) -> int:
    response = client.post(f"/api/lessons/{slug}/submissions", json={"code": code})
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def read_events(client: TestClient, submission_id: int, last_event_id: int | None = None,
                with_ids: bool = False) -> list[dict[str, Any]]:
    """Every SSE event of one stream (until the server ends it), with the event name checked against the data.
    `with_ids` adds each event's SSE id (None for unlogged ones, like queue positions) as "_id"."""
    events: list[dict[str, Any]] = []
    headers = {"Last-Event-ID": str(last_event_id)} if last_event_id is not None else {}
    with client.stream("GET", f"/api/submissions/{submission_id}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name, event_id = None, None
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line.removeprefix("id: "))
            elif line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                event = json.loads(line.removeprefix("data: "))
                assert event["event"] == name
                events.append({**event, "_id": event_id} if with_ids else event)
            elif line == "":
                name, event_id = None, None
    return events


def migrated_store(url: str) -> Store:
    """A store on a database made the way production makes it: through the migrations."""
    database = Database(url)
    upgrade(database.engine)
    return Store(database)


def csrf_token(client: TestClient, path: str = "/") -> str:
    """The CSRF token a page hands this client (it also sets the CSRF cookie the token belongs to)."""
    found = re.search(r'<meta name="csrf-token" content="([^"]*)">', client.get(path).text)
    assert found and found.group(1), "the page carries no CSRF token"
    return found.group(1)
