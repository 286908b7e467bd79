"""Compare your submissions: GET /api/lessons/{slug}/comparison (lessons with `compare: true`), rows parsed from
stored reports, each column's best, the model family from the layer classes, and the lesson page's section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import queue as queue_module
from app.catalog import LessonError, load_lesson
from app.comparison import model_family
from app.config import Settings
from graders import Check, GradeReport
from tests.app.helpers import LSTM, SECOND, FakeGrader, submit, wait_for


class RecipeGrader(FakeGrader):
    """Grades `# REPORT {json}`: a failed/passed report with the given metric, history and training facts."""

    def __call__(self, grading: Any, code: str, pool: Any, on_event: Any = None, **options: Any) -> GradeReport:
        if not code.startswith("# REPORT "):
            return super().__call__(grading, code, pool, on_event, **options)
        spec = json.loads(code.removeprefix("# REPORT "))
        check = Check(id="beats_baseline", title="Beats the baseline", passed=spec["passed"],
                      points=spec["points"], max_points=4.0)
        report = GradeReport.from_checks(
            [Check(id="contract", title="Module meets the contract", passed=True, points=1.0), check],
            metrics={"heldout_rmse": spec["rmse"], "baseline_rmse": 0.6},
            history=[{"epoch": 1, "loss": 1.0, "val_loss": 1.2}, {"epoch": 2, **spec["last"]}],
            training=spec["training"])
        report.metric = "rmse"
        return report


@pytest.fixture
def compare_dir(lessons_dir: Path) -> Path:
    md = lessons_dir / SECOND / "lesson.md"
    md.write_text(md.read_text(encoding="utf-8").replace("order: 4\n", "order: 4\ncompare: true\n", 1),
                  encoding="utf-8")
    return lessons_dir


@pytest.fixture
def settings(tmp_path: Path, compare_dir: Path) -> Settings:
    return Settings(lessons_dir=compare_dir, data_dir=tmp_path / "data", pool_size=0, max_code_bytes=8192,
                    max_queued_per_learner=2)


@pytest.fixture
def fake_grader(monkeypatch: pytest.MonkeyPatch) -> FakeGrader:
    fake = RecipeGrader()
    monkeypatch.setattr(queue_module, "grade", fake)
    return fake


def report_code(rmse: float, points: float, last: dict[str, float], training: dict[str, Any]) -> str:
    return "# REPORT " + json.dumps({"rmse": rmse, "points": points, "passed": points == 4.0, "last": last,
                                     "training": training})


PLAIN = {"epochs_run": 40, "epochs": 40, "params": 1185, "layers": ["Dense", "InputLayer", "LSTM"],
         "optimizer": {"class": "Adam", "learning_rate": 0.05, "clipnorm": None, "schedule": None},
         "recipe": [{"class": "LSTM", "kernel_initializer": "GlorotUniform", "recurrent_initializer": "Orthogonal"}],
         "regularisation": []}
TUNED = {"epochs_run": 30, "epochs": 40, "params": 1185, "layers": ["Dense", "Dropout", "InputLayer", "LSTM"],
         "optimizer": {"class": "RMSprop", "learning_rate": 0.01,
                       "schedule": {"class": "ExponentialDecay", "steps": 300, "initial_rate": 0.01,
                                    "final_rate": 0.00125, "lowest_rate": 0.00125, "highest_rate": 0.01}},
         "recipe": [{"class": "LSTM", "kernel_initializer": "HeNormal", "recurrent_initializer": "Orthogonal",
                     "kernel_l2": 0.001}, {"class": "Dropout", "dropout": 0.2}],
         "regularisation": ["LSTM kernel L2 0.001", "Dropout 0.2"]}


def test_two_submissions_side_by_side_with_each_columns_best(client: TestClient) -> None:
    first = submit(client, report_code(0.5, 1.0, {"loss": 0.05, "val_loss": 0.9}, PLAIN), slug=SECOND)
    wait_for(client, first)
    second = submit(client, report_code(0.3, 4.0, {"loss": 0.2, "val_loss": 0.3}, TUNED), slug=SECOND)
    wait_for(client, second)
    wait_for(client, submit(client, "syntax error (", slug=SECOND))  # not_gradable: a row with no facts
    response = client.get(f"/api/lessons/{SECOND}/comparison")
    assert response.status_code == 200
    body = response.json()
    assert body["metric"] == "rmse" and body["higher_is_better"] is False
    rows = {row["id"]: row for row in body["rows"]}
    assert list(rows)[1:] == [second, first]  # newest first
    plain, tuned = rows[first], rows[second]
    assert plain["metric_value"] == 0.5 and plain["train_loss"] == 0.05 and plain["val_loss"] == 0.9
    assert plain["gap"] == pytest.approx(0.85) and plain["lowest_val_loss"] == 0.9 and plain["epochs"] == 40
    assert plain["family"] == "recurrent" and plain["optimizer"] == "Adam 0.05" and plain["schedule"] == ""
    assert plain["initializers"] == ["LSTM kernel GlorotUniform", "LSTM recurrent Orthogonal"]
    assert plain["l2"] == [] and plain["dropout"] == []
    assert tuned["optimizer"] == "RMSprop" and tuned["schedule"] == "ExponentialDecay 0.01 → 0.0013"
    assert tuned["l2"] == ["LSTM kernel L2 0.001"] and tuned["dropout"] == ["Dropout 0.2"]
    assert tuned["score"] == 1.0 and plain["score"] == pytest.approx(0.4)
    assert body["best"] == {"score": [second], "metric_value": [second], "val_loss": [second], "gap": [second]}
    not_gradable = next(row for row in body["rows"] if row["status"] == "not_gradable")
    assert not_gradable["metric_value"] is None and not_gradable["family"] == ""


def test_no_best_with_a_single_row_and_nothing_for_another_browser(client: TestClient) -> None:
    wait_for(client, submit(client, report_code(0.5, 1.0, {"loss": 0.1, "val_loss": 0.2}, PLAIN), slug=SECOND))
    assert client.get(f"/api/lessons/{SECOND}/comparison").json()["best"] == {}
    client.cookies.clear()
    assert client.get(f"/api/lessons/{SECOND}/comparison").json()["rows"] == []


def test_only_lessons_that_opt_in_show_the_comparison(client: TestClient) -> None:
    assert client.get(f"/api/lessons/{LSTM}/comparison").json()["rows"] == []  # the API answers for any lesson
    assert client.get("/api/lessons/no-such-lesson/comparison").status_code == 404
    assert 'id="comparison"' not in client.get(f"/lessons/{LSTM}").text
    page = client.get(f"/lessons/{SECOND}").text
    assert 'id="comparison"' in page and f'data-url="/api/lessons/{SECOND}/comparison"' in page


def test_compare_must_be_a_boolean(compare_dir: Path) -> None:
    md = compare_dir / SECOND / "lesson.md"
    md.write_text(md.read_text(encoding="utf-8").replace("compare: true", "compare: sometimes"), encoding="utf-8")
    with pytest.raises(LessonError, match="compare"):
        load_lesson(compare_dir / SECOND)


@pytest.mark.parametrize(("layers", "family"), [
    (["InputLayer", "LSTM", "Dense"], "recurrent"),
    (["InputLayer", "Bidirectional", "GRU", "Dense"], "recurrent"),
    (["InputLayer", "Conv1D", "GlobalAveragePooling1D", "Dense"], "convolutional"),
    (["InputLayer", "MultiHeadAttention", "LayerNormalization", "Dense"], "attention"),
    (["InputLayer", "Flatten", "Dropout", "Dense"], "linear / dense"),
    (["InputLayer", "Conv1D", "SimpleRNN", "Dense"], "recurrent + convolutional"),
    (["InputLayer", "Embedding", "GlobalAveragePooling1D"], "other"),
    ([], ""),
])
def test_model_family_from_layer_classes(layers: list[str], family: str) -> None:
    assert model_family(layers) == family
