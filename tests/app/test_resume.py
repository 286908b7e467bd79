"""Nothing is lost across a restart: submissions left queued or running are graded when a new app starts."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.database import Database
from app.main import create_app
from app.store import Store, SubmissionStatus
from tests.app.helpers import migrated_store


@pytest.mark.sandbox
@pytest.mark.slow
def test_submissions_left_by_a_stopped_server_are_graded_at_start(settings: Settings) -> None:
    settings = settings.model_copy(update={"pool_size": 0})  # cold workers: nothing left warming at the end
    store = migrated_store(settings.resolved_database_url())
    learner = store.create_learner()
    running = store.add_submission(learner, "lstm-sequence-prediction", "x = (\n")
    queued = store.add_submission(learner, "lstm-sequence-prediction", "import keras\nWINDOW = 'a'\n")
    assert store.claim_next() is not None  # the old server was grading `running` when it stopped
    store.close()

    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 120
        store = Store(Database(settings.resolved_database_url()))
        while time.monotonic() < deadline:
            states = [store.get_submission(s.id) for s in (running, queued)]
            if all(s is not None and s.done for s in states):
                break
            time.sleep(0.2)
    assert [s.status for s in states if s] == [SubmissionStatus.not_gradable, SubmissionStatus.not_gradable]
    assert "Syntax error" in (states[0].report or {}).get("summary", "")  # type: ignore[union-attr]
    assert "WINDOW" in (states[1].report or {}).get("summary", "")  # type: ignore[union-attr]
