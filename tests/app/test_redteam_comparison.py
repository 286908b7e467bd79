"""Red team, the comparison table: it reads stored reports of every grader version, so whatever a stored report
holds, the answer is JSON the browser can read (FastAPI refuses a non-finite float with a 500)."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime
from typing import Any

from app.comparison import Comparison
from app.store import Submission, SubmissionStatus

ATOMS: list[Any] = [None, True, 0, -1, 1e308, -1e308, math.nan, math.inf, "", "x", "NaN", "1e309", [], {}, 2**70]
KEYS = ["metric", "metrics", "history", "training", "loss", "val_loss", "epochs_run", "params", "layers", "optimizer",
        "recipe", "regularisation", "class", "schedule", "initial_rate", "final_rate", "learning_rate", "wraps",
        "kernel_initializer", "heldout_rmse", "heldout_accuracy"]


def submission(report: Any, i: int = 1) -> Submission:
    return Submission(id=i, learner_id=1, lesson="l", code="", status=SubmissionStatus.passed, score=0.5,
                      report=report, created=datetime.now(UTC), started=None, finished=None, attempt=1, job_id=None)


def served(submissions: list[Submission]) -> str:
    return json.dumps(Comparison.from_submissions(submissions).model_dump(mode="json"), allow_nan=False)


def test_losses_whose_gap_overflows_are_served() -> None:
    report = {"metric": "rmse", "history": [{"loss": 1e308, "val_loss": -1e308}]}
    row = json.loads(served([submission(report), submission(report, 2)]))["rows"][0]
    assert row["gap"] is None and row["train_loss"] == 1e308


def test_any_stored_report_is_served() -> None:
    rng = random.Random(0)

    def value(depth: int = 0) -> Any:
        r = rng.random()
        if depth > 4 or r < 0.4:
            return rng.choice(ATOMS)
        if r < 0.7:
            return {rng.choice(KEYS): value(depth + 1) for _ in range(rng.randint(0, 5))}
        return [value(depth + 1) for _ in range(rng.randint(0, 4))]

    for _ in range(2000):
        reports = [{"metric": rng.choice(["rmse", "accuracy", "", 3]), "metrics": {"heldout_rmse": rng.choice(ATOMS)},
                    "history": [{"loss": rng.choice(ATOMS), "val_loss": rng.choice(ATOMS)}
                                for _ in range(rng.randint(0, 3))],
                    "training": value(1)} if rng.random() < 0.9 else value() for _ in range(3)]
        served([submission(report, i + 1) for i, report in enumerate(reports)])
